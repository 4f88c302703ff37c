"""Training losses for the skin mask, in torch: with a ground-truth pulse (supervised) and
without one (unsupervised, after Speth et al., "Non-Contrastive Unsupervised Learning of
Physiological Signals from Video", CVPR 2023: "SiNC").

All take predicted pulses ``pred`` (B, L) sampled at ``fs`` Hz and return a scalar.

    supervised_loss(pred, target, fs, band_hz, max_lag, pearson_weight)
    bandwidth, sparsity, variance = sinc_losses(pred, fs, band_hz, width_hz)
    region_loss(mask, teacher)            # (N, H, W) each: the landmark region teaching the mask

Without a reference, a pulse is recognised by its spectrum alone: its power lies inside the
heart-rate band (bandwidth), within a narrow peak (sparsity), and across many clips of
different people its peak frequencies spread over the band (variance), so that a model
cannot satisfy the other two by always producing the same frequency.
"""

from __future__ import annotations

import torch

PAD = 4
"""Spectra are computed over this many times the clip length (zero-padded): finer bins."""


def power_spectrum(x: torch.Tensor, fs: float, pad: int = PAD) -> tuple[torch.Tensor, torch.Tensor]:
    """Frequencies (K,) in Hz and Hann-windowed power (B, K) of x (B, L), mean removed."""
    length = x.shape[1]
    x = x - x.mean(dim=1, keepdim=True)
    window = torch.hann_window(length, periodic=False, dtype=x.dtype)
    power = torch.fft.rfft(x * window, n=pad * length).abs() ** 2
    return torch.fft.rfftfreq(pad * length, 1.0 / fs), power


def band_power(x: torch.Tensor, fs: float, band_hz: tuple[float, float]):
    """Normalised power spectrum inside the band (B, K) and the band-limited signal (B, L)."""
    length = x.shape[1]
    freqs, power = power_spectrum(x, fs)
    power = power[:, (freqs >= band_hz[0]) & (freqs <= band_hz[1])]
    short = torch.fft.rfftfreq(length, 1.0 / fs)
    x = x - x.mean(dim=1, keepdim=True)
    spec = torch.fft.rfft(x, n=length) * ((short >= band_hz[0]) & (short <= band_hz[1]))
    return power / power.sum(dim=1, keepdim=True).clamp_min(1e-12), torch.fft.irfft(spec, n=length)


def lagged_pearson(a: torch.Tensor, b: torch.Tensor, max_lag: int) -> torch.Tensor:
    """Best |Pearson r| of a and b (B, L) over shifts of b by 0..max_lag samples, (B,).

    The contact PPG lags the face, and the sign of a projection is arbitrary, so neither
    may cost the model anything."""
    best = None
    for lag in range(max_lag + 1):
        x = a[:, : a.shape[1] - lag]
        y = b[:, lag:]
        x = x - x.mean(dim=1, keepdim=True)
        y = y - y.mean(dim=1, keepdim=True)
        r = (x * y).sum(dim=1) / (x.norm(dim=1) * y.norm(dim=1)).clamp_min(1e-9)
        best = r.abs() if best is None else torch.maximum(best, r.abs())
    return best


def supervised_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    fs: float,
    band_hz: tuple[float, float],
    max_lag: int,
    pearson_weight: float,
) -> torch.Tensor:
    """Spectral distance (Hellinger, insensitive to lag and sign) plus weighted
    (1 - lag-tolerant |Pearson r|) against the reference pulse, averaged over the batch."""
    p, pred_band = band_power(pred, fs, band_hz)
    q, target_band = band_power(target, fs, band_hz)
    spectral = 1.0 - torch.sqrt(p * q + 1e-12).sum(dim=1)
    pearson = 1.0 - lagged_pearson(pred_band, target_band, max_lag)
    return (spectral + pearson_weight * pearson).mean()


def sinc_losses(
    pred: torch.Tensor, fs: float, band_hz: tuple[float, float], width_hz: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(bandwidth, sparsity, variance), each in [0, 1]:

    - bandwidth: share of power outside ``band_hz``;
    - sparsity: share of the in-band power farther than ``width_hz`` from the in-band peak;
    - variance: squared distance between the cumulative in-band spectrum averaged over the
      batch and that of a uniform spread (an earth mover's distance), so the batch's peaks
      must spread over the band."""
    freqs, power = power_spectrum(pred, fs)
    inside = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    bandwidth = (power[:, ~inside].sum(dim=1) / power.sum(dim=1).clamp_min(1e-12)).mean()
    band, f = power[:, inside], freqs[inside]
    total = band.sum(dim=1, keepdim=True).clamp_min(1e-12)
    peak = f[band.argmax(dim=1)]
    far = (f[None, :] - peak[:, None]).abs() > width_hz
    sparsity = ((band * far).sum(dim=1, keepdim=True) / total).mean()
    mean = (band / total).mean(dim=0)
    uniform = torch.full_like(mean, 1.0 / len(mean))
    variance = ((torch.cumsum(mean, 0) - torch.cumsum(uniform, 0)) ** 2).mean()
    return bandwidth, sparsity, variance


def region_loss(mask: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """The mask (N, H, W) in (0, 1) against a teacher region (N, H, W) in [0, 1] (soft at its
    anti-aliased edges): per-pixel binary cross-entropy plus (1 - soft Dice overlap), averaged.

    The region covers a sixth of a box crop; cross-entropy alone is content to leave a
    doubtful face below 0.5 everywhere, the overlap term is not."""
    bce = torch.nn.functional.binary_cross_entropy(mask.clamp(1e-6, 1 - 1e-6), region)
    overlap = 2 * (mask * region).sum(dim=(1, 2)) / (mask.sum(dim=(1, 2)) + region.sum(dim=(1, 2)) + 1e-6)
    return bce + (1 - overlap).mean()


def resample(x: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Each clip of x (B, L, C) played ``factors`` (B,) times faster, by linear interpolation,
    cut to the shortest: (B, L', C). A clip of a 60 bpm pulse played 1.5x faster shows a 90 bpm
    one: SiNC's way to give the variance loss clips of many rates from a few people."""
    length = x.shape[1]
    out_len = int(length / float(factors.max()))
    t = torch.arange(out_len, dtype=x.dtype)[None, :] * factors[:, None]  # (B, L') source positions
    i0 = t.floor().long().clamp(max=length - 2)
    w = (t - i0).unsqueeze(-1)

    def at(i: torch.Tensor) -> torch.Tensor:
        return torch.gather(x, 1, i.unsqueeze(-1).expand(-1, -1, x.shape[2]))

    return at(i0) * (1 - w) + at(i0 + 1) * w
