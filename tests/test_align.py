"""The box mask's prior placed by the face's keypoints: the similarity fit, the warp, the
keypoints BlazeFace gives, and the chain's crops carrying them."""

import numpy as np
import pytest

from rppg.config import FaceConfig
from rppg.face.detect import Box, find_faces, make_detector
from rppg.mask.align import CANONICAL, prior_on_face, similarity, stacked_points, to_canonical
from rppg.mask.net import MaskNet, masked_rgb
from rppg.synth.scene import Renderer
from rppg.synth.spec import SynthSpec


def test_similarity_recovers_a_known_turn_scale_and_shift():
    angle, scale, shift = np.deg2rad(20.0), 1.3, np.array([4.0, -2.5])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = CANONICAL * 36
    dst = src @ rot.T + shift
    m = similarity(src, dst)
    np.testing.assert_allclose(m[:, :2], rot, atol=1e-5)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-4)


def blob_prior(size: int = 36) -> np.ndarray:
    """A round blob centred on the canonical nose tip (point 2)."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    cx, cy = CANONICAL[2] * size
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 20.0).astype(np.float32)


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    yy, xx = np.mgrid[0 : image.shape[0], 0 : image.shape[1]] + 0.5
    return np.array([(xx * image).sum(), (yy * image).sum()]) / image.sum()


def test_the_prior_follows_the_face_and_stays_put_without_keypoints():
    prior = blob_prior()
    np.testing.assert_allclose(prior_on_face(prior, CANONICAL.copy()), prior, atol=1e-5)
    assert prior_on_face(prior, None) is prior
    assert prior_on_face(prior, np.full((6, 2), np.nan, np.float32)) is prior
    moved = prior_on_face(prior, CANONICAL + np.float32([0.1, -0.05]))  # the face 3.6 px right, 1.8 up
    np.testing.assert_allclose(centre_of_mass(moved) - centre_of_mass(prior), [3.6, -1.8], atol=0.15)
    assert to_canonical(None, 36) is None


def test_the_mask_places_its_prior_only_when_the_weights_say_where_it_was_learned():
    rng = np.random.default_rng(0)
    weights = dict(
        conv_w=rng.normal(0, 0.3, (27, 32)).astype(np.float32),
        conv_b=np.zeros(32, np.float32),
        soft_w=rng.normal(0, 0.3, 32).astype(np.float32),
        soft_b=0.0,
        prior=blob_prior(),
    )
    crops = np.full((1, 36, 36, 3), 150, np.uint8)  # uniform: the mask is the prior's shape
    points = stacked_points([CANONICAL + np.float32([0.1, 0.0])])
    placed = masked_rgb(MaskNet(**weights, prior_points=CANONICAL.copy()), crops, points=points)[1][0]
    unplaced = masked_rgb(MaskNet(**weights), crops, points=points)[1][0]
    assert centre_of_mass(placed)[0] - centre_of_mass(unplaced)[0] == pytest.approx(3.6, abs=0.2)


@pytest.fixture(scope="module")
def face_image():
    return Renderer(SynthSpec(noise_std=1.0)).frame(0.0)


def test_blazeface_keypoints_lie_on_the_face_in_order(face_image):
    detector = make_detector(FaceConfig())
    box = detector.detect(face_image)[0]
    p = box.points
    assert p.shape == (6, 2)
    inside = (p[:, 0] > box.x) & (p[:, 0] < box.x + box.w) & (p[:, 1] > box.y) & (p[:, 1] < box.y + box.h)
    assert inside[:4].all()  # eyes, nose, mouth inside the box (ears may sit on its edge)
    assert p[0, 0] < p[2, 0] < p[1, 0]  # the right eye on the image's left, the nose between
    assert max(p[0, 1], p[1, 1]) < p[2, 1] < p[3, 1]  # eyes above the nose above the mouth
    # Found in the tiles of a wide frame (reduced, offset), the keypoints are moved and scaled
    # with the box: on the face, a few per cent of its width from where they were.
    wide = np.concatenate([np.zeros_like(face_image), face_image, np.zeros_like(face_image)], axis=1)
    tiled = find_faces(detector, wide, 640)[0]
    assert tiled.x > face_image.shape[1]
    np.testing.assert_allclose(tiled.points - [face_image.shape[1], 0], p, atol=0.08 * box.w)


def test_a_box_moves_and_scales_its_keypoints():
    box = Box(
        10, 20, 100, 120, 0.9, np.float32([[30, 40], [80, 40], [55, 70], [55, 95], [12, 60], [105, 60]])
    )
    moved = box.shifted(5, -3).scaled(0.5)
    assert (moved.x, moved.y, moved.w, moved.h) == (7.5, 8.5, 50, 60)
    np.testing.assert_allclose(moved.points, (box.points + [5, -3]) * 0.5)
    assert Box(1, 2, 3, 4).scaled(2).points is None


def test_blazeface_keypoints_agree_with_mediapipe(face_image):
    pytest.importorskip("mediapipe", reason="the comparison needs mediapipe installed")
    ours, theirs = make_detector(FaceConfig()), make_detector(FaceConfig(detector="mediapipe"))
    try:
        a, b = ours.detect(face_image)[0], theirs.detect(face_image)[0]
    finally:
        theirs.close()
    assert b.points is not None
    assert np.abs(a.points - b.points).max() < 0.03 * a.w


def test_box_crops_carry_the_keypoints_in_crop_units(face_image):
    from rppg.face.stage import FaceStage
    from rppg.io.frames import Frame

    with FaceStage(FaceConfig(region="box")) as stage:
        fc = stage.push(Frame(0, 0.0, face_image))
        box = fc.box
    x0, y0, x1, y1 = fc.rect
    np.testing.assert_allclose(fc.points * [x1 - x0, y1 - y0] + [x0, y0], box.points, atol=1e-3)
    assert ((fc.points > 0) & (fc.points < 1)).all()


def test_training_crops_are_warped_onto_the_canonical_keypoints():
    from rppg.apps.train_data import aligned_arrays

    shift = np.float32([0.1, 0.05])  # this face sits 3.6 px right and 1.8 px low of canonical
    blob = prior_on_face(blob_prior(), CANONICAL + shift)  # a region on its nose
    arrays = {
        "crops": np.repeat(np.repeat((blob * 200).astype(np.uint8)[None, :, :, None], 3, axis=3), 2, axis=0),
        "teacher": (blob * 255).astype(np.uint8)[None].repeat(2, axis=0),
        "points": stacked_points([CANONICAL + shift, None]),
    }
    out = aligned_arrays(arrays)
    nose = CANONICAL[2] * 36
    np.testing.assert_allclose(centre_of_mass(out["teacher"][0].astype(float)), nose, atol=0.3)
    np.testing.assert_allclose(centre_of_mass(out["crops"][0, :, :, 0].astype(float)), nose, atol=0.3)
    np.testing.assert_array_equal(out["teacher"][1], arrays["teacher"][1])  # no keypoints: as it was
