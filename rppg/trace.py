"""From face crops to RGB traces: one colour sample per frame and region of interest.

    builder = TraceBuilder.from_config(cfg, rois={"box", "mask"})
    for frame in source:
        builder.add(frame)                 # the face stage, then the colour samples
    trace = builder.finish()               # Trace(t_s (N,), rgb {"box": (N, 3), ...}, face (N,))

Regions of interest: ``box`` is the plain mean of the face crop (a uniform mask); ``skin``
the mean of the crop's skin-coloured pixels (YCrCb thresholds, the classic methods' region);
``mask`` the trained skin mask's weighted mean (see :mod:`rppg.model`). Frames without a
face give NaN samples. The stages are injected (``TraceBuilder(rois, face=..., net=...)``),
so that a test or a caller with its own crops (training) can swap one without the others.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from rppg.config import Config
from rppg.crops import FaceCrop, FaceStage
from rppg.io.frames import Frame
from rppg.model import MaskNet, load_mask_model, masked_rgb

# Skin colour in OpenCV's YCrCb (Y, Cr, Cb), after Chai & Ngan (1999): wide enough for dark
# and light skin, narrow enough to drop hair, eyes and most backgrounds.
SKIN_YCRCB_LO = np.array([0, 133, 77], np.uint8)
SKIN_YCRCB_HI = np.array([255, 173, 127], np.uint8)
MIN_SKIN_FRACTION = 0.02
"""Below this share of skin pixels in a crop, the whole crop's mean is used instead."""


def box_mean(crop: np.ndarray) -> np.ndarray:
    """Plain mean colour of a BGR crop, as RGB (3,)."""
    b, g, r, _ = cv2.mean(crop)
    return np.array([r, g, b])


def skin_pixels(crop: np.ndarray) -> np.ndarray:
    """uint8 mask (H, W), 255 where a BGR crop's pixel has skin colour."""
    return cv2.inRange(cv2.cvtColor(crop, cv2.COLOR_BGR2YCrCb), SKIN_YCRCB_LO, SKIN_YCRCB_HI)


def skin_mean(crop: np.ndarray) -> np.ndarray:
    """Mean colour (RGB, (3,)) of a BGR crop's skin-coloured pixels (all pixels if too few)."""
    mask = skin_pixels(crop)
    if cv2.countNonZero(mask) < MIN_SKIN_FRACTION * mask.size:
        return box_mean(crop)
    b, g, r, _ = cv2.mean(crop, mask=mask)
    return np.array([r, g, b])


ROI_MEANS = {"box": box_mean, "skin": skin_mean}
"""Regions computed per crop right away; ``mask`` runs batched through the network."""
ROIS = (*ROI_MEANS, "mask")


@dataclass
class Trace:
    """Per-frame colour samples of one recording."""

    t_s: np.ndarray
    """Frame times (s), shape (N,)."""
    rgb: dict[str, np.ndarray]
    """Mean colour per region of interest, RGB in [0, 255], shape (N, 3); NaN without a face."""
    face: np.ndarray
    """Whether a face was tracked in each frame, bool (N,)."""
    mean_mask: np.ndarray | None = None
    """Mean skin mask over the recording, (s, s) in (0, 1) at the model's input size; None
    without ``mask``."""
    mean_crop: np.ndarray | None = None
    """Mean face crop over the recording, (crop, crop, 3) BGR uint8; None without ``mask``."""

    @property
    def frames(self) -> int:
        return len(self.t_s)

    @property
    def face_ratio(self) -> float:
        return float(self.face.mean()) if len(self.face) else 0.0


@dataclass
class FrameSample:
    """What one frame contributed: its face and colour per region (None without face)."""

    face: FaceCrop
    rgb: dict[str, np.ndarray | None] = field(default_factory=dict)
    mask: np.ndarray | None = None
    """The skin mask (s, s) over ``face.rect``, when it was computed for this frame."""


class TraceBuilder:
    """Accumulates a :class:`Trace` frame by frame; holds no frames, only samples.

    Mask inference runs in batches of ``batch_size`` crops (offline) or per frame
    (``batch_size=1``, live), so ``add`` returns a frame's mask sample only when its batch ran.
    With ``history_s`` (live), samples older than that many seconds are dropped, so memory
    stays flat however long the session.
    """

    def __init__(
        self,
        rois: set[str] | frozenset[str],
        face: FaceStage | None = None,
        net: MaskNet | None = None,
        input_size: int = 36,
        batch_size: int = 64,
        history_s: float | None = None,
    ) -> None:
        unknown = set(rois) - set(ROIS)
        if unknown:
            raise ValueError(f"unknown regions {sorted(unknown)} (known: {ROIS})")
        if "mask" in rois and net is None:
            raise ValueError("the 'mask' region needs a mask network")
        if history_s is not None and batch_size != 1:
            raise ValueError("a bounded history needs per-frame mask inference (batch_size=1)")
        self.rois = set(rois)
        self.face = face
        self.net = net
        self.input_size = input_size
        self.batch_size = batch_size
        self.history_s = history_s
        self.reset()

    @classmethod
    def from_config(
        cls, cfg: Config, rois: set[str] | frozenset[str], live: bool = False, history_s: float | None = None
    ) -> TraceBuilder:
        """The builder with the configured face stage and, for ``mask``, the configured
        weights; ``live`` runs the mask per frame."""
        net = load_mask_model(cfg.model.weights) if "mask" in rois else None
        batch = 1 if live else cfg.model.batch_size
        return cls(rois, FaceStage.from_config(cfg.face), net, cfg.model.input_size, batch, history_s)

    def reset(self) -> None:
        if self.face is not None:
            self.face.reset()
        self._t: deque[float] = deque()
        self._face: deque[bool] = deque()
        self._rgb: dict[str, deque[np.ndarray]] = {r: deque() for r in self.rois}
        self._pending: list[tuple[int, np.ndarray]] = []
        self._mask_sum = None
        self._crop_sum = None
        self._n_crops = 0

    def add(self, frame: Frame) -> FrameSample:
        """Find the face in ``frame`` and record its colour samples."""
        if self.face is None:
            raise ValueError("this builder has no face stage: use add_crop")
        return self.add_crop(self.face(frame))

    def add_crop(self, fc: FaceCrop) -> FrameSample:
        """Record the colour samples of one frame's face crop."""
        self._t.append(fc.t_s)
        self._face.append(fc.found)
        sample = FrameSample(fc)
        if self.history_s is not None:
            self._forget_before(fc.t_s - self.history_s)
        nan = np.full(3, np.nan)
        if not fc.found:
            for r in self.rois:
                self._rgb[r].append(nan)
            return sample
        for roi, mean in ROI_MEANS.items():
            if roi in self.rois:
                sample.rgb[roi] = mean(fc.crop)
                self._rgb[roi].append(sample.rgb[roi])
        if "mask" in self.rois:
            self._accumulate_crop(fc.crop)  # the mean crop only serves the mask pictures
            self._rgb["mask"].append(nan)  # filled in when its batch runs
            self._pending.append((len(self._t) - 1, fc.crop))
            if len(self._pending) >= self.batch_size:
                sample.rgb["mask"], sample.mask = self._flush()
        return sample

    def _forget_before(self, t_s: float) -> None:
        while self._t and self._t[0] < t_s:
            self._t.popleft()
            self._face.popleft()
            for values in self._rgb.values():
                values.popleft()

    def _accumulate_crop(self, crop: np.ndarray) -> None:
        if self._crop_sum is None:
            self._crop_sum = np.zeros(crop.shape, np.float64)
        self._crop_sum += crop
        self._n_crops += 1

    def _flush(self) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """Run the mask on pending crops; returns the last crop's (rgb, mask)."""
        if not self._pending:
            return None, None
        idx = [i for i, _ in self._pending]
        crops = np.stack([c for _, c in self._pending])
        rgb, masks = masked_rgb(self.net, crops, self.input_size)
        for i, value in zip(idx, rgb, strict=True):
            self._rgb["mask"][i] = value
        total = masks.sum(axis=0)
        self._mask_sum = total if self._mask_sum is None else self._mask_sum + total
        self._pending = []
        return rgb[-1], masks[-1]

    def finish(self) -> Trace:
        """The trace of everything added so far."""
        self._flush()
        n = max(self._n_crops, 1)
        return Trace(
            t_s=np.asarray(self._t, dtype=float),
            rgb={r: np.asarray(v, dtype=float).reshape(-1, 3) for r, v in self._rgb.items()},
            face=np.asarray(self._face, dtype=bool),
            mean_mask=None if self._mask_sum is None else self._mask_sum / n,
            mean_crop=None if self._crop_sum is None else (self._crop_sum / n).astype(np.uint8),
        )

    def close(self) -> None:
        if self.face is not None:
            self.face.close()

    def __enter__(self) -> TraceBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
