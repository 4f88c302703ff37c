"""The ``skin`` region: a face crop's skin-coloured pixels, by a fixed colour threshold."""

from __future__ import annotations

import cv2
import numpy as np

# Skin colour in OpenCV's YCrCb (Y, Cr, Cb), after Chai & Ngan (1999): wide enough for dark
# and light skin, narrow enough to drop hair, eyes and most backgrounds.
SKIN_YCRCB_LO = np.array([0, 133, 77], np.uint8)
SKIN_YCRCB_HI = np.array([255, 173, 127], np.uint8)
MIN_SKIN_FRACTION = 0.02
"""Below this share of skin-coloured pixels in a crop, the whole crop counts instead."""


def skin_pixels(crop: np.ndarray) -> np.ndarray:
    """uint8 mask (H, W), 255 where a BGR crop's pixel has skin colour."""
    return cv2.inRange(cv2.cvtColor(crop, cv2.COLOR_BGR2YCrCb), SKIN_YCRCB_LO, SKIN_YCRCB_HI)


def skin_region(crop: np.ndarray) -> np.ndarray:
    """The skin-coloured pixels of a crop as weights (H, W) in {0, 1} (all, if too few)."""
    skin = skin_pixels(crop)
    if cv2.countNonZero(skin) < MIN_SKIN_FRACTION * skin.size:
        return np.ones(skin.shape, np.float32)
    return skin.astype(np.float32) * np.float32(1 / 255)
