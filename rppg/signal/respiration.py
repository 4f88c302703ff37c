"""Breathing rate from the pulse's respiratory modulations, reported when they agree.

    rate, reason, estimates = respiration_rate(level_t, level, beats)    # breaths/min or None

Breathing shows in face video three ways: the skin's brightness drifts with it (baseline),
the pulse grows and shrinks with it (amplitude) and the heart speeds up on the in-breath
(interval: sinus arrhythmia). Each gives a rate, the spectral peak of that series between
``BAND_PER_MIN``; the reported rate is the median of those within ``AGREE_PER_MIN`` of each
other, when at least two agree; else None with the estimates in the reason.
"""

from __future__ import annotations

import numpy as np

from rppg.signal.beats import Beats
from rppg.signal.filters import detrend_bandpass, resample_uniform
from rppg.signal.spectrum import peak_frequency, spectrum

BAND_PER_MIN = (6.0, 30.0)
"""Breathing rates searched (breaths per minute)."""
AGREE_PER_MIN = 2.0
"""Estimates within this of each other agree (breaths per minute)."""
MIN_DURATION_S = 30.0
"""Shorter recordings hold too few breaths for a rate."""
SERIES_FS = 4.0
"""The modulation series are resampled to this rate (Hz)."""


def breathing_peak(t_s: np.ndarray, x: np.ndarray) -> float | None:
    """Dominant rate (per minute) of a series sampled at times ``t_s``, inside the band."""
    ok = np.isfinite(t_s) & np.isfinite(x)
    if ok.sum() < 8 or t_s[ok][-1] - t_s[ok][0] < MIN_DURATION_S:
        return None
    grid, uniform = resample_uniform(t_s[ok], x[ok], SERIES_FS)
    band = (BAND_PER_MIN[0] / 60, BAND_PER_MIN[1] / 60)
    filtered = detrend_bandpass(uniform, SERIES_FS, band, 2, detrend_s=30.0)
    f = peak_frequency(spectrum(filtered, SERIES_FS, 0.001), band)
    return None if f is None else 60.0 * f


def without_motion(series: np.ndarray, position: np.ndarray) -> np.ndarray:
    """``series`` (K,) less its least-squares fit on the face position (K, 2): a head that
    sways changes the region's shading and so the pulse's amplitude, at the sway's rate."""
    ok = np.isfinite(series) & np.isfinite(position).all(axis=1)
    if ok.sum() < 8:
        return series
    design = np.column_stack([np.ones(ok.sum()), position[ok] - position[ok].mean(axis=0)])
    coef, *_ = np.linalg.lstsq(design, series[ok], rcond=None)
    out = np.full(len(series), np.nan)
    out[ok] = series[ok] - design[:, 1:] @ coef[1:]
    return out


def respiration_rate(
    level_t: np.ndarray,
    level: np.ndarray,
    beats: Beats,
    pulse_at_beats: np.ndarray | None = None,
    position: np.ndarray | None = None,
) -> tuple[float | None, str | None, dict[str, float | None]]:
    """(breaths per minute or None, reason when None, the three estimates).

    ``level`` (N,) is the face region's brightness at ``level_t`` (s); ``beats`` give the
    interval series; ``pulse_at_beats`` (K,) the pulse's swing at each beat (amplitude);
    ``position`` (N, 2) the face centre at ``level_t``, regressed out of the amplitudes."""
    duration = float(level_t[-1] - level_t[0]) if len(level_t) > 1 else 0.0
    if duration < MIN_DURATION_S:
        return None, f"needs {MIN_DURATION_S:g} s; the recording has {duration:.0f} s", {}
    ok = beats.accepted
    if pulse_at_beats is not None and position is not None:
        at_beats = np.column_stack([np.interp(beats.t_s, level_t, position[:, c]) for c in range(2)])
        pulse_at_beats = without_motion(pulse_at_beats, at_beats)
    estimates = {
        "baseline": breathing_peak(level_t, level),
        "amplitude": None if pulse_at_beats is None else breathing_peak(beats.t_s, pulse_at_beats),
        "interval": breathing_peak(beats.t_s[ok], beats.ibi_ms[ok]) if ok.sum() >= 8 else None,
    }
    found = np.array([v for v in estimates.values() if v is not None])
    if len(found) < 2:
        return None, "too few clean beats or too little signal for two estimates", estimates
    agreeing = [v for v in found if np.sum(np.abs(found - v) <= AGREE_PER_MIN) >= 2]
    if not agreeing:
        said = ", ".join(f"{k} {v:.1f}" for k, v in estimates.items() if v is not None)
        return None, f"the breathing estimates disagree ({said} per min)", estimates
    return float(np.median(agreeing)), None, estimates
