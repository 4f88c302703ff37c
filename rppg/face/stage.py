"""The face stage of the chain: frames in; per frame the face's box, crop and skin region out.

Every use of rppg reads faces through this one stage: offline extraction (process,
evaluate), the streaming estimator (live), training's crop cache and the benchmark.

    with FaceStage.from_config(cfg.face) as stage:
        for fc in stage.crops(source):        # offline: landmarks interpolated between fits
            fc.crop, fc.region                # (36, 36, 3) BGR uint8, (36, 36) weights in [0, 1]
        fc = stage.push(frame)                # live: one frame, landmarks held between fits

Regions (``face.region``): ``landmarks`` fits the face mesh every ``landmarks_every_s``
and keeps the oval without eyes, brows and lips (:mod:`rppg.landmarks`); the region, not a
smoothed box, follows the head. ``box`` counts the whole crop (the detected box enlarged by
``box_scale``) and ``skin`` its skin-coloured pixels. With ``detector: none`` the whole
frame is the crop (pre-cropped skin video).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from rppg.config import FaceConfig, choices
from rppg.errors import RppgError
from rppg.face.crop import crop_box, crop_points, resize_region
from rppg.face.detect import Box, FaceDetector, WholeFrame, make_detector
from rppg.face.landmarks import FACE_OVAL, Landmarker, oval_box, rasterize, roll, skin_outline
from rppg.face.skin import skin_region
from rppg.face.track import FaceTracker
from rppg.io.frames import Frame
from rppg.io.video import turned

Rect = tuple[int, int, int, int]
"""A crop rectangle (x0, y0, x1, y1) in frame pixels."""
REGIONS = choices(FaceConfig, "region")

SEARCH_SCALE = 1.5
"""The mesh model sees the last fit's oval box (or the detector's box) enlarged by this
much, as mediapipe's own face-mesh pipeline feeds it."""
TURN_ORDER = (0, 90, 270, 180)
"""Orientations a face is looked for in, upright first (it wins a tie), degrees clockwise."""
ON_BOX = 0.5
"""A hinted stage's fit counts as its face's while the oval's centre is within this share of
the face box's size from the box's centre."""
RECENTRE = 0.05
"""A fit whose face centre lands farther than this share of the square from its centre is
repeated around the fitted face."""


@dataclass
class FaceCrop:
    """One frame's face: where it is, the pixels its colour is read from and which count."""

    t_s: float
    """Frame time (s)."""
    box: Box | None = None
    """The face box (frame pixels; with landmarks, the face oval's); None without a face."""
    rect: Rect | None = None
    """The square crop rectangle (frame pixels)."""
    crop: np.ndarray | None = None
    """The crop resized to (crop_size, crop_size, 3), BGR uint8."""
    region: np.ndarray | None = None
    """Weight of each crop pixel in the colour sample, (crop_size, crop_size) in [0, 1]."""
    outline: np.ndarray | None = None
    """The skin region's outline (V, 2) in frame pixels (``landmarks`` region only; see
    :func:`rppg.face.landmarks.skin_outline`)."""
    turn: int = 0
    """Degrees the frame was turned clockwise before the face was found in it (a video shot
    sideways): ``box``, ``rect`` and ``outline`` are pixels of the turned frame."""
    fallback: bool = False
    """The mesh lost this frame's face and the detector's box stands in (``face.fallback``):
    the crop is the box chain's and ``region`` counts all of it; the chain weights it with
    the box mask (:class:`rppg.chain.trace.TraceBuilder`)."""
    points: np.ndarray | None = None
    """The detector's face keypoints (6, 2) in units of the crop's sides (box crops)."""

    @property
    def found(self) -> bool:
        return self.crop is not None


class FaceStage:
    """Finds the face, follows it and crops it. Stateful (tracker, last landmarks):
    ``reset()`` before a new video; ``close()`` releases the models.

    ``hinted``: the stage of one of several faces (:class:`rppg.face.multi.FacesStage`): it
    finds nothing itself, each frame comes with where its face is (a box, or None), and its
    mesh is refitted around that box whenever it has slid away from it (onto a neighbour)."""

    def __init__(
        self,
        cfg: FaceConfig,
        detector: FaceDetector | None = None,
        landmarker: Landmarker | None = None,
        hinted: bool = False,
    ) -> None:
        if cfg.region not in REGIONS:
            raise RppgError(f"unknown face region {cfg.region!r} (choose from: {', '.join(REGIONS)})")
        self.cfg = cfg
        self.hinted = hinted
        self.detector = None if hinted else detector if detector is not None else make_detector(cfg)
        self.tracker = None if hinted else FaceTracker(self.detector, cfg)
        self.whole_frame = isinstance(self.detector, WholeFrame)
        self.landmarker = landmarker
        self.region = "box" if self.whole_frame and cfg.region == "landmarks" else cfg.region
        if self.region == "landmarks" and landmarker is None:
            self.landmarker = Landmarker.from_config(cfg)
        self._fitter: ThreadPoolExecutor | None = None
        self._stand_in: FaceTracker | None = None  # face.fallback's; not the mesh thread's model
        self.reset()

    @classmethod
    def from_config(cls, cfg: FaceConfig) -> FaceStage:
        return cls(cfg)

    def reset(self) -> None:
        if self.tracker is not None:
            self.tracker.reset()
        if self._stand_in is not None:
            self._stand_in.reset()
        self._count = 0
        self._fit: Fit | None = None
        self._next_fit_t: float | None = None
        self.turn: int | None = 0 if self.hinted else None
        """Degrees clockwise every frame is turned: fixed by the first face found (upright
        first, then sideways and upside down); None until then."""
        self._looks = 0
        self._segments: deque[tuple[Future, Frame, list[Frame]]] = deque()  # (fit, its frame, frames before)
        self._pending: list[Frame] = []
        self._before: Fit | None = None

    @property
    def points(self) -> np.ndarray | None:
        """The last face-mesh fit's points (468, 2) in frame pixels (``landmarks`` region;
        None before a fit or without a face): for reports that need more than the region."""
        return None if self._fit is None else self._fit.points

    # ------------------------------------------------------------------ the two ways in

    def push(self, frame: Frame, hint: Box | None = None) -> FaceCrop:
        """One frame (live): landmarks refitted every ``landmarks_every_s`` (every
        ``detect_every``-th frame while the face is lost) and held in between. ``hint``: where
        the face is (hinted stages only)."""
        upright = self._upright(frame)
        if upright is None:
            return FaceCrop(frame.t_s)
        frame = upright
        if self.region != "landmarks":
            return self._from_box(frame, hint)
        lost = self._fit is None
        if (lost and self._count % self.cfg.detect_every == 0) or self._due(frame.t_s, schedule=True):
            self._refit(frame, hint)
        self._count += 1
        return self._from_outline(frame, self._fit.outline if self._fresh(frame.t_s) else None)

    def crops(self, frames: Iterable[Frame]) -> Iterator[FaceCrop]:
        """Every frame's face (offline): landmarks fitted every ``landmarks_every_s`` and the
        region interpolated in time between fits, so that it moves with the head between fits
        instead of lagging behind it.

        The fits run in a worker thread (OpenCV's DNN releases the GIL) one segment ahead:
        while the frames up to one fit are cropped here, the next fit is computed there.
        Holds the frames of two segments (a few tenths of a second)."""
        try:
            for frame in frames:
                yield from self.feed(frame)
            yield from self.drain()
        finally:
            self._stop_fitter()

    def feed(self, frame: Frame, hint: Box | None = None) -> list[FaceCrop]:
        """:meth:`crops` one frame at a time: the crops that are ready (those of the frames
        before the fit computing now), in order; :meth:`drain` gives the rest at the end."""
        upright = self._upright(frame)
        if upright is None:  # no face found yet, in any orientation
            return [FaceCrop(frame.t_s)]
        frame = upright
        if self.region != "landmarks":
            return [self._from_box(frame, hint)]
        if not self._due(frame.t_s, schedule=True):
            self._pending.append(frame)
            return []
        if self._fitter is None:
            self._fitter = ThreadPoolExecutor(1, thread_name_prefix="rppg-mesh")
        self._segments.append((self._fitter.submit(self._refit, frame, hint), frame, self._pending))
        self._pending = []
        out: list[FaceCrop] = []
        while len(self._segments) > 1:  # the newest fit computes while these are cropped
            out += self._segment(self._segments.popleft())
        return out

    def drain(self) -> list[FaceCrop]:
        """The crops still held (the last segments), once the frames have ended."""
        out: list[FaceCrop] = []
        while self._segments:
            out += self._segment(self._segments.popleft())
        out += [
            self._from_outline(f, _between(self._before, None, f.t_s, self.cfg.hold_s)) for f in self._pending
        ]
        self._pending = []
        self._stop_fitter()
        return out

    def _segment(self, segment) -> list[FaceCrop]:
        """Crops of the frames before a fit (interpolated) and of the fit's own frame; the
        fit is what the next segment interpolates from."""
        future, frame, frames = segment
        before, after = self._before, future.result()
        out = [self._from_outline(f, _between(before, after, f.t_s, self.cfg.hold_s)) for f in frames]
        out.append(self._from_outline(frame, None if after is None else after.outline))
        self._before = after
        return out

    def _stop_fitter(self) -> None:
        if self._fitter is not None:
            self._fitter.shutdown(wait=True)
            self._fitter = None

    def _upright(self, frame: Frame) -> Frame | None:
        """The frame turned as the first face found says; None while no face has been found
        in any orientation (looked for on every ``detect_every``-th frame)."""
        if self.turn is None:
            if self._looks % self.cfg.detect_every == 0:
                self.turn = self._orientation(frame.image)
            self._looks += 1
            if self.turn is None:
                return None
        return frame if self.turn == 0 else replace(frame, image=turned(frame.image, self.turn))

    def _orientation(self, image: np.ndarray) -> int | None:
        """The clockwise turn (degrees) in which the detector is surest of a face in
        ``image``; None if it finds none in any. (BlazeFace finds a sideways face too, less
        surely, but the face mesh needs it upright: measured, upright faces score 0.90-0.97
        upright and at most 0.90 turned.)"""
        scores = {}
        for degrees in TURN_ORDER:
            box = self.tracker.find(turned(image, degrees))
            if box is not None:
                scores[degrees] = box.score
        return max(scores, key=scores.get) if scores else None

    def _due(self, t_s: float, schedule: bool = False) -> bool:
        """Whether the frame at ``t_s`` gets a fit: ``landmarks_every_s`` after the last one
        (10 ms early counts); ``schedule`` books the next one."""
        due = self._next_fit_t is None or t_s >= self._next_fit_t
        if due and schedule:
            self._next_fit_t = t_s + self.cfg.landmarks_every_s - 0.01
        return due

    # ------------------------------------------------------------------ landmarks

    def _refit(self, frame: Frame, hint: Box | None = None) -> Fit | None:
        """Fit the mesh in the square around the last fit's oval (turned with the face), else
        around the face the detector finds (a hinted stage: around its hint); the new fit, or
        None if the face was not found."""
        points = None
        if self._fresh(frame.t_s):
            points = self._fit_centred(frame.image, self._fit.points)
            if points is not None and self.hinted and hint is not None and not _on(points, hint):
                points = None  # slid onto another face: start again from this face's box
        if points is None:
            box = hint if self.hinted else self.tracker.find(frame.image)
            if box is not None:
                points = self.landmarker.fit(frame.image, box.center, SEARCH_SCALE * max(box.w, box.h))
                points = None if points is None else self._fit_centred(frame.image, points)
        if points is not None:
            self._fit = Fit(frame.t_s, points, skin_outline(points, self.cfg))
            return self._fit
        if not self._fresh(frame.t_s):
            self._fit = None
        return None

    def _fit_centred(self, image: np.ndarray, guess: np.ndarray) -> np.ndarray | None:
        """Fit in the square around ``guess``'s oval; again around the result if the face
        turned out off-centre (it moved since the guess): the mesh is accurate only for a
        face that fills its square as mediapipe's pipeline frames it."""
        points = guess
        for _ in range(2):
            cx, cy, side = _oval_square(points, SEARCH_SCALE)
            fitted = self.landmarker.fit(image, (cx, cy), side, roll(points))
            if fitted is None:
                return None
            fx, fy, _ = _oval_square(fitted, SEARCH_SCALE)
            points = fitted
            if np.hypot(fx - cx, fy - cy) < RECENTRE * side:
                break
        return points

    def _fresh(self, t_s: float) -> bool:
        return self._fit is not None and abs(t_s - self._fit.t_s) <= self.cfg.hold_s + 1e-9

    def _from_outline(self, frame: Frame, outline: np.ndarray | None) -> FaceCrop:
        if outline is None:
            return self._fall_back(frame)
        if self._stand_in is not None:
            self._stand_in.reset()  # a later loss starts from a fresh detection, not a stale box
        h, w = frame.image.shape[:2]
        (x0, y0), (x1, y1) = outline[: len(FACE_OVAL)].min(axis=0), outline[: len(FACE_OVAL)].max(axis=0)
        side = self.cfg.region_margin * max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rect = crop_box(Box(cx - side / 2, cy - side / 2, side, side), 1.0, w, h)
        size = self.cfg.crop_size
        crop = resize_region(frame.image, rect, size)
        box = Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0))
        return FaceCrop(frame.t_s, box, rect, crop, rasterize(outline, rect, size), outline, self.turn or 0)

    # ------------------------------------------------------------------ boxes

    def _from_box(self, frame: Frame, hint: Box | None = None) -> FaceCrop:
        return self._boxed(frame, hint if self.hinted else self.tracker.push(frame.image, frame.t_s))

    def _boxed(self, frame: Frame, box: Box | None, fallback: bool = False) -> FaceCrop:
        """The crop of the box enlarged by ``box_scale``, all of it counting (``skin``: its
        skin-coloured pixels); no face without a box."""
        if box is None:
            return FaceCrop(frame.t_s, turn=self.turn or 0)
        h, w = frame.image.shape[:2]
        rect = crop_box(box, 1.0 if self.whole_frame else self.cfg.box_scale, w, h)
        crop = resize_region(frame.image, rect, self.cfg.crop_size)
        region = skin_region(crop) if self.region == "skin" else np.ones(crop.shape[:2], np.float32)
        points = crop_points(box.points, rect)
        return FaceCrop(frame.t_s, box, rect, crop, region, None, self.turn or 0, fallback, points)

    def _fall_back(self, frame: Frame) -> FaceCrop:
        """A frame without a mesh region: the detector's box (``face.fallback``), else no face."""
        if not self.cfg.fallback or self.hinted:
            return FaceCrop(frame.t_s, turn=self.turn or 0)
        if self._stand_in is None:
            self._stand_in = FaceTracker(make_detector(self.cfg), self.cfg)
        return self._boxed(frame, self._stand_in.push(frame.image, frame.t_s), fallback=True)

    def close(self) -> None:
        self._stop_fitter()
        if self._stand_in is not None:
            self._stand_in.detector.close()
        if self.detector is not None:
            self.detector.close()
        if self.landmarker is not None:
            self.landmarker.close()

    def __enter__(self) -> FaceStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Fit:
    """One face-mesh fit: when, the mesh points and the skin outline they give."""

    t_s: float
    points: np.ndarray
    """(468, 2) frame pixels."""
    outline: np.ndarray
    """(V, 2) frame pixels, see :func:`rppg.landmarks.skin_outline`."""


def _between(before: Fit | None, after: Fit | None, t_s: float, hold_s: float) -> np.ndarray | None:
    """The skin outline at ``t_s`` from the fits around it: linear in time when both found
    the face; the one that did, if within ``hold_s``; else None."""
    if before is not None and after is not None:
        a = (t_s - before.t_s) / max(after.t_s - before.t_s, 1e-9)
        return before.outline + np.float32(a) * (after.outline - before.outline)
    near = before or after
    return near.outline if near is not None and abs(t_s - near.t_s) <= hold_s else None


def _on(points: np.ndarray, box: Box) -> bool:
    """Whether a fit's face oval is centred on ``box`` (within half its size)."""
    x, y, w, h = oval_box(points)
    (bx, by) = box.center
    return bool(np.hypot(x + w / 2 - bx, y + h / 2 - by) < ON_BOX * max(box.w, box.h))


def _oval_square(points: np.ndarray, scale: float) -> tuple[float, float, float]:
    """(cx, cy, side) of the face oval's bounding square scaled by ``scale``."""
    x, y, w, h = oval_box(points)
    return x + w / 2, y + h / 2, scale * max(w, h)
