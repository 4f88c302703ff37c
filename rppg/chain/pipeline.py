"""The chain from a recording to a heart rate, shared by every way of using rppg.

Steps, each public, so that a use calls only those it needs (training's validation: the
pulse and the heart rate; the live estimator: the pulse of its buffer):

    trace = extract_trace(source, cfg, {"uniform"})      # frames -> face stage -> RGB trace
    p = pulse_of(trace, "pos", cfg)                        # resampled by time, projected, filtered
    hr = heart_rate(p, cfg.signal)                         # whole recording + 10 s windows
    rating, windows = rate_quality(hr, p, trace, cfg)      # quality labels and reasons
    more = extras(p, hr, windows, trace, cfg)              # beats, HRV, breathing
    a = analyse(trace, "pos", cfg)                         # all of the above, as an Analysis

A whole video, one face or several, to what ``rppg process`` reports: :mod:`rppg.chain.process`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rppg import signal
from rppg.chain import quality
from rppg.chain.methods import METHODS, Method, project
from rppg.chain.quality import Rating
from rppg.chain.trace import FrameSample, Trace, TraceBuilder
from rppg.config import Config, SignalConfig
from rppg.errors import NoFaceError, RppgError
from rppg.face.stage import FaceStage
from rppg.files import json_number
from rppg.io import FrameSource
from rppg.signal.beats import Beats, beat_amplitudes, detect_beats, polarity
from rppg.signal.hrv import Hrv, report_hrv
from rppg.signal.respiration import respiration_rate


@dataclass
class Pulse:
    """A trace's pulse on a uniform time grid."""

    method: Method
    t_s: np.ndarray
    """Uniform sample times (s), (M,)."""
    fs: float
    """Their rate (Hz)."""
    flat: np.ndarray
    """The method's (first) projection, detrended, not band-passed (M,)."""
    pulses: tuple[np.ndarray, ...]
    """Each projection band-passed to the heart-rate band, (M,) each; the first is the pulse."""

    @property
    def pulse(self) -> np.ndarray:
        """The method's pulse, band-passed (M,)."""
        return self.pulses[0]


@dataclass
class HeartRate:
    """A pulse's heart rate: the whole recording's and the windows'."""

    hr_bpm: float | None
    """Whole-recording heart rate (bpm): read from the windows as ``signal.whole`` says."""
    snr_db: float | None
    series: signal.HrSeries
    """Heart rate over sliding windows."""


@dataclass
class Extras:
    """What a pulse tells beyond its rate."""

    beats: Beats
    """The pulse's beats (systolic peaks, intervals, a quality each)."""
    hrv: Hrv
    """Heart-rate variability, or None values with the reason."""
    respiration_per_min: float | None = None
    """Breaths per minute, when the respiratory modulations agree."""
    respiration_reason: str | None = None
    """Why there is no breathing rate (None when there is)."""


@dataclass
class Analysis:
    """One method's pulse, heart rate, quality and extras for one trace."""

    method: str
    fs: float
    """Rate (Hz) of the uniform grid the trace was resampled to."""
    t_s: np.ndarray
    """Uniform sample times (s), (M,)."""
    pulse: np.ndarray
    """Band-passed pulse, (M,)."""
    pulses: tuple[np.ndarray, ...]
    """Every projection's band-passed pulse, (M,) each (the first is ``pulse``)."""
    hr_bpm: float | None
    """Whole-recording heart rate (bpm): the median of the windows' (``signal.whole``)."""
    snr_db: float | None
    series: signal.HrSeries
    """Heart rate over sliding windows."""
    quality: Rating
    """How far to trust ``hr_bpm``: label and reasons (see :mod:`rppg.quality`)."""
    window_quality: list[Rating]
    """One rating per window of ``series``."""
    beats: Beats
    """The pulse's beats (systolic peaks, intervals, a quality each)."""
    hrv: Hrv
    """Heart-rate variability, or None values with the reason."""
    respiration_per_min: float | None = None
    """Breaths per minute, when the respiratory modulations agree."""
    respiration_reason: str | None = None
    """Why there is no breathing rate (None when there is)."""

    def series_rows(self) -> list[dict]:
        """The windows as the ``hr_series`` of ``rppg process --json``."""
        s = self.series
        rows = zip(s.t_s, s.hr_bpm, s.snr_db, self.window_quality, strict=True)
        return [
            {
                "t_s": round(float(t), 3),
                "hr_bpm": json_number(h),
                "snr_db": json_number(snr),
                "quality": r.label,
            }
            for t, h, snr, r in rows
        ]


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
    flats = project(rgb_u, fs, m, sig)
    pulses = tuple(signal.bandpass(f, fs, sig.band_hz, sig.filter_order) for f in flats)
    return Pulse(m, t_u, fs, flats[0], pulses)


def heart_rate(p: Pulse, sig: SignalConfig) -> HeartRate:
    """The whole recording's rate and SNR and the windows' series, read from all the method's
    pulses (:func:`signal.recording_hr`)."""
    return HeartRate(*signal.recording_hr(p.pulses, p.fs, sig, t0_s=float(p.t_s[0])))


def rate_quality(hr: HeartRate, p: Pulse, trace: Trace, cfg: Config) -> tuple[Rating, list[Rating]]:
    """(the recording's rating, one rating per window of ``hr.series``)."""
    windows = quality.rate_windows(hr.series, trace, cfg)
    overall = quality.rate_recording(
        hr.hr_bpm, hr.snr_db, hr.series, windows, trace, cfg, needs_colour=p.method.colour
    )
    return overall, windows


def extras(p: Pulse, hr: HeartRate, windows: list[Rating], trace: Trace, cfg: Config) -> Extras:
    """Beats (on the pulse in the wider beat band), HRV over the good windows (``windows``:
    their ratings) and the breathing rate."""
    sig = cfg.signal
    t0 = float(p.t_s[0])
    beat_pulse = signal.bandpass(p.flat, p.fs, sig.beat_band_hz, sig.filter_order)
    labels = [r.label for r in windows]
    rate_at = _rate_at(hr.series, hr.hr_bpm, sig.window_s)
    beats = detect_beats(beat_pulse, p.fs, t0, rate_at, _label_at(hr.series.t_s, labels, sig.window_s))
    hrv = report_hrv(beats, hr.series.t_s, labels, sig.window_s)
    level = trace.rgb[p.method.weighting].mean(axis=1)  # NaN without a face: skipped there
    swings = beat_amplitudes(beat_pulse * polarity(beat_pulse), p.fs, t0, beats.t_s)
    breaths, reason, _ = respiration_rate(trace.t_s, level, beats, swings, trace.centre)
    return Extras(beats, hrv, breaths, reason)


def analyse(trace: Trace, method: Method | str, cfg: Config, name: str = "") -> Analysis:
    """Every step on ``trace`` by ``method``: pulse, heart rate (whole recording and sliding
    windows), quality, beats, HRV and breathing."""
    p = pulse_of(trace, method, cfg, name)
    hr = heart_rate(p, cfg.signal)
    overall, windows = rate_quality(hr, p, trace, cfg)
    more = extras(p, hr, windows, trace, cfg)
    return Analysis(
        p.method.name,
        p.fs,
        p.t_s,
        p.pulse,
        p.pulses,
        hr.hr_bpm,
        hr.snr_db,
        hr.series,
        overall,
        windows,
        more.beats,
        more.hrv,
        more.respiration_per_min,
        more.respiration_reason,
    )


FALLBACK_BPM = 70.0
"""The expected rate where no window has one (a resting adult's): only spaces the beats."""


def _rate_at(series: signal.HrSeries, whole_bpm: float | None, window_s: float):
    """Expected heart rate (bpm) at any time: the windows' rates at their centres."""
    fallback = whole_bpm if whole_bpm is not None else FALLBACK_BPM
    rates = np.where(np.isfinite(series.hr_bpm), series.hr_bpm, fallback)
    centres = series.t_s - window_s / 2
    return lambda t: np.interp(t, centres, rates) if len(centres) else np.full(len(t), fallback)


def _label_at(window_t_s: np.ndarray, labels: list[str], window_s: float):
    """Quality label at any time: that of the window centred nearest."""
    centres = window_t_s - window_s / 2
    if not len(centres):
        return lambda t: ["none"] * len(t)
    return lambda t: [labels[int(np.argmin(np.abs(centres - x)))] for x in t]


def extract_trace(
    source: FrameSource,
    cfg: Config,
    weightings: set[str],
    on_sample: Callable[[FrameSample], None] | None = None,
) -> Trace:
    """Stream ``source`` through the face stage into a :class:`Trace` (source closed after);
    ``on_sample`` sees each frame's sample as it goes (the report's mean pictures)."""
    builder = TraceBuilder.from_config(cfg, weightings)
    with source, FaceStage.from_config(cfg.face) as stage:
        for fc in stage.crops(source):
            sample = builder.push(fc)
            if on_sample is not None:
                on_sample(sample)
        trace = builder.trace()
    trace.warnings = list(source.warnings) + trace.warnings
    if trace.frames == 0:
        raise RppgError(f"{source.name}: no frames could be decoded (empty or truncated video)")
    return trace
