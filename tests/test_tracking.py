"""The rate followed across windows (rppg.signal.tracking): the path through the windows'
spectra, the live forward pass, and why: red noise below a fast pulse."""

import numpy as np
import pytest

from rppg import signal
from rppg.config import SignalConfig
from rppg.signal.tracking import OnlineTracker, follow, log_transition, rate_grid, viterbi, window_powers

FS = 30.0
SIG = SignalConfig()


def red_noise(n: int, rng, cutoff_hz: float = 1.3, gain: float = 1.0) -> np.ndarray:
    """Noise strongest at low rates (42-80 bpm), as in heavily compressed webcam video."""
    x = signal.bandpass(rng.normal(size=n), FS, (0.7, cutoff_hz), 2)
    return gain * x / x.std()


def test_viterbi_follows_a_path_through_noisy_emissions():
    rng = np.random.default_rng(0)
    states = 40
    true = (20 + 5 * np.sin(np.arange(60) / 8)).round().astype(int)
    logp = np.log(rng.uniform(0.2, 1.0, (60, states)))
    logp[np.arange(60), true] += 0.5  # the truth a little more likely than the noise
    spread = np.arange(states, dtype=float)
    logt = -0.5 * (spread[:, None] - spread[None, :]) ** 2
    path = viterbi(logp, logt)
    assert np.mean(np.abs(path - true) <= 1) > 0.9
    assert np.mean(np.argmax(logp, axis=1) == true) < 0.6  # the windows alone are not enough


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_fast_pulse_over_red_noise_is_followed_where_windows_alone_fall_below_it(seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(60 * FS)) / FS
    pulse = signal.bandpass(np.sin(2 * np.pi * (118 / 60) * t) + red_noise(len(t), rng), FS, SIG.band_hz, 3)
    alone = signal.windowed_hr(pulse, FS, SIG)  # measured: 27-67% of its windows more than 10 off
    tracked = signal.tracked_hr([pulse], FS, SIG)
    assert np.mean(np.abs(alone.hr_bpm - 118) > 10) > 0.2
    assert np.mean(np.abs(tracked.hr_bpm - 118) < 3) > 0.95
    assert len(tracked.own_bpm) == len(tracked.hr_bpm)


def test_two_projections_agreeing_beat_either_alone():
    # Each projection carries the pulse and its own noise: where they agree is the pulse.
    rng = np.random.default_rng(5)
    t = np.arange(int(40 * FS)) / FS
    pulse = 0.6 * np.sin(2 * np.pi * 1.5 * t)
    a, b = (signal.bandpass(pulse + red_noise(len(t), rng, 2.8), FS, SIG.band_hz, 3) for _ in range(2))
    both = signal.tracked_hr([a, b], FS, SIG).hr_bpm
    single = [signal.tracked_hr([x], FS, SIG).hr_bpm for x in (a, b)]
    err = lambda hr: float(np.mean(np.abs(hr - 90)))  # noqa: E731
    assert err(both) < min(err(s) for s in single)


def test_the_live_forward_pass_reads_as_offline_on_a_clean_pulse():
    t = np.arange(int(40 * FS)) / FS
    rate = 70 + 10 * t / t[-1]  # 70 -> 80 bpm
    pulse = signal.bandpass(np.sin(2 * np.pi * np.cumsum(rate / 60) / FS), FS, SIG.band_hz, 3)
    bpm = rate_grid(SIG)
    wlen = int(SIG.window_s * FS)
    ends = signal.window_ends(len(pulse), FS, SIG.window_s, SIG.hop_s)
    powers = window_powers(pulse, FS, ends, wlen, bpm, SIG)
    offline = follow([powers], bpm, SIG).hr_bpm
    live = OnlineTracker(bpm, SIG)
    online = np.array([live.push([p])[0] for p in powers])
    assert np.max(np.abs(online - offline)) < 0.5
    expected = np.interp((ends - wlen / 2) / FS, t, rate)
    assert np.max(np.abs(offline - expected)) < 1.5


def test_reset_forgets_the_track():
    bpm = rate_grid(SIG)
    live = OnlineTracker(bpm, SIG)
    at = lambda f: np.exp(-0.5 * ((bpm - f) / 2) ** 2)  # noqa: E731  a spectrum peaked at f bpm
    for _ in range(10):
        live.push([at(60.0)])
    assert abs(live.push([at(150.0) + 0.3 * at(62.0)])[0] - 62.0) < 1.0  # the prior holds it
    live.reset()
    assert abs(live.push([at(150.0) + 0.3 * at(62.0)])[0] - 150.0) < 1.0


def test_transitions_are_a_normalised_gaussian_of_the_configured_width():
    bpm = rate_grid(SIG)
    logt = log_transition(bpm, SIG)
    assert np.allclose(np.exp(logt).sum(axis=0), 1.0)
    k = len(bpm) // 2
    step = bpm[1] - bpm[0]
    one_sigma = int(round(SIG.track_bpm_per_s * SIG.hop_s / step))
    assert np.isclose(logt[k, k] - logt[k + one_sigma, k], 0.5)
