"""Image folders (PNG/JPEG sequences), e.g. PURE's ``Image<timestamp_ns>.png`` frames.

src = ImageFolderSource("01-01/01-01")              # times from the file names
src = ImageFolderSource("frames/", fps=30.0)         # plain numbered frames
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from rppg.errors import RppgError
from rppg.files import natural_key
from rppg.io.frames import Frame, FrameSource, increasing, prefetch

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
_NUMBER = re.compile(r"(\d+)")


class ImageFolderSource(FrameSource):
    """Frames from image files in a folder, in natural (numeric) order.

    Times: ``timestamps`` (s, one per image) if given, else the number in each file name in
    nanoseconds when ``names_are_ns`` (PURE), else index / ``fps``.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        fps: float | None = None,
        timestamps: np.ndarray | None = None,
        names_are_ns: bool | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.name = str(folder)
        if not self.folder.is_dir():
            raise RppgError(f"{folder}: no such folder")
        files = [p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise RppgError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in folder")
        self.files = sorted(files, key=lambda p: natural_key(p.name))
        if names_are_ns is None:
            names_are_ns = all(p.stem.startswith("Image") for p in self.files)
        if timestamps is not None:
            t = np.asarray(timestamps, dtype=float)
            if len(t) != len(self.files):
                raise RppgError(f"{folder}: {len(self.files)} images but {len(t)} timestamps")
        elif names_are_ns:
            t = np.array([_name_number(p) for p in self.files], dtype=float) * 1e-9
        elif fps:
            t = np.arange(len(self.files)) / fps
        else:
            raise RppgError(f"{folder}: image names carry no times; pass --fps")
        keep = increasing(t)
        if not keep.all():
            self.warn(f"{int((~keep).sum())} image(s) whose time repeats or goes back skipped")
            self.files, t = [f for f, k in zip(self.files, keep, strict=True) if k], t[keep]
        self.t_s = t - t[0]
        self.nominal_fps = fps or (float(1.0 / np.median(np.diff(self.t_s))) if len(t) > 1 else None)

    def __iter__(self) -> Iterator[Frame]:
        return prefetch(self._read)

    def _read(self) -> Iterator[Frame]:
        for i, path in enumerate(self.files):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise RppgError(f"{path}: not a readable image")
            yield Frame(i, float(self.t_s[i]), image)


def _name_number(path: Path) -> int:
    digits = _NUMBER.findall(path.stem)
    if not digits:
        raise RppgError(f"{path}: no timestamp in the file name")
    return int(digits[-1])
