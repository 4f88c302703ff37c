"""The heart rate followed across windows: each window's spectrum scored against a
continuity prior, offline (Viterbi, every window known) and live (the forward pass, one
window at a time). Pure numpy; rates in bpm, frequencies in Hz.

    bpm = rate_grid(sig)                                   # the rates followed, (F,)
    powers = [window_powers(p, fs, ends, wlen, bpm, sig) for p in pulses]   # (W, F) each
    track = follow(powers, bpm, sig)                       # Track(hr_bpm, snr_db, own_bpm), (W,)
    live = OnlineTracker(bpm, sig); rate, snr, own = live.push([p[-1] for p in powers])

Why: in heavily compressed webcam video the pulse is often not a window's strongest peak.
The noise there is red (per bin about twice as dense at 45-80 bpm as above 80 bpm), so a
window read alone lands on noise below the pulse, and the harmonic guard, which prefers a
peak near f/2, halves fast rates onto it. The pulse remains a continuous ridge through the
windows, strongest where two projections of the same colour trace (POS and PBV) agree. So:

- emission: a window's log probability of each rate is the mean over the projections of
  their log normalised spectra (the log of their normalised geometric mean: high only where
  they agree);
- transition: the rate changes from one window to the next by a Gaussian step of
  ``track_bpm_per_s`` x hop (bpm);
- a window reports its own peak of the summed spectra within ``track_refine_bpm`` of the
  path, refined by a parabola (the grid is coarse, and a path sticks to broad peaks);
- what the window's spectra alone would say (the emission's top, ``own_bpm``) is kept: how
  far it is from the reported rate is how unsteady that window is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rppg.config import SignalConfig
from rppg.signal.spectrum import Spectrum, parabolic_offset, snr_db, spectrum


def rate_grid(sig: SignalConfig) -> np.ndarray:
    """The rates followed (bpm), every ``track_step_bpm`` across the band, (F,)."""
    lo, hi = (60.0 * f for f in sig.band_hz)
    return np.arange(lo, hi + 1e-9, sig.track_step_bpm)


def window_powers(
    pulse: np.ndarray, fs: float, ends: np.ndarray, wlen: int, bpm: np.ndarray, sig: SignalConfig
) -> np.ndarray:
    """Each window's periodogram (:func:`rppg.signal.spectrum.spectrum`) of a pulse (N,) at
    ``fs`` Hz on the rate grid: windows of ``wlen`` samples ending (exclusive) at ``ends``
    (W,); (W, F)."""
    out = np.empty((len(ends), len(bpm)))
    for i, end in enumerate(ends):
        spec = spectrum(pulse[max(0, end - wlen) : end], fs, sig.resolution_hz)
        out[i] = np.interp(bpm, 60.0 * spec.freqs_hz, spec.power)
    return out


def normalised(power: np.ndarray) -> np.ndarray:
    """Spectra (..., F) over their sum: each a distribution over the rates."""
    return power / np.maximum(power.sum(axis=-1, keepdims=True), 1e-300)


def log_emission(powers: Sequence[np.ndarray]) -> np.ndarray:
    """Log probability of each rate (..., F) from the spectra of one or more projections of
    the same windows (each (..., F)): the mean of their log normalised spectra."""
    return np.mean([np.log(normalised(p) + 1e-12) for p in powers], axis=0)


def combined_power(powers: Sequence[np.ndarray]) -> np.ndarray:
    """The projections' normalised spectra summed (..., F): what a rate is refined on and
    its SNR read from."""
    return np.sum([normalised(p) for p in powers], axis=0)


def log_transition(bpm: np.ndarray, sig: SignalConfig) -> np.ndarray:
    """log T[i, j] of moving from rate bpm[j] to bpm[i] in one hop: Gaussian of standard
    deviation ``track_bpm_per_s`` x ``hop_s`` (bpm), normalised over i; (F, F)."""
    s = max(sig.track_bpm_per_s * sig.hop_s, 1e-6)
    logt = -0.5 * ((bpm[:, None] - bpm[None, :]) / s) ** 2
    return logt - np.logaddexp.reduce(logt, axis=0, keepdims=True)


def viterbi(logp: np.ndarray, logt: np.ndarray) -> np.ndarray:
    """The most likely path of states (W,) through emissions ``logp`` (W, F) under the
    transitions ``logt`` (F, F)."""
    w, f = logp.shape
    if w == 0:
        return np.empty(0, int)
    score = logp[0] - logp[0].max()
    back = np.zeros((w, f), int)
    for t in range(1, w):
        cand = logt + score[None, :]  # (to i, from j)
        back[t] = np.argmax(cand, axis=1)
        score = cand[np.arange(f), back[t]] + logp[t]
        score -= score.max()
    path = np.empty(w, int)
    path[-1] = int(np.argmax(score))
    for t in range(w - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def refine(power: np.ndarray, bpm: np.ndarray, k: int, half_width_bpm: float) -> float:
    """The strongest rate (bpm) of ``power`` (F,) within ``half_width_bpm`` of state ``k``,
    refined by a parabola through the grid points around it."""
    lo = int(np.searchsorted(bpm, bpm[k] - half_width_bpm))
    hi = int(np.searchsorted(bpm, bpm[k] + half_width_bpm, side="right"))
    j = lo + int(np.argmax(power[lo:hi]))
    if 0 < j < len(bpm) - 1:
        return float(bpm[j] + parabolic_offset(power[j - 1], power[j], power[j + 1]) * (bpm[1] - bpm[0]))
    return float(bpm[j])


def grid_snr_db(power: np.ndarray, bpm: np.ndarray, rate_bpm: float, sig: SignalConfig) -> float:
    """The SNR (dB) at ``rate_bpm`` of a spectrum on the rate grid (F,), by rppg's one
    definition (:func:`rppg.signal.spectrum.snr_db`); NaN when undefined."""
    value = snr_db(Spectrum(bpm / 60.0, power), rate_bpm / 60.0, sig.band_hz, sig.snr_tolerance_hz)
    return np.nan if value is None else value


@dataclass
class Track:
    """The rate through the windows; all (W,)."""

    hr_bpm: np.ndarray
    """Each window's rate: its own peak near the path (bpm)."""
    snr_db: np.ndarray
    """The SNR at that rate (dB)."""
    own_bpm: np.ndarray
    """What each window's spectra alone say: the emission's strongest rate (bpm)."""


def follow(powers: Sequence[np.ndarray], bpm: np.ndarray, sig: SignalConfig) -> Track:
    """The rate through windows whose spectra, one (W, F) array per projection, are
    ``powers``: the Viterbi path, each window refined to its own peak near it."""
    if len(powers[0]) == 0:
        empty = np.empty(0)
        return Track(empty, empty, empty)
    logp = log_emission(powers)
    power = combined_power(powers)
    path = viterbi(logp, log_transition(bpm, sig))
    hr = np.array([refine(power[t], bpm, k, sig.track_refine_bpm) for t, k in enumerate(path)])
    snr = np.array([grid_snr_db(power[t], bpm, hr[t], sig) for t in range(len(hr))])
    return Track(hr, snr, bpm[np.argmax(logp, axis=1)])


class OnlineTracker:
    """The same model one window at a time (live): the max-product forward score over the
    rates is the state; each window's rate is its best state, refined as offline.

        tracker = OnlineTracker(rate_grid(sig), sig)
        rate_bpm, snr_db, own_bpm = tracker.push([pos_power, pbv_power])   # each (F,)

    ``reset()`` starts with a flat prior (a new session, or the face lost for long)."""

    def __init__(self, bpm: np.ndarray, sig: SignalConfig) -> None:
        self.bpm = bpm
        self.sig = sig
        self.logt = log_transition(bpm, sig)
        self.reset()

    def reset(self) -> None:
        self._score: np.ndarray | None = None

    def push(self, powers: Sequence[np.ndarray]) -> tuple[float, float, float]:
        """One window's spectra (one (F,) per projection) -> (rate, SNR at it, own rate)."""
        logp = log_emission(powers)
        if self._score is None:
            score = logp
        else:
            score = np.max(self.logt + self._score[None, :], axis=1) + logp
        self._score = score - score.max()
        power = combined_power(powers)
        rate = refine(power, self.bpm, int(np.argmax(self._score)), self.sig.track_refine_bpm)
        return rate, grid_snr_db(power, self.bpm, rate, self.sig), float(self.bpm[np.argmax(logp)])
