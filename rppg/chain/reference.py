"""The ground-truth heart rate a prediction is compared with (evaluation and training).

    hr_true = reference_hr(truth, t0, t1, cfg.signal)                 # whole recording (bpm)
    series = reference_series(truth, analysis.t_s, analysis.fs, cfg.signal)

The contact pulse wave goes through the same detrend, band-pass and spectral estimator as a
predicted pulse, over the same span; the windowed reference is read off the wave placed on
the prediction's own uniform grid with the prediction's windows (:func:`signal.window_ends`),
so both series have the same window edges by construction.
"""

from __future__ import annotations

import numpy as np

from rppg import signal
from rppg.config import SignalConfig
from rppg.errors import RppgError
from rppg.io import GroundTruth

MIN_TRUTH_COVERAGE = 0.9
"""Ground truth must span this share of the video, else the recording is reported broken."""


def check_coverage(truth: GroundTruth, t0: float, t1: float, name: str) -> None:
    """A one-line error when the ground truth covers too little of [t0, t1] (s)."""
    covered = min(truth.t_s[-1], t1) - max(truth.t_s[0], t0)
    if covered < MIN_TRUTH_COVERAGE * (t1 - t0):
        raise RppgError(f"{name}: ground truth covers {max(covered, 0):.1f} s of the {t1 - t0:.1f} s video")


def truth_pulse(
    truth: GroundTruth, t0: float, t1: float, sig: SignalConfig
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The ground-truth wave between t0 and t1 (s), uniformly resampled, detrended and
    band-passed like a predicted pulse: (times (K,), pulse (K,), fs), or None without a wave."""
    wave = _uniform_wave(truth, t0, t1)
    if wave is None:
        return None
    grid, uniform, fs = wave
    return grid, signal.detrend_bandpass(uniform, fs, sig.band_hz, sig.filter_order, sig.detrend_s), fs


def _uniform_wave(truth: GroundTruth, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The raw ground-truth wave over [t0, t1] (s) on a uniform grid at its own rate: (times
    (K,), wave (K,), fs in Hz), or None without a wave or with fewer than 8 samples there."""
    if truth.ppg is None:
        return None
    inside = (truth.t_s >= t0) & (truth.t_s <= t1)
    if inside.sum() < 8:
        return None
    t = truth.t_s[inside]
    fs = signal.frame_rate(t)
    grid, uniform = signal.resample_uniform(t, truth.ppg[inside], fs)
    return grid, uniform, fs


def reference_hr(truth: GroundTruth, t0: float, t1: float, sig: SignalConfig) -> float:
    """True heart rate (bpm) over [t0, t1] s: the ground-truth wave read as the prediction
    is (:func:`rppg.signal.recording_hr`), or the mean device HR where there is no wave."""
    pulse = truth_pulse(truth, t0, t1, sig)
    if pulse is not None:
        _, wave, fs = pulse
        hr, _, _ = signal.recording_hr(wave, fs, sig)
        return np.nan if hr is None else hr
    return _mean_hr(truth, t0, t1)


def reference_series(truth: GroundTruth, t_grid: np.ndarray, fs: float, sig: SignalConfig) -> np.ndarray:
    """True heart rate (bpm) in each window of a prediction sampled on ``t_grid`` (M,) at
    ``fs`` Hz, windows as :func:`rppg.signal.windowed_hr`; NaN for a window the ground truth
    covers less than ``MIN_TRUTH_COVERAGE`` of."""
    t0, t1 = float(t_grid[0]), float(t_grid[-1])
    ends = signal.window_ends(len(t_grid), fs, sig.window_s, sig.hop_s)
    wlen = min(len(t_grid), int(round(sig.window_s * fs)))
    starts = t_grid[ends - wlen]
    stops = t_grid[ends - 1]
    covered = (np.minimum(truth.t_s[-1], stops) - np.maximum(truth.t_s[0], starts)) / np.maximum(
        stops - starts, 1e-9
    )
    pulse = truth_pulse(truth, t0, t1, sig)
    if pulse is not None:
        grid, wave, _ = pulse
        out = signal.windowed_hr(np.interp(t_grid, grid, wave), fs, sig, t0, ends).hr_bpm
    else:
        out = np.array([_mean_hr(truth, a, b) for a, b in zip(starts, stops, strict=True)])
    return np.where(covered >= MIN_TRUTH_COVERAGE, out, np.nan)


def _mean_hr(truth: GroundTruth, t0: float, t1: float) -> float:
    inside = (truth.t_s >= t0) & (truth.t_s <= t1)
    if inside.any():
        return float(truth.hr_bpm[inside].mean())
    return float(np.interp((t0 + t1) / 2, truth.t_s, truth.hr_bpm))  # a sparse HR series


def reference_beats(truth: GroundTruth, t0: float, t1: float, sig: SignalConfig) -> np.ndarray | None:
    """Beat times (s) of the ground-truth wave over [t0, t1] by the same detector as the
    prediction's (:func:`rppg.beats.detect_beats`, beat band); None without a wave."""
    from rppg.signal.beats import detect_beats

    wave = _uniform_wave(truth, t0, t1)
    if wave is None:
        return None
    grid, uniform, fs = wave
    band = (sig.beat_band_hz[0], min(sig.beat_band_hz[1], 0.45 * fs))
    pulse = signal.detrend_bandpass(uniform, fs, band, sig.filter_order, sig.detrend_s)
    return detect_beats(pulse, fs, float(grid[0])).t_s


def reference_breathing(truth: GroundTruth, t0: float, t1: float) -> float | None:
    """Breaths per minute of the ground truth's respiration channel over [t0, t1], if any."""
    from rppg.signal.respiration import breathing_peak

    if truth.resp is None:
        return None
    inside = (truth.t_s >= t0) & (truth.t_s <= t1)
    return breathing_peak(truth.t_s[inside], truth.resp[inside])
