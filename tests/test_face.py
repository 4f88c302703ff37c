"""Face detectors, tracking and cropping on synthetic frames with a known face."""

import numpy as np
import pytest

from rppg.config import FaceConfig
from rppg.face import Box, FaceTracker, crop_box, make_detector, resize_region
from rppg.synth.scene import Renderer
from rppg.synth.spec import SynthSpec


@pytest.fixture(scope="module")
def scene():
    renderer = Renderer(SynthSpec(noise_std=1.0))
    return renderer.frame(0.0), renderer.skin_map(0.0)


def skin_share_inside(box: Box, skin: np.ndarray) -> float:
    x0, y0 = int(box.x), int(box.y)
    inside = skin[y0 : y0 + int(box.h), x0 : x0 + int(box.w)].sum()
    return inside / skin.sum()


@pytest.mark.parametrize("name", ["mediapipe", "haar"])
def test_detector_finds_the_face(scene, name):
    image, skin = scene
    detector = make_detector(FaceConfig(detector=name))
    try:
        boxes = detector.detect(image)
    finally:
        detector.close()
    assert boxes, f"{name} found no face"
    assert skin_share_inside(boxes[0], skin) > 0.6


def test_tracker_detects_every_k_frames_and_reports_loss(scene):
    image, _ = scene
    calls = []

    class Counting:
        def __init__(self):
            self.inner = make_detector(FaceConfig(detector="haar"))

        def detect(self, img):
            calls.append(1)
            return self.inner.detect(img)

        def close(self):
            self.inner.close()

    cfg = FaceConfig(detect_every=5, hold_s=0.2)
    tracker = FaceTracker(Counting(), cfg)
    boxes = [tracker.update(image, i / 30) for i in range(10)]
    assert all(b is not None for b in boxes)
    assert len(calls) == 2  # frames 0 and 5
    blank = np.zeros_like(image)
    lost = [tracker.update(blank, 10 / 30 + i / 30) for i in range(12)]
    assert lost[0] is not None  # held for hold_s
    assert lost[-1] is None  # then reported lost
    tracker.reset()
    assert tracker.box is None


def test_crop_is_enlarged_square_inside_image():
    box = Box(600, 10, 60, 80)
    x0, y0, x1, y1 = crop_box(box, 1.5, 640, 480)
    assert (x1 - x0) == (y1 - y0) == 120
    assert x1 <= 640 and y0 >= 0
    crop = resize_region(np.zeros((480, 640, 3), np.uint8), (x0, y0, x1, y1), 72)
    assert crop.shape == (72, 72, 3)
