"""The mask pictures of ``rppg process --out`` (method mask): the mean face crop, region and
mask of a recording, gathered as the chain runs, and ``mask.png`` and ``mask_overlay.png``.

    pictures = MeanPictures(net); process_video(..., on_sample=pictures.add)
    write_mask_pictures(pictures, out)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rppg.apps.figures import new_figure, save_figure
from rppg.mask.align import stacked_points
from rppg.mask.net import MaskNet, load_mask_model, masked_rgb

if TYPE_CHECKING:
    from rppg.chain.trace import FrameSample
    from rppg.config import Config
    from rppg.face.stage import FaceCrop


def picture_net(cfg: Config) -> MaskNet | None:
    """The mask network the pictures and the live overlays run over the whole crop; None for
    a method without the mask."""
    from rppg.chain.methods import METHODS

    if METHODS.get(cfg.method).weighting != "mask":
        return None
    return load_mask_model(cfg.model.weights, cfg.face.region)


def whole_mask(net: MaskNet, fc: FaceCrop, size: int) -> np.ndarray:
    """The mask (size, size) in (0, 1) over the whole of a face's crop, not only inside the
    region (the chain computes it there only); its prior placed on the face's keypoints."""
    return masked_rgb(net, fc.crop[None], size, points=stacked_points([fc.points]))[1][0]


class MeanPictures:
    """The mean face crop, region and mask of a recording, for ``mask.png`` and
    ``mask_overlay.png``: fed each frame's sample as the chain makes it
    (``process_video(..., on_sample=pictures.add)``), it keeps three running sums, never
    the frames."""

    EVERY = 8
    """Every this many frames with a face go into the mean crop and region: a picture needs
    no more, and the sums cost nothing per frame in between."""

    def __init__(self, net: MaskNet | None = None) -> None:
        """``net``: the chain's mask network, to picture its weights over the whole crop (the
        chain computes them inside the region only)."""
        self.net = net
        self._sums: dict[str, np.ndarray] = {}
        self._counts: dict[str, int] = {}
        self._faces = 0

    def add(self, sample: FrameSample) -> None:
        fc = sample.face
        if fc.fallback:
            return  # framed as the box chain frames it: it would blur the mean pictures
        if fc.found:
            if self._faces % self.EVERY == 0:
                self._accumulate("crop", fc.crop)
                self._accumulate("region", fc.region)
            self._faces += 1
        if sample.mask is not None:
            self._accumulate("mask", sample.mask)
            if self.net is not None and fc.found:  # once per mask batch: a few per second
                self._accumulate("whole_mask", whole_mask(self.net, fc, sample.mask.shape[0]))

    def _accumulate(self, name: str, value: np.ndarray) -> None:
        if name not in self._sums:
            self._sums[name] = np.zeros(value.shape, np.float64)
            self._counts[name] = 0
        self._sums[name] += value
        self._counts[name] += 1

    def mean(self, name: str) -> np.ndarray | None:
        """The mean ``crop`` (s, s, 3), ``region`` (s, s), ``mask`` (s, s: inside the region,
        as the chain weighs) or ``whole_mask`` (s, s: over the whole crop); None if none came."""
        return self._sums[name] / self._counts[name] if name in self._sums else None


def write_mask_pictures(pictures: MeanPictures, out: Path) -> None:
    """The two mask pictures into ``out``, if the recording had a mask (method mask)."""
    whole = pictures.mean("whole_mask")
    mask = whole if whole is not None else pictures.mean("mask")
    if mask is None:
        return
    crop = pictures.mean("crop").astype(np.uint8)
    write_mask_images(mask, pictures.mean("region"), crop, out, whole=whole is not None)


def write_mask_images(
    mean_mask: np.ndarray, mean_region: np.ndarray, mean_crop: np.ndarray, out: Path, whole: bool = True
) -> None:
    """``mask.png`` (the mean mask as a grey image, 288 px) and ``mask_overlay.png`` (a figure:
    the mean face crop with the region's outline, and the mask weight with its colour bar);
    ``whole``: the mask is over the whole crop, else inside the region only."""
    import cv2

    mask8 = (np.clip(mean_mask, 0, 1) * 255).astype(np.uint8)
    cv2.imwrite(str(out / "mask.png"), cv2.resize(mask8, (288, 288), interpolation=cv2.INTER_NEAREST))
    save_figure(mask_figure(mean_mask, mean_region, mean_crop, whole), out / "mask_overlay.png")


def mask_figure(mean_mask: np.ndarray, mean_region: np.ndarray, mean_crop: np.ndarray, whole: bool = True):
    """The mean face crop with the skin region outlined, beside the mean mask weight with a
    colour bar from 0 to 1: over the whole crop with the region outlined (``whole``), or
    inside the region only (outside it: blank)."""
    import cv2

    size = mean_mask.shape[0]
    crop = cv2.resize(mean_crop, (size, size), interpolation=cv2.INTER_AREA)[:, :, ::-1]
    region = cv2.resize(mean_region.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    fig, (left, right) = new_figure(cols=2, size=(10, 4.6), dpi=100)
    everywhere = bool((region >= 0.5).all())  # face.region=box: no outline to draw
    left.imshow(crop, interpolation="bilinear")
    if not everywhere:
        left.contour(region, levels=[0.5], colors="white", linewidths=1.5)
    title = "mean face crop (region: all of it)" if everywhere else "mean face crop, skin region outlined"
    left.set(title=title, xticks=[], yticks=[])
    if whole:
        image = right.imshow(mean_mask, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        if not everywhere:
            right.contour(region, levels=[0.5], colors="white", linewidths=1.0, linestyles="dashed")
        title = "mask weight over the whole crop" + ("" if everywhere else " (region dashed)")
        right.set(title=title, xticks=[], yticks=[])
    else:
        right.imshow(crop.mean(axis=2), cmap="gray", interpolation="bilinear")
        shown = np.where(region >= 0.5, mean_mask, np.nan)
        image = right.imshow(shown, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        right.set(title="mask weight inside the region", xticks=[], yticks=[])
    fig.colorbar(image, ax=right, label="mask weight (0 = ignored, 1 = counts fully)")
    return fig
