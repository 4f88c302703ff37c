"""Projections of an RGB trace onto a pulse: GREEN, CHROM, POS, LGI, OMIT, PBV and ICA.

Each takes ``rgb`` (N, 3), columns R, G, B, sampled uniformly at ``fs`` Hz, and the signal
settings (``sig``; None = the defaults of :class:`rppg.config.SignalConfig`), and returns a
pulse (N,), before detrending and band-pass.

    pulse = pos(rgb, fs=30.0)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rppg.config import SignalConfig
from rppg.signal.filters import bandpass, normalize_by_moving_mean
from rppg.signal.spectrum import spectrum

_DEFAULTS = SignalConfig()
PULSE_SIGNATURE_RGB = np.array([0.33, 0.77, 0.53])
"""Relative pulsatile amplitude of skin in R, G, B (de Haan & van Leest 2014)."""


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
