"""Beats from a pulse: times with sub-sample precision, inter-beat intervals, a quality each.

    beats = detect_beats(pulse, fs, t0_s=t_u[0], hr_at=local_rate)   # Beats(t_s, ibi_ms, ...)
    beats.t_s, beats.ibi_ms, beats.accepted

The pulse's peaks are found with their spacing guided by the spectral heart rate (no two
beats closer than ``MIN_SPACING`` of the local period), refined by a parabola through the
three samples around each (sub-sample times), and their intervals screened for outliers
against their neighbours (a missed or an extra beat makes an interval far from the rest).
Pure numpy: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rppg.signal.spectrum import parabolic_offset, peak_frequency, spectrum

MIN_SPACING = 0.6
"""Two beats are at least this share of the local period (60 / heart rate) apart."""
OUTLIER = (0.75, 1.3)
"""An interval outside these shares of the median of its neighbours' is an outlier."""
NEIGHBOURS = 5
"""Intervals on each side that an interval is compared with."""
WEAK = 0.35
"""A peak lower than this share of the pulse's local amplitude is a weak beat."""


@dataclass
class Beats:
    """Detected beats, in time order."""

    t_s: np.ndarray
    """Beat times (s), (K,)."""
    ibi_ms: np.ndarray
    """Interval from the previous beat (ms), (K,); NaN for the first."""
    quality: list[str]
    """Per beat: ``good``, ``fair`` or ``poor`` (weak peak, outlying interval, or a window of
    poor signal)."""
    accepted: np.ndarray
    """Per interval: bool (K,), whether ``ibi_ms`` is fit for HRV (a good or fair beat and
    interval, not an outlier)."""

    @property
    def count(self) -> int:
        return len(self.t_s)


def refine_peak(x: np.ndarray, i: int) -> float:
    """Sub-sample position of the peak at sample ``i`` of ``x``: the vertex of the parabola
    through samples i-1, i, i+1 (within half a sample)."""
    if i <= 0 or i >= len(x) - 1:
        return float(i)
    return i + parabolic_offset(x[i - 1], x[i], x[i + 1])


UPSAMPLE = 4
"""Peaks are found on the pulse interpolated (band-limited, by FFT) to this many times its rate."""


def upsample(x: np.ndarray, factor: int) -> np.ndarray:
    """A band-limited signal (N,) at ``factor`` times its rate (FFT zero padding), (N*factor,)."""
    n = len(x)
    spec = np.fft.rfft(x)
    return np.fft.irfft(spec, n=n * factor) * factor


def polarity(x: np.ndarray) -> float:
    """+1 if the pulse rises faster than it falls (blood volume: a steep systolic upstroke,
    a slow decay), else -1: the sign that puts the systolic peaks at its maxima. Colour
    projections such as POS put blood volume upside down; contact sensors differ too."""
    d = np.diff(x)
    skew = np.mean(d**3) / max(np.mean(d**2) ** 1.5, 1e-30)
    return 1.0 if skew >= 0 else -1.0


def detect_beats(
    pulse: np.ndarray,
    fs: float,
    t0_s: float = 0.0,
    hr_at: Callable[[np.ndarray], np.ndarray] | None = None,
    label_at: Callable[[np.ndarray], list[str]] | None = None,
) -> Beats:
    """Beats of a band-passed pulse (N,) at ``fs`` Hz whose first sample is at ``t0_s``: its
    systolic peaks (the polarity is found, :func:`polarity`), refined on the pulse upsampled
    ``UPSAMPLE`` times.

    ``hr_at(t)`` gives the expected heart rate (bpm) at times ``t`` (the spectral estimate;
    default: the pulse's own dominant rate); ``label_at(t)`` the signal quality label there
    (default: all good)."""
    x = np.asarray(pulse, dtype=float)
    if len(x) < 3:
        return Beats(np.empty(0), np.empty(0), [], np.zeros(0, bool))
    x = polarity(x) * upsample(x - x.mean(), UPSAMPLE)
    fs = fs * UPSAMPLE
    n = len(x)
    if n < 3:
        return Beats(np.empty(0), np.empty(0), [], np.zeros(0, bool))
    if hr_at is None:
        hr = _dominant_rate(x, fs)
        hr_at = lambda t: np.full(len(t), hr)  # noqa: E731
    peaks = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])) + 1
    if len(peaks) == 0:
        return Beats(np.empty(0), np.empty(0), [], np.zeros(0, bool))
    t_peaks = t0_s + peaks / fs
    spacing = MIN_SPACING * 60.0 / np.maximum(hr_at(t_peaks), 1.0) * fs  # samples
    chosen = _tallest_apart(peaks, x[peaks], spacing)
    times = np.array([t0_s + refine_peak(x, i) / fs for i in chosen])
    ibi = np.concatenate([[np.nan], np.diff(times) * 1000.0])
    amplitude = _local_amplitude(x, fs)
    weak = x[chosen] < WEAK * amplitude[chosen]
    outlier = _outliers(ibi)
    labels = label_at(times) if label_at is not None else ["good"] * len(times)
    quality = [
        "poor" if w or o or lab in ("poor", "none") else lab
        for w, o, lab in zip(weak, outlier, labels, strict=True)
    ]
    prev_ok = np.concatenate([[False], [q != "poor" for q in quality[:-1]]])
    accepted = np.isfinite(ibi) & ~outlier & np.array([q != "poor" for q in quality]) & prev_ok
    return Beats(times, ibi, quality, accepted)


def beat_amplitudes(x: np.ndarray, fs: float, t0_s: float, beat_t: np.ndarray) -> np.ndarray:
    """Each beat's swing: its peak minus the lowest point since the previous beat, (K,);
    relative to the trough, so that a slow drift of the level does not count."""
    idx = np.clip(np.round((np.asarray(beat_t) - t0_s) * fs).astype(int), 0, len(x) - 1)
    out = np.full(len(idx), np.nan)
    for k in range(1, len(idx)):
        if idx[k] > idx[k - 1]:
            out[k] = x[idx[k]] - x[idx[k - 1] : idx[k] + 1].min()
    return out


def _tallest_apart(peaks: np.ndarray, heights: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """The peaks kept, tallest first, each at least its ``spacing`` (samples) from those kept
    before it; in time order."""
    kept: list[int] = []
    taken = np.zeros(len(peaks), bool)
    for j in np.argsort(-heights):
        if taken[j]:
            continue
        kept.append(j)
        taken |= np.abs(peaks - peaks[j]) < spacing[j]
    return np.sort(peaks[kept])


def _outliers(ibi_ms: np.ndarray) -> np.ndarray:
    """Intervals far from the median of their neighbours (a missed or an extra beat)."""
    out = np.zeros(len(ibi_ms), bool)
    for k in range(1, len(ibi_ms)):
        lo, hi = max(1, k - NEIGHBOURS), min(len(ibi_ms), k + NEIGHBOURS + 1)
        near = np.delete(ibi_ms[lo:hi], k - lo)
        near = near[np.isfinite(near)]
        if len(near):
            ratio = ibi_ms[k] / np.median(near)
            out[k] = not OUTLIER[0] <= ratio <= OUTLIER[1]
    return out


def _local_amplitude(x: np.ndarray, fs: float, window_s: float = 4.0) -> np.ndarray:
    """The pulse's amplitude around each sample: sqrt(2) x its moving RMS (a sine's peak)."""
    n = max(1, int(round(window_s * fs)))
    power = np.convolve(x**2, np.ones(n) / n, mode="same")
    return np.sqrt(2 * np.maximum(power, 0))


def _dominant_rate(x: np.ndarray, fs: float) -> float:
    """The pulse's own rate (bpm): its spectral peak between 30 and 240 bpm (a default for
    a wave with no spectral estimate beside it, such as a contact sensor's)."""
    f = peak_frequency(spectrum(x, fs, resolution_hz=0.01), (0.5, 4.0))
    return 60.0 * f if f is not None else 60.0


def match_beats(found_s: np.ndarray, truth_s: np.ndarray, tolerance_s: float = 0.1) -> dict:
    """How ``found_s`` beat times match reference ones after one constant lag: the lag (s,
    the median offset to the nearest reference beat), the share of reference beats with a
    found beat within ``tolerance_s``, the MAE (ms) of the intervals between matched beats
    that follow each other in both, and the ratio of beat counts."""
    if len(found_s) < 2 or len(truth_s) < 2:
        return {"lag_s": np.nan, "matched": 0.0, "ibi_mae_ms": np.nan, "count_ratio": np.nan}

    def hits(lag: float) -> np.ndarray:
        gap = np.abs(truth_s[:, None] - (found_s[None, :] + lag))
        return gap.min(axis=1) <= tolerance_s

    lags = np.arange(-1.0, 1.0, 0.005)  # the lag that matches most beats, then its median offset
    lag = float(lags[np.argmax([hits(lag).sum() for lag in lags])])
    gap = truth_s[:, None] - (found_s[None, :] + lag)
    close = np.abs(gap).min(axis=1) <= tolerance_s
    lag += float(np.median(gap[np.arange(len(truth_s)), np.abs(gap).argmin(axis=1)][close]))
    shifted = found_s + lag
    gap = np.abs(truth_s[:, None] - shifted[None, :])
    best = gap.argmin(axis=1)
    hit = gap[np.arange(len(truth_s)), best] <= tolerance_s
    pairs = [
        (k, best[k]) for k in range(len(truth_s) - 1) if hit[k] and hit[k + 1] and best[k + 1] == best[k] + 1
    ]
    errors = [abs((truth_s[k + 1] - truth_s[k]) - (shifted[j + 1] - shifted[j])) for k, j in pairs]
    return {
        "lag_s": lag,
        "matched": float(hit.mean()),
        "ibi_mae_ms": 1000 * float(np.mean(errors)) if errors else np.nan,
        "count_ratio": len(found_s) / len(truth_s),
    }
