"""Sampling and filters: times to a uniform grid, detrending, the zero-phase band-pass.

Arrays in, arrays out: ``x`` is (N,) or (N, C) sampled at ``fs`` Hz; times in seconds.

    fs = frame_rate(t_s)                                   # Hz, from frame timestamps
    t_u, rgb_u = resample_uniform(t_s, rgb, fs)            # NaN rows bridged
    pulse = bandpass(detrend(x, fs, 4.0), fs, (0.7, 3.0), 3)
"""

from __future__ import annotations

import numpy as np

from rppg.config import SignalConfig

_DEFAULTS = SignalConfig()


def resample_uniform(t_s: np.ndarray, x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate samples at times ``t_s`` (N,) onto a grid of rate ``fs`` Hz.

    ``x`` is (N,) or (N, C); NaN rows (frames without a face) are bridged by interpolating
    between their valid neighbours. Returns ``(t_uniform (M,), x_uniform (M,) or (M, C))``.
    """
    t_s = np.asarray(t_s, dtype=float)
    x = np.asarray(x, dtype=float)
    x2 = x.reshape(len(x), -1)
    valid = np.all(np.isfinite(x2), axis=1) & np.isfinite(t_s)
    if valid.sum() < 2:
        raise ValueError("fewer than two valid samples to resample")
    tv, xv = t_s[valid], x2[valid]
    n = int(np.floor((tv[-1] - tv[0]) * fs + 1e-9)) + 1
    grid = tv[0] + np.arange(n) / fs
    out = np.column_stack([np.interp(grid, tv, xv[:, c]) for c in range(x2.shape[1])])
    return grid, out.reshape((n,) + x.shape[1:])


def frame_rate(t_s: np.ndarray) -> float:
    """Frame rate (Hz) from timestamps (s): the mean of the intervals near the median one.

    The median alone is robust to dropped frames but not to timestamps rounded to whole
    milliseconds (Matroska: 33, 33, 34 ms read 30.30 Hz for 30); averaging the intervals
    within 2 ms of it keeps both right."""
    dt = np.diff(np.asarray(t_s, dtype=float))
    dt = dt[np.isfinite(dt) & (dt > 0)]
    if len(dt) == 0:
        raise ValueError("timestamps do not increase")
    regular = dt[np.abs(dt - np.median(dt)) <= 0.002]
    return float(1.0 / regular.mean())


# --------------------------------------------------------------------------- filtering


def detrend(x: np.ndarray, fs: float, cutoff_s: float = _DEFAULTS.detrend_s) -> np.ndarray:
    """Remove slow trends (smoothness priors, Tarvainen et al. 2002) along axis 0.

    Solves the banded system (I + lam^2 D2'D2) z = x in O(N) time and memory, with lam set
    so that the trend's half-power point is ``1 / cutoff_s`` Hz. ``x``: (N,) or (N, C).
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 5:
        return x - x.mean(axis=0)
    lam = (fs * cutoff_s / (2 * np.pi)) ** 2
    # Upper banded form of lam^2 * D2'D2 (+ I): diagonals of a second-difference Gram matrix.
    main = np.full(n, 6.0)
    main[[0, -1]] = 1.0
    main[[1, -2]] = 5.0
    off1 = np.full(n - 1, -4.0)
    off1[[0, -1]] = -2.0
    off2 = np.ones(n - 2)
    ab = np.zeros((3, n))
    ab[0, 2:] = lam**2 * off2
    ab[1, 1:] = lam**2 * off1
    ab[2, :] = lam**2 * main + 1.0
    from scipy.linalg import solveh_banded  # imported here: see bandpass

    trend = solveh_banded(ab, x, check_finite=False)
    return x - trend


def butterworth_gain(freqs_hz: np.ndarray, fs: float, band_hz: tuple[float, float], order: int) -> np.ndarray:
    """Power gain |H(f)|^2 of the digital Butterworth band-pass of ``order`` designed by the
    bilinear transform (as scipy's ``butter``) at ``freqs_hz``: 1 / (1 + q^(2 order)) with
    q = (W^2 - Wl Wh) / ((Wh - Wl) W) and W = tan(pi f / fs), the prewarped frequency."""
    w = np.tan(np.pi * np.clip(freqs_hz, 1e-12, None) / fs)
    wl, wh = (np.tan(np.pi * f / fs) for f in band_hz)
    q = (w**2 - wl * wh) / ((wh - wl) * w)
    return 1.0 / (1.0 + q ** (2 * order))


def bandpass(
    x: np.ndarray,
    fs: float,
    band_hz: tuple[float, float] = _DEFAULTS.band_hz,
    order: int = _DEFAULTS.filter_order,
) -> np.ndarray:
    """Zero-phase Butterworth band-pass along axis 0. ``x``: (N,) or (N, C).

    Filtering forwards and backwards (scipy's ``sosfiltfilt``) multiplies the spectrum by the
    filter's power gain; this does that multiplication directly on the FFT of the signal,
    extended at both ends by odd reflection (as filtfilt pads) so the ends do not wrap round.
    Same result in the interior, no scipy.signal (a second of import time) and O(N log N)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 3:
        return x - x.mean(axis=0)
    lo, hi = band_hz[0], min(band_hz[1], 0.99 * fs / 2)
    pad = min(n - 1, int(round(3 * fs / lo)))  # three periods of the lowest frequency kept
    edge_a, edge_b = x[:1], x[-1:]
    ext = np.concatenate([2 * edge_a - x[pad:0:-1], x, 2 * edge_b - x[-2 : -pad - 2 : -1]])
    size = 1 << (len(ext) - 1).bit_length()
    gain = butterworth_gain(np.fft.rfftfreq(size, 1.0 / fs), fs, (lo, hi), order)
    spec = np.fft.rfft(ext, n=size, axis=0)
    out = np.fft.irfft(spec * gain.reshape((-1,) + (1,) * (x.ndim - 1)), n=size, axis=0)
    return out[pad : pad + n]


def detrend_bandpass(
    x: np.ndarray, fs: float, band_hz: tuple[float, float], order: int, detrend_s: float
) -> np.ndarray:
    """The filter chain of a raw wave (a contact PPG, a breathing series): slow trends
    slower than ``detrend_s`` removed (:func:`detrend`), then the zero-phase band-pass."""
    return bandpass(detrend(x, fs, detrend_s), fs, band_hz, order)


def normalize_by_moving_mean(rgb: np.ndarray, fs: float, window_s: float) -> np.ndarray:
    """Divide each channel by its centred moving average: relative colour change, (N, 3)."""
    n = max(1, int(round(window_s * fs)))
    kernel = np.ones(n) / n
    pad = np.pad(rgb, ((n // 2, n - 1 - n // 2), (0, 0)), mode="edge")
    mean = np.column_stack([np.convolve(pad[:, c], kernel, mode="valid") for c in range(3)])
    return rgb / np.maximum(mean, 1e-9)
