"""UBFC-rPPG (Bobbia et al. 2017).

DATASET_2: ``subjectN/vid.avi`` + ``ground_truth.txt`` with three whitespace-separated lines:
PPG wave, device HR (bpm), timestamps (s). DATASET_1: ``<name>/vid.avi`` + ``gtdump.xmp``,
a CSV of time (ms), HR, SpO2, PPG at about 62 Hz. The video may have any video suffix
(re-encoded copies are often ``vid.mp4``). Ground truth is placed on the frames' clock by its
own timestamps, never by sample index; real time lines repeat a time now and then, or start
at an offset (:meth:`rppg.io.recording.GroundTruth.check` repairs and says so). The device's
HR line is kept only for recordings without a wave: on some real subjects it drops to a few
bpm while the wave is clean.

    recs = load_dataset("ubfc", "/data/UBFC/DATASET_2")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rppg.errors import RppgError
from rppg.io.recording import Dataset, GroundTruth, Recording, register_dataset, side_file
from rppg.io.video import VIDEO_SUFFIXES


@register_dataset
class Ubfc(Dataset):
    name = "ubfc"

    def recordings(self, root: Path) -> list[Recording]:
        recs = []
        found = [v for v in root.rglob("vid.*") if v.suffix.lower() in VIDEO_SUFFIXES]
        videos: dict[Path, Path] = {}  # one a folder: .avi (the original) before re-encodings
        for video in sorted(found, key=lambda v: VIDEO_SUFFIXES.index(v.suffix.lower())):
            videos.setdefault(video.parent, video)
        for folder, video in sorted(videos.items()):
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
