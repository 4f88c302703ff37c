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
from rppg.beats import Beats, beat_amplitudes, detect_beats, polarity
from rppg.config import Config
from rppg.errors import NoFaceError, RppgError
from rppg.files import json_number
from rppg.hrv import Hrv, report_hrv
from rppg.io import FrameSource, open_source
from rppg.methods import METHODS, Method, project
from rppg.quality import Rating
from rppg.respiration import respiration_rate
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
    beats: Beats | None = None
    """The pulse's beats (systolic peaks, intervals, a quality each)."""
    hrv: Hrv | None = None
    """Heart-rate variability, or None values with the reason."""
    respiration_per_min: float | None = None
    """Breaths per minute, when the respiratory modulations agree."""
    respiration_reason: str | None = None
    """Why there is no breathing rate (None when there is)."""


@dataclass
class Pulse:
    """A trace's pulse on a uniform time grid."""

    method: Method
    t_s: np.ndarray
    """Uniform sample times (s), (M,)."""
    fs: float
    """Their rate (Hz)."""
    flat: np.ndarray
    """The projection, detrended, not band-passed (M,)."""
    pulse: np.ndarray
    """Band-passed to the heart-rate band (M,)."""


def pulse_of(trace: Trace, method: Method | str, cfg: Config, name: str = "") -> Pulse:
    """The pulse of ``trace`` by ``method``; ``name`` labels errors (no face, too short)."""
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
    flat = project(rgb_u, fs, m, sig)
    return Pulse(m, t_u, fs, flat, signal.bandpass(flat, fs, sig.band_hz, sig.filter_order))


def analyse(trace: Trace, method: Method | str, cfg: Config, name: str = "") -> Analysis:
    """Pulse, heart rate (whole recording and sliding windows), quality, beats, HRV and
    breathing of ``trace`` by ``method``."""
    p = pulse_of(trace, method, cfg, name)
    sig = cfg.signal
    hr, snr, series = signal.recording_hr(p.pulse, p.fs, sig, t0_s=float(p.t_s[0]))
    a = Analysis(p.method.name, p.fs, p.t_s, p.pulse, hr, snr, series, Rating("none"), [])
    a.window_quality = quality.rate_windows(a, trace, cfg)
    a.quality = quality.rate_recording(a, trace, cfg, needs_colour=p.method.colour)
    beat_pulse = signal.bandpass(p.flat, p.fs, sig.beat_band_hz, sig.filter_order)
    labels = [r.label for r in a.window_quality]
    a.beats = detect_beats(beat_pulse, p.fs, float(p.t_s[0]), _rate_at(series, hr, sig.window_s),
                           _label_at(series.t_s, labels, sig.window_s))  # fmt: skip
    a.hrv = report_hrv(a.beats, series.t_s, labels, sig.window_s)
    level = trace.rgb[p.method.weighting].mean(axis=1)  # NaN without a face: skipped there
    swings = beat_amplitudes(beat_pulse * polarity(beat_pulse), p.fs, float(p.t_s[0]), a.beats.t_s)
    a.respiration_per_min, a.respiration_reason, _ = respiration_rate(
        trace.t_s, level, a.beats, swings, trace.centre
    )
    return a


def _rate_at(series: signal.HrSeries, whole_bpm: float | None, window_s: float):
    """Expected heart rate (bpm) at any time: the windows' rates at their centres."""
    fallback = whole_bpm if whole_bpm is not None else 70.0
    rates = np.where(np.isfinite(series.hr_bpm), series.hr_bpm, fallback)
    centres = series.t_s - window_s / 2
    return lambda t: np.interp(t, centres, rates) if len(centres) else np.full(len(t), fallback)


def _label_at(window_t_s: np.ndarray, labels: list[str], window_s: float):
    """Quality label at any time: that of the window centred nearest."""
    centres = window_t_s - window_s / 2
    if not len(centres):
        return lambda t: ["none"] * len(t)
    return lambda t: [labels[int(np.argmin(np.abs(centres - x)))] for x in t]


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
            "hr_bpm": json_number(self.hr_bpm),
            "snr_db": json_number(self.snr_db),
            "frames": int(self.trace.frames),
            "fps": round(self.fps, 4),
            "duration_s": round(self.duration_s, 4),
            "face_ratio": round(self.trace.face_ratio, 4),
            "seconds": round(self.seconds, 3),
            "quality": self.quality,
            "warnings": self.warnings,
            "hr_series": [
                {
                    "t_s": round(float(t), 3),
                    "hr_bpm": json_number(h),
                    "snr_db": json_number(q),
                    "quality": r.label,
                }
                for t, h, q, r in zip(s.t_s, s.hr_bpm, s.snr_db, self.analysis.window_quality, strict=True)
            ],
            "hrv": self.analysis.hrv.as_dict(),
            "respiration_per_min": json_number(self.analysis.respiration_per_min),
            "respiration_reason": self.analysis.respiration_reason,
        }

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
