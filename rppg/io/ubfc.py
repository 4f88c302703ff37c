"""UBFC-rPPG (Bobbia et al. 2017).

DATASET_2: ``subjectN/vid.avi`` + ``ground_truth.txt`` with three whitespace-separated lines:
PPG wave, device HR (bpm), timestamps (s). DATASET_1: ``<name>/vid.avi`` + ``gtdump.xmp``,
a CSV of time (ms), HR, SpO2, PPG at about 62 Hz. Ground truth is placed on the frames'
clock by its own timestamps, never by sample index.

    recs = load_dataset("ubfc", "/data/UBFC/DATASET_2")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rppg.errors import RppgError
from rppg.io.recording import Dataset, GroundTruth, Recording, register_dataset, side_file


@register_dataset
class Ubfc(Dataset):
    name = "ubfc"

    def recordings(self, root: Path) -> list[Recording]:
        recs = []
        for video in root.rglob("vid.avi"):
            folder = video.parent
            gt = folder / "ground_truth.txt"
            xmp = folder / "gtdump.xmp"
            truth = gt if gt.exists() or not xmp.exists() else xmp
            recs.append(Recording(self.name, folder.name, folder.name, video, paths={"truth": str(truth)}))
        return recs

    def truth(self, rec: Recording) -> GroundTruth:
        path = side_file(rec, "truth", "ground truth")
        if path.suffix == ".xmp":
            return _read_gtdump(path)
        return _read_ground_truth_txt(path)


def _read_ground_truth_txt(path: Path) -> GroundTruth:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if len(lines) < 3:
        raise RppgError(f"{path}: expected 3 lines (PPG, HR, time), found {len(lines)}")
    try:
        ppg, hr, t = (np.array(ln.split(), dtype=float) for ln in lines[:3])
    except ValueError:
        raise RppgError(f"{path}: non-numeric values") from None
    if not (len(ppg) == len(hr) == len(t)):
        raise RppgError(f"{path}: lines differ in length ({len(ppg)}, {len(hr)}, {len(t)})")
    return GroundTruth(t - t[0], ppg, hr)


def _read_gtdump(path: Path) -> GroundTruth:
    try:
        table = np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError:
        raise RppgError(f"{path}: not a numeric CSV") from None
    if table.shape[1] < 4:
        raise RppgError(f"{path}: expected columns time_ms, HR, SpO2, PPG")
    t = table[:, 0] / 1000.0
    return GroundTruth(t - t[0], table[:, 3], table[:, 1])
