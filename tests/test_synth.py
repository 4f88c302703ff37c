"""The synthetic generator: its ground truth is what the video carries."""

import json

import numpy as np
import pandas as pd
import pytest

from rppg import signal
from rppg.synth.scene import PulseModel, Renderer, ground_truth
from rppg.synth.spec import SynthSpec


def test_ground_truth_rate_and_lag():
    spec = SynthSpec(hr_bpm=84, duration_s=20, ppg_lag_s=0.2, ppg_fs=64)
    t, ppg, hr = ground_truth(spec)
    assert np.diff(t) == pytest.approx(np.full(len(t) - 1, 1 / 64))
    est, _ = signal.estimate_hr(ppg, 64.0)
    assert est == pytest.approx(84, abs=1.0)
    wave = PulseModel(spec).wave(t)
    lag = np.argmax([np.dot(ppg[20:-20], np.roll(wave, k)[20:-20]) for k in range(30)])
    assert lag / 64 == pytest.approx(0.2, abs=1 / 64)


def test_skin_pixels_carry_the_wave_and_background_does_not():
    spec = SynthSpec(hr_bpm=90, duration_s=4, noise_std=0, motion_px=0, illumination_drift=0)
    r = Renderer(spec)
    skin = r.skin_map(0.0) > 0.9
    t = np.arange(0, 4, 1 / 30)
    green_skin = np.array([r.frame(x)[..., 1][skin].mean() for x in t])
    green_bg = np.array([r.frame(x)[:40, :40, 1].mean() for x in t])
    wave = r.pulse.wave(t)
    assert np.corrcoef(green_skin, wave)[0, 1] < -0.95  # more blood, darker skin
    assert green_bg.std() < 1e-6


def test_generic_layout_files(make_video):
    video = make_video(hr_bpm=66, duration_s=6, width=160, height=120, seed=9)
    table = pd.read_csv(video.with_suffix(".csv"))
    assert list(table.columns) == ["time_s", "ppg", "hr_bpm"]
    meta = json.loads(video.with_suffix(".json").read_text())
    assert meta["hr_bpm_mean"] == pytest.approx(66, abs=1.0)
