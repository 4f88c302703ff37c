"""A video to what ``rppg process`` reports: one face, or every face.

result = process_video("face.avi", method="pos")
result.hr_bpm, result.snr_db, result.summary()      # summary(): the CLI's JSON object
cfg.face.max_faces = 0                              # every face: result.faces, the main one on top
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rppg import signal
from rppg.chain.faces import FaceResult, Snapshot, analyse_face, extract_face_traces, face_warnings
from rppg.chain.methods import METHODS
from rppg.chain.pipeline import Analysis, analyse, extract_trace
from rppg.chain.trace import FrameSample, Trace
from rppg.config import Config, SignalConfig
from rppg.errors import NoFaceError, RppgError
from rppg.files import json_number
from rppg.io import FrameSource, open_source
from rppg.runtime import preload


@dataclass
class ProcessResult:
    """Everything ``rppg process`` reports about one video."""

    video: str
    method: str
    trace: Trace
    analysis: Analysis
    seconds: float
    """Wall time of the processing (s)."""
    sig: SignalConfig = field(default_factory=SignalConfig)
    """The signal settings the heart rate was read with (band, windows, tracking)."""
    faces: list[FaceResult] = field(default_factory=list)
    """Several faces (``face.max_faces`` other than 1): every face, the main one too (the one
    seen in the most frames, whose numbers are the result's own); empty for one face."""
    video_frames: int | None = None
    """Several faces: the video's frames (each face's trace covers its own span)."""
    frames_without_face: int | None = None
    """Several faces: the frames in which no face at all was found."""

    @property
    def hr_bpm(self) -> float | None:
        return self.analysis.hr_bpm

    @property
    def snr_db(self) -> float | None:
        return self.analysis.snr_db

    @property
    def duration_s(self) -> float:
        t = self.trace.t_s
        return float(t[-1] - t[0] + 1.0 / self.fps) if len(t) > 1 else 0.0

    @property
    def fps(self) -> float:
        return signal.frame_rate(self.trace.t_s)

    @property
    def quality(self) -> str:
        return self.analysis.quality.label

    @property
    def warnings(self) -> list[str]:
        """What makes the heart rate less than good, and where the face was missing."""
        return face_warnings(self.analysis, self.trace)

    def summary(self) -> dict:
        """The JSON object of the CLI contract (``rppg process --json``)."""
        return {
            "video": self.video,
            "method": self.method,
            "hr_bpm": json_number(self.hr_bpm),
            "snr_db": json_number(self.snr_db),
            "frames": int(self.trace.frames),
            "fps": round(self.fps, 4),
            "duration_s": round(self.duration_s, 4),
            "face_ratio": round(self.trace.face_ratio, 4),
            "seconds": round(self.seconds, 3),
            "quality": self.quality,
            "warnings": self.warnings,
            "hr_series": self.analysis.series_rows(),
            "hrv": self.analysis.hrv.as_dict(),
            "respiration_per_min": json_number(self.analysis.respiration_per_min),
            "respiration_reason": self.analysis.respiration_reason,
        } | (self._faces_summary() if self.faces else {})

    def _faces_summary(self) -> dict:
        return {
            "video_frames": self.video_frames,
            "frames_without_face": self.frames_without_face,
            "faces": [f.summary() for f in self.faces],
        }

    def of_face(self, face: FaceResult) -> ProcessResult | None:
        """One of several faces as a result of its own (its files in ``--out``); None when
        it has no rate."""
        if face.analysis is None:
            return None
        return ProcessResult(self.video, self.method, face.face.trace, face.analysis, self.seconds, self.sig)

    # pandas views for notebooks (pandas imported only here)

    def to_frame(self):
        """Heart rate per window: ``t_s`` (window end), ``hr_bpm``, ``snr_db``, ``quality``."""
        import pandas as pd

        s = self.analysis.series
        labels = [r.label for r in self.analysis.window_quality]
        return pd.DataFrame({"t_s": s.t_s, "hr_bpm": s.hr_bpm, "snr_db": s.snr_db, "quality": labels})

    def pulse_frame(self):
        """The pulse on its uniform grid: ``t_s``, ``pulse_au``."""
        import pandas as pd

        return pd.DataFrame({"t_s": self.analysis.t_s, "pulse_au": self.analysis.pulse})

    def beats_frame(self):
        """The beats: ``t_s``, ``ibi_ms`` (NaN for the first), ``quality``, ``accepted``."""
        import pandas as pd

        b = self.analysis.beats
        return pd.DataFrame({"t_s": b.t_s, "ibi_ms": b.ibi_ms, "quality": b.quality, "accepted": b.accepted})


def process_video(
    video: str | os.PathLike | FrameSource,
    method: str | None = None,
    config: Config | None = None,
    fps: float | None = None,
    on_sample: Callable[[FrameSample], None] | None = None,
) -> ProcessResult:
    """Heart rate of the face in a video file, image folder or open frame source; of every
    face, up to ``config.face.max_faces`` (0: all), when that is not 1 (:func:`process_faces`).

    ``method`` overrides ``config.method``; ``fps`` overrides the file's frame rate;
    ``on_sample`` sees every frame's sample (see :func:`rppg.chain.pipeline.extract_trace`;
    one face only: :func:`process_faces` says which face a sample is of).
    Raises :class:`RppgError` for user errors (bad file, no face, too short).
    """
    cfg = config or Config()
    if cfg.face.max_faces != 1:
        return process_faces(video, method, cfg, fps)
    m = METHODS.get(method or cfg.method)
    preload("scipy.linalg")  # the detrend's, needed once the frames are done
    start = time.perf_counter()
    source = video if isinstance(video, FrameSource) else open_source(video, fps=fps)
    trace = extract_trace(source, cfg, {m.weighting}, on_sample)
    analysis = analyse(trace, m, cfg, name=source.name)
    seconds = time.perf_counter() - start
    return ProcessResult(source.name, m.name, trace, analysis, seconds, cfg.signal)


def process_faces(
    video: str | os.PathLike | FrameSource,
    method: str | None = None,
    config: Config | None = None,
    fps: float | None = None,
    on_sample: Callable[[int, FrameSample], None] | None = None,
    snapshot: Snapshot | None = None,
) -> ProcessResult:
    """Every face, up to ``config.face.max_faces`` (0: all; no config: every face; see
    :mod:`rppg.chain.faces`): ``result.faces``, one :class:`FaceResult` each; the main
    face's numbers on top.
    ``on_sample(face id, sample)`` sees each face's samples; ``snapshot`` keeps the frame
    with the most faces. A face too short for a rate is a face without one; only a video in
    which no face gets a rate is an error."""
    if config is None:
        config = Config()
        config.face.max_faces = 0
    cfg = config
    m = METHODS.get(method or cfg.method)
    preload("scipy.linalg")
    start = time.perf_counter()
    source = video if isinstance(video, FrameSource) else open_source(video, fps=fps)
    found = extract_face_traces(source, cfg, {m.weighting}, on_sample, snapshot)
    if not found.faces:
        raise NoFaceError(f"{source.name}: no face found in any of its {found.frames} frames")
    faces = [analyse_face(f, m, cfg, source.name) for f in found.faces]
    read = [f for f in faces if f.analysis is not None]
    if not read:
        raise RppgError(f"{source.name}: no face has a heart rate ({faces[0].error})")
    main = max(read, key=lambda f: (f.frames_with_face, -f.face.id))  # a tie: the first found
    seconds = time.perf_counter() - start
    return ProcessResult(
        source.name,
        m.name,
        main.face.trace,
        main.analysis,
        seconds,
        cfg.signal,
        faces,
        found.frames,
        found.frames_without_face,
    )
