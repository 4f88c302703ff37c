"""The face stage of the chain: one frame in, the face's box and crop out.

Every use of rppg reads faces through this one stage: the trace builder (process, live,
evaluate), training's crop cache and the benchmark.

    with FaceStage.from_config(cfg.face) as stage:
        for frame in source:
            fc = stage(frame)          # FaceCrop(t_s, box, rect, crop (72, 72, 3) BGR) or no face
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rppg.config import FaceConfig
from rppg.face import Box, FaceDetector, FaceTracker, crop_box, make_detector, resize_region
from rppg.io.frames import Frame

Rect = tuple[int, int, int, int]
"""A crop rectangle (x0, y0, x1, y1) in frame pixels."""


@dataclass
class FaceCrop:
    """One frame's face: where it is and the pixels its colour is read from."""

    t_s: float
    """Frame time (s)."""
    box: Box | None = None
    """Tracked face box (frame pixels); None when no face is tracked in this frame."""
    rect: Rect | None = None
    """The square crop rectangle (frame pixels): the box enlarged by ``face.box_scale``."""
    crop: np.ndarray | None = None
    """The crop resized to (crop_size, crop_size, 3), BGR uint8."""

    @property
    def found(self) -> bool:
        return self.crop is not None


class FaceStage:
    """Detects and tracks the face, then crops it. Stateful (the tracker): ``reset()``
    before a new video; ``close()`` releases the detector."""

    def __init__(self, cfg: FaceConfig, detector: FaceDetector | None = None) -> None:
        self.cfg = cfg
        self.detector = detector if detector is not None else make_detector(cfg)
        self.tracker = FaceTracker(self.detector, cfg)

    @classmethod
    def from_config(cls, cfg: FaceConfig) -> FaceStage:
        return cls(cfg)

    def reset(self) -> None:
        self.tracker.reset()

    def __call__(self, frame: Frame) -> FaceCrop:
        box = self.tracker.update(frame.image, frame.t_s)
        if box is None:
            return FaceCrop(frame.t_s)
        h, w = frame.image.shape[:2]
        rect = crop_box(box, self.cfg.box_scale, w, h)
        return FaceCrop(frame.t_s, box, rect, resize_region(frame.image, rect, self.cfg.crop_size))

    def close(self) -> None:
        self.detector.close()

    def __enter__(self) -> FaceStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
