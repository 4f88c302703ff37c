"""Crop geometry: the square around a face box that the chain crops, the fast resize of
that square to the crop size (both on every frame), and keypoints in the crop's units.
"""

from __future__ import annotations

import cv2
import numpy as np

from rppg.face.detect import Box


def crop_box(box: Box, scale: float, image_w: int, image_h: int) -> tuple[int, int, int, int]:
    """Square region (x0, y0, x1, y1) of side ``scale`` x the box's longer side, centred on
    the box and moved (or shrunk) to lie inside the image."""
    side = min(max(box.w, box.h) * scale, image_w, image_h)
    cx, cy = box.center
    x0 = int(round(min(max(cx - side / 2, 0), image_w - side)))
    y0 = int(round(min(max(cy - side / 2, 0), image_h - side)))
    s = int(round(side))
    return x0, y0, min(x0 + s, image_w), min(y0 + s, image_h)


def crop_points(points: np.ndarray | None, rect: tuple[int, int, int, int]) -> np.ndarray | None:
    """Keypoints (K, 2) in frame pixels -> units of the crop rectangle (x0, y0, x1, y1)'s
    sides (0..1 inside it), float32; None stays None."""
    if points is None:
        return None
    x0, y0, x1, y1 = rect
    return ((points - np.float32([x0, y0])) / np.float32([x1 - x0, y1 - y0])).astype(np.float32)


def resize_region(image: np.ndarray, rect: tuple[int, int, int, int], size: int) -> np.ndarray:
    """The rectangle (x0, y0, x1, y1) of a BGR image resized to (size, size, 3), uint8.

    Larger regions go bilinearly to twice the size, then area-averaged 2x2: within a grey
    level of a direct area resize, at a sixth of its cost (OpenCV's area resize is slow for
    non-integer factors, and this runs on every frame)."""
    x0, y0, x1, y1 = rect
    region = image[y0:y1, x0:x1]
    if x1 - x0 == size and y1 - y0 == size:
        return region.copy()
    if min(x1 - x0, y1 - y0) > 2 * size:
        region = cv2.resize(region, (2 * size, 2 * size), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(region, (size, size), interpolation=cv2.INTER_AREA)
