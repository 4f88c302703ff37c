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


def test_skin_map_leaves_out_what_does_not_pulse():
    from rppg.synth.appearance import BROWS, EYES, LIPS, make_look

    plain = make_look(SynthSpec())
    dressed = make_look(SynthSpec(beard=1.0, glasses=True, highlights=1.0, skin_coloured_clothes=True))
    for cx, cy, _, _ in (*EYES, *BROWS, LIPS):
        assert plain.skin[cy, cx] < 0.05  # eyes, brows and lips never pulse
    cheek, chin, rim = (104, 125), (133, 170), (EYES[0][0] + 17, EYES[0][1])
    assert plain.skin[cheek[1], cheek[0]] > 0.95
    assert dressed.skin[chin[1], chin[0]] < 0.5 * plain.skin[chin[1], chin[0]]  # beard
    assert dressed.skin[rim[1], rim[0]] < 0.2 * plain.skin[rim[1], rim[0]]  # glasses' rim
    assert dressed.specular.max() > 100 and plain.specular.max() == 0
    # Skin-coloured clothes: skin's colour, no pulse of their own, a distractor's if any.
    suit = (60, 280)
    assert plain.non_skin[suit[1], suit[0]] < 0.05 < 0.95 < dressed.non_skin[suit[1], suit[0]]
    skin_bgr = plain.photo[plain.skin > 0.95].mean(axis=0)
    assert (
        np.abs(
            dressed.photo[suit[1], suit[0]] / dressed.photo[suit[1], suit[0]].sum()
            - skin_bgr / skin_bgr.sum()
        ).max()
        < 0.03
    )
    assert dressed.skin[suit[1], suit[0]] == 0


def test_varied_looks_are_reproducible_and_varied():
    from rppg.synth.spec import mixed_specs

    a = mixed_specs(12, seed=5, looks=True)
    assert a == mixed_specs(12, seed=5, looks=True)
    assert len({s.hair_colour for s in a}) >= 4
    assert any(s.beard for s in a) and any(s.glasses for s in a) and any(s.skin_coloured_wall for s in a)
    assert mixed_specs(3, seed=5) == mixed_specs(3, seed=5, looks=False)
    assert all(s.beard == 0 and not s.glasses for s in mixed_specs(12, seed=5))
