"""Dataset loaders on generated recordings in each real layout: ground truth on the frames'
clock, DEAP's channel and trial order, PURE's jittered timestamps."""

import json

import numpy as np
import pytest

from rppg import signal
from rppg.io import load_dataset
from rppg.synth.layouts import write_recording
from rppg.synth.scene import PulseModel, frame_times
from rppg.synth.spec import SynthSpec

LAG_S = 0.2
SMALL = dict(duration_s=8.0, width=160, height=120, noise_std=1.0, ppg_lag_s=LAG_S)


def recovered_lag(rec, spec: SynthSpec) -> float:
    """Lag (s) of the loaded ground truth behind the face's true wave, at the loaded frame
    times: what a loader that misplaces ground truth in time gets wrong."""
    with rec.frames() as src:
        t_frames = np.array([f.t_s for f in src])
    truth = rec.truth()
    fs = 1000.0
    grid = np.arange(1.0, t_frames[-1] - 1.0, 1 / fs)
    face = PulseModel(spec).wave(np.interp(grid, t_frames, frame_times(spec)))
    gt = np.interp(grid, truth.t_s, truth.ppg)
    lags = np.arange(0, int(0.6 * fs))
    corr = [np.dot(face[: len(face) - k], gt[k:]) for k in lags]
    return lags[int(np.argmax(corr))] / fs


@pytest.mark.parametrize("fmt", ["ubfc", "pure", "deap", "physrecorder", "generic"])
def test_ground_truth_lines_up_with_frames(tmp_path, fmt):
    spec = SynthSpec(hr_bpm=72, seed=4, timestamp_jitter_s=0.004 if fmt == "pure" else 0.0, **SMALL)
    if fmt == "deap":
        spec = SynthSpec(**{**spec.__dict__, "fps": 50.0})
    write_recording(spec, tmp_path, fmt)
    (rec,) = load_dataset(fmt, tmp_path)
    frame_period = 1 / spec.fps
    assert recovered_lag(rec, spec) == pytest.approx(LAG_S, abs=frame_period)


def test_pure_honours_jittered_timestamps(tmp_path):
    spec = SynthSpec(hr_bpm=80, timestamp_jitter_s=0.005, **SMALL)
    write_recording(spec, tmp_path, "pure", "03-02")
    (rec,) = load_dataset("pure", tmp_path)
    assert (rec.subject, rec.setup) == ("03", "02")
    with rec.frames() as src:
        t = np.array([f.t_s for f in src])
    truth = frame_times(spec)
    assert np.abs(t - truth).max() < 1e-6  # not index / fps
    assert np.abs(np.diff(t) - 1 / 30).max() > 0.003  # the jitter is really there


@pytest.mark.slow
def test_deap_reads_channel_38_of_the_right_experiment(tmp_path):
    # Two presented trials with different heart rates; the ratings file maps them to
    # shuffled Experiment_ids, and channel 39 carries a decoy wave.
    rates = {1: 66.0, 2: 104.0}
    for trial, bpm in rates.items():
        spec = SynthSpec(hr_bpm=bpm, seed=trial, hrv_bpm=0.5, **{**SMALL, "duration_s": 12.0})
        write_recording(spec, tmp_path, "deap", f"s01_trial{trial:02d}")
    recs = {r.name: r for r in load_dataset("deap", tmp_path)}
    assert set(recs) == {"s01_trial01", "s01_trial02"}
    for trial, bpm in rates.items():
        truth = recs[f"s01_trial{trial:02d}"].truth()
        assert truth.t_s[1] == pytest.approx(1 / 128)
        assert len(truth.t_s) == 7680  # 60 s after the 3 s baseline
        inside = truth.t_s < 12.0
        hr, _ = signal.estimate_hr(signal.bandpass(truth.ppg[inside], 128.0), 128.0)
        assert hr == pytest.approx(bpm, abs=1.5)


@pytest.mark.slow
def test_deap_frames_are_timed_at_50_fps(tmp_path):
    write_recording(SynthSpec(hr_bpm=70, **SMALL), tmp_path, "deap")
    (rec,) = load_dataset("deap", tmp_path)
    with rec.frames() as src:
        t = [f.t_s for f in src]
    assert t[50] == pytest.approx(1.0)


def test_ubfc_dataset1_gtdump(tmp_path):
    spec = SynthSpec(hr_bpm=75, **SMALL)
    folder = write_recording(spec, tmp_path, "ubfc", "after-exercise")
    from rppg.synth.scene import ground_truth

    t, ppg, hr = ground_truth(spec)
    (folder / "ground_truth.txt").unlink()
    rows = np.column_stack([t * 1000, hr, np.full_like(t, 98), ppg])
    np.savetxt(folder / "gtdump.xmp", rows, delimiter=",", fmt="%.4f")
    (rec,) = load_dataset("ubfc", tmp_path)
    assert recovered_lag(rec, spec) == pytest.approx(LAG_S, abs=1 / 30)


def test_generic_accepts_hr_only_csv(tmp_path):
    video = write_recording(SynthSpec(hr_bpm=90, **SMALL), tmp_path, "generic", "clip")
    video.with_suffix(".csv").write_text("time_s,hr_bpm\n0,90\n4,90\n8,90\n")
    (rec,) = load_dataset("generic", tmp_path)
    truth = rec.truth()
    assert truth.ppg is None and truth.hr_bpm.tolist() == [90, 90, 90]


def test_empty_root_is_a_clear_error(tmp_path):
    from rppg.errors import RppgError

    with pytest.raises(RppgError, match="no pure recordings found"):
        load_dataset("pure", tmp_path)
    with pytest.raises(RppgError, match="unknown dataset 'ubfc3'"):
        load_dataset("ubfc3", tmp_path)


def test_synth_metadata_written_beside_each_layout(tmp_path):
    folder = write_recording(SynthSpec(hr_bpm=61, **SMALL), tmp_path, "ubfc")
    assert json.loads((folder / "synth.json").read_text())["hr_bpm"] == 61


def test_synth_command_passes_lag_and_jitter_to_the_files(tmp_path):
    import subprocess
    import sys

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rppg",
            "synth",
            str(tmp_path),
            "--hr",
            "72",
            "--duration",
            "8",
            "--seed",
            "4",
            "--size",
            "160x120",
            "--noise",
            "1",
            "--format",
            "pure",
            "--lag",
            "0.25",
            "--jitter",
            "0.004",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    (rec,) = load_dataset("pure", tmp_path)
    spec = SynthSpec(
        hr_bpm=72,
        duration_s=8,
        seed=4,
        width=160,
        height=120,
        noise_std=1.0,
        ppg_lag_s=0.25,
        timestamp_jitter_s=0.004,
    )
    assert recovered_lag(rec, spec) == pytest.approx(0.25, abs=1 / 30)
    with rec.frames() as src:
        t = np.array([f.t_s for f in src])
    assert np.abs(np.diff(t) - 1 / 30).max() > 0.003  # jittered capture times
    assert np.abs(t - frame_times(spec)).max() < 1e-6
