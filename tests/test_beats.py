"""Beats, HRV, respiration and the exports other tools read."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from rppg.chain.process import process_video
from rppg.signal.beats import detect_beats, match_beats, refine_peak
from rppg.signal.hrv import good_stretch, hrv_values, report_hrv
from rppg.synth.layouts import write_recording
from rppg.synth.scene import PulseModel
from rppg.synth.spec import beats_spec
from tests.conftest import shared_or_skip

pytestmark = pytest.mark.slow  # end-to-end runs of seconds to minutes: `make check` leaves them out

FS = 30.0


def test_refine_peak_finds_the_vertex_between_samples():
    x = -((np.arange(10) - 4.3) ** 2)
    assert refine_peak(x, 4) == pytest.approx(4.3)


def test_beats_of_a_clean_pulse_within_a_few_ms():
    # A PPG-like wave (fast upstroke, slow decay) with jittered beats, upside down as POS gives it.
    rng = np.random.default_rng(0)
    beats = np.cumsum(0.8 + rng.normal(0, 0.04, 70))
    t = np.arange(0, beats[-1] + 1, 1 / FS)
    phase = np.interp(t, beats, np.arange(len(beats)))
    u = np.mod(phase, 1)
    wave = np.exp(-0.5 * ((u - 0.15) / 0.07) ** 2) + 0.4 * np.exp(-0.5 * ((u - 0.45) / 0.1) ** 2)
    from rppg.signal import bandpass

    found = detect_beats(bandpass(-wave, FS, (0.7, 4.0)), FS)
    truth = np.interp(np.arange(len(beats)) + 0.15, np.arange(len(beats)), beats)
    m = match_beats(found.t_s, truth[(truth > 1) & (truth < t[-1] - 1)])
    assert m["matched"] > 0.97 and m["ibi_mae_ms"] < 8 and abs(m["lag_s"]) < 0.03


def test_hrv_values_by_hand():
    ibi = np.array([np.nan, 800.0, 860.0, 790.0, 850.0])
    v = hrv_values(ibi)
    diffs = np.array([60.0, -70.0, 60.0])
    assert v["rmssd_ms"] == pytest.approx(np.sqrt(np.mean(diffs**2)))
    assert v["sdnn_ms"] == pytest.approx(np.std([800, 860, 790, 850], ddof=1))
    assert v["pnn50"] == pytest.approx(1.0) and v["mean_hr_bpm"] == pytest.approx(60000 / 825)


def test_hrv_is_null_with_a_reason_unless_a_long_good_stretch():
    ends = np.arange(10.0, 81.0)  # 10 s windows ending every second, 0-80 s
    labels = ["good"] * 40 + ["poor"] * 5 + ["good"] * 26
    assert good_stretch(ends, labels, 10.0) == (0.0, 49.0)
    from rppg.signal.beats import Beats

    t = np.arange(0.5, 80, 0.8)
    beats = Beats(
        t, np.concatenate([[np.nan], np.full(len(t) - 1, 800.0)]), ["good"] * len(t), np.ones(len(t), bool)
    )
    short = report_hrv(beats, ends, labels, 10.0)
    assert (
        short.rmssd_ms is None and short.quality == "none" and "longest good stretch is 49 s" in short.reason
    )
    full = report_hrv(beats, ends, ["good"] * len(ends), 10.0)
    assert full.quality == "good" and full.rmssd_ms == pytest.approx(0.0) and full.reason is None


@pytest.fixture(scope="module")
def known_beats(tmp_path_factory):
    """Two 60 s synthetic recordings with known beats (RMSSD ~25 and ~65 ms) and breathing."""
    out = []
    for seed, rmssd, resp in ((1, 20, 8), (3, 80, 24)):
        spec = beats_spec(seed, rmssd, resp)
        video = write_recording(spec, tmp_path_factory.mktemp(f"beats{seed}"), "generic")
        out.append((spec, process_video(video)))
    return out


def test_beats_of_known_recordings(known_beats):
    # Issue targets: IBI MAE <= 15 ms; OpenCV 4.14's MJPG round trip keeps less chroma than
    # 4.11, which costs a few extra beats (count ratio 1.057 measured).
    for spec, result in known_beats:
        truth = PulseModel(spec).beat_times()
        m = match_beats(result.analysis.beats.t_s, truth)
        assert m["matched"] > 0.95 and m["ibi_mae_ms"] <= 15.0 and m["count_ratio"] < 1.08


OPENCV = tuple(int(v) for v in cv2.__version__.split(".")[:2])
"""The video codec's version decides how much chroma an MJPG round trip keeps."""


@pytest.mark.parametrize(
    "which",
    [
        pytest.param(
            0,
            marks=pytest.mark.xfail(
                OPENCV < (4, 12),
                strict=True,
                reason="issue target 10 ms missed with OpenCV 4.11 (the pinned environment): 28 ms measured, "
                "beat-time jitter inflates a ~25 ms RMSSD; 7 ms with OpenCV 4.14 and numpy 2 (Python 3.13)",
            ),
        ),
        1,
    ],
)
def test_rmssd_of_known_recordings_within_10_ms(known_beats, which):
    # The target, per recording: RMSSD within 10 ms of the truth's. The ~65 ms one is
    # close (3-4 ms); the ~25 ms one is over-estimated by beat-time jitter (README), by how much
    # depends on the codec.
    spec, result = known_beats[which]
    truth = PulseModel(spec).beat_times()
    b = result.analysis.beats
    ours = hrv_values(np.where(b.accepted, b.ibi_ms, np.nan))["rmssd_ms"]
    assert abs(ours - hrv_values(np.diff(truth) * 1000)["rmssd_ms"]) <= 10.0


def test_breathing_rate_when_the_estimates_agree(known_beats):
    spec, result = known_beats[0]
    assert result.analysis.respiration_per_min == pytest.approx(spec.resp_rate_bpm, abs=2.0)
    for _, r in known_beats:  # a rate, or none with its reason: never both, never neither
        assert (r.analysis.respiration_per_min is None) != (r.analysis.respiration_reason is None)


def test_real_clip_beats_match_the_oximeter():
    from rppg.chain.reference import reference_beats
    from rppg.config import Config
    from rppg.io import load_dataset

    folder = shared_or_skip("physrecorder_v01")
    rec = load_dataset("physrecorder", folder.parent)[0]
    result = process_video(rec.frames())
    truth = reference_beats(rec.truth(), 0, 20.1, Config().signal)
    assert len(truth) == 24  # the data README: 24 beats, 765-895 ms apart
    m = match_beats(result.analysis.beats.t_s, truth)
    # Targets: >= 85% matched within 100 ms, <= 1.2x the beats (met); IBI MAE <= 35 ms: below.
    assert m["matched"] >= 0.85 and m["count_ratio"] <= 1.2


@pytest.mark.xfail(
    strict=True, reason="issue target 35 ms missed: 47 ms measured with the shipped mask (README)"
)
def test_real_clip_beat_intervals_within_35_ms():
    from rppg.chain.reference import reference_beats
    from rppg.config import Config
    from rppg.io import load_dataset

    rec = load_dataset("physrecorder", shared_or_skip("physrecorder_v01").parent)[0]
    truth = reference_beats(rec.truth(), 0, 20.1, Config().signal)
    assert match_beats(process_video(rec.frames()).analysis.beats.t_s, truth)["ibi_mae_ms"] <= 35


def test_exports_other_tools_read(short_video, tmp_path):
    result = process_video(short_video, method="pos")
    from rppg.apps.report import write_process_outputs

    write_process_outputs(result, tmp_path)
    sidecar = json.loads((tmp_path / f"{short_video.stem}_physio.json").read_text())
    assert set(sidecar) >= {"SamplingFrequency", "StartTime", "Columns"}
    assert sidecar["Columns"] == ["cardiac"] and sidecar["cardiac"]["Units"]
    with gzip.open(tmp_path / f"{short_video.stem}_physio.tsv.gz", "rt") as f:
        rows = [line.split("\t") for line in f.read().splitlines()]
    assert all(len(r) == len(sidecar["Columns"]) for r in rows)  # no header, one value a column
    assert len(rows) / sidecar["SamplingFrequency"] == pytest.approx(result.duration_s, abs=0.1)
    hr = pd.read_csv(tmp_path / "hr.csv")
    pd.testing.assert_frame_equal(hr, result.to_frame(), check_dtype=False, rtol=1e-6)
    beats = pd.read_csv(tmp_path / "beats.csv")
    assert list(beats.columns) == ["t_s", "ibi_ms", "quality"]
    assert np.allclose(beats["t_s"], result.beats_frame()["t_s"])
    pulse = pd.read_csv(tmp_path / "pulse.csv")
    assert np.allclose(pulse["pulse_au"], result.pulse_frame()["pulse_au"])
    hrv = json.loads((tmp_path / "hrv.json").read_text())
    assert hrv["quality"] == "none" and hrv["rmssd_ms"] is None and "60 s" in hrv["reason"]


def test_batch_process_keeps_going_past_a_broken_video(short_video, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "a.avi").write_bytes(short_video.read_bytes())
    (folder / "b.avi").write_text("not a video\n" * 50)
    (folder / "c.avi").write_bytes(short_video.read_bytes())
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "rppg", "process", folder, "--out", out, "--method", "pos", "--workers", "2"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "1 of 3 videos failed" in run.stderr
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["video", "hr_bpm", "snr_db", "quality", "status", "warnings"]
    assert list(summary["status"].str.startswith("error")) == [False, True, False]
    assert "not a readable video" in summary["status"][1]
    assert summary["hr_bpm"][0] == pytest.approx(80, abs=2)
    assert (out / "a" / "summary.json").exists() and (out / "c" / "plot.png").exists()


def test_batch_process_finds_videos_in_subject_folders_and_says_each_as_it_finishes(short_video, tmp_path):
    # A dataset-like folder of folders (subjectN/vid.avi): each video found, each line printed
    # (as JSON here), with its warnings; summary.csv carries them too.
    root = tmp_path / "subjects"
    for name in ("subject1", "subject2"):
        (root / name).mkdir(parents=True)
        (root / name / "vid.avi").write_bytes(short_video.read_bytes())
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "rppg", "process", root, "--out", out, "--method", "pos", "--json"]
        + ["--set", "signal.window_s=20"],  # longer than the clips: a warning to carry
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [Path(r["video"]).parent.name for r in rows] == ["subject1", "subject2"]
    assert all(r["status"] == "ok" and isinstance(r["warnings"], list) for r in rows)
    assert all("short" in "; ".join(r["warnings"]) for r in rows)
    summary = pd.read_csv(out / "summary.csv")
    assert summary["warnings"].str.contains("short").all()
    assert (out / "subject1_vid" / "summary.json").exists() and (out / "subject2_vid" / "plot.png").exists()
