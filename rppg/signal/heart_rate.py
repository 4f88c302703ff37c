"""Heart rate over time: the one windowing convention of rppg, windowed rates, and the
whole recording's rate read from them.

    series = windowed_hr(pulse, fs, sig, t0_s)       # HrSeries(t_s, hr_bpm, snr_db), 10 s / 1 s
    hr_bpm, snr_db, series = recording_hr(pulse, fs, sig)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rppg.config import SignalConfig
from rppg.signal.spectrum import estimate_hr

_DEFAULTS = SignalConfig()


@dataclass
class HrSeries:
    """Heart rate over time: one value per window, ``t_s`` at each window's last sample (s)."""

    t_s: np.ndarray
    hr_bpm: np.ndarray
    snr_db: np.ndarray


def window_ends(n: int, fs: float, window_s: float, hop_s: float) -> np.ndarray:
    """End indices (exclusive) of the sliding windows over ``n`` samples at ``fs`` Hz: the
    first window ends ``window_s`` in, then one every ``hop_s``; a recording shorter than one
    window gives a single window over all of it. The one windowing convention of rppg:
    predictions, references and the live estimator all use it."""
    wlen = min(n, int(round(window_s * fs)))
    hop = max(1, int(round(hop_s * fs)))
    return np.arange(wlen, n + 1, hop) if wlen > 0 else np.empty(0, int)


def within(t_s: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    """Which of the times ``t_s`` (N,) lie in the window (start, end] (s), bool (N,): a
    window ending at t covers (t - window_s, t]."""
    return (t_s > start_s) & (t_s <= end_s)


def windowed_hr(
    pulse: np.ndarray,
    fs: float,
    sig: SignalConfig | None = None,
    t0_s: float = 0.0,
    ends: np.ndarray | None = None,
) -> HrSeries:
    """HR (bpm) and SNR (dB) over sliding windows of ``sig.window_s`` of a pulse (N,) whose
    first sample is at ``t0_s``; NaN where undefined. ``ends``: window end indices
    (default: :func:`window_ends`)."""
    sig = sig or _DEFAULTS
    n = len(pulse)
    wlen = min(n, int(round(sig.window_s * fs)))
    ends = window_ends(n, fs, sig.window_s, sig.hop_s) if ends is None else np.asarray(ends, int)
    hr = np.full(len(ends), np.nan)
    snr = np.full(len(ends), np.nan)
    for i, end in enumerate(ends):
        h, s = estimate_hr(pulse[max(0, end - wlen) : end], fs, sig)
        hr[i] = np.nan if h is None else h
        snr[i] = np.nan if s is None else s
    return HrSeries(t0_s + (ends - 1) / fs, hr, snr)


def median_of_windows(series: HrSeries) -> tuple[float | None, float | None]:
    """The median of a series' rates (bpm) and of its SNRs (dB), over the windows that have one."""
    ok = np.isfinite(series.hr_bpm)
    if not ok.any():
        return None, None
    snr = series.snr_db[ok & np.isfinite(series.snr_db)]
    return float(np.median(series.hr_bpm[ok])), float(np.median(snr)) if len(snr) else None


WHOLE_ESTIMATES = {
    "median": lambda pulse, fs, sig, series: median_of_windows(series),
    "periodogram": lambda pulse, fs, sig, series: estimate_hr(pulse, fs, sig),
}
"""How a whole recording's rate is read (``signal.whole``): ``median``, the median of the
windows' rates and SNRs (robust to windows spoilt by motion or noise); or ``periodogram``,
the peak of one spectrum of the whole pulse (as rPPG-Toolbox's tables do)."""


def recording_hr(
    pulse: np.ndarray, fs: float, sig: SignalConfig | None = None, t0_s: float = 0.0
) -> tuple[float | None, float | None, HrSeries]:
    """Whole-recording heart rate (bpm), SNR (dB) and the windows' series of a pulse (N,),
    the whole read from the windows as ``sig.whole`` says."""
    sig = sig or _DEFAULTS
    series = windowed_hr(pulse, fs, sig, t0_s)
    try:
        whole = WHOLE_ESTIMATES[sig.whole]
    except KeyError:
        raise ValueError(
            f"unknown signal.whole {sig.whole!r} (choose from: {', '.join(WHOLE_ESTIMATES)})"
        ) from None
    hr, snr = whole(pulse, fs, sig, series)
    return hr, snr, series
