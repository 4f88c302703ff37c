"""Frames and frame sources: the one shape every input takes.

A source yields :class:`Frame` records (timestamp + BGR image) one at a time and is closed
after use; nothing holds a whole video in memory.

    with open_source("face.avi") as src:
        for frame in src:
            print(frame.t_s, frame.image.shape)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass
class Frame:
    """One video frame."""

    index: int
    """Position in the source, from 0."""
    t_s: float
    """Capture time (s) relative to the source's first frame."""
    image: np.ndarray
    """BGR uint8 image, shape (H, W, 3)."""


class FrameSource:
    """Base of all frame sources: iterate for frames, ``close()`` when done. Frame times
    strictly increase: a frame whose time repeats or goes back is skipped, and said."""

    name: str = "source"
    """What the source reads (a path or 'camera 0'), used in messages."""
    nominal_fps: float | None = None
    """Frame rate announced by the container or camera (Hz); may be wrong."""
    warnings: tuple[str, ...] = ()
    """What is wrong with the input but was read anyway (a file cut short, times skipped),
    known once the frames are read; short sentences."""

    def warn(self, message: str) -> None:
        self.warnings = (*self.warnings, message)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release files or devices; safe to call twice."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def increasing(t_s: np.ndarray) -> np.ndarray:
    """Which samples to keep so that times strictly increase: each later than every one
    before it, bool (K,). Real time lines repeat a time now and then, or step back."""
    t = np.asarray(t_s, dtype=float)
    before = np.maximum.accumulate(np.concatenate([[-np.inf], t[:-1]])) if len(t) else t
    return t > before


_END = object()


def prefetch(produce: Callable[[], Iterator[Frame]], depth: int = 32) -> Iterator[Frame]:
    """Run the generator ``produce()`` in a background thread, ``depth`` frames ahead.

    OpenCV releases the GIL while decoding, so decoding overlaps with processing on another
    core. Exceptions in the reader are re-raised in the consumer. Stopping early (closing the
    returned generator) stops the reader.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for item in produce():
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as exc:  # handed over to the consumer thread
            q.put(exc)

    thread = threading.Thread(target=run, name="rppg-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()
