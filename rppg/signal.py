"""Signal maths: RGB trace -> pulse -> heart rate. Pure numpy/scipy, arrays in, arrays out.

Conventions: ``rgb`` is a float array of shape (N, 3) with columns R, G, B, sampled
uniformly at ``fs`` Hz; a pulse is shape (N,). Heart rates are in bpm, frequencies in Hz,
times in seconds.

Settings (band, windows, spectral resolution) come as one :class:`rppg.config.SignalConfig`
(``sig``); None means its defaults, which live there and nowhere else.

    from rppg import signal
    pulse = signal.pos(rgb, fs=30.0)
    pulse = signal.bandpass(signal.detrend(pulse, fs=30.0), fs=30.0, band_hz=(0.7, 3.5))
    hr_bpm, snr_db = signal.estimate_hr(pulse, fs=30.0)
    series = signal.windowed_hr(pulse, fs=30.0)      # 10 s windows, 1 s hop
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rppg.config import SignalConfig

_DEFAULTS = SignalConfig()
PULSE_SIGNATURE_RGB = np.array([0.33, 0.77, 0.53])
"""Relative pulsatile amplitude of skin in R, G, B (de Haan & van Leest 2014)."""


# --------------------------------------------------------------------------- sampling


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


# --------------------------------------------------------------------------- projections


def green(rgb: np.ndarray, fs: float, sig: SignalConfig | None = None) -> np.ndarray:
    """GREEN (Verkruysse et al. 2008): the green channel's relative change, (N,)."""
    sig = sig or _DEFAULTS
    return normalize_by_moving_mean(rgb, fs, sig.projection_window_s)[:, 1] - 1.0


def chrom(rgb: np.ndarray, fs: float, sig: SignalConfig | None = None) -> np.ndarray:
    """CHROM (de Haan & Jeanne 2013): chrominance signals tuned by a per-window ratio, (N,)."""
    sig = sig or _DEFAULTS
    cn = normalize_by_moving_mean(rgb, fs, sig.projection_window_s)
    xs = 3.0 * cn[:, 0] - 2.0 * cn[:, 1]
    ys = 1.5 * cn[:, 0] + cn[:, 1] - 1.5 * cn[:, 2]
    xy = bandpass(np.column_stack([xs, ys]), fs, sig.band_hz, sig.filter_order)

    def project(w: np.ndarray) -> np.ndarray:  # (M, 2, L) -> (M, L)
        alpha = _safe_ratio(w[:, 0].std(axis=1), w[:, 1].std(axis=1))
        return w[:, 0] - alpha[:, None] * w[:, 1]

    n = _window_len(len(rgb), fs, sig.projection_window_s)
    return _windowed(xy, n, project, normalise=False, standardise=False, taper=np.hanning(n))


def pos(rgb: np.ndarray, fs: float, sig: SignalConfig | None = None) -> np.ndarray:
    """POS (Wang et al. 2017): projection on the plane orthogonal to skin tone, (N,)."""

    def project(cn: np.ndarray) -> np.ndarray:
        s1 = cn[:, 1] - cn[:, 2]
        s2 = -2.0 * cn[:, 0] + cn[:, 1] + cn[:, 2]
        alpha = _safe_ratio(s1.std(axis=1), s2.std(axis=1))
        return s1 + alpha[:, None] * s2

    n = _window_len(len(rgb), fs, (sig or _DEFAULTS).projection_window_s)
    return _windowed(rgb, n, project, standardise=False)


def lgi(rgb: np.ndarray, fs: float, sig: SignalConfig | None = None) -> np.ndarray:
    """LGI (Pilz et al. 2018): remove each window's principal colour direction (local
    group invariance to illumination), keep the green-aligned residual, (N,)."""

    def project(cn: np.ndarray) -> np.ndarray:  # (M, 3, L) -> (M, L)
        u = np.linalg.svd(cn, full_matrices=False)[0][:, :, :1]  # (M, 3, 1)
        p = np.eye(3)[None] - u @ np.swapaxes(u, 1, 2)
        return (p @ cn)[:, 1]

    return _windowed(rgb, _window_len(len(rgb), fs, (sig or _DEFAULTS).projection_window_s), project)


def omit(rgb: np.ndarray, fs: float, sig: SignalConfig | None = None) -> np.ndarray:
    """OMIT (Alvarez Casado & Bordallo Lopez 2023): like LGI with a QR factorisation
    instead of the SVD, cheaper and as robust, (N,)."""

    def project(cn: np.ndarray) -> np.ndarray:
        q = np.linalg.qr(cn)[0][:, :, :1]  # first orthonormal direction, (M, 3, 1)
        p = np.eye(3)[None] - q @ np.swapaxes(q, 1, 2)
        return (p @ cn)[:, 1]

    return _windowed(rgb, _window_len(len(rgb), fs, (sig or _DEFAULTS).projection_window_s), project)


def pbv(rgb: np.ndarray, fs: float, sig: SignalConfig | None = None) -> np.ndarray:
    """PBV (de Haan & van Leest 2014): the projection that best matches the known blood
    volume pulse signature of skin, per window, (N,)."""
    signature = PULSE_SIGNATURE_RGB / np.linalg.norm(PULSE_SIGNATURE_RGB)

    def project(cn: np.ndarray) -> np.ndarray:
        c = cn - cn.mean(axis=2, keepdims=True)
        q = c @ np.swapaxes(c, 1, 2) + 1e-9 * np.eye(3)[None]  # regularised: flat input
        w = np.linalg.solve(q, np.broadcast_to(signature, (len(c), 3))[..., None])  # (M, 3, 1)
        norm = np.einsum("k,mk->m", signature, w[:, :, 0])
        return (np.swapaxes(c, 1, 2) @ w)[:, :, 0] / np.where(np.abs(norm) > 1e-12, norm, 1.0)[:, None]

    return _windowed(rgb, _window_len(len(rgb), fs, (sig or _DEFAULTS).projection_window_s), project)


def ica(rgb: np.ndarray, fs: float, sig: SignalConfig | None = None, seed: int = 0) -> np.ndarray:
    """ICA (Poh et al. 2010): FastICA of the detrended, normalised colour channels; the
    component with the most peaked spectrum in the heart-rate band is the pulse, (N,)."""
    sig = sig or _DEFAULTS
    x = normalize_by_moving_mean(np.asarray(rgb, dtype=float), fs, 2 * sig.projection_window_s) - 1.0
    x = bandpass(x, fs, sig.band_hz, sig.filter_order)
    x = x - x.mean(axis=0)
    cov = x.T @ x / max(len(x), 1)
    evals, evecs = np.linalg.eigh(cov)
    keep = evals > 1e-12 * max(evals.max(), 1e-30)
    if not keep.any():
        return np.zeros(len(x))
    white = x @ evecs[:, keep] / np.sqrt(evals[keep])  # (N, k), unit covariance
    sources = white @ _fastica(white, seed).T
    best, best_score = np.zeros(len(x)), -np.inf
    for comp in sources.T:
        spec = spectrum(comp, fs, resolution_hz=0.01)
        band = (spec.freqs_hz >= sig.band_hz[0]) & (spec.freqs_hz <= sig.band_hz[1])
        score = spec.power[band].max() / max(spec.power[band].sum(), 1e-30)
        if score > best_score:
            best, best_score = comp, score
    # ICA leaves the sign open: pick the one that correlates with green (pulse darkens skin).
    return best if np.dot(best, -x[:, 1]) >= 0 else -best


def _fastica(white: np.ndarray, seed: int, iterations: int = 200) -> np.ndarray:
    """Unmixing matrix (k, k) of whitened data (N, k): symmetric FastICA, logcosh contrast."""
    k = white.shape[1]
    w = np.random.default_rng(seed).normal(size=(k, k))
    w = _sym_decorrelate(w)
    for _ in range(iterations):
        proj = white @ w.T  # (N, k)
        g = np.tanh(proj)
        g_prime = (1 - g**2).mean(axis=0)
        w_new = _sym_decorrelate(g.T @ white / len(white) - g_prime[:, None] * w)
        converged = np.max(np.abs(np.abs(np.einsum("ij,ij->i", w_new, w)) - 1)) < 1e-6
        w = w_new
        if converged:
            break
    return w


def _sym_decorrelate(w: np.ndarray) -> np.ndarray:
    s, u = np.linalg.eigh(w @ w.T)
    return u @ np.diag(1.0 / np.sqrt(np.maximum(s, 1e-12))) @ u.T @ w


def _windowed(
    x: np.ndarray,
    n: int,
    project,
    normalise: bool = True,
    standardise: bool = True,
    taper: np.ndarray | None = None,
    chunk: int = 2048,
) -> np.ndarray:
    """Overlap-add of ``project`` over every window of ``n`` samples (hop 1) of ``x`` (N, C).

    ``project`` maps windows (M, C, n) to pulses (M, n). Windows are divided by their mean
    when ``normalise``; each output is made zero-mean (and unit-std when ``standardise``) and
    multiplied by ``taper``. Windows are processed ``chunk`` at a time: memory stays flat on
    long recordings.
    """
    x = np.asarray(x, dtype=float)
    out = np.zeros(len(x))
    m = len(x) - n + 1
    for start in range(0, m, chunk):
        stop = min(m, start + chunk)
        win = sliding_window_view(x[start : stop + n - 1], n, axis=0)  # (stop - start, C, n)
        if normalise:
            win = win / np.maximum(win.mean(axis=2, keepdims=True), 1e-9)
        h = project(win)
        h = h - h.mean(axis=1, keepdims=True)
        if standardise:
            sd = h.std(axis=1, keepdims=True)
            h = np.where(sd > 1e-12, h / np.where(sd > 1e-12, sd, 1.0), 0.0)
        if taper is not None:
            h = h * taper[None, :]
        _overlap_add(h, out, start)
    return out


def _window_len(n: int, fs: float, window_s: float) -> int:
    return int(max(2, min(n, round(window_s * fs))))


def _safe_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with 0 where b is ~0 (flat input must not produce inf/NaN)."""
    out = np.zeros_like(a)
    ok = b > 1e-12
    out[ok] = a[ok] / b[ok]
    return out


def _overlap_add(segs: np.ndarray, out: np.ndarray, offset: int = 0) -> None:
    """Add windows ``segs`` (M, L), window m starting at sample ``offset + m``, into ``out``."""
    m, length = segs.shape
    for k in range(length):  # L is ~50 samples; M can be 10^5
        out[offset + k : offset + k + m] += segs[:, k]


# --------------------------------------------------------------------------- spectrum


@dataclass
class Spectrum:
    """A one-sided power spectrum: ``freqs_hz`` (K,) and ``power`` (K,)."""

    freqs_hz: np.ndarray
    power: np.ndarray


def spectrum(x: np.ndarray, fs: float, resolution_hz: float = _DEFAULTS.resolution_hz) -> Spectrum:
    """Hann-windowed periodogram of ``x`` (N,), zero-padded to a grid step <= resolution_hz."""
    x = np.asarray(x, dtype=float)
    x = x - x.mean()
    nfft = max(len(x), int(np.ceil(fs / resolution_hz)))
    nfft = 1 << (nfft - 1).bit_length()
    spec = np.fft.rfft(x * np.hanning(len(x)), n=nfft)
    return Spectrum(np.fft.rfftfreq(nfft, 1.0 / fs), np.abs(spec) ** 2)


def peak_frequency(spec: Spectrum, band_hz: tuple[float, float] = _DEFAULTS.band_hz) -> float | None:
    """Frequency (Hz) of the highest peak inside ``band_hz``, refined by a parabola through
    the top three bins (sub-bin precision); None for a flat or empty spectrum."""
    f, p = spec.freqs_hz, spec.power
    idx = np.flatnonzero((f >= band_hz[0]) & (f <= band_hz[1]))
    if len(idx) < 3 or not np.isfinite(p[idx]).all() or p[idx].max() <= 0:
        return None
    return _refine(spec, int(idx[np.argmax(p[idx])]), idx)


def _refine(spec: Spectrum, k: int, idx: np.ndarray) -> float:
    """Bin ``k``'s frequency moved to the vertex of the parabola through it and its
    neighbours (not past the ends of the searched bins ``idx``)."""
    f, p = spec.freqs_hz, spec.power
    if k in (idx[0], idx[-1]):
        return float(f[k])
    return float(f[k] + parabolic_offset(p[k - 1], p[k], p[k + 1]) * (f[1] - f[0]))


def parabolic_offset(a: float, b: float, c: float) -> float:
    """Where the vertex of the parabola through (-1, a), (0, b), (1, c) lies, in samples from
    the middle one (within half a sample): a peak's sub-sample position."""
    denom = a - 2 * b + c
    return float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5)) if denom != 0 else 0.0


def subharmonic(
    spec: Spectrum, f0_hz: float, band_hz: tuple[float, float], tolerance_hz: float, ratio: float
):
    """The harmonic guard: the frequency (Hz) of a spectral peak within ``tolerance_hz`` of
    ``f0_hz / 2``, inside the band, holding at least ``ratio`` of the power at ``f0_hz``; None
    if there is none. A pulse's first harmonic, or a flicker that doubles it, can outgrow the
    fundamental; a real heart rate at f0 rarely has such a peak at half of it."""
    f, p = spec.freqs_hz, spec.power
    half = f0_hz / 2
    if half < band_hz[0]:
        return None
    idx = np.flatnonzero(np.abs(f - half) <= tolerance_hz)
    if len(idx) < 3:
        return None
    k = int(idx[np.argmax(p[idx])])
    is_peak = 0 < k < len(p) - 1 and p[k] >= p[k - 1] and p[k] >= p[k + 1]
    at_f0 = p[int(np.argmin(np.abs(f - f0_hz)))]
    if not is_peak or p[k] < ratio * at_f0:
        return None
    return _refine(spec, k, idx)


def snr_db(
    spec: Spectrum,
    f0_hz: float,
    band_hz: tuple[float, float] = _DEFAULTS.band_hz,
    tolerance_hz: float = _DEFAULTS.snr_tolerance_hz,
) -> float | None:
    """Signal-to-noise ratio (dB, de Haan & Jeanne 2013): power within ``tolerance_hz`` of
    the pulse frequency and its first harmonic, over the rest of the power in ``band_hz``."""
    f, p = spec.freqs_hz, spec.power
    in_band = (f >= band_hz[0]) & (f <= band_hz[1])
    near = (np.abs(f - f0_hz) <= tolerance_hz) | (np.abs(f - 2 * f0_hz) <= tolerance_hz)
    sig = p[in_band & near].sum()
    noise = p[in_band & ~near].sum()
    if sig <= 0 or noise <= 0:
        return None
    return float(10.0 * np.log10(sig / noise))


def estimate_hr(
    pulse: np.ndarray, fs: float, sig: SignalConfig | None = None
) -> tuple[float | None, float | None]:
    """Heart rate (bpm) and SNR (dB) of a pulse (N,) from its spectral peak in ``sig.band_hz``,
    after the harmonic guard (:func:`subharmonic`) when ``sig.harmonic_guard`` is on."""
    sig = sig or _DEFAULTS
    spec = spectrum(pulse, fs, sig.resolution_hz)
    f0 = peak_frequency(spec, sig.band_hz)
    if f0 is None:
        return None, None
    if sig.harmonic_guard:
        f0 = subharmonic(spec, f0, sig.band_hz, sig.snr_tolerance_hz, sig.harmonic_ratio) or f0
    return 60.0 * f0, snr_db(spec, f0, sig.band_hz, sig.snr_tolerance_hz)


# --------------------------------------------------------------------------- windows


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
