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

from rppg import signal
from rppg.config import Config
from rppg.errors import NoFaceError, RppgError
from rppg.io import FrameSource, open_source
from rppg.methods import METHODS, Method, pulse_signal, roi_of
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
    """Whole-recording heart rate (bpm), comparable with rPPG-Toolbox tables."""
    snr_db: float | None
    series: signal.HrSeries
    """Heart rate over sliding windows."""


def pulse_of(
    trace: Trace, method: Method | str, cfg: Config, name: str = "", roi: str | None = None
) -> tuple[Method, np.ndarray, np.ndarray, float]:
    """The method, uniform times (M,), band-passed pulse (M,) and rate (Hz) of ``trace``.

    ``roi`` picks the trace's region (default: the method's, see :func:`methods.roi_of`);
    ``name`` labels errors (no face, too short)."""
    m = METHODS.get(method) if isinstance(method, str) else method
    roi = roi or roi_of(m, cfg)
    if roi not in trace.rgb:
        raise ValueError(f"trace has no '{roi}' samples for method {m.name}")
    rgb = trace.rgb[roi]
    sig = cfg.signal
    valid = np.isfinite(rgb).all(axis=1)
    if valid.sum() < 2:
        raise NoFaceError(f"{name}: no face found in any of {trace.frames} frames")
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


def analyse(
    trace: Trace, method: Method | str, cfg: Config, name: str = "", roi: str | None = None
) -> Analysis:
    """Pulse and heart rate (whole recording and sliding windows) of ``trace`` by ``method``."""
    m, t_u, pulse, fs = pulse_of(trace, method, cfg, name, roi)
    hr, snr = signal.estimate_hr(pulse, fs, cfg.signal)
    series = signal.windowed_hr(pulse, fs, cfg.signal, t0_s=float(t_u[0]))
    return Analysis(m.name, fs, t_u, pulse, hr, snr, series)


def extract_trace(source: FrameSource, cfg: Config, rois: set[str]) -> Trace:
    """Stream ``source`` through face tracking into a :class:`Trace` (source closed after)."""
    with source, TraceBuilder.from_config(cfg, rois) as builder:
        for frame in source:
            builder.add(frame)
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
            "hr_series": [
                {"t_s": round(float(t), 3), "hr_bpm": _num(h), "snr_db": _num(q)}
                for t, h, q in zip(s.t_s, s.hr_bpm, s.snr_db, strict=False)
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
    start = time.perf_counter()
    source = video if isinstance(video, FrameSource) else open_source(video, fps=fps)
    trace = extract_trace(source, cfg, {roi_of(m, cfg)})
    analysis = analyse(trace, m, cfg, name=source.name)
    return ProcessResult(source.name, m.name, trace, analysis, time.perf_counter() - start)
