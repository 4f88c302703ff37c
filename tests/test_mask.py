"""The shipped skin mask at inference (numpy only, no torch): it beats a uniform weighting
where non-skin regions pulse, and it is high on skin, low elsewhere."""

import numpy as np
import pytest

from rppg.assets import MASK_WEIGHTS, asset_path
from rppg.config import Config
from rppg.pipeline import process_video
from rppg.synth.layouts import write_recording
from rppg.synth.spec import SynthSpec
from scripts.mask_report import mean_mask_and_skin
from tests.conftest import PHYSRECORDER_HR_BPM, shared_or_skip

needs_weights = pytest.mark.skipif(not asset_path(MASK_WEIGHTS).is_file(), reason="no shipped weights")


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    """Recordings never seen in training (other seeds) where hair and wall pulse too."""
    root = tmp_path_factory.mktemp("heldout")
    paths = []
    for i, bpm in enumerate([58.0, 84.0, 112.0]):
        spec = SynthSpec(hr_bpm=bpm, duration_s=20.0, width=320, height=240, seed=900 + i,
                         distractor_amplitude=0.012, skin_tone=[1.0, 0.7, 0.5][i])  # fmt: skip
        paths.append((write_recording(spec, root / f"r{i}", "generic"), bpm))
    return paths


def box_config() -> Config:
    """The whole crop (the detected box enlarged) as the region: where the mask must do the
    separating of skin from hair and wall that the landmark region otherwise does."""
    cfg = Config()
    cfg.face.region = "box"
    return cfg


@needs_weights
def test_trained_mask_beats_uniform_mask_3x_with_distractors(held_out):
    mask_err = [abs(process_video(v, method="mask", config=box_config()).hr_bpm - bpm) for v, bpm in held_out]
    box_err = [abs(process_video(v, method="pos", config=box_config()).hr_bpm - bpm) for v, bpm in held_out]
    assert np.mean(mask_err) * 3 <= np.mean(box_err)
    assert np.mean(mask_err) < 2.0


@needs_weights
def test_trained_mask_no_worse_than_box_on_clean_video(make_video):
    video = make_video(hr_bpm=75.0, duration_s=20.0, width=320, height=240, seed=21)
    mask = process_video(video, method="mask").hr_bpm
    box = process_video(video, method="pos", config=box_config()).hr_bpm
    assert abs(mask - 75.0) <= abs(box - 75.0) + 0.5


@needs_weights
def test_trained_mask_no_worse_than_box_on_real_clip():
    folder = shared_or_skip("physrecorder_v01")
    truth = PHYSRECORDER_HR_BPM
    mask = process_video(folder / "video_ZIP_H264.avi", method="mask").hr_bpm
    box = process_video(folder / "video_ZIP_H264.avi", method="pos", config=box_config()).hr_bpm
    assert abs(mask - truth) <= abs(box - truth) + 0.5


@needs_weights
def test_learned_mask_is_high_on_skin_low_elsewhere():
    mask, skin = mean_mask_and_skin(SynthSpec(width=320, height=240, seed=77), frames=30, cfg=box_config())
    r = np.corrcoef(mask.ravel(), skin.ravel())[0, 1]
    assert r > 0.5
    assert mask[skin > 0.8].mean() > 2 * mask[skin < 0.05].mean()
