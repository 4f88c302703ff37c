"""Training the skin mask: the loss falls, resume continues, and the shipped weights beat a
uniform mask where non-skin regions pulse."""

import numpy as np
import pandas as pd
import pytest
import torch
from rppg.data import MASK_WEIGHTS, shipped_file

from rppg.config import Config
from rppg.face import FaceTracker, crop_box, make_detector
from rppg.io import load_dataset
from rppg.model import SkinMaskNet, load_mask_model, masked_rgb
from rppg.pipeline import process_video
from rppg.synth import Renderer, SynthSpec, write_dataset, write_recording
from rppg.train import load_crops, sample_clips, train, train_step
from tests.conftest import shared_or_skip


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    specs = [
        SynthSpec(hr_bpm=bpm, duration_s=8.0, width=160, height=120, seed=i, distractor_amplitude=0.01)
        for i, bpm in enumerate([65.0, 90.0, 120.0])
    ]
    write_dataset(specs, root, "ubfc")
    return root


def tiny_config(**train) -> Config:
    cfg = Config()
    cfg.train.steps_per_epoch = 2
    cfg.train.batch_clips = 2
    cfg.train.clip_s = 3.0
    cfg.train.threads = 1
    for key, value in train.items():
        setattr(cfg.train, key, value)
    return cfg


def test_loss_goes_down_on_a_fixed_batch(tiny_set, tmp_path):
    cfg = tiny_config()
    sets = [load_crops(r, cfg, tmp_path) for r in load_dataset("ubfc", tiny_set)]
    crops, pulses, fs = sample_clips(sets, 3.0, 3, np.random.default_rng(0))
    torch.manual_seed(0)
    net = SkinMaskNet()
    opt = torch.optim.AdamW(net.parameters(), lr=0.02)
    losses = [train_step(net, opt, crops, pulses, fs, cfg) for _ in range(12)]
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_resume_continues_from_the_saved_step(tiny_set, tmp_path):
    messages = []
    first = train(tiny_config(epochs=2), tmp_path, "ubfc", tiny_set, log=messages.append)
    assert first.step == 4
    state = torch.load(tmp_path / "last.pt", weights_only=False)
    assert state["epoch"] == 2 and state["step"] == 4
    resumed = train(tiny_config(epochs=3), tmp_path, "ubfc", tiny_set, resume=True, log=messages.append)
    assert any("resuming after epoch 2 (step 4" in m for m in messages)
    assert resumed.epochs_run == 1 and resumed.step == 6
    log = pd.read_csv(tmp_path / "log.csv")
    assert log["epoch"].tolist() == [1, 2, 3] and log["step"].tolist() == [2, 4, 6]
    assert (tmp_path / "curves.png").stat().st_size > 0
    assert load_mask_model(tmp_path / "mask_weights.pt") is not None


def test_same_seed_same_weights(tiny_set, tmp_path):
    a = train(tiny_config(epochs=1), tmp_path / "a", "ubfc", tiny_set, log=lambda m: None)
    b = train(tiny_config(epochs=1), tmp_path / "b", "ubfc", tiny_set, log=lambda m: None)
    wa = torch.load(a.weights, weights_only=True)
    wb = torch.load(b.weights, weights_only=True)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


# --------------------------------------------------------------------------- shipped weights

needs_weights = pytest.mark.skipif(not shipped_file(MASK_WEIGHTS).is_file(), reason="no shipped weights")


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
    cfg = Config()
    cfg.face.roi = "box"
    return cfg


@needs_weights
def test_trained_mask_beats_uniform_mask_3x_with_distractors(held_out):
    mask_err = [abs(process_video(v, method="mask").hr_bpm - bpm) for v, bpm in held_out]
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
    truth = 71.1  # oximeter, same estimator (see test_process)
    mask = process_video(folder / "video_ZIP_H264.avi", method="mask").hr_bpm
    box = process_video(folder / "video_ZIP_H264.avi", method="pos", config=box_config()).hr_bpm
    assert abs(mask - truth) <= abs(box - truth) + 0.5


def mean_mask_and_skin(spec: SynthSpec, frames: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """The learned mask and the generator's own skin map, averaged over the same face crops."""
    import cv2

    cfg = Config()
    renderer = Renderer(spec)
    net = load_mask_model()
    detector = make_detector(cfg.face)
    tracker = FaceTracker(detector, cfg.face)
    masks, skins = [], []
    for i in range(frames):
        t = i / spec.fps
        image = renderer.frame(t)
        box = tracker.update(image, t)
        x0, y0, x1, y1 = crop_box(box, cfg.face.box_scale, spec.width, spec.height)
        size = (cfg.face.crop_size, cfg.face.crop_size)
        crop = cv2.resize(image[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
        skins.append(cv2.resize(renderer.skin_map(t)[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA))
        masks.append(masked_rgb(net, crop[None])[1][0])
    detector.close()
    return np.mean(masks, axis=0), np.mean(skins, axis=0)


@needs_weights
def test_learned_mask_is_high_on_skin_low_elsewhere():
    mask, skin = mean_mask_and_skin(SynthSpec(width=320, height=240, seed=77))
    r = np.corrcoef(mask.ravel(), skin.ravel())[0, 1]
    assert r > 0.5
    assert mask[skin > 0.8].mean() > 2 * mask[skin < 0.05].mean()


def test_network_is_exactly_the_seed_architecture():
    net = SkinMaskNet()
    assert (net.conv.in_channels, net.conv.out_channels, net.conv.kernel_size, net.conv.padding) == (
        3,
        32,
        (3, 3),
        (1, 1),
    )
    assert (net.softconv.in_channels, net.softconv.out_channels, net.softconv.kernel_size) == (32, 1, (1, 1))
    x = torch.randn(2, 3, 36, 36)
    reference = torch.sigmoid(net.softconv(torch.tanh(net.conv(x))))
    assert torch.allclose(net(x), reference, atol=1e-6)
    with torch.no_grad():  # the in-place inference path
        assert torch.allclose(net(x), reference, atol=1e-6)
