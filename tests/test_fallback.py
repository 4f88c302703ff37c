"""``face.fallback``: where the face mesh loses a face that the detector still finds (here a
head rolled 80 degrees at once: the mesh, refitted upright, says "no face"; BlazeFace finds
it), the frame is read as the box chain reads it, weighted by the box mask, not lost."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from rppg.chain.process import process_video
from rppg.chain.trace import TraceBuilder, region_mean, splice_stand_ins
from rppg.config import Config, FaceConfig
from rppg.face.stage import FaceStage
from rppg.io.frames import Frame, FrameSource
from rppg.mask.net import load_mask_model, masked_rgb
from rppg.synth.scene import Renderer
from rppg.synth.spec import SynthSpec

ROLLED_S = (4.0, 8.0)
"""The seconds whose frames are turned (of a 12 s clip)."""
SPEC = SynthSpec(duration_s=12.0, hr_bpm=78.0, noise_std=1.0, seed=3)


class Rolled(FrameSource):
    """A synthetic recording whose frames within :data:`ROLLED_S` are turned 80 degrees."""

    name = "rolled synthetic face"

    def __init__(self, spec: SynthSpec) -> None:
        self.spec = spec
        self.nominal_fps = spec.fps

    def __iter__(self):
        for k, (t, image) in enumerate(Renderer(self.spec).frames()):
            if ROLLED_S[0] <= t < ROLLED_S[1]:
                h, w = image.shape[:2]
                image = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 80, 1.0), (w, h))
            yield Frame(k, t, image)


def with_fallback(on: bool) -> Config:
    cfg = Config()
    return replace(cfg, face=replace(cfg.face, fallback=on))


def stand_in_counter(seen: list[bool]):
    return lambda sample: seen.append(sample.face.fallback)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for on in (False, True):
        stand_ins: list[bool] = []
        result = process_video(Rolled(SPEC), "mask", with_fallback(on), on_sample=stand_in_counter(stand_ins))
        out[on] = (result, np.asarray(stand_ins))
    return out


def test_without_the_fallback_the_rolled_seconds_are_lost(runs):
    result, stand_ins = runs[False]
    assert 0.55 < result.trace.face_ratio < 0.8  # the mesh loses the rolled face (4 of 12 s)
    assert not stand_ins.any()
    assert any(w.startswith("no face at") for w in result.summary()["warnings"])


def test_the_box_chain_stands_in_where_the_mesh_lost_the_face(runs):
    result, stand_ins = runs[True]
    t = result.trace.t_s
    assert result.trace.face_ratio > 0.97
    rolled = (t >= ROLLED_S[0]) & (t < ROLLED_S[1])
    assert stand_ins[rolled].mean() > 0.9
    # outside the rolled seconds the mesh has the face (it is held hold_s after a lost fit)
    late = t[stand_ins].max() if stand_ins.any() else 0.0
    assert t[stand_ins].min() >= ROLLED_S[0] and late < ROLLED_S[1] + FaceConfig().hold_s + 0.3
    assert abs(result.hr_bpm - SPEC.hr_bpm) <= 3.0
    said = [w for w in result.summary()["warnings"] if "stood in" in w]
    assert said == [
        f"the face mesh lost the face on {stand_ins.sum()} frames, {stand_ins.mean():.0%}: "
        "the detector's box stood in (face.fallback)"
    ]


def test_a_stand_in_crop_is_weighted_by_the_box_mask():
    image = Renderer(SPEC).frame(0.0)
    with FaceStage(FaceConfig(region="box")) as stage:
        fc = replace(stage.push(Frame(0, 0.0, image)), fallback=True)
    box_mask = load_mask_model(None, "box")
    builder = TraceBuilder({"uniform"}, stand_in=box_mask)
    got = builder.push(fc).rgb["uniform"]
    assert fc.points is not None  # the box mask's prior is placed on the face's keypoints
    mask = masked_rgb(box_mask, fc.crop[None], points=fc.points[None])[1][0]
    np.testing.assert_allclose(got, region_mean(fc.crop, mask), rtol=1e-9)
    assert np.abs(got - region_mean(fc.crop, fc.region)).max() > 2.0  # not the whole box's colour


def test_live_frames_fall_back_too():
    frames = iter(Rolled(SPEC))
    with FaceStage(replace(FaceConfig(), fallback=True)) as stage:
        crops = [stage.push(f) for f in frames if f.t_s < ROLLED_S[0] + 2.0]
    upright = [c for c in crops if c.t_s < ROLLED_S[0]]
    rolled = [c for c in crops if c.t_s >= ROLLED_S[0] + FaceConfig().hold_s]
    assert all(c.found and not c.fallback for c in upright)
    assert rolled and all(c.found and c.fallback for c in rolled)


def test_a_run_of_stand_in_samples_is_scaled_onto_the_mesh_level_at_both_ends():
    mesh = np.array([[100.0, 80.0, 60.0], [100.0, 80.0, 60.0]])
    box = np.array([[110.0, 84.0, 66.0], [111.0, 85.0, 66.0], [112.0, 86.0, 66.0]])
    after = np.array([[99.0, 80.0, 61.0]])
    rgb = np.vstack([mesh, box, after, [[np.nan] * 3]])
    stood_in = np.array([False, False, True, True, True, False, False])
    out = splice_stand_ins(rgb, stood_in)
    np.testing.assert_allclose(out[2], mesh[-1])  # the run starts where the mesh left off
    np.testing.assert_allclose(out[4], after[0])  # and ends where it takes over again
    r0, r1 = mesh[-1] / box[0], after[0] / box[-1]
    np.testing.assert_allclose(out[3], box[1] * (r0 + r1) / 2)  # the ratio goes linearly in between
    np.testing.assert_array_equal(out[[0, 1, 5]], rgb[[0, 1, 5]])
    assert np.isnan(out[6]).all()


def test_a_run_with_the_mesh_on_one_side_keeps_that_sides_ratio():
    rgb = np.array([[100.0, 80.0, 60.0], [110.0, 84.0, 66.0], [121.0, 88.2, 72.6]])
    out = splice_stand_ins(rgb, np.array([False, True, True]))
    np.testing.assert_allclose(out[1:], rgb[1:] * rgb[0] / rgb[1])
    np.testing.assert_array_equal(splice_stand_ins(rgb, np.ones(3, bool)), rgb)  # no mesh: as it is


def test_the_trace_has_no_step_where_the_box_takes_over(runs):
    result, stand_ins = runs[True]
    rgb = result.trace.rgb["mask"]
    ends = np.flatnonzero(stand_ins[1:] != stand_ins[:-1]) + 1  # where the box takes over or hands back
    assert len(ends) >= 2
    steps = np.abs(rgb[ends] / rgb[ends - 1] - 1).max()
    assert steps < 0.01  # 3 % without the splice (the pulse is a few tenths of one per cent)
