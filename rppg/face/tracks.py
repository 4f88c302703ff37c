"""Every face in the frame, each with an id kept from frame to frame.

    tracks = FaceTracks(make_detector(cfg), cfg, max_faces=4)
    for frame in source:
        live = tracks.push(frame.image, frame.t_s)     # {id: Box} of the faces followed
        tracks.follow(face_id, mesh_box, t_s)           # where a face's own mesh found it

The detector searches the whole frame for all faces at once (in tiles when it is wide, so
that a face in a 16:9 or side-by-side picture is as large to it as in a 4:3 one): every
``detect_every`` frames when the tracks are the crops (regions ``box`` and ``skin``), else
every ``search_every_s``, each face's own mesh moving its track in between (``follow``: the
detector costs 5 ms a tile, the mesh already runs). Boxes are matched to the tracks by
overlap and distance with the optimal assignment (``scipy.optimize.linear_sum_assignment``).
A track missed for up to ``track_hold_s`` keeps its id and takes back a face found near where
it was; faces beyond ``max_faces`` are left out (the first ones found keep their places).
Stateful: ``reset()`` before a new video.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rppg.config import FaceConfig
from rppg.face.detect import Box, FaceDetector, find_faces

MAX_COST = 0.95
"""A box matches a track only at a cost below this (1 - overlap, or the distance of their
centres in box sizes, whichever is lower)."""
FOLLOW_COST = 0.5
"""A face's mesh moves its track only by less than this (a larger step: it slid off)."""
FOLLOW_LAG_S = 0.5
"""Offline, a face's mesh reports a few tenths of a second behind the frames read."""
VELOCITY_BASE_S = 0.15
"""A track's velocity from its mesh is measured over at least this long (s)."""


@dataclass
class Track:
    """One face followed through the frames."""

    id: int
    box: Box
    """Where the face was at ``at_s`` (moved on with ``velocity`` to any later time)."""
    at_s: float
    first_seen_s: float
    last_seen_s: float
    """The last time a detection or the face's own mesh saw it (s)."""
    velocity: tuple[float, float] = (0.0, 0.0)
    """Of the box's centre (px/s)."""
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    """Every detected box (x, y, w, h): their mean is the track's box in reports."""
    followed_s: float = -np.inf
    """The last time its face's mesh placed it (s; :meth:`FaceTracks.follow`)."""
    anchor: tuple[float, float, float] | None = None
    """(t_s, x, y) of the centre a while back: the velocity from follows is measured over
    at least ``VELOCITY_BASE_S``, not frame to frame (a live mesh moves in steps)."""

    def predicted(self, t_s: float, hold_s: float) -> Box:
        """Where the face is at ``t_s``: moved on with its velocity for up to ``hold_s``
        after ``at_s``, then left where it was."""
        dt = min(max(t_s - self.at_s, 0.0), hold_s)
        vx, vy = self.velocity
        return Box(self.box.x + vx * dt, self.box.y + vy * dt, self.box.w, self.box.h, self.box.score)


def match_cost(track: Box, box: Box) -> float:
    """How unlike a track's (predicted) box a detected box is: 1 - their overlap, or the
    distance of their centres in face sizes, whichever is lower."""
    (tx, ty), (bx, by) = track.center, box.center
    distance = np.hypot(tx - bx, ty - by) / max(track.w, track.h, 1e-9)
    return float(min(1.0 - track.iou(box), distance))


class FaceTracks:
    """The faces in the frame, each with an id kept from frame to frame.

    ``search_every_s``: None, the frame is searched every ``detect_every`` frames and the
    tracks are where the detector puts them (regions ``box`` and ``skin``: the boxes are the
    crops); a time, the frame is searched that often for new faces, and in between each
    face's own mesh moves its track (:meth:`follow`), as one face's mesh follows it without
    the detector."""

    def __init__(
        self,
        detector: FaceDetector,
        cfg: FaceConfig,
        max_faces: int | None = None,
        search_every_s: float | None = None,
    ) -> None:
        self.detector = detector
        self.cfg = cfg
        self.max_faces = max_faces
        self.search_every_s = search_every_s
        self.reset()

    def reset(self) -> None:
        self.tracks: dict[int, Track] = {}
        """The faces followed now (seen within ``track_hold_s``)."""
        self.ended: dict[int, Track] = {}
        """The faces given up (missed for longer), kept for what reports say about them."""
        self._next_id = 1
        self._count = 0
        self._searched_s = -np.inf

    def push(self, image: np.ndarray, t_s: float) -> dict[int, Box]:
        """The faces in this frame: {id: box in frame pixels}. Detection-led tracks: those
        seen within ``hold_s``; mesh-led tracks: every face followed (its mesh says whether it
        is there)."""
        if self._due(t_s):
            self._associate(find_faces(self.detector, image, self.cfg.detect_width), t_s)
            self._searched_s = t_s
        self._count += 1
        self._forget(t_s)
        hold = self.cfg.hold_s
        return {
            i: tr.predicted(t_s, hold)
            for i, tr in self.tracks.items()
            if self.search_every_s is not None or t_s - tr.last_seen_s <= hold
        }

    def _due(self, t_s: float) -> bool:
        if self.search_every_s is None:
            return self._count % self.cfg.detect_every == 0
        return t_s - self._searched_s >= self.search_every_s - 1e-6

    def seen(self, t_s: float, within_s: float) -> dict[int, Box]:
        """The faces seen (by the detector or their mesh) within ``within_s`` before ``t_s``."""
        return {
            i: tr.predicted(t_s, self.cfg.hold_s)
            for i, tr in self.tracks.items()
            if t_s - tr.last_seen_s <= within_s
        }

    def follow(self, face_id: int, box: Box, t_s: float) -> None:
        """Face ``face_id``'s own mesh found it at ``box`` at ``t_s``: the track moves there
        (keeping its size), unless that is a jump of more than ``FOLLOW_COST`` (a mesh that
        slid onto a neighbour) or older than where the track already is."""
        track = self.tracks.get(face_id)
        if track is None or t_s <= track.at_s:
            return
        (cx, cy), w, h = box.center, track.box.w, track.box.h
        moved = Box(cx - w / 2, cy - h / 2, w, h, track.box.score)
        if match_cost(track.predicted(t_s, self.cfg.hold_s), moved) > FOLLOW_COST:
            return
        if track.anchor is None or track.followed_s < track.at_s:
            track.anchor, track.velocity = (t_s, cx, cy), (0.0, 0.0)
        elif t_s - track.anchor[0] >= VELOCITY_BASE_S:
            t0, x0, y0 = track.anchor
            track.velocity = ((cx - x0) / (t_s - t0), (cy - y0) / (t_s - t0))
            track.anchor = (t_s, cx, cy)
        track.box, track.at_s, track.followed_s = moved, t_s, t_s
        track.last_seen_s = max(track.last_seen_s, t_s)

    def _associate(self, boxes: list[Box], t_s: float) -> None:
        from scipy.optimize import linear_sum_assignment

        ids = list(self.tracks)
        matched: set[int] = set()
        if ids and boxes:
            cost = np.array(
                [[match_cost(self.tracks[i].predicted(t_s, self.cfg.hold_s), b) for b in boxes] for i in ids]
            )
            for r, c in zip(*linear_sum_assignment(cost), strict=True):
                if cost[r, c] < MAX_COST:
                    self._update(self.tracks[ids[r]], boxes[c], t_s)
                    matched.add(c)
        for c, box in enumerate(boxes):
            if c in matched or self._taken(box, t_s):
                continue
            if self.max_faces is None or len(self.tracks) < self.max_faces:
                self.tracks[self._next_id] = Track(self._next_id, box, t_s, t_s, t_s, boxes=[_xywh(box)])
                self._next_id += 1

    def _taken(self, box: Box, t_s: float) -> bool:
        """Whether a box no track took lies on a followed face all the same (a second, partial
        detection of it): a new face is never started on top of one."""
        hold = self.cfg.hold_s
        return any(match_cost(tr.predicted(t_s, hold), box) < FOLLOW_COST for tr in self.tracks.values())

    def _update(self, track: Track, box: Box, t_s: float) -> None:
        track.boxes.append(_xywh(box))
        track.last_seen_s = max(track.last_seen_s, t_s)
        if t_s - track.followed_s <= self.cfg.hold_s + FOLLOW_LAG_S:
            return  # its mesh follows it more closely than the detector places it
        dt = t_s - track.at_s
        if dt > 0:
            (x0, y0), (x1, y1) = track.box.center, box.center
            track.velocity = ((x1 - x0) / dt, (y1 - y0) / dt) if dt < 1.0 else (0.0, 0.0)
        track.box, track.at_s = box, t_s

    def _forget(self, t_s: float) -> None:
        for i in [i for i, tr in self.tracks.items() if t_s - tr.last_seen_s > self.cfg.track_hold_s]:
            self.ended[i] = self.tracks.pop(i)

    def close(self) -> None:
        self.detector.close()


def _xywh(box: Box) -> tuple[float, float, float, float]:
    return (box.x, box.y, box.w, box.h)
