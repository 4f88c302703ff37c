"""Batch runs that survive faults, on the local process pool: a worker that dies costs only
its recording, Ctrl-C stops at once and keeps what finished, a damaged cache entry heals, a
stopped run resumes. (tests/test_cluster.py: the same on Dask.)"""

import subprocess
import sys

import pandas as pd
import pytest

from rppg.apps.evaluate import evaluate_recordings, trace_key
from rppg.config import Config
from rppg.io import load_dataset
from tests.killer_recording import KillerRecording

pytestmark = pytest.mark.slow  # end-to-end runs of seconds to minutes: `make check` leaves them out


def test_a_dead_worker_costs_only_its_recording(rows_table, batch_set, batch_serial_rows):
    recs = load_dataset("ubfc", batch_set)
    recs[1] = KillerRecording.like(recs[1])  # its worker process is killed as it decodes
    cfg = Config()
    cfg.batch.workers = 2
    rows = rows_table(evaluate_recordings(recs, ["pos"], cfg))
    died = rows.recording == recs[1].name
    assert rows.loc[died, "status"].str.startswith("worker died").all()
    assert (batch_serial_rows.loc[~died, "status"] == "ok").all()
    pd.testing.assert_frame_equal(rows[~died], batch_serial_rows[~died])


def test_ctrl_c_stops_at_once_keeps_what_finished_and_the_same_command_resumes(
    evaluate_command, interrupt_when_started, make_batch_set, valid_cache_entries, tmp_path
):
    root = make_batch_set(tmp_path / "set", 6, 20.0)
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = evaluate_command(root, out, cache, "--workers", "2")
    run, seconds = interrupt_when_started(command, out / "recordings" / "*.json")
    assert run.returncode == 130, run.stderr
    assert seconds < 2.0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], run.stderr
    assert valid_cache_entries(cache) >= 1
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "recordings").glob("*.json")}
    assert 1 <= len(kept) < 6

    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"resuming: {len(kept)} of 6 recordings already evaluated" in again.stderr
    assert {name: (out / "recordings" / name).stat().st_mtime_ns for name in kept} == kept
    per_video = pd.read_csv(out / "per_video.csv")
    assert len(per_video) == 6 and (per_video.status == "ok").all()


def test_a_damaged_cache_entry_is_deleted_and_extracted_again(
    rows_table, valid_cache_entries, batch_set, batch_serial_rows, tmp_path, capsys
):
    recs = load_dataset("ubfc", batch_set)
    cfg = Config()
    evaluate_recordings(recs, ["pos"], cfg, cache_dir=tmp_path)
    truncated = tmp_path / f"{trace_key(recs[0], cfg, 'uniform')}.npz"
    garbage = tmp_path / f"{trace_key(recs[2], cfg, 'uniform')}.npz"
    truncated.write_bytes(truncated.read_bytes()[:2000])  # a zip cut short: BadZipFile
    garbage.write_bytes(b"not an npz file" * 100)
    capsys.readouterr()

    rows = rows_table(evaluate_recordings(recs, ["pos"], cfg, cache_dir=tmp_path))
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if "unreadable cache entry" in ln]
    assert len(warnings) == 2
    assert any(str(truncated) in w for w in warnings) and any(str(garbage) in w for w in warnings)
    pd.testing.assert_frame_equal(rows, batch_serial_rows)
    assert valid_cache_entries(tmp_path) == len(list(tmp_path.glob("*.npz")))
    capsys.readouterr()
    evaluate_recordings(recs, ["pos"], cfg, cache_dir=tmp_path)  # healed: no warning again
    assert "unreadable" not in capsys.readouterr().err


def test_a_resumed_run_evaluates_only_the_missing_never_stale_rows(
    rows_table, batch_set, batch_serial_rows, tmp_path
):
    recs = load_dataset("ubfc", batch_set)
    cfg = Config()
    keep = tmp_path / "recordings"
    evaluate_recordings(recs, ["pos"], cfg, keep=keep)
    for name in ("subject2.json", "subject4.json"):  # as if stopped before these finished
        (keep / name).unlink()
    mtimes = {p.name: p.stat().st_mtime_ns for p in keep.glob("*.json")}

    log: list[str] = []
    resumed = evaluate_recordings(recs, ["pos"], cfg, keep=keep, log=log.append)
    assert log == [f"resuming: 3 of 5 recordings already evaluated in {keep}"]
    assert {p.name: p.stat().st_mtime_ns for p in keep.glob("*.json") if p.name in mtimes} == mtimes
    assert len(list(keep.glob("*.json"))) == 5
    pd.testing.assert_frame_equal(rows_table(resumed), batch_serial_rows)

    cfg.signal.window_s = 8.0  # other settings: nothing kept applies
    log.clear()
    changed = evaluate_recordings(recs, ["pos"], cfg, keep=keep, log=log.append)
    assert log == []
    assert all(p.stat().st_mtime_ns != mtimes.get(p.name) for p in keep.glob("*.json"))
    assert not rows_table(changed)["hr_pred_bpm"].equals(batch_serial_rows["hr_pred_bpm"])


def test_cluster_without_dask_is_a_one_line_error(batch_set, tmp_path):
    blocked = "import sys; sys.modules['distributed'] = None; from rppg.apps.cli import run; run()"
    args = ["evaluate", "--dataset", "ubfc", "--root", batch_set, "--out", tmp_path, "--cluster", "local"]
    run = subprocess.run([sys.executable, "-c", blocked, *map(str, args)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "rppg: error: --cluster needs dask.distributed: pip install 'rppg[cluster]'"
    ]
