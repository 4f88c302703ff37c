"""The skin-mask network (the seed idea: a 1x1 "soft" convolution as a pixel mask).

Conv2d(3, 32, 3, padding=1) -> tanh -> Conv2d(32, 1, 1) -> sigmoid gives one weight in
(0, 1) per pixel of a face crop; the frame's RGB sample is the mask-weighted mean colour.

    net = load_mask_model()                       # shipped weights
    rgb = masked_rgb(net, crops)                  # crops (B, H, W, 3) BGR uint8 -> (B, 3) RGB
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from rppg.data import MASK_WEIGHTS, shipped_file
from rppg.errors import RppgError


class SkinMaskNet(nn.Module):
    """Per-pixel skin weight of a face crop.

    Input: (B, 3, H, W) float crops normalised by :func:`normalise`. Output: (B, 1, H, W) in
    (0, 1).
    """

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, hidden, kernel_size=3, stride=1, padding=1)
        self.softconv = nn.Conv2d(hidden, 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.conv(x)
        # tanh(z) written as 2 sigmoid(2z) - 1 (identical up to rounding): torch's CPU tanh
        # is ~10x slower than its sigmoid and was half of the mask's inference time.
        if torch.is_grad_enabled():
            return torch.sigmoid(self.softconv(2.0 * torch.sigmoid(2.0 * z) - 1.0))
        # Inference: the same maths in place, sparing a 10 MB temporary per op and batch
        # (their churn through the heap made memory creep on long videos).
        return self.softconv(z.mul_(2.0).sigmoid_().mul_(2.0).sub_(1.0)).sigmoid_()


def to_tensor(crops: np.ndarray) -> torch.Tensor:
    """BGR uint8 crops (B, H, W, 3) -> RGB float tensor (B, 3, H, W) in [0, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(crops[..., ::-1]))
    return t.permute(0, 3, 1, 2).float().div_(255.0)


DARK = 0.05
"""Added to a pixel's brightness before dividing by it: the colour of near-black pixels
(noise) is pulled towards zero instead of amplified."""


def normalise(x: torch.Tensor) -> torch.Tensor:
    """Chromaticity per pixel, centred and scaled: x (B, 3, H, W) in [0, 1] -> same shape.

    Each pixel's colour divided by its brightness (r, g, b = R, G, B / (R + G + B)): skin
    keeps its chromaticity in shadow and under brighter or dimmer light, so a mask learned
    on one face and lighting carries over to others better than one fed raw intensities."""
    return 6.0 * (x / (x.sum(dim=1, keepdim=True) + DARK) - 1.0 / 3.0)


def weighted_mean(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Mask-weighted mean colour: x (B, 3, H, W), mask (B, 1, H, W) -> (B, 3).

    Dividing by the mask's sum makes the trace independent of the mask's overall scale, so
    training cannot shrink the mask to zero to fit the loss.
    """
    return (x * mask).sum(dim=(2, 3)) / (mask.sum(dim=(2, 3)) + eps)


def downscale(crops: np.ndarray, size: int) -> np.ndarray:
    """Crops (B, H, W, 3) uint8 area-averaged to (B, size, size, 3); unchanged if already so."""
    if crops.shape[1] == crops.shape[2] == size:
        return crops
    # A loop of cv2.resize is ~20x faster than a numpy block mean over the batch.
    return np.stack([cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA) for c in crops])


@torch.no_grad()
def masked_rgb(net: SkinMaskNet, crops: np.ndarray, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """RGB samples (B, 3) in [0, 255] and masks (B, s, s) for BGR uint8 crops (B, H, W, 3),
    the mask computed on crops downscaled to ``size`` (default: as given)."""
    if size is not None:
        crops = downscale(crops, size)
    x = to_tensor(crops)
    mask = net(normalise(x))
    rgb = weighted_mean(x, mask) * 255.0
    return rgb.double().numpy(), mask[:, 0].numpy()


def load_mask_model(path: str | os.PathLike | None = None) -> SkinMaskNet:
    """A :class:`SkinMaskNet` in eval mode with weights from ``path`` (default: shipped)."""
    p = Path(path) if path else shipped_file(MASK_WEIGHTS)
    if not p.is_file():
        raise RppgError(f"{p}: mask weights not found (train them with 'rppg train')")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise RppgError(f"{p}: not a mask weights file ({type(exc).__name__})") from None
    if isinstance(state, dict) and "model" in state:
        state = state["model"]  # a training checkpoint
    net = SkinMaskNet()
    try:
        net.load_state_dict(state)
    except (RuntimeError, TypeError) as exc:
        raise RppgError(f"{p}: weights do not fit the mask network ({str(exc).splitlines()[0]})") from None
    return net.eval()


def save_weights(net: SkinMaskNet, path: str | os.PathLike) -> None:
    """Write the network's weights atomically (temp file, then rename)."""
    atomic_torch_save(net.state_dict(), path)


def atomic_torch_save(obj: object, path: str | os.PathLike) -> None:
    """torch.save to a temporary file beside ``path``, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
