"""From face crops to RGB traces: one colour sample per frame and weighting.

    builder = TraceBuilder.from_config(cfg, weightings={"uniform", "mask"})
    for fc in builder.face.crops(source):
        builder.add_crop(fc)               # or builder.add(frame) one frame at a time (live)
    trace = builder.finish()               # Trace(t_s (N,), rgb {"uniform": (N, 3), ...}, face (N,))

The face stage says which crop pixels count (``FaceCrop.region``, the gate); a weighting
says how much each counts inside it: ``uniform`` (all equally: the classic methods) or
``mask`` (the trained skin mask, the seed idea: :mod:`rppg.model`). Frames without a face give
NaN samples. The stages are injected (``TraceBuilder(weightings, face=..., net=...)``), so a
test or a caller with crops of its own (training) can swap one without the others.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from rppg.config import Config
from rppg.crops import FaceCrop, FaceStage
from rppg.io.frames import Frame
from rppg.model import MaskNet, load_mask_model, masked_rgb

WEIGHTINGS = ("uniform", "mask")
PICTURE_EVERY = 8
"""Every this many frames with a face go into the mean crop and region of the pictures."""


def region_mean(crop: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Region-weighted mean colour of a BGR crop (H, W, 3) as RGB (3,); NaN if the region
    is empty."""
    total = float(region.sum())
    if total <= 1e-6:
        return np.full(3, np.nan)
    bgr = np.tensordot(region, crop, axes=([0, 1], [0, 1])) / total
    return bgr[::-1].astype(float)


@dataclass
class Trace:
    """Per-frame colour samples of one recording."""

    t_s: np.ndarray
    """Frame times (s), shape (N,)."""
    rgb: dict[str, np.ndarray]
    """Mean colour per weighting, RGB in [0, 255], shape (N, 3); NaN without a face."""
    face: np.ndarray
    """Whether a face was found in each frame, bool (N,)."""
    motion: np.ndarray | None = None
    """Face movement per frame: the face box centre's displacement since the previous frame
    over the box's size, (N,); NaN without a face."""
    centre: np.ndarray | None = None
    """The face box centre per frame (frame pixels), (N, 2); NaN without a face."""
    mean_crop: np.ndarray | None = None
    """Mean face crop over the recording, (s, s, 3) BGR uint8 (for the pictures)."""
    mean_region: np.ndarray | None = None
    """Mean region (s, s) in [0, 1]."""
    mean_mask: np.ndarray | None = None
    """Mean skin mask (s, s) in (0, 1) at the model's input size; None without ``mask``."""

    @property
    def frames(self) -> int:
        return len(self.t_s)

    @property
    def face_ratio(self) -> float:
        return float(self.face.mean()) if len(self.face) else 0.0


@dataclass
class FrameSample:
    """What one frame contributed: its face and colour per weighting (None without face)."""

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
        weightings: set[str] | frozenset[str],
        face: FaceStage | None = None,
        net: MaskNet | None = None,
        input_size: int = 36,
        batch_size: int = 64,
        history_s: float | None = None,
    ) -> None:
        unknown = set(weightings) - set(WEIGHTINGS)
        if unknown:
            raise ValueError(f"unknown weightings {sorted(unknown)} (known: {WEIGHTINGS})")
        if "mask" in weightings and net is None:
            raise ValueError("the 'mask' weighting needs a mask network")
        if history_s is not None and batch_size != 1:
            raise ValueError("a bounded history needs per-frame mask inference (batch_size=1)")
        self.weightings = set(weightings)
        self.face = face
        self.net = net
        self.input_size = input_size
        self.batch_size = batch_size
        self.history_s = history_s
        self.reset()

    @classmethod
    def from_config(
        cls,
        cfg: Config,
        weightings: set[str] | frozenset[str],
        live: bool = False,
        history_s: float | None = None,
    ) -> TraceBuilder:
        """The builder with the configured face stage and, for ``mask``, the configured
        weights; ``live`` runs the mask per frame."""
        net = load_mask_model(cfg.model.weights) if "mask" in weightings else None
        batch = 1 if live else cfg.model.batch_size
        return cls(weightings, FaceStage.from_config(cfg.face), net, cfg.model.input_size, batch, history_s)

    def reset(self) -> None:
        if self.face is not None:
            self.face.reset()
        self._t: deque[float] = deque()
        self._face: deque[bool] = deque()
        self._motion: deque[float] = deque()
        self._centre: deque[tuple[float, float]] = deque()
        self._rgb: dict[str, deque[np.ndarray]] = {w: deque() for w in self.weightings}
        self._pending: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._last_box = None
        self._sums: dict[str, np.ndarray] = {}
        self._n_crops = 0
        self._n_masks = 0
        self._n_frames_with_face = 0

    def add(self, frame: Frame) -> FrameSample:
        """Find the face in ``frame`` (live: one frame at a time) and record its samples."""
        if self.face is None:
            raise ValueError("this builder has no face stage: use add_crop")
        return self.add_crop(self.face(frame))

    def add_crop(self, fc: FaceCrop) -> FrameSample:
        """Record the colour samples of one frame's face crop."""
        self._t.append(fc.t_s)
        self._face.append(fc.found)
        self._motion.append(self._movement(fc))
        self._centre.append(fc.box.center if fc.box is not None else (np.nan, np.nan))
        sample = FrameSample(fc)
        if self.history_s is not None:
            self._forget_before(fc.t_s - self.history_s)
        nan = np.full(3, np.nan)
        if not fc.found:
            for w in self.weightings:
                self._rgb[w].append(nan)
            return sample
        if self._n_frames_with_face % PICTURE_EVERY == 0:  # the mean pictures need no more
            self._accumulate("crop", fc.crop)
            self._accumulate("region", fc.region)
            self._n_crops += 1
        self._n_frames_with_face += 1
        if "uniform" in self.weightings:
            sample.rgb["uniform"] = region_mean(fc.crop, fc.region)
            self._rgb["uniform"].append(sample.rgb["uniform"])
        if "mask" in self.weightings:
            self._rgb["mask"].append(nan)  # filled in when its batch runs
            self._pending.append((len(self._t) - 1, fc.crop, fc.region))
            if len(self._pending) >= self.batch_size:
                sample.rgb["mask"], sample.mask = self._flush()
        return sample

    def _movement(self, fc: FaceCrop) -> float:
        last, self._last_box = self._last_box, fc.box
        if fc.box is None or last is None:
            return np.nan
        (x0, y0), (x1, y1) = last.center, fc.box.center
        return float(np.hypot(x1 - x0, y1 - y0) / max(fc.box.w, fc.box.h, 1e-9))

    def _forget_before(self, t_s: float) -> None:
        while self._t and self._t[0] < t_s:
            self._t.popleft()
            self._face.popleft()
            self._motion.popleft()
            self._centre.popleft()
            for values in self._rgb.values():
                values.popleft()

    def _accumulate(self, name: str, value: np.ndarray) -> None:
        if name not in self._sums:
            self._sums[name] = np.zeros(value.shape, np.float64)
        self._sums[name] += value

    def _flush(self) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """Run the mask on pending crops; returns the last crop's (rgb, mask)."""
        if not self._pending:
            return None, None
        idx = [i for i, _, _ in self._pending]
        crops = np.stack([c for _, c, _ in self._pending])
        gates = np.stack([g for _, _, g in self._pending])
        rgb, masks = masked_rgb(self.net, crops, self.input_size, gates)
        for i, value in zip(idx, rgb, strict=True):
            self._rgb["mask"][i] = value
        self._accumulate("mask", masks.sum(axis=0))
        self._n_masks += len(masks)
        self._pending = []
        return rgb[-1], masks[-1]

    def finish(self) -> Trace:
        """The trace of everything added so far."""
        self._flush()
        n = max(self._n_crops, 1)
        sums = self._sums
        return Trace(
            t_s=np.asarray(self._t, dtype=float),
            rgb={w: np.asarray(v, dtype=float).reshape(-1, 3) for w, v in self._rgb.items()},
            face=np.asarray(self._face, dtype=bool),
            motion=np.asarray(self._motion, dtype=float),
            centre=np.asarray(self._centre, dtype=float).reshape(-1, 2),
            mean_crop=(sums["crop"] / n).astype(np.uint8) if "crop" in sums else None,
            mean_region=sums["region"] / n if "region" in sums else None,
            mean_mask=sums["mask"] / max(self._n_masks, 1) if "mask" in sums else None,
        )

    def close(self) -> None:
        if self.face is not None:
            self.face.close()

    def __enter__(self) -> TraceBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
