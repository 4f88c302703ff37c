"""Following one face from frame to frame: the detector every few frames on a reduced
image, the box smoothed between detections and held a while when the face is missed.

    tracker = FaceTracker(make_detector(cfg), cfg)
    box = tracker.push(frame.image, frame.t_s)     # smoothed Box in frame pixels, or None
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rppg.config import FaceConfig
from rppg.face.detect import Box, FaceDetector, find_faces


class FaceTracker:
    """Runs a detector every few frames on a reduced image and smooths the box.

    State: the current box and how long ago the last detection succeeded. A missed detection
    keeps the last box for ``hold_s`` seconds (detecting on every frame meanwhile), then the
    face counts as lost (``push`` returns None) until it is found again.
    """

    def __init__(self, detector: FaceDetector, cfg: FaceConfig) -> None:
        self.detector = detector
        self.cfg = cfg
        self.reset()

    def reset(self) -> None:
        self.box: Box | None = None
        self._frames_since_detect = 0
        self._missed = False
        self._last_found_t: float | None = None

    def push(self, image: np.ndarray, t_s: float) -> Box | None:
        """The face box for this frame (full-resolution pixels), or None when lost."""
        self._frames_since_detect += 1
        due = self._frames_since_detect >= self.cfg.detect_every
        if self.box is None or self._missed or due:
            self._frames_since_detect = 0
            found = self.find(image)
            if found is not None:
                self.box = found if self.box is None else self._smooth(self.box, found)
                self._last_found_t = t_s
                self._missed = False
            else:
                self._missed = True
                if self._last_found_t is None or t_s - self._last_found_t > self.cfg.hold_s:
                    self.box = None
        return self.box

    def find(self, image: np.ndarray) -> Box | None:
        """The face in ``image`` now (detector on the reduced image, in tiles if it is wide:
        :func:`rppg.face.detect.find_faces`; the one nearest the tracked box if there are
        several), or None; the tracked box is left as it is."""
        boxes = find_faces(self.detector, image, self.cfg.detect_width)
        if not boxes:
            return None
        if self.box is not None:
            return max(boxes, key=lambda b: (b.iou(self.box), b.score))
        return boxes[0]

    def _smooth(self, old: Box, new: Box) -> Box:
        a = self.cfg.smoothing
        (ocx, ocy), (ncx, ncy) = old.center, new.center
        if abs(ncx - ocx) > 0.5 * old.w or abs(ncy - ocy) > 0.5 * old.h:
            return new  # a jump (new person, fast move): no point smoothing across it
        cx, cy = ocx + a * (ncx - ocx), ocy + a * (ncy - ocy)
        w, h = old.w + a * (new.w - old.w), old.h + a * (new.h - old.h)
        return replace(new, x=cx - w / 2, y=cy - h / 2, w=w, h=h)
