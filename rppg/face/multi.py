"""The face stage for several faces: the tracks (:mod:`rppg.face.tracks`) say where each face
is; each face has a face stage of its own (landmarks, region, crop), told where its face is.

    with FacesStage(cfg.face) as stage:            # cfg.face.max_faces: how many (0 = all)
        for frame in source:
            for face_id, fc in stage.feed(frame):  # offline: each face's crops, in order
                ...
        for face_id, fc in stage.drain(): ...
        crops = stage.push(frame)                  # live: {face id: FaceCrop} for this frame

Each face's crops come in its own time order (its stage fits its mesh one segment ahead, as
one face's does), from the frame its track began to the frame it ended: a face that enters
late or leaves early has its own span; a frame with no face at all gives none. One
detector run a frame serves every face; the per-face work is done only where a face is.
"""

from __future__ import annotations

from collections.abc import Iterator

from rppg.config import FaceConfig
from rppg.errors import RppgError
from rppg.face.detect import Box, make_detector
from rppg.face.stage import FaceCrop, FaceStage
from rppg.face.tracks import FOLLOW_LAG_S, FaceTracks
from rppg.io.frames import Frame


class FacesStage:
    """Every face: the tracks, and one hinted :class:`FaceStage` per track."""

    def __init__(self, cfg: FaceConfig) -> None:
        if cfg.max_faces < 0:
            raise RppgError(f"face.max_faces must be 0 (every face) or more, got {cfg.max_faces}")
        self.cfg = cfg
        every = cfg.search_every_s if cfg.region == "landmarks" else None
        self.tracks = FaceTracks(make_detector(cfg), cfg, cfg.max_faces or None, every)
        self.stages: dict[int, FaceStage] = {}
        self.spans: dict[int, tuple[float, float]] = {}
        """Each face's first and last frame with its face (s), as far as the frames have come."""

    def reset(self) -> None:
        self.tracks.reset()
        for stage in self.stages.values():
            stage.close()
        self.stages.clear()
        self.spans.clear()

    def _boxes(self, frame: Frame) -> tuple[dict[int, Box], list[int]]:
        """This frame's boxes of the faces there, and the faces that have ended."""
        boxes = self.tracks.push(frame.image, frame.t_s)
        for face_id in self.tracks.tracks:
            if face_id not in self.stages:
                self.stages[face_id] = FaceStage(self.cfg, hinted=True)
        ended = [i for i in self.stages if i not in self.tracks.tracks]
        return boxes, ended

    def _seen(self, face_id: int, fc: FaceCrop) -> None:
        if fc.found:
            first, _ = self.spans.get(face_id, (fc.t_s, fc.t_s))
            self.spans[face_id] = (first, fc.t_s)
            if self.tracks.search_every_s is not None:
                self.tracks.follow(face_id, fc.box, fc.t_s)

    def feed(self, frame: Frame) -> Iterator[tuple[int, FaceCrop]]:
        """Offline: (face id, crop) of whatever each face's stage has ready."""
        boxes, ended = self._boxes(frame)
        for face_id in ended:
            yield from self._finish(face_id)
        for face_id in list(self.stages):
            for fc in self.stages[face_id].feed(frame, boxes.get(face_id)):
                self._seen(face_id, fc)
                yield face_id, fc

    def drain(self) -> Iterator[tuple[int, FaceCrop]]:
        """Offline, at the end: every face's last crops."""
        for face_id in list(self.stages):
            yield from self._finish(face_id)

    def _finish(self, face_id: int) -> Iterator[tuple[int, FaceCrop]]:
        stage = self.stages.pop(face_id)
        for fc in stage.drain():
            self._seen(face_id, fc)
            yield face_id, fc
        stage.close()

    def push(self, frame: Frame) -> dict[int, FaceCrop]:
        """Live: {face id: this frame's crop} of every face followed now."""
        boxes, ended = self._boxes(frame)
        for face_id in ended:
            self.stages.pop(face_id).close()
        out = {i: stage.push(frame, boxes.get(i)) for i, stage in self.stages.items()}
        for face_id, fc in out.items():
            self._seen(face_id, fc)
        return out

    def present(self, t_s: float) -> dict[int, Box]:
        """The faces seen about ``t_s`` (by the detector, or by their own mesh: offline, a few
        tenths of a second behind): {id: box in frame pixels}."""
        return self.tracks.seen(t_s, self.cfg.hold_s + FOLLOW_LAG_S)

    def mean_box(self, face_id: int) -> tuple[float, float, float, float] | None:
        """The face's mean detected box (x, y, w, h) in frame pixels."""
        track = self.tracks.tracks.get(face_id) or self.tracks.ended.get(face_id)
        if track is None or not track.boxes:
            return None
        n = len(track.boxes)
        return tuple(sum(b[k] for b in track.boxes) / n for k in range(4))

    def close(self) -> None:
        for stage in self.stages.values():
            stage.close()
        self.stages.clear()
        self.tracks.close()

    def __enter__(self) -> FacesStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
