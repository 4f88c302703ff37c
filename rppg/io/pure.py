"""PURE (Stricker et al. 2014).

``XX-YY/XX-YY.json`` and frames ``XX-YY/XX-YY/Image<timestamp_ns>.png`` (some copies unpack
without the outer folder). The JSON's ``/Image`` list holds one ``Timestamp`` (ns) per frame,
``/FullPackage`` the oximeter at 60 Hz (``Value.waveform``, ``Value.pulseRate``). Both are
put on one clock, 0 = first frame: the wave is aligned by time, not resampled by index.

    recs = load_dataset("pure", "/data/PURE")
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from rppg.errors import RppgError
from rppg.io.frames import FrameSource
from rppg.io.images import ImageFolderSource
from rppg.io.recording import Dataset, GroundTruth, Recording, register_dataset, side_file

_NAME = re.compile(r"^(\d+)-(\d+)$")


@register_dataset
class Pure(Dataset):
    name = "pure"

    def recordings(self, root: Path) -> list[Recording]:
        recs = []
        for meta in root.rglob("*.json"):
            match = _NAME.match(meta.stem)
            if not match:
                continue
            frames = meta.parent / meta.stem
            recs.append(
                Recording(
                    self.name,
                    meta.stem,
                    match.group(1),
                    frames,
                    setup=match.group(2),
                    paths={"truth": str(meta)},
                )
            )
        return recs

    def frames(self, rec: Recording) -> FrameSource:
        image_ns, _ = _read_json(side_file(rec, "truth", "JSON"))
        return ImageFolderSource(rec.video, timestamps=(image_ns - image_ns[0]) * 1e-9)

    def truth(self, rec: Recording) -> GroundTruth:
        image_ns, packages = _read_json(side_file(rec, "truth", "JSON"))
        t = (np.array([p["Timestamp"] for p in packages], dtype=np.int64) - image_ns[0]) * 1e-9
        wave = np.array([p["Value"]["waveform"] for p in packages], dtype=float)
        rate = np.array([p["Value"].get("pulseRate", np.nan) for p in packages], dtype=float)
        return GroundTruth(t, wave, rate if np.isfinite(rate).all() else None)


def _read_json(path: Path) -> tuple[np.ndarray, list]:
    try:
        data = json.loads(path.read_text())
        image_ns = np.array([f["Timestamp"] for f in data["/Image"]], dtype=np.int64)
        packages = data["/FullPackage"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RppgError(f"{path}: not a PURE JSON file ({type(exc).__name__}: {exc})") from None
    if len(image_ns) == 0:
        raise RppgError(f"{path}: no /Image timestamps")
    return image_ns, packages
