"""Spectra and the heart rate of one stretch of pulse: the periodogram, its peak with
sub-bin precision, the harmonic guard and the SNR.

    spec = spectrum(pulse, fs)                            # Spectrum(freqs_hz (K,), power (K,))
    hr_bpm, snr_db = estimate_hr(pulse, fs, sig)          # bpm, dB; (None, None) if flat
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rppg.config import SignalConfig

_DEFAULTS = SignalConfig()


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
