"""Training the skin mask: the loss falls, resume continues, and the shipped weights beat a
uniform mask where non-skin regions pulse."""

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (pip install 'rppg[train]')")

from rppg import signal  # noqa: E402
from rppg.config import Config  # noqa: E402
from rppg.errors import RppgError  # noqa: E402
from rppg.io import load_dataset  # noqa: E402
from rppg.model import load_arrays, load_mask_model, masked_rgb  # noqa: E402
from rppg.model_torch import SkinMaskNet, normalise, pos, to_tensor, weighted_mean  # noqa: E402
from rppg.synth.layouts import write_dataset  # noqa: E402
from rppg.synth.spec import SynthSpec  # noqa: E402
from rppg.train import load_crops, sample_clips, train, train_step, validate  # noqa: E402


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
    cfg.face.region = "box"  # the whole crop: hair and wall pulse too, the mask must learn to skip them
    sets = [load_crops(r, cfg, tmp_path) for r in load_dataset("ubfc", tiny_set)]
    clips = sample_clips(sets, 3.0, 3, np.random.default_rng(0))
    torch.manual_seed(0)
    net = SkinMaskNet()
    opt = torch.optim.AdamW(net.parameters(), lr=0.02)
    losses = [train_step(net, opt, clips, cfg) for _ in range(12)]
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
    # The weights written are the best epoch's: validated again, they give its logged MAE.
    cfg = tiny_config()
    recs = [
        r
        for r in load_dataset("ubfc", tiny_set)
        if r.subject in json.loads((tmp_path / "split.json").read_text())["validation"]
    ]
    val = [load_crops(r, cfg, tmp_path / "crops") for r in recs]
    mae, _ = validate(load_mask_model(resumed.weights), val, cfg)
    assert mae == pytest.approx(resumed.best_val_mae_bpm, abs=1e-9)
    assert np.isclose(log["val_mae_bpm"], mae, atol=1e-3).any()  # an epoch's logged figure
    assert round(mae, 1) == round(log["val_mae_bpm"].min(), 1)  # the best (to 0.1 bpm; then SNR)


def test_sample_clips_says_when_no_clip_fits(tiny_set, tmp_path):
    cfg = tiny_config()
    sets = [load_crops(r, cfg, tmp_path) for r in load_dataset("ubfc", tiny_set)]
    with pytest.raises(RppgError, match="no recording has 9 s with a face in every frame"):
        sample_clips(sets, 9.0, 2, np.random.default_rng(0))  # the recordings last 8 s
    sets[0].face[:] = False
    sets[1].face[::30] = False
    clips = sample_clips(sets, 3.0, 20, np.random.default_rng(0))
    assert clips.crops.shape[0] == 20 and clips.regions.shape == clips.crops.shape[:4]
    # Every clip comes from the one recording with a face throughout (its pulse is in there).
    windows = np.lib.stride_tricks.sliding_window_view(sets[2].pulse, clips.pulses.shape[1])
    assert all((windows == p).all(axis=1).any() for p in clips.pulses)


def test_same_seed_same_weights(tiny_set, tmp_path):
    a = train(tiny_config(epochs=1), tmp_path / "a", "ubfc", tiny_set, log=lambda m: None)
    b = train(tiny_config(epochs=1), tmp_path / "b", "ubfc", tiny_set, log=lambda m: None)
    wa, wb = load_arrays(a.weights), load_arrays(b.weights)
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)


def test_torch_pos_equals_signal_pos_on_random_traces():
    rng = np.random.default_rng(5)
    for length, window in [(300, 48), (90, 30), (64, 64)]:
        rgb = 120 + rng.normal(0, 3, (2, length, 3)).cumsum(axis=1) * 0.1
        expected = [signal.pos(x, 30.0, signal.SignalConfig(projection_window_s=window / 30.0)) for x in rgb]
        got = pos(torch.from_numpy(rgb), window).numpy()
        assert np.abs(got - np.array(expected)).max() < 1e-9


@pytest.mark.parametrize("weights", ["random", "shipped"])
def test_numpy_and_torch_forward_passes_agree(weights):
    if weights == "shipped":
        net = SkinMaskNet.from_arrays(load_arrays())
    else:
        torch.manual_seed(3)
        net = SkinMaskNet()
    crops = np.random.default_rng(1).integers(0, 256, (6, 36, 36, 3), dtype=np.uint8)
    rgb, masks = masked_rgb(load_mask_model_from(net), crops)
    x = to_tensor(crops)
    with torch.no_grad():
        m = net(normalise(x))
        expected_rgb = (weighted_mean(x, m) * 255).numpy()
    assert np.abs(masks - m[:, 0].numpy()).max() < 1e-5
    assert np.abs(rgb - expected_rgb).max() < 1e-3  # 1e-5 of the 0-255 range


def load_mask_model_from(net: SkinMaskNet):
    from rppg.model import MaskNet

    return MaskNet.from_arrays(net.arrays())


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
