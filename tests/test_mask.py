"""The shipped skin mask at inference (numpy only, no torch): inside the landmark region it
reads through pulsing hair and wall, it raises the real clip's pulse SNR over uniform weights,
and on a real face it is high on skin, low on eyes and brows."""

import numpy as np
import pytest

from rppg.assets import MASK_WEIGHTS, asset_path
from rppg.chain.process import process_video
from rppg.config import Config
from rppg.mask.net import load_mask_model
from rppg.synth.layouts import write_recording
from rppg.synth.spec import SynthSpec
from tests.conftest import PHYSRECORDER_HR_BPM, shared_or_skip

needs_weights = pytest.mark.skipif(not asset_path(MASK_WEIGHTS).is_file(), reason="no shipped weights")


pytestmark = pytest.mark.slow  # end-to-end runs of seconds to minutes: `make check` leaves them out


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    """Recordings never seen in training (other seeds) where hair and wall pulse too."""
    root = tmp_path_factory.mktemp("heldout")
    paths = []
    for i, bpm in enumerate([58.0, 84.0, 112.0]):
        spec = SynthSpec(
            hr_bpm=bpm,
            duration_s=20.0,
            width=320,
            height=240,
            seed=900 + i,
            distractor_amplitude=0.012,
            skin_tone=[1.0, 0.7, 0.5][i],
        )
        paths.append((write_recording(spec, root / f"r{i}", "generic"), bpm))
    return paths


def box_config() -> Config:
    """The whole crop (the detected box enlarged) as the region: where the mask must do the
    separating of skin from hair and wall that the landmark region otherwise does."""
    cfg = Config()
    cfg.face.region = "box"
    return cfg


@needs_weights
def test_mask_in_the_landmark_region_reads_through_pulsing_hair_and_wall(held_out):
    # The shipped mask is trained inside the face oval: leaving out hair and wall is the
    # region's job (in the whole box, face.region=box, it reads their flicker like uniform
    # weights do: 36 bpm off on these recordings).
    errors = [abs(process_video(v, method="mask").hr_bpm - bpm) for v, bpm in held_out]
    assert max(errors) < 2.0
    box = [abs(process_video(v, method="pos", config=box_config()).hr_bpm - bpm) for v, bpm in held_out]
    assert min(box) > 10.0  # the flicker is strong enough to fool a box


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
def test_learned_mask_weights_skin_above_eyes_and_brows_on_a_real_face():
    # Issue 10: on the real webcam clip the mean mask (over the whole crop) is high on cheeks,
    # forehead and nose and low on eyes and brows. Measured: 0.66/0.70/0.90 against 0.11/0.21
    # (lips 0.45: not low; reported as missed).
    from rppg.io import load_dataset
    from scripts.mask_report import area_weights

    rec = load_dataset("physrecorder", shared_or_skip("physrecorder_v01"))[0]
    means = area_weights(rec, {"shipped": load_mask_model(None)}, Config())["shipped"]
    skin = min(means["forehead"], means["cheeks"], means["nose"])
    assert skin > 0.5 and skin > 2.5 * max(means["eyes"], means["brows"]), means


@needs_weights
@pytest.mark.xfail(
    strict=True,
    reason="missed since POS and PBV agree (issue 19): `rppg process` reads the real clip at 1.34 dB "
    "with the shipped mask against 2.35 dB for the same chain with every pixel alike (method agree); "
    "with POS alone it was 2.13 against 1.19",
)
def test_mask_raises_the_real_clips_pulse_snr_over_uniform_weights_in_the_same_region():
    video = shared_or_skip("physrecorder_v01") / "video_ZIP_H264.avi"
    mask, uniform = (
        process_video(video, method=m) for m in ("mask", "agree")
    )  # the same chain but the weights
    assert abs(mask.hr_bpm - PHYSRECORDER_HR_BPM) <= abs(uniform.hr_bpm - PHYSRECORDER_HR_BPM) + 0.1
    assert mask.snr_db >= uniform.snr_db + 0.5


def test_mask_pictures_show_the_whole_crop(short_video):
    # Issue 20: the pictures show the mask over the whole crop (hair, eyes and background
    # included), not only inside the region where the chain weighs pixels.
    from rppg.apps.mask_pictures import MeanPictures

    pictures = MeanPictures(load_mask_model())
    process_video(short_video, on_sample=pictures.add)
    inside = pictures.mean("region") >= 0.5
    chain, whole = pictures.mean("mask"), pictures.mean("whole_mask")
    assert chain.shape == whole.shape == inside.shape
    outside = pictures.mean("region") < 0.05
    assert whole[outside].mean() > 0.05 and np.ptp(whole[outside]) > 0.3  # the picture: all of it
    assert chain[outside].mean() < 0.2 * whole[outside].mean()  # the chain: the region only
    # inside the region both are the same network on the same pixels
    assert abs(whole[inside].mean() - chain[inside].mean()) < 0.1
