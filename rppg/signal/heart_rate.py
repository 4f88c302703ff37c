"""Heart rate over time: the one windowing convention of rppg, the rate of each window (read
alone, or followed across windows), and the whole recording's rate read from them.

    series = recording_hr([pos, pbv], fs, sig, t0_s)[2]   # HrSeries(t_s, hr_bpm, snr_db, own_bpm)
    hr_bpm, snr_db, series = recording_hr([pulse], fs, sig) # the whole recording too
    series = windowed_hr(pulse, fs, sig, t0_s)             # each 10 s window alone (1 s hop)

``signal.estimator`` says how the windows are read: ``tracked`` (the default) follows the
rate through them (:mod:`rppg.signal.tracking`); ``windows`` reads each alone, its strongest
peak after the harmonic guard, as the ground truth is read (:mod:`rppg.chain.reference`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rppg.config import SignalConfig
from rppg.signal.spectrum import estimate_hr
from rppg.signal.tracking import follow, rate_grid, window_powers

_DEFAULTS = SignalConfig()


@dataclass
class HrSeries:
    """Heart rate over time: one value per window, ``t_s`` at each window's last sample (s)."""

    t_s: np.ndarray
    hr_bpm: np.ndarray
    snr_db: np.ndarray
    own_bpm: np.ndarray | None = None
    """What each window's spectra alone say (bpm) where the rates were followed across
    windows; None where each rate is its window's own."""

    @property
    def own(self) -> np.ndarray:
        """Each window's own rate (bpm): :attr:`own_bpm`, or the rates themselves."""
        return self.hr_bpm if self.own_bpm is None else self.own_bpm


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


def tracked_hr(pulses: Sequence[np.ndarray], fs: float, sig: SignalConfig, t0_s: float = 0.0) -> HrSeries:
    """HR (bpm) and SNR (dB) of the sliding windows of one or more pulses of the same trace
    (each (N,); e.g. POS and PBV), the rate followed across the windows
    (:func:`rppg.signal.tracking.follow`), with each window's own rate."""
    n = len(pulses[0])
    wlen = min(n, int(round(sig.window_s * fs)))
    ends = window_ends(n, fs, sig.window_s, sig.hop_s)
    bpm = rate_grid(sig)
    track = follow([window_powers(p, fs, ends, wlen, bpm, sig) for p in pulses], bpm, sig)
    return HrSeries(t0_s + (ends - 1) / fs, track.hr_bpm, track.snr_db, track.own_bpm)


ESTIMATORS = {
    "tracked": tracked_hr,
    "windows": lambda pulses, fs, sig, t0_s: windowed_hr(pulses[0], fs, sig, t0_s),
}
"""How the windows' rates are read (``signal.estimator``): followed across the windows, or
each window alone (of the first pulse)."""


def median_of_windows(series: HrSeries) -> tuple[float | None, float | None]:
    """The median of a series' rates (bpm) and of its SNRs (dB), over the windows that have one."""
    ok = np.isfinite(series.hr_bpm)
    if not ok.any():
        return None, None
    snr = series.snr_db[ok & np.isfinite(series.snr_db)]
    return float(np.median(series.hr_bpm[ok])), float(np.median(snr)) if len(snr) else None


def periodogram_hr(
    pulses: Sequence[np.ndarray], fs: float, sig: SignalConfig
) -> tuple[float | None, float | None]:
    """The rate (bpm) and SNR (dB) of one spectrum of the whole recording: of one pulse, its
    peak (:func:`rppg.signal.spectrum.estimate_hr`); of several, the strongest rate they agree
    on (the tracker's emission over one window as long as the recording)."""
    if len(pulses) == 1:
        return estimate_hr(pulses[0], fs, sig)
    bpm = rate_grid(sig)
    n = len(pulses[0])
    track = follow([window_powers(p, fs, np.array([n]), n, bpm, sig) for p in pulses], bpm, sig)
    hr, snr = track.hr_bpm[0], track.snr_db[0]
    return float(hr), None if not np.isfinite(snr) else float(snr)


WHOLE_ESTIMATES = {
    "median": lambda pulses, fs, sig, series: median_of_windows(series),
    "periodogram": lambda pulses, fs, sig, series: periodogram_hr(pulses, fs, sig),
}
"""How a whole recording's rate is read (``signal.whole``): ``median``, the median of the
windows' rates and SNRs (robust to windows spoilt by motion or noise); or ``periodogram``,
the peak of one spectrum of the whole pulse (as rPPG-Toolbox's tables do)."""


def recording_hr(
    pulses: Sequence[np.ndarray] | np.ndarray,
    fs: float,
    sig: SignalConfig | None = None,
    t0_s: float = 0.0,
    estimator: str | None = None,
) -> tuple[float | None, float | None, HrSeries]:
    """Whole-recording heart rate (bpm), SNR (dB) and the windows' series of one pulse (N,)
    or several of the same trace: the windows read as ``estimator`` (default
    ``sig.estimator``) says, the whole read from them as ``sig.whole`` says."""
    sig = sig or _DEFAULTS
    pulses = [np.asarray(pulses, float)] if np.ndim(pulses) == 1 else list(pulses)
    series = ESTIMATORS[estimator or sig.estimator](pulses, fs, sig, t0_s)
    hr, snr = WHOLE_ESTIMATES[sig.whole](pulses, fs, sig, series)
    return hr, snr, series
