"""Batch evaluation: metrics by hand, a mixed synthetic set, broken recordings, the cache."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from rppg.apps.evaluate import evaluate
from rppg.config import Config
from rppg.io.recording import Recording
from rppg.signal.metrics import hr_metrics
from rppg.synth.layouts import write_dataset, write_recording
from rppg.synth.spec import SynthSpec, mixed_specs
from tests.conftest import REPO, shared_or_skip

pytestmark = pytest.mark.slow  # end-to-end runs of seconds to minutes: `make check` leaves them out


def test_metrics_match_hand_computed_values():
    true, pred, snr = [60.0, 80.0, 100.0], [62.0, 79.0, 104.0], [3.0, 5.0, 10.0]
    m = hr_metrics(true, pred, snr)
    assert m["n"] == 3
    assert m["mae"] == pytest.approx(7 / 3)
    assert m["mae_se"] == pytest.approx(np.std([2, 1, 4], ddof=1) / np.sqrt(3))
    assert m["rmse"] == pytest.approx(np.sqrt(7.0))
    assert m["mape"] == pytest.approx(100 * (2 / 60 + 1 / 80 + 4 / 100) / 3)
    r = np.corrcoef(true, pred)[0, 1]
    assert m["pearson_r"] == pytest.approx(r)
    assert m["pearson_r_se"] == pytest.approx(np.sqrt((1 - r**2) / 1))
    assert m["snr_db"] == pytest.approx(6.0)
    assert m["snr_db_se"] == pytest.approx(np.std(snr, ddof=1) / np.sqrt(3))


@pytest.fixture(scope="module")
def mixed_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("ubfc6")
    write_dataset(mixed_specs(6, seed=11, duration_s=20.0, width=320, height=240), root, "ubfc")
    return root


def test_mixed_set_pos_mae_and_outputs(cli, mixed_set, tmp_path):
    out = tmp_path / "eval"
    run = cli(
        *"evaluate --dataset ubfc --methods pos,chrom,green --json".split(),
        "--root",
        mixed_set,
        "--out",
        out,
        "--cache",
        tmp_path / "cache",
    )
    assert run.returncode == 0, run.stderr
    metrics = {m["method"]: m for m in json.loads(run.stdout)["metrics"]}
    assert set(metrics) == {"pos", "chrom", "green"}
    assert metrics["pos"]["n"] == 6
    assert metrics["pos"]["mae"] <= 2.0
    per_video = pd.read_csv(out / "per_video.csv")
    assert list(per_video.columns[:7]) == [
        "recording",
        "method",
        "hr_true_bpm",
        "hr_pred_bpm",
        "abs_err_bpm",
        "snr_db",
        "status",
    ]
    assert len(per_video) == 18 and (per_video["status"] == "ok").all()
    table = pd.read_csv(out / "metrics.csv")
    assert list(table.columns[:7]) == ["method", "n", "mae", "rmse", "mape", "pearson_r", "snr_db"]
    pos = per_video[per_video.method == "pos"]
    assert table.set_index("method").loc["pos", "mae"] == pytest.approx(pos.abs_err_bpm.mean(), abs=1e-3)
    for m in ("pos", "chrom", "green"):
        assert (out / f"bland_altman_{m}.png").stat().st_size > 0
    assert len(list((out / "hr_over_time").glob("*.png"))) == 6


def test_second_run_reads_traces_from_cache(mixed_set, tmp_path, monkeypatch):
    cfg = Config()
    first = evaluate("ubfc", mixed_set, ["pos"], cfg, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) >= 6

    def no_decoding(self):
        raise AssertionError(f"{self.name} decoded again")

    monkeypatch.setattr(Recording, "frames", no_decoding)
    second = evaluate("ubfc", mixed_set, ["chrom", "lgi", "pos"], cfg, cache_dir=tmp_path)
    pos_first = [r.hr_pred_bpm for r in first.rows]
    pos_second = [r.hr_pred_bpm for r in second.rows if r.method == "pos"]
    assert pos_second == pytest.approx(pos_first)
    assert all(r.status == "ok" for r in second.rows)


def test_workers_give_the_same_rows(mixed_set, tmp_path):
    serial = evaluate("ubfc", mixed_set, ["pos"], Config(), cache_dir=None)
    cfg = Config()
    cfg.batch.workers = 2
    parallel = evaluate("ubfc", mixed_set, ["pos"], cfg, cache_dir=None)
    assert [r.recording for r in parallel.rows] == [r.recording for r in serial.rows]
    assert [r.hr_pred_bpm for r in parallel.rows] == pytest.approx([r.hr_pred_bpm for r in serial.rows])


def test_broken_recordings_are_reported_and_the_rest_evaluated(cli, tmp_path):
    root = tmp_path / "ubfc"
    small = dict(duration_s=10.0, width=160, height=120)
    for i, bpm in enumerate([70.0, 95.0]):
        write_recording(SynthSpec(hr_bpm=bpm, seed=i, **small), root, "ubfc", f"subject{i + 1}")
    corrupt = write_recording(SynthSpec(hr_bpm=80, **small), root, "ubfc", "subject3")
    (corrupt / "vid.avi").write_bytes(b"RIFF" + b"\0" * 2000)
    no_truth = write_recording(SynthSpec(hr_bpm=80, **small), root, "ubfc", "subject4")
    (no_truth / "ground_truth.txt").unlink()
    nan_truth = write_recording(SynthSpec(hr_bpm=80, **small), root, "ubfc", "subject5")
    lines = (nan_truth / "ground_truth.txt").read_text().splitlines()
    (nan_truth / "ground_truth.txt").write_text(
        "\n".join([lines[0].replace(lines[0].split()[5], "nan", 1), *lines[1:]])
    )
    short_truth = write_recording(SynthSpec(hr_bpm=80, **small), root, "ubfc", "subject6")
    rows = [np.array(ln.split(), float) for ln in (short_truth / "ground_truth.txt").read_text().splitlines()]
    (short_truth / "ground_truth.txt").write_text("\n".join(" ".join(map(str, r[:200])) for r in rows))

    out = tmp_path / "eval"
    run = cli("evaluate", "--dataset", "ubfc", "--root", root, "--methods", "pos", "--out", out, "--no-cache")
    assert run.returncode == 0, run.stderr
    assert "4 of 6 recordings failed" in run.stderr
    status = pd.read_csv(out / "per_video.csv").set_index("recording")["status"]
    assert status["subject1"] == status["subject2"] == "ok"
    assert status["subject3"].startswith("bad video")
    assert "ground truth missing" in status["subject4"]
    assert "NaN" in status["subject5"]
    assert "covers" in status["subject6"]
    metrics = pd.read_csv(out / "metrics.csv").set_index("method")
    assert metrics.loc["pos", "n"] == 2 and metrics.loc["pos", "mae"] < 2


def test_evaluate_bad_arguments_exit_2(cli, tmp_path):
    for args, message in [
        (["--dataset", "nope", "--root", tmp_path], "unknown dataset 'nope'"),
        (["--dataset", "ubfc", "--root", tmp_path / "missing"], "no such folder"),
        (["--dataset", "ubfc", "--root", tmp_path], "no ubfc recordings found"),
        (["--dataset", "ubfc", "--root", tmp_path, "--methods", "pos,magic"], "unknown method 'magic'"),
    ]:
        run = cli("evaluate", *args, "--out", tmp_path / "o")
        assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_script_runs_the_same_evaluation_on_the_real_clip(tmp_path):
    root = shared_or_skip()
    script = REPO / "scripts" / "evaluate.py"
    args = ["--dataset", "physrecorder", "--root", root, "--methods", "pos,chrom", "--out", tmp_path]
    args.append("--no-cache")
    run = subprocess.run([sys.executable, script, *map(str, args), "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    metrics = {m["method"]: m for m in json.loads(run.stdout)["metrics"]}
    assert metrics["pos"]["n"] == 1 and metrics["pos"]["mae"] < 1.0


def test_skin_patches_rated_honestly():
    # Real pre-cropped skin video of darker skin at 15 fps (no face: --detector none).
    root = shared_or_skip("skin_patches")
    cfg = Config()
    cfg.face.detector = "none"
    evaluation = evaluate("biaseval", root, ["mask", "pos"], cfg, cache_dir=None)
    assert [m["n"] for m in evaluation.metrics] == [21, 21]
    off = [r for r in evaluation.rows if r.abs_err_bpm > 5.0]
    assert len(off) >= 10  # most of these hard clips are misread ...
    assert all(r.quality in ("poor", "none") and r.reasons for r in off)  # ... and every one says so


@pytest.mark.xfail(
    strict=True, reason="the source paper's POS (14.0 bpm) not reached: mask 25.3, POS 28.5 measured (README)"
)
def test_skin_patches_as_well_as_the_source_papers_pos():
    cfg = Config()
    cfg.face.detector = "none"
    evaluation = evaluate("biaseval", shared_or_skip("skin_patches"), ["mask", "pos"], cfg, cache_dir=None)
    assert all(m["mae"] <= 14.0 for m in evaluation.metrics), evaluation.metrics


def test_evaluation_reports_quality_and_windows(cli, mixed_set, tmp_path):
    out = tmp_path / "eval"
    run = cli(
        *"evaluate --dataset ubfc --methods pos".split(),
        "--root",
        mixed_set,
        "--out",
        out,
        "--cache",
        tmp_path / "cache",
    )
    assert run.returncode == 0, run.stderr
    per_video = pd.read_csv(out / "per_video.csv")
    assert len(per_video) > 0 and per_video["quality"].isin(["good", "fair", "poor", "none"]).all()
    windows = pd.read_csv(out / "per_window.csv")
    assert {"t_s", "hr_true_bpm", "hr_pred_bpm", "quality", "snr_db", "face_share", "motion"} <= set(
        windows.columns
    )
    metrics = pd.read_csv(out / "metrics.csv").set_index("method")
    kept = per_video[per_video["quality"].isin(["good", "fair"])]
    assert metrics.loc["pos", "n_good_fair"] == len(kept)
    assert metrics.loc["pos", "mae_good_fair"] == pytest.approx(kept["abs_err_bpm"].mean(), abs=1e-3)
