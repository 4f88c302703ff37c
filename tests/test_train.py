"""Training the skin mask: the loss falls, resume continues, and the shipped weights beat a
uniform mask where non-skin regions pulse."""

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (pip install 'rppg[train]')")

from rppg import signal  # noqa: E402
from rppg.apps.train import augment, train, train_step, validate  # noqa: E402
from rppg.apps.train_data import load_crops, sample_clips  # noqa: E402
from rppg.config import Config, SignalConfig  # noqa: E402
from rppg.errors import RppgError  # noqa: E402
from rppg.io import load_dataset  # noqa: E402
from rppg.mask.net import load_arrays, load_mask_model, masked_rgb  # noqa: E402
from rppg.mask.net_torch import SkinMaskNet, normalise, pos, to_tensor, weighted_mean  # noqa: E402
from rppg.synth.layouts import write_dataset, write_recording  # noqa: E402
from rppg.synth.spec import SynthSpec  # noqa: E402

pytestmark = pytest.mark.slow  # end-to-end runs of seconds to minutes: `make check` leaves them out


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
    losses = [train_step(net, opt, clips, cfg) for _ in range(20)]
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


def test_augment_tints_each_clip_within_the_colour_gain_and_flips_its_gate_alike():
    x = torch.full((200, 2, 3, 4, 4), 0.5)
    x[..., 0] = 0.25  # the left column darker: a flip moves it right
    gate = torch.zeros(200, 2, 4, 4)
    gate[..., 0] = 1.0
    for colour in (0.15, 0.3):
        out, out_gate = augment(x, gate, np.random.default_rng(0), colour)
        pixel = out[:, :, :, 1, 1]  # (clip, frame, channel), each frame of a clip alike
        assert torch.equal(pixel[:, 0], pixel[:, 1])
        tint = (pixel[:, 0] / pixel[:, 0].mean(dim=1, keepdim=True)).numpy()  # brightness divided out
        spread = tint.max(axis=1) / tint.min(axis=1)
        assert spread.max() <= (1 + colour) / (1 - colour) + 1e-6
        assert spread.max() > (1 + colour / 2) / (1 - colour / 2)  # the range is used
        flipped = (out[:, 0, 0, 0, 3] < out[:, 0, 0, 0, 0]).numpy()
        assert 0.3 < flipped.mean() < 0.7
        assert (out_gate[:, 0, 0, 3].numpy() == flipped).all()
        assert (out_gate[:, 0, 0, 0].numpy() != flipped).all()


def test_torch_pos_equals_signal_pos_on_random_traces():
    rng = np.random.default_rng(5)
    for length, window in [(300, 48), (90, 30), (64, 64)]:
        rgb = 120 + rng.normal(0, 3, (2, length, 3)).cumsum(axis=1) * 0.1
        expected = [signal.pos(x, 30.0, SignalConfig(projection_window_s=window / 30.0)) for x in rgb]
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
    from rppg.mask.net import MaskNet

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


def test_sinc_losses_recognise_a_pulse_by_its_spectrum():
    from rppg.mask.losses import resample, sinc_losses

    fs, t = 30.0, np.arange(300) / 30.0
    rng = np.random.default_rng(0)
    rates = [1.0, 1.5, 2.0, 2.5]  # Hz, spread over the band
    pulses = torch.tensor(np.array([np.sin(2 * np.pi * f * t) for f in rates]))
    noise = torch.tensor(rng.normal(size=(4, 300)))
    band = (0.7, 3.0)
    b, s, v = (float(x) for x in sinc_losses(pulses, fs, band, 0.1))
    assert b < 0.01 and s < 0.15  # all power in band, in one peak (Hann: its lobe spills over 0.1 Hz)
    bn, sn, _ = (float(x) for x in sinc_losses(noise, fs, band, 0.1))
    assert bn > 0.6 and sn > 4 * s  # white noise: most power outside the band, no one peak
    same = torch.tensor(np.array([np.sin(2 * np.pi * 1.0 * t)] * 4))
    assert float(sinc_losses(same, fs, band, 0.1)[2]) > 5 * v  # all at one rate: spread is poor
    # Played 1.5x faster, a 1 Hz pulse peaks at 1.5 Hz.
    fast = resample(pulses[:1, :, None], torch.tensor([1.5]))[0, :, 0].numpy()
    freqs = np.fft.rfftfreq(4 * len(fast), 1 / fs)
    assert freqs[np.argmax(np.abs(np.fft.rfft(fast, 4 * len(fast))))] == pytest.approx(1.5, abs=0.03)


def test_weights_for_another_mask_input_are_refused(tmp_path):
    arrays = SkinMaskNet().arrays()
    arrays["input_version"] = np.array(1)
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(RppgError, match="input version 1.*retrain"):
        load_arrays(tmp_path / "old.npz")


def test_unsupervised_training_from_random_learns_to_skip_what_does_not_pulse(tmp_path):
    # Issue 10: the labels withheld (SiNC losses only), a mask from random weights learns to
    # leave out hair and wall that flicker below the heart-rate band, and reads held-out
    # recordings better than uniform weights and within 1 bpm of the supervised (shipped)
    # mask. Measured: MAE 0.25 (uniform 1.3, shipped 0.5). Its correlation with the skin map
    # (0.51 here, 0.39-0.53 across settings) is reported by scripts/mask_report.py, not
    # guarded: the r > 0.5 is not reached reliably.
    from rppg.apps.train import fit
    from scripts.mask_report import score

    cfg = tiny_config(unsupervised=True, epochs=6, steps_per_epoch=20, batch_clips=8, clip_s=5.0)
    cfg.face.region = "box"  # the whole crop: hair and wall are in it

    def flickering(count: int, seed: int, duration_s: float) -> list[SynthSpec]:
        rng = np.random.default_rng(seed)
        return [
            SynthSpec(
                hr_bpm=float(rng.uniform(55, 120)),
                duration_s=duration_s,
                width=160,
                height=120,
                seed=seed + i,
                distractor_amplitude=0.01,
                distractor_hz=0.25,
                skin_tone=float(rng.uniform(0.2, 1.0)),
            )
            for i in range(count)
        ]

    write_dataset(flickering(6, 31, 16.0), tmp_path / "train", "ubfc")
    write_dataset(flickering(4, 4242, 20.0), tmp_path / "test", "ubfc")
    crops = [
        load_crops(r, cfg, tmp_path / "cache", labelled=False)
        for r in load_dataset("ubfc", tmp_path / "train")
    ]
    assert all(c.pulse is None for c in crops)
    torch.manual_seed(0)  # the random start
    result = fit(
        cfg, [c.part(0, 0.65) for c in crops], [c.part(0.65, 1) for c in crops], tmp_path / "run", log=print
    )
    assert np.isnan(result.best_val_mae_bpm) and result.best_epoch > 0

    held_out = [load_crops(r, cfg, tmp_path / "cache") for r in load_dataset("ubfc", tmp_path / "test")]
    nets = {
        "uniform": None,
        "unsupervised": load_mask_model(result.weights),
        "supervised": load_mask_model(None),
    }
    mae = {name: np.mean([score(c, net, cfg)["error_bpm"] for c in held_out]) for name, net in nets.items()}
    assert mae["unsupervised"] < mae["uniform"] and mae["unsupervised"] <= mae["supervised"] + 1.0, mae


def test_rppg_train_unsupervised_adapts_the_shipped_mask_to_a_folder_of_videos(cli, tmp_path):
    videos = tmp_path / "my_videos"  # plain videos, no ground truth beside them
    for i, (bpm, seconds) in enumerate([(62.0, 16.0), (95.0, 16.0), (80.0, 8.0)]):
        spec = SynthSpec(hr_bpm=bpm, duration_s=seconds, width=160, height=120, seed=40 + i)
        video = write_recording(spec, videos, "generic", f"clip{i}")
        for side in (".csv", ".json"):  # the truth and the spec
            video.with_suffix(side).unlink()
    assert sorted(p.name for p in videos.iterdir()) == ["clip0.avi", "clip1.avi", "clip2.avi"]
    out = tmp_path / "run"
    run = cli(
        "train",
        "--unsupervised",
        "--root",
        videos,
        "--init",
        "shipped",
        "--out",
        out,
        "--set",
        "train.epochs=1",
        "--set",
        "train.steps_per_epoch=2",
        "--set",
        "train.batch_clips=2",
        "--set",
        "train.clip_s=3",
        "--set",
        "train.val_fraction=0.35",
    )
    assert run.returncode == 0, run.stderr
    assert "starting weights (shipped)" in run.stderr and "SNR" in run.stdout and "MAE" not in run.stdout
    assert (
        "clip2: its last 35% holds under 5 s of face, too short to validate on: used for training only"
        in run.stderr
    )
    log = pd.read_csv(out / "log.csv")
    assert log["val_mae_bpm"].isna().all() and np.isfinite(log["val_snr_db"]).all()
    written = load_mask_model(out / "mask_weights.npz")  # the current mask input ...
    same = np.array_equal(written.conv_w, load_mask_model(None).conv_w)
    assert same == ("the starting weights" in run.stdout)  # ... kept or trained, as the line says
    split = json.loads((out / "split.json").read_text())
    assert split["train"] == ["clip0", "clip1", "clip2"]


def test_a_bad_init_fails_before_any_video_is_read(cli, tmp_path):
    run = cli(
        "train",
        "--unsupervised",
        "--root",
        tmp_path,
        "--init",
        tmp_path / "missing.npz",
        "--out",
        tmp_path / "o",
    )
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "missing.npz: mask weights not found" in run.stderr


def test_rppg_train_folds_scores_each_subject_with_a_mask_that_never_saw_it(cli, tiny_set, tmp_path):
    # Issue 20: subject-level cross-validation; each held-out subject's figures come from a
    # mask trained (and its epoch chosen) on the other subjects only.
    out = tmp_path / "cv"
    sets = ["train.epochs=1", "train.steps_per_epoch=2", "train.batch_clips=2", "train.clip_s=3.0"]
    run = cli(
        "train", "--root", tiny_set, "--folds", "3", "--out", out, *[a for s in sets for a in ("--set", s)]
    )
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out / "folds.csv")
    subjects = sorted(s for cell in table["subjects"] for s in cell.split())
    assert len(table) == 3 and subjects == sorted({r.subject for r in load_dataset("ubfc", tiny_set)})
    for k, row in table.iterrows():
        split = json.loads((out / f"fold{k + 1}" / "split.json").read_text())
        assert split["held_out"] == row["subjects"].split()
        assert not set(split["held_out"]) & set(split["train"] + split["validation"])
        assert (out / f"fold{k + 1}" / "mask_weights.npz").is_file()
    # the held-out figures are the folds' own: mask and every pixel alike, each finite
    assert (
        np.isfinite(table[["mask_mae_bpm", "uniform_mae_bpm", "mask_snr_db", "uniform_snr_db"]]).all().all()
    )
    assert "held-out mean, mask vs every pixel alike" in run.stdout and run.stdout.count("fold ") == 3

    wrong = cli("train", "--root", tiny_set, "--folds", "4", "--out", tmp_path / "x")
    assert (
        wrong.returncode == 2
        and "--folds must be from 2 to the number of subjects (3), got 4" in wrong.stderr
    )
    wrong = cli("train", "--root", tiny_set, "--folds", "3", "--unsupervised", "--out", tmp_path / "y")
    assert wrong.returncode == 2 and "--folds needs ground truth" in wrong.stderr
