"""The signal maths on arrays with known answers."""

import numpy as np
import pytest

from rppg import signal
from rppg.config import SignalConfig

FS = 30.0


def sine(f_hz: float, seconds: float = 20.0, fs: float = FS, phase: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * fs)) / fs
    return np.sin(2 * np.pi * f_hz * t + phase)


@pytest.mark.parametrize("bpm", [45.0, 73.3, 119.7, 150.0, 175.0, 195.0])
def test_estimate_hr_has_sub_bin_precision(bpm):
    sig = SignalConfig(band_hz=(0.7, 3.5)) if bpm > 180 else None  # the default band ends at 180
    hr, snr = signal.estimate_hr(sine(bpm / 60), FS, sig)
    assert hr == pytest.approx(bpm, abs=0.1)
    assert snr > 10


def test_hr_outside_band_is_not_reported_as_peak():
    # A strong 0.3 Hz breathing component must not win over a weaker pulse.
    x = 3 * sine(0.3) + sine(1.5)
    hr, _ = signal.estimate_hr(x, FS, SignalConfig(band_hz=(0.7, 3.5)))
    assert hr == pytest.approx(90.0, abs=0.3)


def test_flat_signal_gives_no_hr_and_no_crash():
    assert signal.estimate_hr(np.zeros(300), FS) == (None, None)
    rgb = np.full((300, 3), 120.0)
    short = rgb[:20]  # shorter than one projection window
    for project in (signal.pos, signal.chrom, signal.green, signal.lgi, signal.omit, signal.pbv, signal.ica):
        for x in (rgb, short, np.zeros((300, 3))):
            out = project(x, FS)
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
        hr, _ = signal.estimate_hr(signal.bandpass(project(rgb, FS), FS), FS)
        assert hr == pytest.approx(78.0, abs=0.5), project.__name__


def test_windowed_hr_follows_a_change():
    first, second = sine(1.0, 20), sine(2.0, 20)
    series = signal.windowed_hr(np.concatenate([first, second]), FS, SignalConfig(window_s=10, hop_s=1))
    assert series.t_s[0] == pytest.approx((10 * FS - 1) / FS)
    assert series.hr_bpm[0] == pytest.approx(60, abs=0.5)
    assert series.hr_bpm[-1] == pytest.approx(120, abs=0.5)
    assert np.all(np.diff(series.t_s) == pytest.approx(1.0))


def test_frame_rate_ignores_a_dropped_frame():
    t = np.delete(np.arange(100) / 25.0, 50)
    assert signal.frame_rate(t) == pytest.approx(25.0)


def two_sources(seconds: float = 30.0):
    """RGB with a strong 1.0 Hz change in green only and a weak 2.5 Hz pulse along the skin
    direction, plus noise; and the 2.5 Hz source."""
    rng = np.random.default_rng(4)
    t = np.arange(int(seconds * FS)) / FS
    strong = np.sin(2 * np.pi * 1.0 * t)
    weak = np.sin(2 * np.pi * 2.5 * t + 0.4)
    skin = np.array([180.0, 130.0, 110.0])
    rgb = skin * (1 + 0.01 * strong[:, None] * np.array([0.0, 1.0, 0.0]))
    rgb = rgb * (1 + 0.003 * weak[:, None] * np.array([0.33, 0.77, 0.53]))
    return rgb + rng.normal(0, 0.02, rgb.shape), weak


def power_near(x: np.ndarray, f_hz: float) -> float:
    spec = signal.spectrum(x, FS)
    return float(spec.power[np.abs(spec.freqs_hz - f_hz) < 0.1].sum())


def test_chrom_follows_the_configured_band():
    rgb, weak = two_sources()
    wide_out = signal.chrom(rgb, FS, SignalConfig())
    narrow_out = signal.chrom(rgb, FS, SignalConfig(band_hz=(1.8, 3.2)))
    # With the default band the strong 1 Hz change is in the projection; with a band that
    # excludes it, the projection is the 2.5 Hz pulse alone.
    assert power_near(wide_out, 1.0) > power_near(wide_out, 2.5)
    assert power_near(narrow_out, 1.0) < 0.01 * power_near(narrow_out, 2.5)
    assert abs(np.corrcoef(narrow_out[60:-60], weak[60:-60])[0, 1]) > 0.9


def test_ica_picks_its_component_inside_the_configured_band():
    rgb, weak = two_sources()
    t = np.arange(len(rgb)) / FS
    strong = np.sin(2 * np.pi * 1.0 * t)
    for band, source in (((0.7, 1.5), strong), ((1.8, 3.2), weak)):
        out = signal.ica(rgb, FS, SignalConfig(band_hz=band))
        assert abs(np.corrcoef(out[60:-60], source[60:-60])[0, 1]) > 0.9, band


def test_window_ends_are_the_one_convention():
    # 12.5 s at 30 Hz, 10 s windows, 1 s hop: windows end at 10, 11 and 12 s.
    ends = signal.window_ends(375, FS, 10.0, 1.0)
    assert ends.tolist() == [300, 330, 360]
    series = signal.windowed_hr(sine(1.5, 12.5), FS, t0_s=2.0)
    assert series.t_s.tolist() == pytest.approx([2.0 + (e - 1) / FS for e in ends])
    assert signal.window_ends(100, FS, 10.0, 1.0).tolist() == [100]  # shorter than a window


@pytest.mark.parametrize(
    "harmonic, guarded, unguarded", [(0.8, 72.0, 72.0), (1.3, 72.0, 144.0), (2.0, 144.0, 144.0)]
)
def test_harmonic_guard_reports_the_fundamental(harmonic, guarded, unguarded):
    # A first harmonic (or a flicker at twice the rate) outgrows the pulse. The guard takes
    # f/2 when it holds at least half of f's power (harmonic amplitude up to sqrt 2); beyond
    # that only a tighter region helps (see test_process).
    rng = np.random.default_rng(1)
    x = sine(1.2, 30) + harmonic * sine(2.4, 30, phase=1.0) + 0.2 * rng.normal(size=900)
    assert signal.estimate_hr(x, FS)[0] == pytest.approx(guarded, abs=0.5)
    off = SignalConfig(harmonic_guard=False)
    assert signal.estimate_hr(x, FS, off)[0] == pytest.approx(unguarded, abs=0.5)


def test_harmonic_guard_leaves_a_lone_fast_rate_alone():
    # 140 bpm with nothing at 70: the guard must not halve a real fast heart rate.
    rng = np.random.default_rng(2)
    x = sine(140 / 60, 30) + 0.3 * rng.normal(size=900)
    assert signal.estimate_hr(x, FS)[0] == pytest.approx(140.0, abs=0.5)


def test_whole_recording_rate_is_the_median_of_the_windows():
    # 40 s at 70 bpm with 8 s of a louder 110 bpm artefact in the middle: the median of the
    # windows keeps 70; one periodogram of the whole is pulled towards the artefact's power.
    t = np.arange(int(40 * FS)) / FS
    x = np.sin(2 * np.pi * 70 / 60 * t)
    burst = (t > 16) & (t < 24)
    x[burst] += 4 * np.sin(2 * np.pi * 110 / 60 * t[burst])
    hr, _, series = signal.recording_hr(x, FS)
    assert hr == pytest.approx(70.0, abs=0.5)
    assert hr == pytest.approx(np.median(series.hr_bpm))
    periodogram, _, _ = signal.recording_hr(x, FS, SignalConfig(whole="periodogram"))
    assert periodogram == pytest.approx(110.0, abs=1.0)
