"""Face detectors and the face box.

Detectors share one interface (``detect(image) -> list[Box]``) and are chosen by name from
:data:`DETECTORS`: ``blazeface`` (default: mediapipe's BlazeFace model, shipped in rppg's
``data/``, run by OpenCV), ``mediapipe`` (the same model through mediapipe's Tasks API, when
mediapipe is installed), ``haar`` (OpenCV's Haar cascade) and ``none`` (the whole frame is
the region, for pre-cropped skin video).

    with make_detector(cfg) as detector:       # cfg: FaceConfig
        boxes = detector.detect(image)         # [Box(x, y, w, h, score)], best first

Following a face between frames is :mod:`rppg.face.track`; the per-frame stage that
composes them (box -> crop) is :class:`rppg.face.stage.FaceStage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from rppg.assets import asset_path
from rppg.config import FaceConfig
from rppg.errors import RppgError
from rppg.registry import Registry
from rppg.runtime import native_stderr_silenced, quiet_native_logs


@dataclass(frozen=True)
class Box:
    """An axis-aligned face box in pixels of the image it was found in."""

    x: float
    y: float
    w: float
    h: float
    score: float = 1.0
    points: np.ndarray | None = field(default=None, compare=False)
    """The face's keypoints (6, 2) in the same pixels, where the detector gives them
    (BlazeFace: eyes, nose tip, mouth, ear tragions; see :mod:`rppg.mask.align`)."""

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def scaled(self, factor: float) -> Box:
        """The box with every coordinate multiplied (image rescaling)."""
        points = None if self.points is None else self.points * np.float32(factor)
        return Box(self.x * factor, self.y * factor, self.w * factor, self.h * factor, self.score, points)

    def shifted(self, dx: float, dy: float) -> Box:
        """The box moved by (dx, dy) pixels (a tile's detection -> the image's pixels)."""
        points = None if self.points is None else self.points + np.float32([dx, dy])
        return replace(self, x=self.x + dx, y=self.y + dy, points=points)

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0


def load_tflite(path: Path, what: str) -> cv2.dnn.Net:
    """A TFLite model read by OpenCV's DNN module; one-line errors naming the file when it is
    missing or unreadable (``what``: "face detection", "face mesh")."""
    if not path.is_file():
        raise RppgError(f"{path}: {what} model not found")
    try:
        return cv2.dnn.readNetFromTFLite(str(path))
    except (cv2.error, AttributeError) as exc:  # AttributeError: OpenCV < 4.8 reads no TFLite
        raise RppgError(f"{path}: cannot load the {what} model ({type(exc).__name__})") from None


class FaceDetector(Protocol):
    """Finds faces in a BGR uint8 image; boxes in that image's pixels, best first."""

    def detect(self, image: np.ndarray) -> list[Box]: ...

    def close(self) -> None: ...


TILE_ASPECT = 1.4
"""A frame wider (or taller) than this is searched in overlapping square tiles."""
MERGE_IOU = 0.4
"""Boxes found twice (in two overlapping tiles) are one face above this overlap."""
MERGE_INSIDE = 0.6
"""... or when this share of the smaller one lies inside the other."""


def find_faces(detector: FaceDetector, image: np.ndarray, detect_width: int) -> list[Box]:
    """Every face in ``image`` (full-resolution pixels), best first: the image reduced to
    ``detect_width``; a wide (or tall) one in overlapping square tiles instead, reduced once
    so that a tile is the size the detector takes (``tile_side``, if it says; else
    ``detect_width``), duplicates from overlapping tiles merged."""
    h, w = image.shape[:2]
    side = min(h, w)
    if max(h, w) <= TILE_ASPECT * side:
        scale = min(1.0, detect_width / w)
        return [b.scaled(1.0 / scale) for b in detector.detect(_reduced(image, scale))]
    scale = min(1.0, getattr(detector, "tile_side", detect_width) / side)
    small = _reduced(image, scale)
    sh, sw = small.shape[:2]
    tile = min(sh, sw)
    count = int(np.ceil(max(sh, sw) / tile)) + 1
    boxes: list[Box] = []
    for start in np.linspace(0, max(sh, sw) - tile, count).round().astype(int):
        x0, y0 = (start, 0) if sw >= sh else (0, start)
        for b in detector.detect(small[y0 : y0 + tile, x0 : x0 + tile]):
            boxes.append(b.shifted(x0, y0).scaled(1.0 / scale))
    return _merged(boxes)


def _reduced(image: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return image
    h, w = image.shape[:2]
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def _merged(boxes: list[Box]) -> list[Box]:
    """One box per face: a box that overlaps a better one by more than ``MERGE_IOU``, or lies
    mostly inside it (a face cut by a tile's edge, found in part), is dropped."""
    kept: list[Box] = []
    for b in sorted(boxes, key=lambda b: -b.score):
        if all(b.iou(k) <= MERGE_IOU and _inside(b, k) <= MERGE_INSIDE for k in kept):
            kept.append(b)
    return kept


def _inside(a: Box, b: Box) -> float:
    """The share of the smaller box's area that the two boxes share."""
    ix = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    return ix * iy / max(min(a.w * a.h, b.w * b.h), 1e-9)


DETECTORS: Registry[type] = Registry("face detector")


def make_detector(cfg: FaceConfig) -> FaceDetector:
    """The detector named in ``cfg.detector``, ready to use; close it when done."""
    return DETECTORS.get(cfg.detector)(cfg)


# --------------------------------------------------------------------------- detectors


DETECTOR_MODEL = "face_detection_short_range.tflite"


def mediapipe_tasks(what: str):
    """(mediapipe, BaseOptions, vision) of mediapipe's Tasks API, or a one-line error."""
    quiet_native_logs()
    try:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision
    except ImportError:
        raise RppgError(
            f"{what} needs the mediapipe package (pip install mediapipe), or use --detector blazeface"
        ) from None
    return mp, BaseOptions, vision


def mediapipe_image(mp, bgr: np.ndarray):
    """A BGR uint8 image as the ``mediapipe.Image`` (RGB) the Tasks API takes."""
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(bgr[:, :, ::-1]))


def open_task(create, options, model: Path):
    """``create(options)`` for a Tasks object reading ``model``, with its native start-up
    banner kept off stderr; a missing or unreadable model is a one-line error."""
    if not model.is_file():
        raise RppgError(f"{model}: model file not found")
    with native_stderr_silenced():
        try:
            return create(options)
        except (RuntimeError, ValueError) as exc:
            raise RppgError(f"{model}: cannot load the model ({exc})") from None


def blazeface_anchors() -> np.ndarray:
    """Centres (896, 2) of BlazeFace short-range's SSD anchors, in the 128 px input's unit
    square: a 16x16 grid with 2 anchors a cell (stride 8), then an 8x8 grid with 6 (stride
    16, three layers merged), all of unit size (mediapipe's SsdAnchorsCalculator options)."""
    centres = []
    for grid, per_cell in ((16, 2), (8, 6)):
        ys, xs = np.mgrid[0:grid, 0:grid]
        cell = np.stack([(xs.ravel() + 0.5) / grid, (ys.ravel() + 0.5) / grid], axis=1)
        centres.append(np.repeat(cell, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


KEYPOINTS = 6
"""BlazeFace's keypoints per face (eyes, nose tip, mouth, ear tragions); the same count as
:data:`rppg.mask.align.KEYPOINTS`, which the mask layer cannot import from here."""


@DETECTORS.register("blazeface")
class BlazeFaceDetector:
    """mediapipe's BlazeFace short-range face detector (model shipped in data/), run by
    OpenCV's DNN module: no mediapipe needed. The image is letterboxed to 128x128 and scaled
    to [-1, 1]; the 896 anchor outputs are decoded and merged by weighted non-maximum
    suppression, as mediapipe's own face-detection graph does."""

    INPUT = 128
    NMS_IOU = 0.3
    tile_side = INPUT
    """A wide frame's tiles are reduced to the model's input (:func:`find_faces`)."""

    def __init__(self, cfg: FaceConfig) -> None:
        self._net = load_tflite(
            Path(cfg.model_path) if cfg.model_path else asset_path(DETECTOR_MODEL), "face"
        )
        self._outputs = self._net.getUnconnectedOutLayersNames()
        self._anchors = blazeface_anchors()
        self.min_confidence = cfg.min_confidence

    def detect(self, image: np.ndarray) -> list[Box]:
        h, w = image.shape[:2]
        scale = self.INPUT / max(h, w)
        nw, nh = round(w * scale), round(h * scale)
        square = np.zeros((self.INPUT, self.INPUT, 3), np.uint8)
        ox, oy = (self.INPUT - nw) // 2, (self.INPUT - nh) // 2
        square[oy : oy + nh, ox : ox + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        x = square[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) * np.float32(2 / 255) - 1
        self._net.setInput(x)
        outs = self._net.forward(self._outputs)
        raw = next(o for o in outs if o.shape[-1] == 16).reshape(-1, 16)
        logits = next(o for o in outs if o.shape[-1] == 1).reshape(-1)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
        keep = np.flatnonzero(scores >= self.min_confidence)
        if len(keep) == 0:
            return []
        anchors = np.tile(self._anchors[keep], 1 + KEYPOINTS)
        units = raw[keep, 4:16] / self.INPUT + anchors[:, 2:]  # keypoints, unit square
        centres = raw[keep, :2] / self.INPUT + anchors[:, :2]
        sizes = raw[keep, 2:4] / self.INPUT
        rows = np.concatenate([centres - sizes / 2, centres + sizes / 2, units], axis=1)
        boxes = []
        for members, score in _weighted_nms(rows, scores[keep], self.NMS_IOU):
            # Unit square of the letterboxed input -> image pixels.
            xy = (members.reshape(-1, 2) * self.INPUT - [ox, oy]) / scale
            (bx0, by0), (bx1, by1) = xy[0], xy[1]
            points = xy[2:].astype(np.float32)
            box = Box(float(bx0), float(by0), float(bx1 - bx0), float(by1 - by0), float(score), points)
            boxes.append(box)
        return boxes

    def close(self) -> None:
        pass


def _weighted_nms(rows: np.ndarray, scores: np.ndarray, iou: float) -> list[tuple[np.ndarray, float]]:
    """Weighted non-maximum suppression (as mediapipe's): the best box and those overlapping
    it by more than ``iou`` are merged into their score-weighted mean; best first. ``rows``
    (K, 4 + C): corners (x0, y0, x1, y1), then any columns merged alike (keypoints)."""
    order = np.argsort(-scores)
    rows, scores = rows[order], scores[order]
    corners = rows[:, :4]
    out = []
    left = np.ones(len(scores), bool)
    areas = np.prod(corners[:, 2:] - corners[:, :2], axis=1)
    for i in range(len(scores)):
        if not left[i]:
            continue
        lo = np.maximum(corners[i, :2], corners[:, :2])
        hi = np.minimum(corners[i, 2:], corners[:, 2:])
        inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
        overlap = inter / (areas[i] + areas - inter + 1e-12)
        group = left & (overlap > iou)
        group[i] = True
        weights = scores[group]
        out.append(((rows[group] * weights[:, None]).sum(axis=0) / weights.sum(), float(scores[i])))
        left &= ~group
    return out


@DETECTORS.register("mediapipe")
class MediapipeDetector:
    """mediapipe's Tasks FaceDetector (BlazeFace short range, shipped in data/), IMAGE mode."""

    def __init__(self, cfg: FaceConfig) -> None:
        mp, base_options, vision = mediapipe_tasks("face detector 'mediapipe'")
        model = Path(cfg.model_path) if cfg.model_path else asset_path(DETECTOR_MODEL)
        options = vision.FaceDetectorOptions(
            base_options=base_options(model_asset_path=str(model)),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=cfg.min_confidence,
        )
        self._mp = mp
        self._detector = open_task(vision.FaceDetector.create_from_options, options, model)
        with native_stderr_silenced():  # the first call prints a TFLite banner
            self.detect(np.zeros((64, 64, 3), np.uint8))

    def detect(self, image: np.ndarray) -> list[Box]:
        result = self._detector.detect(mediapipe_image(self._mp, image))
        boxes = []
        h, w = image.shape[:2]
        for det in result.detections:
            b = det.bounding_box
            score = det.categories[0].score if det.categories else 1.0
            points = np.float32([[k.x * w, k.y * h] for k in det.keypoints or ()]).reshape(-1, 2)
            points = points if len(points) == KEYPOINTS else None
            boxes.append(Box(b.origin_x, b.origin_y, b.width, b.height, float(score), points))
        return sorted(boxes, key=lambda b: -b.score)

    def close(self) -> None:
        # Left to the garbage collector at exit, the Tasks detector can crash the process.
        if getattr(self, "_detector", None) is not None:
            self._detector.close()
            self._detector = None


@DETECTORS.register("haar")
class HaarDetector:
    """OpenCV's frontal-face Haar cascade (needs opencv < 5, which still ships it)."""

    def __init__(self, cfg: FaceConfig) -> None:
        if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
            raise RppgError("face detector 'haar' needs opencv < 5 (CascadeClassifier)")
        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise RppgError(f"{path}: cannot load the Haar cascade")

    def detect(self, image: np.ndarray) -> list[Box]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        min_side = max(24, min(gray.shape) // 8)
        found = self._cascade.detectMultiScale(gray, 1.1, 5, minSize=(min_side, min_side))
        boxes = [Box(float(x), float(y), float(w), float(h)) for x, y, w, h in found]
        return sorted(boxes, key=lambda b: -b.w * b.h)

    def close(self) -> None:
        pass


@DETECTORS.register("none")
class WholeFrame:
    """No detection: the whole frame is the region (pre-cropped skin or face video)."""

    def __init__(self, cfg: FaceConfig) -> None:
        pass

    def detect(self, image: np.ndarray) -> list[Box]:
        h, w = image.shape[:2]
        return [Box(0.0, 0.0, float(w), float(h))]

    def close(self) -> None:
        pass
