"""From face crops to RGB traces: one colour sample per frame and weighting.

    builder = TraceBuilder.from_config(cfg, weightings={"uniform", "mask"})
    for fc in stage.crops(source):         # the face stage (rppg.crops) gives the crops
        sample = builder.push(fc)          # FrameSample: the frame's face, colours, mask
    trace = builder.trace()                # Trace(t_s (N,), rgb {"uniform": (N, 3), ...}, face (N,))

The face stage says which crop pixels count (``FaceCrop.region``, the gate); a weighting
says how much each counts inside it: ``uniform`` (all equally: the classic methods) or
``mask`` (the trained skin mask, the seed idea: :mod:`rppg.model`). Frames without a face give
NaN samples. The builder takes crops, wherever they come from (the face stage offline or
live, training's cached crops); the network is injected (``TraceBuilder(weightings, net=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rppg.config import Config
from rppg.face.stage import FaceCrop
from rppg.mask.align import stacked_points
from rppg.mask.net import MaskNet, load_mask_model, masked_rgb

WEIGHTINGS = ("uniform", "mask")


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
    warnings: list[str] = field(default_factory=list)
    """What was wrong with the input but read anyway (from the frame source: a file cut short,
    frame times skipped)."""

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
    """The skin mask (s, s) over ``face.rect``, when it was computed for this frame (per
    frame live; offline, for the last frame of each batch)."""


class TraceBuilder:
    """Accumulates a :class:`Trace` crop by crop; holds no frames, only samples.

    Mask inference runs in batches of ``batch_size`` crops (offline) or per frame
    (``batch_size=1``, live), so ``push`` returns a frame's mask sample only when its batch
    ran. With ``history_s`` (live), samples older than that many seconds are dropped, so
    memory stays flat however long the session.
    """

    def __init__(
        self,
        weightings: set[str] | frozenset[str],
        net: MaskNet | None = None,
        input_size: int = 36,
        batch_size: int = 64,
        history_s: float | None = None,
        stand_in: MaskNet | None = None,
    ) -> None:
        """``stand_in``: the box mask, the gate of the crops the face mesh lost and the
        detector's box stands in for (``face.fallback``; :attr:`FaceCrop.fallback`)."""
        unknown = set(weightings) - set(WEIGHTINGS)
        if unknown:
            raise ValueError(f"unknown weightings {sorted(unknown)} (known: {WEIGHTINGS})")
        if "mask" in weightings and net is None:
            raise ValueError("the 'mask' weighting needs a mask network")
        if history_s is not None and batch_size != 1:
            raise ValueError("a bounded history needs per-frame mask inference (batch_size=1)")
        self.weightings = set(weightings)
        self.net = net
        self.input_size = input_size
        self.batch_size = batch_size
        self.history_s = history_s
        self.stand_in = stand_in
        self.reset()

    @classmethod
    def from_config(
        cls,
        cfg: Config,
        weightings: set[str] | frozenset[str],
        live: bool = False,
        history_s: float | None = None,
    ) -> TraceBuilder:
        """The builder with, for ``mask``, the configured weights; ``live`` runs the mask per
        frame."""
        net = load_mask_model(cfg.model.weights, cfg.face.region) if "mask" in weightings else None
        batch = 1 if live else cfg.model.batch_size
        falls_back = cfg.face.fallback and cfg.face.region == "landmarks"
        stand_in = load_mask_model(None, "box") if falls_back else None
        return cls(weightings, net, cfg.model.input_size, batch, history_s, stand_in)

    def reset(self) -> None:
        self._cols = {"t": 0, "face": 1, "motion": 2, "centre": slice(3, 5), "stood_in": 5}
        for k, w in enumerate(sorted(self.weightings)):
            self._cols[w] = slice(6 + 3 * k, 9 + 3 * k)
        self._rows = Rows(6 + 3 * len(self.weightings))
        self._pending: list[tuple[int, FaceCrop, np.ndarray]] = []  # (row number, crop, gate)
        self._last_box = None
        self._frames = self._stood_in = 0  # frames pushed; those the detector's box stood in for

    def push(self, fc: FaceCrop) -> FrameSample:
        """Record the colour samples of one frame's face crop."""
        row = np.full(self._rows.width, np.nan)
        row[self._cols["t"]] = fc.t_s
        row[self._cols["face"]] = fc.found
        row[self._cols["motion"]] = self._movement(fc)
        row[self._cols["stood_in"]] = fc.fallback
        if fc.box is not None:
            row[self._cols["centre"]] = fc.box.center
        sample = FrameSample(fc)
        self._frames += 1
        self._stood_in += fc.fallback and fc.found
        gate = self._gate(fc)
        if fc.found and "uniform" in self.weightings:
            sample.rgb["uniform"] = row[self._cols["uniform"]] = region_mean(fc.crop, gate)
        number = self._rows.append(row)
        if self.history_s is not None:
            self._rows.drop_while(lambda t: t < fc.t_s - self.history_s, self._cols["t"])
        if fc.found and "mask" in self.weightings:
            self._pending.append((number, fc, gate))  # its colour: when its batch runs
            if len(self._pending) >= self.batch_size:
                sample.rgb["mask"], sample.mask = self._flush()
        return sample

    def _gate(self, fc: FaceCrop) -> np.ndarray | None:
        """Which crop pixels count: the face stage's region; on a crop the detector's box
        stands in for, the box mask's skin weights (all of the box would count hair and
        background, which the mesh's region never does)."""
        if not (fc.fallback and fc.found and self.stand_in is not None):
            return fc.region
        return masked_rgb(self.stand_in, fc.crop[None], points=stacked_points([fc.points]))[1][0]

    def _movement(self, fc: FaceCrop) -> float:
        last, self._last_box = self._last_box, fc.box
        if fc.box is None or last is None:
            return np.nan
        (x0, y0), (x1, y1) = last.center, fc.box.center
        return float(np.hypot(x1 - x0, y1 - y0) / max(fc.box.w, fc.box.h, 1e-9))

    def _flush(self) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """Run the mask on pending crops; returns the last crop's (rgb, mask)."""
        if not self._pending:
            return None, None
        crops = np.stack([fc.crop for _, fc, _ in self._pending])
        gates = np.stack([g for _, _, g in self._pending])
        points = stacked_points([fc.points for _, fc, _ in self._pending])
        rgb, masks = masked_rgb(self.net, crops, self.input_size, gates, points)
        for (number, _, _), value in zip(self._pending, rgb, strict=True):
            self._rows.set(number, self._cols["mask"], value)
        self._pending = []
        return rgb[-1], masks[-1]

    def trace(self) -> Trace:
        """The trace of everything pushed so far (what is pending is computed first)."""
        self._flush()
        rows, c = self._rows.view(), self._cols
        return Trace(
            t_s=rows[:, c["t"]].copy(),
            rgb={w: self._spliced(rows[:, c[w]], rows[:, c["stood_in"]] > 0.5) for w in self.weightings},
            face=rows[:, c["face"]] > 0.5,
            motion=rows[:, c["motion"]].copy(),
            centre=rows[:, c["centre"]].copy(),
            warnings=self._stand_in_warning(),
        )

    def _spliced(self, rgb: np.ndarray, stood_in: np.ndarray) -> np.ndarray:
        return splice_stand_ins(rgb, stood_in) if self._stood_in else rgb.copy()

    def _stand_in_warning(self) -> list[str]:
        if not self._stood_in:
            return []
        share = f"{self._stood_in} frames, {self._stood_in / self._frames:.0%}"
        return [f"the face mesh lost the face on {share}: the detector's box stood in (face.fallback)"]


def splice_stand_ins(rgb: np.ndarray, stood_in: np.ndarray) -> np.ndarray:
    """The colour samples (N, 3) with each run of frames the detector's box stood in for
    (``stood_in`` (N,) bool; ``face.fallback``) scaled onto the mesh region's level around it.

    The box mask weights other skin than the mesh's region (the cheeks' edges, the neck),
    whose mean colour differs by a few per cent: a step many times the pulse's size at each
    end of the run. Per channel, the run is scaled by a ratio that goes linearly from (the
    last mesh sample before it / its first sample) to (the first mesh sample after it / its
    last sample); a run with a mesh sample on one side only keeps that side's ratio, one with
    none is left as it is. Frames without a sample (NaN) are neither."""
    out = rgb.copy()
    ok = np.isfinite(rgb).all(axis=1)
    mesh, box = ok & ~stood_in, ok & stood_in
    starts = np.flatnonzero(box & ~np.concatenate([[False], box[:-1]]))
    for start in starts:
        stop = start + int(np.argmin(np.append(box[start:], False)))  # end of the run (exclusive)
        before, after = np.flatnonzero(mesh[:start]), np.flatnonzero(mesh[stop:]) + stop
        r0 = rgb[before[-1]] / rgb[start] if len(before) else None
        r1 = rgb[after[0]] / rgb[stop - 1] if len(after) else None
        if r0 is None and r1 is None:
            continue
        r0, r1 = (r1, r1) if r0 is None else (r0, r0 if r1 is None else r1)
        a = np.linspace(0.0, 1.0, stop - start)[:, None]
        out[start:stop] = rgb[start:stop] * ((1 - a) * r0 + a * r1)
    return out


class Rows:
    """Rows of floats appended one at a time into one growing array (never one Python object
    per frame: an hour of frames is a few MB), the oldest dropped from the front (live).
    Rows are numbered from 0 in the order they came, whatever was dropped since."""

    def __init__(self, width: int, capacity: int = 1024) -> None:
        self.width = width
        self._a = np.empty((capacity, width))
        self._start = self._end = 0
        self._dropped = 0
        """Rows dropped from the front since the beginning: row number - this = position."""

    def append(self, row: np.ndarray) -> int:
        """Add one row (width,); its number."""
        if self._end == len(self._a):
            self._make_room()
        self._a[self._end] = row
        self._end += 1
        return self._dropped + self._end - self._start - 1

    def _make_room(self) -> None:
        kept = self._a[self._start : self._end]
        if self._start < len(self._a) // 2:  # mostly full: twice the size
            self._a = np.empty((2 * len(self._a), self.width))
        self._a[: len(kept)] = kept  # (numpy copies overlapping rows correctly)
        self._start, self._end = 0, len(kept)

    def drop_while(self, old, column: int) -> None:
        """Drop rows from the front while ``old(row[column])`` holds."""
        while self._start < self._end and old(self._a[self._start, column]):
            self._start += 1
            self._dropped += 1

    def set(self, number: int, columns: slice, values: np.ndarray) -> None:
        """Overwrite ``columns`` of row ``number`` (ignored if it was dropped already)."""
        position = self._start + number - self._dropped
        if self._start <= position < self._end:
            self._a[position, columns] = values

    def view(self) -> np.ndarray:
        """The rows kept, (N, width) (a view: copy what must outlive the next append)."""
        return self._a[self._start : self._end]
