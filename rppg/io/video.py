"""Video files and webcams through OpenCV, with real per-frame timestamps.

with VideoFileSource("face.avi") as src:
    for frame in src: ...
VideoFileSource("s01_trial01.avi", fps=50.0)          # container fps known to be wrong
VideoFileSource("vid.avi", timestamps=t_s)             # capture times from a side file
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from rppg.errors import RppgError
from rppg.io.frames import Frame, FrameSource, prefetch
from rppg.runtime import native_stderr_silenced

MAX_PLAUSIBLE_FPS = 1000.0
VIDEO_SUFFIXES = (".avi", ".mp4", ".mkv", ".mov")
"""File endings the dataset loaders treat as videos."""
CUT_SHORT = 0.9
"""A file that decodes to fewer than this share of the frames its header promises is said
to be cut short (headers of some codecs count a few frames off, so not every difference)."""
TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
"""Clockwise turns (degrees) an image can be given, as OpenCV rotates them."""


def turned(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` turned ``degrees`` (0, 90, 180 or 270) clockwise."""
    return image if degrees % 360 == 0 else cv2.rotate(image, TURNS[degrees % 360])


class VideoFileSource(FrameSource):
    """Frames of a video file, decoded in a background thread.

    Timestamps, in order of preference: ``timestamps`` given by the caller (s, one per
    frame, e.g. from a dataset's side file); the frame index over ``fps`` when the caller
    knows the true rate; the container's per-frame presentation times; index / container fps.
    Container times that stall or run backwards are replaced by index / fps; a frame whose
    time still does not increase is skipped. Frames are turned upright as the container's
    rotation says (a phone held upright), whatever OpenCV's own default. A file that decodes
    to far fewer frames than its header promises, or than the timestamps given, says so in
    :attr:`warnings`.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fps: float | None = None,
        timestamps: np.ndarray | None = None,
        prefetch_depth: int = 32,
    ) -> None:
        self.path = Path(path)
        self.name = str(path)
        if not self.path.exists():
            raise RppgError(f"{path}: no such file")
        if self.path.is_dir():
            raise RppgError(f"{path}: is a folder, not a video file")
        if not os.access(self.path, os.R_OK):
            raise RppgError(f"{path}: permission denied")
        if self.path.stat().st_size == 0:
            raise RppgError(f"{path}: empty file")
        cap = _open(self.path)
        if not cap.isOpened():
            raise RppgError(f"{path}: not a readable video (unknown format, or truncated)")
        meta_fps = cap.get(cv2.CAP_PROP_FPS)
        self.promised_frames = int(max(cap.get(cv2.CAP_PROP_FRAME_COUNT), 0))
        self.rotation = (
            int(cap.get(cv2.CAP_PROP_ORIENTATION_META)) % 360
            if hasattr(cv2, "CAP_PROP_ORIENTATION_META")
            else 0
        )
        cap.release()
        self.container_fps = meta_fps if 0 < meta_fps < MAX_PLAUSIBLE_FPS else None
        self.fps_override = fps
        self.timestamps = None if timestamps is None else np.asarray(timestamps, dtype=float)
        self.nominal_fps = fps or self.container_fps
        self.prefetch_depth = prefetch_depth

    def __iter__(self) -> Iterator[Frame]:
        return prefetch(self._decode, self.prefetch_depth)

    def _decode(self) -> Iterator[Frame]:
        cap = _open(self.path)
        if self.rotation and hasattr(cv2, "CAP_PROP_ORIENTATION_AUTO"):
            cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)  # turned here, once, whatever the version
        try:
            fps = self.fps_override or self.container_fps
            last_t = -np.inf
            index = skipped = 0
            while True:
                ok, image = cap.read()
                if not ok:
                    break
                t = self._frame_time(index, cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0, fps, last_t)
                index += 1
                if t <= last_t:
                    skipped += 1
                    continue
                last_t = t
                yield Frame(index - 1, t, turned(image, self.rotation))
        finally:
            cap.release()
        self._say_what_was_wrong(index, skipped)

    def _say_what_was_wrong(self, decoded: int, skipped: int) -> None:
        promised = len(self.timestamps) if self.timestamps is not None else self.promised_frames
        what = "timestamps given" if self.timestamps is not None else "frames its header promises"
        if promised and decoded < CUT_SHORT * promised:
            self.warn(f"cut short: {decoded} frames decode of the {promised} {what}")
        if skipped:
            self.warn(f"{skipped} frame(s) whose time repeats or goes back skipped")

    def _frame_time(self, index: int, container_t: float, fps: float | None, last_t: float) -> float:
        if self.timestamps is not None:
            if index >= len(self.timestamps):
                raise RppgError(f"{self.name}: more frames than timestamps ({len(self.timestamps)})")
            return float(self.timestamps[index] - self.timestamps[0])
        if self.fps_override:
            return index / self.fps_override
        if np.isfinite(container_t) and container_t > last_t:
            return container_t
        if fps is None:
            raise RppgError(f"{self.name}: no usable frame times (fps metadata missing); pass --fps")
        return index / fps


def _open(path: Path) -> cv2.VideoCapture:
    # OpenCV's own AVI parser prints container errors with no log level to turn off.
    with native_stderr_silenced():
        return cv2.VideoCapture(str(path))


class CameraSource(FrameSource):
    """Frames from a webcam, stamped with the capture clock (s since the first frame)."""

    def __init__(self, index: int = 0):
        self.index = index
        self.name = f"camera {index}"
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise RppgError(f"camera {index}: cannot open (no such camera, or it is busy)")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.nominal_fps = fps if 0 < fps < MAX_PLAUSIBLE_FPS else None
        self.disconnected = False

    def __iter__(self) -> Iterator[Frame]:
        t0 = None
        index = 0
        while self._cap.isOpened():
            ok, image = self._cap.read()
            now = time.monotonic()
            if not ok:
                self.disconnected = True  # unplugged or taken by another program
                return
            t0 = now if t0 is None else t0
            yield Frame(index, now - t0, image)
            index += 1

    def close(self) -> None:
        self._cap.release()
