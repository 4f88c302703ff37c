"""The box mask's prior, placed by the face's keypoints (pure functions, numpy and OpenCV).

A detector box follows the head late and loosely: within it the face shifts, turns and
tilts, so a fixed map of where skin lies in the box is a blur of every pose. BlazeFace also
gives six keypoints per face (both eyes, nose tip, mouth, both ear tragions). The box mask's
prior is learned in one canonical frame, the crops it trains on warped so that their
keypoints land on :data:`CANONICAL`; on a crop as the chain cuts it, the prior is warped the
other way, onto the face's own keypoints. Where a crop has no keypoints (another detector,
no face) the prior stays as it is.

    m = to_canonical(points, size)              # (2, 3): crop pixel -> canonical pixel
    aligned = warp_to_canonical(crop, m)        # training: the crop in the canonical frame
    prior_here = prior_on_face(prior, points, CANONICAL)   # inference: the prior on this face

Points are in units of the crop's side (0..1, x then y), so they hold for any crop size.
"""

from __future__ import annotations

import cv2
import numpy as np

KEYPOINTS = 6
"""BlazeFace's keypoints, in its order: right eye, left eye, nose tip, mouth centre, right
ear tragion, left ear tragion (the subject's right and left)."""
CANONICAL = np.array(
    [[0.361, 0.38], [0.639, 0.38], [0.5, 0.54], [0.5, 0.686], [0.219, 0.45], [0.781, 0.45]],
    np.float32,
)
"""Where the keypoints lie in the canonical frame (units of the crop's side): the mean over
the real clips of ../shared/data of BlazeFace's keypoints in the box chain's crops (the box
enlarged 1.5x), made left-right symmetric."""


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares similarity (rotation, uniform scale, shift; no reflection) that maps
    points ``src`` (K, 2) onto ``dst`` (K, 2), as a (2, 3) affine matrix (Umeyama 1991).
    Closed form, no random sampling: the same points give the same matrix bit for bit."""
    s = src.astype(np.float64) @ np.array([1, 1j])
    d = dst.astype(np.float64) @ np.array([1, 1j])
    sc, dc = s - s.mean(), d - d.mean()
    a = np.vdot(sc, dc) / max(np.vdot(sc, sc).real, 1e-12)  # scale x e^(i angle)
    t = d.mean() - a * s.mean()
    return np.array([[a.real, -a.imag, t.real], [a.imag, a.real, t.imag]], np.float32)


def to_canonical(points: np.ndarray, size: int, canonical: np.ndarray = CANONICAL) -> np.ndarray | None:
    """(2, 3) matrix from pixels of a crop of side ``size`` to pixels of the canonical frame
    of that size, for the face's keypoints ``points`` (6, 2) in units of the crop's side;
    None where they are unknown (NaN). Pixel centres sit at integer coordinates (OpenCV's)."""
    if points is None or not np.isfinite(points).all():
        return None
    return similarity(points * size - 0.5, canonical * size - 0.5)


def warp_to_canonical(
    image: np.ndarray, m: np.ndarray | None, border: int = cv2.BORDER_REPLICATE
) -> np.ndarray:
    """A crop (H, W[, C]) in the canonical frame (``m`` from :func:`to_canonical`); as it is
    where ``m`` is None. Crops repeat their edge; a region map passes ``BORDER_CONSTANT`` (0
    outside the crop)."""
    if m is None:
        return image
    h, w = image.shape[:2]
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=border)


def prior_on_face(
    prior: np.ndarray, points: np.ndarray | None, canonical: np.ndarray = CANONICAL
) -> np.ndarray:
    """The canonical prior (s, s) in the frame of a crop whose keypoints are ``points`` (6, 2)
    in units of its side; the prior itself where they are unknown. Outside the canonical
    frame the prior is 0 (no skin)."""
    m = to_canonical(points, prior.shape[0], canonical)
    if m is None:
        return prior
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP  # out(p) = prior(m p)
    return cv2.warpAffine(prior, m, prior.shape[::-1], flags=flags, borderMode=cv2.BORDER_CONSTANT)


def stacked_points(points: list[np.ndarray | None]) -> np.ndarray:
    """Keypoints of several crops (each (6, 2), or None: unknown) as one array (B, 6, 2),
    NaN where unknown."""
    unknown = np.full((KEYPOINTS, 2), np.nan, np.float32)
    return np.stack([unknown if p is None else np.asarray(p, np.float32) for p in points])
