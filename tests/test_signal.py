"""The signal maths on arrays with known answers."""

import numpy as np
import pytest

from rppg import signal

FS = 30.0


def sine(f_hz: float, seconds: float = 20.0, fs: float = FS, phase: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * fs)) / fs
    return np.sin(2 * np.pi * f_hz * t + phase)


@pytest.mark.parametrize("bpm", [45.0, 73.3, 119.7, 150.0, 195.0])
def test_estimate_hr_has_sub_bin_precision(bpm):
    hr, snr = signal.estimate_hr(sine(bpm / 60), FS)
    assert hr == pytest.approx(bpm, abs=0.1)
    assert snr > 10


def test_hr_outside_band_is_not_reported_as_peak():
    # A strong 0.3 Hz breathing component must not win over a weaker pulse.
    x = 3 * sine(0.3) + sine(1.5)
    hr, _ = signal.estimate_hr(x, FS, band_hz=(0.7, 3.5))
    assert hr == pytest.approx(90.0, abs=0.3)


def test_flat_signal_gives_no_hr_and_no_crash():
    assert signal.estimate_hr(np.zeros(300), FS) == (None, None)
    rgb = np.full((300, 3), 120.0)
    short = rgb[:20]  # shorter than one projection window
    for project in (signal.pos, signal.chrom, signal.green, signal.lgi, signal.omit, signal.pbv, signal.ica):
        for x in (rgb, short, np.zeros((300, 3))):
            out = project(x, FS, 1.6)
            assert out.shape == (len(x),) and np.isfinite(out).all(), project.__name__


def test_snr_falls_with_noise():
    rng = np.random.default_rng(0)
    clean = sine(1.2)
    noisy = clean + rng.normal(0, 2.0, clean.shape)
    _, snr_clean = signal.estimate_hr(clean, FS)
    _, snr_noisy = signal.estimate_hr(noisy, FS)
    assert snr_clean > snr_noisy + 10


def test_snr_counts_the_harmonic_by_hand():
    freqs = np.arange(0, 5, 0.05)
    power = np.zeros_like(freqs)
    power[np.isclose(freqs, 1.0)] = 4.0  # pulse
    power[np.isclose(freqs, 2.0)] = 2.0  # harmonic
    power[np.isclose(freqs, 3.0)] = 3.0  # noise
    spec = signal.Spectrum(freqs, power)
    assert signal.snr_db(spec, 1.0, (0.7, 3.5), 0.1) == pytest.approx(10 * np.log10(6 / 3))


def test_detrend_removes_slow_trend_and_keeps_pulse():
    t = np.arange(int(30 * FS)) / FS
    pulse = np.sin(2 * np.pi * 1.2 * t)
    trend = 5 + 0.2 * t + 0.01 * t**2
    out = signal.detrend(pulse + trend, FS, cutoff_s=4.0)
    inner = slice(60, -60)
    assert np.corrcoef(out[inner], pulse[inner])[0, 1] > 0.99
    assert abs(out.mean()) < 0.1


def test_detrend_is_linear_memory_on_long_input():
    # 10 minutes at 60 fps: a dense N x N matrix would need 10 GB.
    x = np.random.default_rng(1).normal(size=36_000)
    assert signal.detrend(x, 60.0).shape == x.shape


def test_bandpass_keeps_band_and_removes_outside():
    inside, slow, fast = sine(1.5), sine(0.15), sine(8.0)
    out = signal.bandpass(inside + slow + fast, FS, (0.7, 3.5))
    core = slice(100, -100)
    assert np.std(out[core] - inside[core]) < 0.1


def test_resample_uniform_bridges_nan_and_jitter():
    rng = np.random.default_rng(2)
    t = np.arange(300) / FS + rng.normal(0, 0.004, 300)
    t.sort()
    x = np.sin(2 * np.pi * 1.0 * t)
    x[100:105] = np.nan
    grid, y = signal.resample_uniform(t, x, FS)
    assert np.all(np.diff(grid) == pytest.approx(1 / FS))
    assert np.isfinite(y).all()
    err = np.abs(y - np.sin(2 * np.pi * grid))
    gap = (grid > t[99]) & (grid < t[105])
    assert err[~gap].max() < 0.01  # linear interpolation error of a 1 Hz sine at 30 Hz
    assert err[gap].max() < 0.2  # a straight line across the 0.2 s gap


def test_pos_and_chrom_recover_pulse_along_skin_direction():
    rng = np.random.default_rng(3)
    t = np.arange(int(20 * FS)) / FS
    wave = np.sin(2 * np.pi * 1.3 * t)
    skin = np.array([180.0, 130.0, 110.0])
    light = 1 + 0.05 * np.sin(2 * np.pi * 0.1 * t)  # brightness drift, all channels
    rgb = skin * light[:, None] * (1 + 0.003 * wave[:, None] * np.array([0.33, 0.77, 0.53]))
    rgb += rng.normal(0, 0.05, rgb.shape)
    for project in (signal.pos, signal.chrom, signal.lgi, signal.omit, signal.pbv, signal.ica):
        hr, _ = signal.estimate_hr(signal.bandpass(project(rgb, FS, 1.6), FS), FS)
        assert hr == pytest.approx(78.0, abs=0.5), project.__name__


def test_windowed_hr_follows_a_change():
    first, second = sine(1.0, 20), sine(2.0, 20)
    series = signal.windowed_hr(np.concatenate([first, second]), FS, window_s=10, hop_s=1)
    assert series.t_s[0] == pytest.approx((10 * FS - 1) / FS)
    assert series.hr_bpm[0] == pytest.approx(60, abs=0.5)
    assert series.hr_bpm[-1] == pytest.approx(120, abs=0.5)
    assert np.all(np.diff(series.t_s) == pytest.approx(1.0))


def test_frame_rate_ignores_a_dropped_frame():
    t = np.delete(np.arange(100) / 25.0, 50)
    assert signal.frame_rate(t) == pytest.approx(25.0)
