"""Face landmarks and the skin region they outline.

The 468-point face mesh (mediapipe's FaceMesh model, shipped in ``data/``, run by OpenCV)
gives the face oval, eyes, eyebrows and lips; the skin region is the oval shrunk towards its
centre minus the eyes, brows and lips enlarged about theirs: forehead, cheeks, nose and chin,
without hair, background, neck or clothing.

    with Landmarker.from_config(cfg.face) as lm:
        points = lm.fit(image, centre, side)            # (468, 2) frame pixels, or None
    outline = skin_outline(points, cfg.face)            # (V, 2): oval, then eyes, brows, lips
    gate = rasterize(outline, rect, 36)                 # (36, 36) in [0, 1] over the crop
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from rppg.assets import asset_path
from rppg.config import FaceConfig
from rppg.face.detect import load_tflite

MESH_MODEL = "face_landmark.tflite"
MESH_INPUT = 192
"""The mesh model's input: a square RGB image of this many pixels a side, values in [0, 1]."""

# Outlines in the face mesh's fixed topology (point indices, in order around each shape).
FACE_OVAL = [
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
]
LEFT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
RIGHT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
LEFT_BROW = [276, 283, 282, 295, 285, 336, 296, 334, 293, 300]
RIGHT_BROW = [46, 53, 52, 65, 55, 107, 66, 105, 63, 70]
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
SPOTS = {"forehead": ((151,), 0.3), "cheeks": ((205, 425, 50, 280), 0.2), "nose": ((5, 195), 0.12)}
"""Skin areas for reports (mean mask weight per area): discs about these mesh points, of
this radius in inter-ocular distances (outer eye corners 33 and 263)."""
PARTS = {"eyes": (LEFT_EYE, RIGHT_EYE), "brows": (LEFT_BROW, RIGHT_BROW), "lips": (LIPS,)}
"""Non-skin areas for reports: the mesh's own outlines, as drawn (not enlarged)."""


class Landmarker:
    """The face mesh model (mediapipe's FaceMesh, run by OpenCV's DNN module): the 468 mesh
    points of the face that fills a square image, as mediapipe's own pipeline feeds it (the
    face detector's box enlarged about 1.5x, or the last fit's oval)."""

    def __init__(self, model: str | Path | None = None, min_confidence: float = 0.5) -> None:
        self._net = load_tflite(Path(model) if model else asset_path(MESH_MODEL), "face mesh")
        self._outputs = self._net.getUnconnectedOutLayersNames()
        self.min_confidence = min_confidence

    @classmethod
    def from_config(cls, cfg: FaceConfig) -> Landmarker:
        return cls(cfg.landmark_model, cfg.min_confidence)

    def fit(self, image: np.ndarray, centre: tuple[float, float], side: float, angle: float = 0.0):
        """Mesh points (468, 2) in ``image`` pixels of the face filling the square of ``side``
        px at ``centre`` turned by ``angle`` (radians, the face's roll), or None when the
        model says the square holds no face. Parts of the square outside the image are black."""
        c, s = np.cos(angle), np.sin(angle)
        scale = side / MESH_INPUT
        # Model input pixel (u, v) -> image point: centre + R(angle) @ (scale * ((u, v) - mid)).
        to_image = np.array([[c * scale, -s * scale, 0.0], [s * scale, c * scale, 0.0]])
        mid = (MESH_INPUT - 1) / 2
        to_image[:, 2] = np.asarray(centre) - to_image[:, :2] @ (mid, mid)
        x = cv2.warpAffine(
            image, to_image, (MESH_INPUT, MESH_INPUT), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
        )
        self._net.setInput(x[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) * np.float32(1 / 255))
        outs = self._net.forward(self._outputs)
        points = next(o for o in outs if o.size == 468 * 3).reshape(468, 3)[:, :2]
        presence = 1.0 / (1.0 + np.exp(-float(next(o for o in outs if o.size == 1).ravel()[0])))
        if presence < self.min_confidence:
            return None
        return (points @ to_image[:, :2].T + to_image[:, 2]).astype(np.float32)

    def close(self) -> None:
        pass

    def __enter__(self) -> Landmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SHAPES = (FACE_OVAL, LEFT_EYE, RIGHT_EYE, LEFT_BROW, RIGHT_BROW, LIPS)
_INDEX = np.concatenate(_SHAPES)
_STARTS = np.cumsum([0] + [len(s) for s in _SHAPES])[:-1]
_SHAPE_OF = np.repeat(np.arange(len(_SHAPES)), [len(s) for s in _SHAPES])


def skin_outline(points: np.ndarray, cfg: FaceConfig) -> np.ndarray:
    """The skin region's outline (V, 2) in the points' coordinates: the face oval scaled by
    ``oval_scale`` about its centre (the region), then each eye, brow and the lips scaled by
    theirs (holes), concatenated in the order of :data:`OUTLINE_PARTS`. Linear in the points,
    so outlines of two fits can be interpolated instead of the points."""
    shapes = points[_INDEX]
    centres = np.add.reduceat(shapes, _STARTS, axis=0) / np.diff(np.append(_STARTS, len(_INDEX)))[:, None]
    scales = np.array(
        [cfg.oval_scale, cfg.eye_scale, cfg.eye_scale, cfg.brow_scale, cfg.brow_scale, cfg.lips_scale]
    )
    centre = centres[_SHAPE_OF]
    return (centre + scales[_SHAPE_OF, None] * (shapes - centre)).astype(np.float32)


OUTLINE_PARTS = tuple(zip(_STARTS, np.append(_STARTS[1:], len(_INDEX)), strict=True))
"""(start, stop) of each shape in an outline: the oval first, then the holes."""


def roll(points: np.ndarray) -> float:
    """The face's roll (radians): the angle of the line between the eyes' outer corners."""
    dx, dy = points[263] - points[33]
    return float(np.arctan2(dy, dx))


def oval_box(points: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the face oval's bounding box, in the points' pixels."""
    oval = points[FACE_OVAL]
    (x0, y0), (x1, y1) = oval.min(axis=0), oval.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


_SHIFT = 4  # fillPoly's sub-pixel bits: vertices at 1/16 px


def rasterize(outline: np.ndarray, rect: tuple[int, int, int, int], size: int) -> np.ndarray:
    """Coverage (size, size) float32 in [0, 1] of a skin outline (:func:`skin_outline`, frame
    pixels) over the crop rectangle ``rect`` resized to ``size``: anti-aliased, so edges
    count in part."""
    x0, y0, x1, y1 = rect
    scale = np.array([size / max(x1 - x0, 1), size / max(y1 - y0, 1)], np.float32) * (1 << _SHIFT)
    pts = np.round((outline - np.array([x0, y0], np.float32)) * scale).astype(np.int32)
    canvas = np.zeros((size, size), np.uint8)
    (a, b), *holes = OUTLINE_PARTS
    cv2.fillPoly(canvas, [pts[a:b]], 255, cv2.LINE_AA, _SHIFT)
    cv2.fillPoly(canvas, [pts[h0:h1] for h0, h1 in holes], 0, cv2.LINE_AA, _SHIFT)
    return canvas.astype(np.float32) * np.float32(1 / 255)


def area_maps(points: np.ndarray, rect: tuple[int, int, int, int], size: int) -> dict[str, np.ndarray]:
    """Where each of :data:`SPOTS` and :data:`PARTS` lies in a crop: {name: (size, size) bool}
    over ``rect`` resized to ``size``, from mesh points (468, 2) in frame pixels."""
    x0, y0, x1, y1 = rect
    scale = np.array([size / max(x1 - x0, 1), size / max(y1 - y0, 1)])
    local = (points - np.array([x0, y0])) * scale
    eyes = float(np.hypot(*(local[263] - local[33])))
    maps = {}
    for name, (centres, radius) in SPOTS.items():
        canvas = np.zeros((size, size), np.uint8)
        r = max(1, int(round(radius * eyes)))
        for k in centres:
            cv2.circle(canvas, tuple(int(round(v)) for v in local[k]), r, 1, -1)
        maps[name] = canvas.astype(bool)
    for name, shapes in PARTS.items():
        canvas = np.zeros((size, size), np.uint8)
        cv2.fillPoly(canvas, [np.round(local[list(s)]).astype(np.int32) for s in shapes], 1)
        maps[name] = canvas.astype(bool)
    return maps
