"""Reading face video: files, image folders, webcams, and benchmark datasets
(``ubfc``, ``pure``, ``deap``, ``physrecorder``, ``generic``; see :mod:`rppg.io.recording`).

from rppg.io import open_source
with open_source("face.avi") as src:
    for frame in src:   # Frame(index, t_s, image BGR uint8)
        ...
"""

from __future__ import annotations

import os
from pathlib import Path

from rppg.errors import RppgError
from rppg.io import biaseval, deap, generic, physrecorder, pure, ubfc  # noqa: F401  (register layouts)
from rppg.io.frames import Frame, FrameSource
from rppg.io.images import ImageFolderSource
from rppg.io.recording import DATASETS, GroundTruth, Recording, load_dataset
from rppg.io.video import CameraSource, VideoFileSource

__all__ = [
    "DATASETS",
    "CameraSource",
    "GroundTruth",
    "Recording",
    "load_dataset",
    "Frame",
    "FrameSource",
    "ImageFolderSource",
    "VideoFileSource",
    "open_source",
]


def open_source(path: str | os.PathLike, fps: float | None = None) -> FrameSource:
    """A frame source for a video file or an image folder; ``fps`` overrides the file's."""
    p = Path(path)
    if not p.exists():
        raise RppgError(f"{path}: no such file or folder")
    if p.is_dir():
        return ImageFolderSource(p, fps=fps)
    return VideoFileSource(p, fps=fps)
