"""The skin-mask network (the seed idea: a 1x1 "soft" convolution as a pixel mask), for
inference with numpy alone.

Conv2d(3, 32, 3, padding=1) -> tanh -> Conv2d(32, 1, 1) -> sigmoid gives one weight in
(0, 1) per pixel of a face crop; a frame's RGB sample is the mask-weighted mean colour.
Training uses the same network in torch (:mod:`rppg.model_torch`); both use the same
``.npz`` weights, and a test keeps their forward passes equal. Inference never imports torch.

    net = load_mask_model()                         # the shipped weights
    rgb, masks = masked_rgb(net, crops)             # crops (B, H, W, 3) BGR uint8 -> (B, 3) RGB
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rppg.assets import SHIPPED_MASKS, asset_path
from rppg.errors import RppgError
from rppg.mask.align import prior_on_face

DARK = 0.05
"""Added to a pixel's brightness before dividing by it: the colour of near-black pixels
(noise) is pulled towards zero instead of amplified."""
LEVEL_CLIP = 3.0
"""Relative brightness (log2) is clipped to +- this: black background and blown highlights
read as "very dark" and "very bright", not as ever larger numbers."""
INPUT_VERSION = 2
"""What the mask's input is (see :func:`normalise`); stored in weights files: 1 was
chromaticity alone, 2 adds the relative brightness. A file for another input is refused."""
WEIGHT_NAMES = ("conv.weight", "conv.bias", "softconv.weight", "softconv.bias")
"""Array names in a weights file: those of the torch module's state dict."""
WEIGHT_SHAPES = {
    "conv.weight": (32, 3, 3, 3),
    "conv.bias": (32,),
    "softconv.weight": (1, 32, 1, 1),
    "softconv.bias": (1,),
}
PRIOR = "prior"
"""Optional array of a weights file: logits (s, s) of where in the crop skin lies, learned on
box crops (``train.prior``). The network sees 3x3 pixels and their colour, so skin-coloured
neck, ears and walls look like the face's skin to it; the prior knows where the face sits in
the detector's box. The mask is the network's output times the prior's sigmoid."""
PRIOR_POINTS = "prior_points"
"""Optional array beside :data:`PRIOR`: the keypoints (6, 2) of the frame the prior was
learned in (units of the crop's side, :data:`rppg.mask.align.CANONICAL`). With it, the prior
is warped onto each crop's own keypoints where the crop has them
(:func:`rppg.mask.align.prior_on_face`); without it (older files) it is used as it is."""


@dataclass
class MaskNet:
    """The seed network's weights, evaluated with numpy on channels-last crops."""

    conv_w: np.ndarray
    """3x3 convolution as a matrix (27, 32): rows ordered (dy, dx, channel)."""
    conv_b: np.ndarray
    """(32,)"""
    soft_w: np.ndarray
    """1x1 convolution (32,)."""
    soft_b: float
    prior: np.ndarray | None = None
    """Where skin lies in a crop, (s, s) in (0, 1) (see :data:`PRIOR`); None: anywhere."""
    prior_points: np.ndarray | None = None
    """The keypoints (6, 2) of the prior's frame (see :data:`PRIOR_POINTS`); None: unplaced."""

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> MaskNet:
        """From arrays named and shaped as the torch state dict (see :data:`WEIGHT_SHAPES`)."""
        w = np.asarray(arrays["conv.weight"], np.float32)  # (out, in, dy, dx)
        return cls(
            conv_w=np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(27, -1)),
            conv_b=np.asarray(arrays["conv.bias"], np.float32),
            soft_w=np.asarray(arrays["softconv.weight"], np.float32).reshape(-1),
            soft_b=float(np.asarray(arrays["softconv.bias"]).reshape(-1)[0]),
            prior=_sigmoid(np.asarray(arrays[PRIOR], np.float32)) if PRIOR in arrays else None,
            prior_points=np.asarray(arrays[PRIOR_POINTS], np.float32) if PRIOR_POINTS in arrays else None,
        )

    def __call__(
        self, x: np.ndarray, where: np.ndarray | None = None, points: np.ndarray | None = None
    ) -> np.ndarray:
        """Masks (B, H, W) in (0, 1) of normalised crops x (B, H, W, 3) float32; with
        ``where`` (B, H, W) bool, only those pixels are computed (the rest are 0); with
        ``points`` (B, 6, 2), each crop's face keypoints (units of its side, NaN unknown),
        the prior is placed on them."""
        b, h, w, _ = x.shape
        padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        patches = sliding_window_view(padded, (3, 3), axis=(1, 2))  # (B, H, W, 3, 3, 3): c, dy, dx
        if where is None:
            cols = patches.transpose(0, 1, 2, 4, 5, 3).reshape(b * h * w, 27)
        else:
            cols = patches[where].transpose(0, 2, 3, 1).reshape(-1, 27)
        z = cols @ self.conv_w
        z += self.conv_b
        np.tanh(z, out=z)
        mask = _sigmoid(z @ self.soft_w + self.soft_b)
        if where is None:
            out = mask.reshape(b, h, w)
        else:
            out = np.zeros((b, h, w), np.float32)
            out[where] = mask
        if self.prior is not None:
            out *= self.priors(h, w, points)
        return out

    def priors(self, h: int, w: int, points: np.ndarray | None = None) -> np.ndarray:
        """The prior for crops of (h, w): (h, w), or (B, h, w) placed on each crop's keypoints
        ``points`` (B, 6, 2) when the weights say in which frame it was learned."""
        prior = self.prior_at(h, w)
        if points is None or self.prior_points is None:
            return prior
        return np.stack([prior_on_face(prior, p, self.prior_points) for p in points])

    def prior_at(self, h: int, w: int) -> np.ndarray:
        """The prior (h, w) for crops of that size (resized when they differ from its own)."""
        if self.prior.shape == (h, w):
            return self.prior
        return cv2.resize(self.prior, (w, h), interpolation=cv2.INTER_LINEAR)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # no overflow warning for large |x|


def normalise(rgb: np.ndarray) -> np.ndarray:
    """The mask's input per pixel: rgb crops (B, H, W, 3) in [0, 1] -> (B, H, W, 3): red and
    blue chromaticity (R, B over R + G + B, centred, x6) and the log2 brightness relative to
    the crop's mean (clipped to +-3).

    Chromaticity keeps skin's colour in shadow and under brighter or dimmer light, so a mask
    learned on one face and lighting carries over to others; the relative brightness lets it
    see what colour alone cannot: dark brows, beard, glasses and pupils, glints, shadows and
    their edges."""
    total = rgb.sum(axis=-1, keepdims=True) + DARK
    chroma = 6.0 * (rgb[..., ::2] / total - 1.0 / 3.0)
    level = np.clip(np.log2(total / total.mean(axis=(-3, -2), keepdims=True)), -LEVEL_CLIP, LEVEL_CLIP)
    return np.concatenate([chroma, level], axis=-1).astype(np.float32)


def downscale(crops: np.ndarray, size: int) -> np.ndarray:
    """Crops (B, H, W, 3) uint8 area-averaged to (B, size, size, 3); unchanged if already so."""
    if crops.shape[1] == crops.shape[2] == size:
        return crops
    return np.stack([cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA) for c in crops])


def masked_rgb(
    net: MaskNet,
    crops: np.ndarray,
    size: int | None = None,
    gate: np.ndarray | None = None,
    points: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """RGB samples (B, 3) in [0, 255] and masks (B, s, s) of BGR uint8 crops (B, H, W, 3).

    The mask runs on crops downscaled to ``size`` (default: as given). ``gate`` (B, s, s) in
    [0, 1], if given, multiplies the mask: the mask weights pixels inside a region only.
    ``points`` (B, 6, 2): the faces' keypoints, where the prior is placed (:meth:`MaskNet.priors`).
    The weighted mean divides by the weights' sum, so a mask's overall scale does not matter.
    """
    if size is not None:
        crops = downscale(crops, size)
        if gate is not None and gate.shape[1:] != (size, size):
            gate = np.stack([cv2.resize(g, (size, size), interpolation=cv2.INTER_AREA) for g in gate])
    rgb = crops[..., ::-1].astype(np.float32) * np.float32(1 / 255)
    masks = net(normalise(rgb), None if gate is None else gate > 0, points)  # outside the gate: not needed
    weights = masks if gate is None else masks * gate
    total = weights.sum(axis=(1, 2))
    sums = np.einsum("bhw,bhwc->bc", weights, rgb, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 255.0 * sums / total[:, None]
    out[total <= 1e-6] = np.nan  # nothing inside the gate: no sample
    return out, masks


def mask_weights_path(weights: str | os.PathLike | None, region: str = "landmarks") -> Path:
    """The weights file to use: ``weights`` if given, else the one shipped for the face
    region (``face.region``, see :data:`rppg.assets.SHIPPED_MASKS`). The one place where the
    default is resolved."""
    return Path(weights) if weights else asset_path(SHIPPED_MASKS[region])


def load_arrays(path: str | os.PathLike | None = None, region: str = "landmarks") -> dict[str, np.ndarray]:
    """Weight arrays from an ``.npz`` file (as ``rppg train`` writes them; default: those
    shipped for ``region``), checked."""
    p = mask_weights_path(path, region)
    if not p.is_file():
        raise RppgError(f"{p}: mask weights not found (train them with 'rppg train')")
    try:
        with np.load(p) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as exc:
        hint = "; use the mask_weights.npz that 'rppg train' writes" if p.suffix == ".pt" else ""
        raise RppgError(f"{p}: not a mask weights file ({type(exc).__name__}){hint}") from None
    version = int(arrays.get("input_version", 1))
    if version != INPUT_VERSION:
        raise RppgError(
            f"{p}: weights for mask input version {version}; this rppg feeds version {INPUT_VERSION} "
            "(chromaticity and brightness): retrain them with 'rppg train'"
        )
    for name, shape in WEIGHT_SHAPES.items():
        if name not in arrays or tuple(arrays[name].shape) != shape:
            got = tuple(arrays[name].shape) if name in arrays else "missing"
            raise RppgError(f"{p}: weights do not fit the mask network ({name}: {got}, need {shape})")
    prior = arrays.get(PRIOR)
    if prior is not None and (prior.ndim != 2 or prior.shape[0] != prior.shape[1]):
        raise RppgError(f"{p}: the mask's prior must be square, got {prior.shape}")
    return {k: arrays[k] for k in (*WEIGHT_NAMES, PRIOR, PRIOR_POINTS) if k in arrays}


def load_mask_model(path: str | os.PathLike | None = None, region: str = "landmarks") -> MaskNet:
    """The mask network with weights from ``path`` (default: those shipped for the face
    region ``region``)."""
    return MaskNet.from_arrays(load_arrays(path, region))
