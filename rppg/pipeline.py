"""The chain from a recording to a heart rate, shared by every way of using rppg.

    result = process_video("face.avi", method="pos")
    result.hr_bpm, result.snr_db, result.summary()      # summary(): the CLI's JSON object

Steps: frames (:mod:`rppg.io`) -> face crops and RGB trace (:mod:`rppg.trace`) -> uniform
resampling by time -> pulse (:mod:`rppg.methods`) -> heart rate and SNR (:mod:`rppg.signal`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from rppg import quality, signal
from rppg.config import Config
from rppg.errors import NoFaceError, RppgError
from rppg.io import FrameSource, open_source
from rppg.methods import METHODS, Method, pulse_signal
from rppg.quality import Rating
from rppg.runtime import preload
from rppg.trace import Trace, TraceBuilder


@dataclass
class Analysis:
    """One method's pulse and heart rate for one trace."""

    method: str
    fs: float
    """Rate (Hz) of the uniform grid the trace was resampled to."""
    t_s: np.ndarray
    """Uniform sample times (s), (M,)."""
    pulse: np.ndarray
    """Band-passed pulse, (M,)."""
    hr_bpm: float | None
    """Whole-recording heart rate (bpm): the median of the windows' (``signal.whole``)."""
    snr_db: float | None
    series: signal.HrSeries
    """Heart rate over sliding windows."""
    quality: Rating
    """How far to trust ``hr_bpm``: label and reasons (see :mod:`rppg.quality`)."""
    window_quality: list[Rating]
    """One rating per window of ``series``."""


def pulse_of(
    trace: Trace, method: Method | str, cfg: Config, name: str = ""
) -> tuple[Method, np.ndarray, np.ndarray, float]:
    """The method, uniform times (M,), band-passed pulse (M,) and rate (Hz) of ``trace``;
    ``name`` labels errors (no face, too short)."""
    m = METHODS.get(method) if isinstance(method, str) else method
    if m.weighting not in trace.rgb:
        raise ValueError(f"trace has no '{m.weighting}' samples for method {m.name}")
    rgb = trace.rgb[m.weighting]
    sig = cfg.signal
    valid = np.isfinite(rgb).all(axis=1)
    if valid.sum() < 2:
        raise NoFaceError(
            f"{name}: no face found in any of {trace.frames} frames "
            "(a pre-cropped skin video? add --detector none)"
        )
    t_valid = trace.t_s[valid]
    duration = t_valid[-1] - t_valid[0]
    if duration < sig.min_duration_s:
        raise RppgError(
            f"{name}: too short for a heart rate ({duration:.1f} s with a face; "
            f"need {sig.min_duration_s:g} s)"
        )
    fs = signal.frame_rate(t_valid)
    t_u, rgb_u = signal.resample_uniform(trace.t_s, rgb, fs)
    return m, t_u, pulse_signal(rgb_u, fs, m, sig), fs


def analyse(trace: Trace, method: Method | str, cfg: Config, name: str = "") -> Analysis:
    """Pulse and heart rate (whole recording and sliding windows) of ``trace`` by ``method``."""
    m, t_u, pulse, fs = pulse_of(trace, method, cfg, name)
    hr, snr, series = signal.recording_hr(pulse, fs, cfg.signal, t0_s=float(t_u[0]))
    a = Analysis(m.name, fs, t_u, pulse, hr, snr, series, Rating("none"), [])
    a.window_quality = quality.rate_windows(a, trace, cfg)
    a.quality = quality.rate_recording(a, trace, cfg, needs_colour=m.colour)
    return a


def extract_trace(source: FrameSource, cfg: Config, weightings: set[str]) -> Trace:
    """Stream ``source`` through the face stage into a :class:`Trace` (source closed after)."""
    with source, TraceBuilder.from_config(cfg, weightings) as builder:
        for fc in builder.face.crops(source):
            builder.add_crop(fc)
        trace = builder.finish()
    if trace.frames == 0:
        raise RppgError(f"{source.name}: no frames could be decoded (empty or truncated video)")
    return trace


@dataclass
class ProcessResult:
    """Everything ``rppg process`` reports about one video."""

    video: str
    method: str
    trace: Trace
    analysis: Analysis
    seconds: float
    """Wall time of the processing (s)."""
    band_hz: tuple[float, float] = (0.0, 0.0)
    """The heart-rate band used (Hz)."""
    window_s: float = 0.0
    """The window of the heart rate over time (s)."""

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
        out = list(self.analysis.quality.reasons)
        gaps = quality.face_gaps(self.trace.t_s, self.trace.face)
        if gaps:
            spans = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in gaps[:5]) + (", ..." if len(gaps) > 5 else "")
            out.append(f"no face at {spans}")
        return out

    def summary(self) -> dict:
        """The JSON object of the CLI contract (``rppg process --json``)."""
        s = self.analysis.series
        return {
            "video": self.video,
            "method": self.method,
            "hr_bpm": _num(self.hr_bpm),
            "snr_db": _num(self.snr_db),
            "frames": int(self.trace.frames),
            "fps": round(self.fps, 4),
            "duration_s": round(self.duration_s, 4),
            "face_ratio": round(self.trace.face_ratio, 4),
            "seconds": round(self.seconds, 3),
            "quality": self.quality,
            "warnings": self.warnings,
            "hr_series": [
                {"t_s": round(float(t), 3), "hr_bpm": _num(h), "snr_db": _num(q), "quality": r.label}
                for t, h, q, r in zip(s.t_s, s.hr_bpm, s.snr_db, self.analysis.window_quality, strict=True)
            ],
        }


def _num(x: float | None, digits: int = 3) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), digits)


def process_video(
    video: str | os.PathLike | FrameSource,
    method: str | None = None,
    config: Config | None = None,
    fps: float | None = None,
) -> ProcessResult:
    """Heart rate of the face in a video file, image folder or open frame source.

    ``method`` overrides ``config.method``; ``fps`` overrides the file's frame rate.
    Raises :class:`RppgError` for user errors (bad file, no face, too short).
    """
    cfg = config or Config()
    m = METHODS.get(method or cfg.method)
    preload("scipy.linalg")  # the detrend's, needed once the frames are done
    start = time.perf_counter()
    source = video if isinstance(video, FrameSource) else open_source(video, fps=fps)
    trace = extract_trace(source, cfg, {m.weighting})
    analysis = analyse(trace, m, cfg, name=source.name)
    seconds = time.perf_counter() - start
    return ProcessResult(
        source.name, m.name, trace, analysis, seconds, cfg.signal.band_hz, cfg.signal.window_s
    )
