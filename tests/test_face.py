"""Face detectors, tracking and cropping on synthetic frames with a known face."""

import numpy as np
import pytest

from rppg.config import FaceConfig
from rppg.face.crop import crop_box, resize_region
from rppg.face.detect import Box, make_detector
from rppg.face.track import FaceTracker
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


@pytest.mark.parametrize("name", ["blazeface", "mediapipe", "haar"])
def test_detector_finds_the_face(scene, name):
    if name == "mediapipe":
        pytest.importorskip("mediapipe", reason="the optional mediapipe detector needs mediapipe installed")
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
    boxes = [tracker.push(image, i / 30) for i in range(10)]
    assert all(b is not None for b in boxes)
    assert len(calls) == 2  # frames 0 and 5
    blank = np.zeros_like(image)
    lost = [tracker.push(blank, 10 / 30 + i / 30) for i in range(12)]
    assert lost[0] is not None  # held for hold_s
    assert lost[-1] is None  # then reported lost
    tracker.reset()
    assert tracker.box is None


def test_blazeface_agrees_with_mediapipe(scene):
    pytest.importorskip("mediapipe", reason="the comparison needs mediapipe installed")
    image, _ = scene
    ours, theirs = (
        make_detector(FaceConfig(detector="blazeface")),
        make_detector(FaceConfig(detector="mediapipe")),
    )
    try:
        a, b = ours.detect(image)[0], theirs.detect(image)[0]
    finally:
        ours.close()
        theirs.close()
    assert a.iou(b) > 0.9 and a.score == pytest.approx(b.score, abs=0.05)


def test_crop_is_enlarged_square_inside_image():
    box = Box(600, 10, 60, 80)
    x0, y0, x1, y1 = crop_box(box, 1.5, 640, 480)
    assert (x1 - x0) == (y1 - y0) == 120
    assert x1 <= 640 and y0 >= 0
    crop = resize_region(np.zeros((480, 640, 3), np.uint8), (x0, y0, x1, y1), 72)
    assert crop.shape == (72, 72, 3)


def region_skin_share(region: str) -> tuple[float, float]:
    """(share of the region's weight on the generator's skin, share of the face's skin the
    region covers) on a synthetic frame."""
    import cv2

    from rppg.face.stage import FaceStage
    from rppg.io.frames import Frame

    renderer = Renderer(SynthSpec(noise_std=1.0, seed=2))
    with FaceStage(FaceConfig(region=region)) as stage:
        fc = stage.push(Frame(0, 0.0, renderer.frame(0.0)))
    x0, y0, x1, y1 = fc.rect
    size = fc.region.shape[0]
    skin = cv2.resize(renderer.skin_map(0.0)[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)
    on_skin = float((fc.region * skin).sum() / fc.region.sum())
    total_skin = renderer.skin_map(0.0).sum() * (size / (x1 - x0)) ** 2
    return on_skin, float((fc.region * skin).sum() / total_skin)


def test_landmark_region_is_skin_and_most_of_it():
    on_skin, coverage = region_skin_share("landmarks")
    assert on_skin > 0.9  # no hair, eyes, background
    assert coverage > 0.4  # forehead, cheeks, nose and chin: a large part of the face's skin
    box_on_skin, _ = region_skin_share("box")
    assert box_on_skin < 0.6  # the enlarged box is half background and hair
