"""The skin-mask network and the differentiable part of the chain in torch: training only.

Inference never imports this module (see :mod:`rppg.model`); a test keeps the two forward
passes, and :func:`pos` here and :func:`rppg.signal.pos`, equal.

    net = SkinMaskNet.from_arrays(load_arrays())    # or SkinMaskNet() for random weights
    traces = clip_traces(net, x)                    # x (B, L, 3, H, W) in [0, 1] -> (B, L, 3)
    pulse = pos(traces, window=48)                  # (B, L)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from rppg.mask.align import CANONICAL
from rppg.mask.net import DARK, INPUT_VERSION, LEVEL_CLIP, PRIOR, PRIOR_POINTS, WEIGHT_NAMES

PRIOR_START = 2.0
"""Starting logit of every pixel of a learned prior (see :data:`rppg.mask.net.PRIOR`)."""


class SkinMaskNet(nn.Module):
    """Per-pixel skin weight of a face crop: (B, 3, H, W) normalised -> (B, 1, H, W) in (0, 1)."""

    def __init__(self, hidden: int = 32, prior_size: int | None = None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, hidden, kernel_size=3, stride=1, padding=1)
        self.softconv = nn.Conv2d(hidden, 1, kernel_size=1)
        if prior_size is not None:  # logits; sigmoid(2) = 0.88: it starts as "nearly anywhere"
            self.prior = nn.Parameter(torch.full((prior_size, prior_size), PRIOR_START))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # tanh(z) written as 2 sigmoid(2z) - 1 (identical up to rounding): torch's CPU tanh
        # is ~10x slower than its sigmoid.
        z = self.conv(x)
        mask = torch.sigmoid(self.softconv(2.0 * torch.sigmoid(2.0 * z) - 1.0))
        return mask * torch.sigmoid(self.prior) if hasattr(self, PRIOR) else mask

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SkinMaskNet:
        net = cls(prior_size=len(arrays[PRIOR]) if PRIOR in arrays else None)
        names = (*WEIGHT_NAMES, PRIOR) if PRIOR in arrays else WEIGHT_NAMES
        net.load_state_dict({k: torch.from_numpy(np.asarray(arrays[k], np.float32)) for k in names})
        return net

    def arrays(self) -> dict[str, np.ndarray]:
        """The weights as numpy arrays, named as in a weights file (with the input version;
        a prior with the frame it is learned in: training aligns crops that have keypoints
        to it, :func:`rppg.apps.train_data.aligned_arrays`)."""
        arrays = {k: v.detach().cpu().numpy().copy() for k, v in self.state_dict().items()}
        if hasattr(self, PRIOR):
            arrays[PRIOR_POINTS] = CANONICAL.copy()
        return arrays | {"input_version": np.array(INPUT_VERSION)}


def to_tensor(crops: np.ndarray) -> torch.Tensor:
    """BGR uint8 crops (..., H, W, 3) -> RGB float tensor (..., 3, H, W) in [0, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(crops[..., ::-1]))
    return t.movedim(-1, -3).float().div_(255.0)


def normalise(x: torch.Tensor) -> torch.Tensor:
    """The mask's input (as :func:`rppg.model.normalise`): rgb (B, 3, H, W) -> (B, 3, H, W)."""
    total = x.sum(dim=1, keepdim=True) + DARK
    chroma = 6.0 * (x[:, ::2] / total - 1.0 / 3.0)
    level = torch.log2(total / total.mean(dim=(2, 3), keepdim=True)).clamp(-LEVEL_CLIP, LEVEL_CLIP)
    return torch.cat([chroma, level], dim=1)


def weighted_mean(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Mask-weighted mean colour: x (B, 3, H, W), mask (B, 1, H, W) -> (B, 3). Dividing by
    the mask's sum keeps training from shrinking the mask to zero to fit the loss."""
    return (x * mask).sum(dim=(2, 3)) / (mask.sum(dim=(2, 3)) + eps)


def clip_traces(net: SkinMaskNet, x: torch.Tensor, gate: torch.Tensor | None = None) -> torch.Tensor:
    """Mask-weighted mean colour per frame: x (B, L, 3, H, W) in [0, 1] -> (B, L, 3);
    ``gate`` (B, L, H, W) in [0, 1], if given, multiplies the mask (the skin region)."""
    b, length = x.shape[:2]
    flat = x.reshape(b * length, *x.shape[2:])
    mask = net(normalise(flat))
    if gate is not None:
        mask = mask * gate.reshape(b * length, 1, *gate.shape[2:])
    return weighted_mean(flat, mask).reshape(b, length, 3)


def pos(rgb: torch.Tensor, window: int) -> torch.Tensor:
    """POS (Wang 2017) with overlap-add, differentiable: (B, L, 3) -> (B, L); the same
    windows, normalisation and sums as :func:`rppg.signal.pos`."""
    windows = rgb.unfold(1, window, 1)  # (B, M, 3, w)
    cn = windows / windows.mean(dim=3, keepdim=True).clamp_min(1e-9)
    s1 = cn[:, :, 1] - cn[:, :, 2]
    s2 = -2 * cn[:, :, 0] + cn[:, :, 1] + cn[:, :, 2]
    alpha = s1.std(dim=2, keepdim=True) / s2.std(dim=2, keepdim=True).clamp_min(1e-12)
    h = s1 + alpha * s2
    h = h - h.mean(dim=2, keepdim=True)
    out = torch.zeros(rgb.shape[0], rgb.shape[1], dtype=rgb.dtype)
    m = h.shape[1]
    for k in range(window):
        out[:, k : k + m] = out[:, k : k + m] + h[:, :, k]
    return out
