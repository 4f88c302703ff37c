"""Several faces in one video: each face's own trace, from the frame it appears to the frame
it leaves, through the same chain as one face (``face.max_faces`` other than 1).

    found = extract_face_traces(source, cfg, {"mask"})    # .faces: [FaceTrace(id, box, span, trace)]
    results = [analyse_face(f, "mask", cfg, name) for f in found.faces]   # FaceResult each

Each face's region, mask, pulse, rate and quality are those one face gets; only where the
faces are is new (:class:`rppg.face.multi.FacesStage`). The face seen in the most frames
is the main face: the top-level numbers of ``rppg process`` are its.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rppg.chain import quality
from rppg.chain.pipeline import Analysis, analyse
from rppg.chain.trace import FrameSample, Trace, TraceBuilder
from rppg.config import Config
from rppg.errors import RppgError
from rppg.face.detect import Box
from rppg.face.multi import FacesStage
from rppg.files import json_number
from rppg.io import FrameSource
from rppg.mask.net import load_mask_model


@dataclass
class FaceTrace:
    """One face's trace over its own span."""

    id: int
    box: tuple[float, float, float, float] | None
    """The face's mean box (x, y, w, h) in frame pixels."""
    t_start_s: float
    t_end_s: float
    """Its first and last frame with the face (s)."""
    trace: Trace
    """From its first to its last frame with the face."""


@dataclass
class Snapshot:
    """The first frame with the most faces in it, and their boxes: for the picture of who
    is who (``faces.png``)."""

    image: np.ndarray | None = None
    boxes: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)
    """{face id: (x, y, w, h) in frame pixels}."""

    def offer(self, image: np.ndarray, boxes: dict[int, Box]) -> None:
        """Keep this frame if it has more faces than the one kept."""
        if len(boxes) > len(self.boxes):
            self.image = image.copy()
            self.boxes = {i: (b.x, b.y, b.w, b.h) for i, b in boxes.items()}


@dataclass
class FacesFound:
    """Every face's trace, and how many frames there were and how many had no face at all."""

    faces: list[FaceTrace]
    frames: int
    frames_without_face: int


def extract_face_traces(
    source: FrameSource,
    cfg: Config,
    weightings: set[str],
    on_sample: Callable[[int, FrameSample], None] | None = None,
    snapshot: Snapshot | None = None,
) -> FacesFound:
    """Every face's trace (up to ``cfg.face.max_faces``; 0: all), ids in the order the faces
    were first found; ``on_sample(face id, sample)`` sees each face's samples as they come;
    ``snapshot`` keeps the frame in which the most faces were found. A frame with no face is
    counted, never an error; a video with no frames at all is one."""
    net = load_mask_model(cfg.model.weights, cfg.face.region) if "mask" in weightings else None
    builders: dict[int, TraceBuilder] = {}

    def take(face_id: int, fc) -> None:
        if face_id not in builders:
            builders[face_id] = TraceBuilder(weightings, net, cfg.model.input_size, cfg.model.batch_size)
        sample = builders[face_id].push(fc)
        if on_sample is not None:
            on_sample(face_id, sample)

    frames = 0
    with source, FacesStage(cfg.face) as stage:
        for frame in source:
            frames += 1
            for face_id, fc in stage.feed(frame):
                take(face_id, fc)
            if snapshot is not None:
                snapshot.offer(frame.image, stage.present(frame.t_s))
        for face_id, fc in stage.drain():
            take(face_id, fc)
        spans, boxes = dict(stage.spans), {i: stage.mean_box(i) for i in builders}
    if frames == 0:
        raise RppgError(f"{source.name}: no frames could be decoded (empty or truncated video)")
    out, with_face = [], set()
    for face_id, builder in builders.items():
        if face_id not in spans:
            continue  # found by the detector, but never a face the mesh could fit
        first, last = spans[face_id]
        trace = _within(builder.trace(), first, last)
        trace.warnings = list(source.warnings)
        out.append(FaceTrace(face_id, boxes[face_id], first, last, trace))
        with_face.update(trace.t_s[trace.face].tolist())
    return FacesFound(out, frames, frames - len(with_face))


def _within(trace: Trace, first: float, last: float) -> Trace:
    keep = (trace.t_s >= first) & (trace.t_s <= last)
    return Trace(
        trace.t_s[keep],
        {w: v[keep] for w, v in trace.rgb.items()},
        trace.face[keep],
        None if trace.motion is None else trace.motion[keep],
        None if trace.centre is None else trace.centre[keep],
        list(trace.warnings),
    )


def face_warnings(analysis: Analysis, trace: Trace) -> list[str]:
    """What makes a face's rate less than good, where the face was missing, and what was
    wrong with the input: a result's ``warnings``."""
    return list(analysis.quality.reasons) + quality.gaps_warning(trace.t_s, trace.face) + trace.warnings


@dataclass
class FaceResult:
    """What ``rppg process --faces`` reports about one face."""

    face: FaceTrace
    analysis: Analysis | None
    """None when there is no rate for this face (``error`` says why)."""
    error: str | None = None

    @property
    def frames_with_face(self) -> int:
        return int(self.face.trace.face.sum())

    def summary(self) -> dict:
        """One entry of the ``faces`` list of ``rppg process --json``."""
        a, f = self.analysis, self.face
        return {
            "id": f.id,
            "box": None if f.box is None else [round(v, 1) for v in f.box],
            "t_start_s": round(f.t_start_s, 3),
            "t_end_s": round(f.t_end_s, 3),
            "face_ratio": round(f.trace.face_ratio, 4),
            "hr_bpm": None if a is None else json_number(a.hr_bpm),
            "snr_db": None if a is None else json_number(a.snr_db),
            "quality": "none" if a is None else a.quality.label,
            "warnings": [self.error] if a is None else face_warnings(a, f.trace),
            "hr_series": [] if a is None else a.series_rows(),
        }


def analyse_face(face: FaceTrace, method, cfg: Config, name: str) -> FaceResult:
    """One face through the rest of the chain; a face too short or too absent for a rate is
    a result that says so, never an error of the whole video."""
    try:
        return FaceResult(face, analyse(face.trace, method, cfg, name=f"{name}, face {face.id}"))
    except RppgError as exc:
        return FaceResult(face, None, str(exc).split(": ", 1)[-1])
