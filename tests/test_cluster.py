"""Batch evaluation on Dask (``rppg[cluster]``): a LocalCluster and a real scheduler with its
worker give the serial rows; a worker killed mid-run costs only its recording; Ctrl-C stops
at once; a cluster running other versions is refused before any work."""

import contextlib
import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

pytest.importorskip("distributed", reason="Dask is optional: pip install 'rppg[cluster]'")

from rppg.apps.evaluate import evaluate_recordings  # noqa: E402
from rppg.config import Config  # noqa: E402
from rppg.io import load_dataset  # noqa: E402
from tests.killer_recording import KillerRecording  # noqa: E402

pytestmark = pytest.mark.slow  # end-to-end runs of seconds to minutes: `make check` leaves them out


def local_cluster_config(workers: int = 2) -> Config:
    cfg = Config()
    cfg.batch.cluster, cfg.batch.workers, cfg.batch.memory_limit = "local", workers, "1GiB"
    return cfg


def test_local_cluster_gives_the_serial_rows(rows_table, batch_set, batch_serial_rows):
    report = evaluate_recordings(load_dataset("ubfc", batch_set), ["pos"], local_cluster_config())
    pd.testing.assert_frame_equal(rows_table(report), batch_serial_rows)


def test_a_killed_local_cluster_worker_costs_only_its_recording(rows_table, batch_set, batch_serial_rows):
    recs = load_dataset("ubfc", batch_set)
    recs[2] = KillerRecording.like(recs[2])
    rows = rows_table(evaluate_recordings(recs, ["pos"], local_cluster_config()))
    died = rows.recording == recs[2].name
    assert rows.loc[died, "status"].str.startswith("worker died").all()
    pd.testing.assert_frame_equal(rows[~died], batch_serial_rows[~died])


def test_ctrl_c_stops_a_local_cluster_at_once(
    evaluate_command, interrupt_when_started, make_batch_set, valid_cache_entries, tmp_path
):
    root = make_batch_set(tmp_path / "set", 4, 20.0)
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = evaluate_command(root, out, cache, "--cluster", "local", "--workers", "2")
    run, seconds = interrupt_when_started(command, cache / "*.npz")
    assert run.returncode == 130, run.stderr
    assert seconds < 2.0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], run.stderr
    assert valid_cache_entries(cache) >= 1


@contextlib.contextmanager
def dask_processes(folder, env=None):
    """A ``dask scheduler`` on 127.0.0.1 (a free port) and a ``dask worker`` (one thread, as
    the README advises) as separate processes; yields the scheduler's address."""
    folder.mkdir(parents=True, exist_ok=True)
    address_file = folder / "scheduler.json"
    module = [sys.executable, "-m"]
    logs = open(folder / "dask.log", "w")
    scheduler = [
        *module,
        "distributed.cli.dask_scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-dashboard",
        "--scheduler-file",
        str(address_file),
    ]
    # Started in their own folder: a checkout's rppg.egg-info in the working folder would
    # otherwise be the rppg distribution their Python finds first.
    procs = [subprocess.Popen(scheduler, stdout=logs, stderr=logs, cwd=folder)]
    try:
        deadline = time.monotonic() + 60
        while not address_file.is_file() or not address_file.read_text().strip():
            assert time.monotonic() < deadline and procs[0].poll() is None, (folder / "dask.log").read_text()
            time.sleep(0.05)
        address = json.loads(address_file.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [
                    *module,
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--memory-limit",
                    "1GiB",
                    "--no-dashboard",
                ],
                stdout=logs,
                stderr=logs,
                env=env,
                cwd=folder,
            )
        )
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        logs.close()


def test_a_scheduler_and_worker_started_apart_give_the_serial_rows(
    evaluate_command, batch_set, batch_serial_rows, tmp_path
):
    with dask_processes(tmp_path / "dask") as address:
        command = evaluate_command(batch_set, tmp_path / "out", tmp_path / "cache", "--cluster", address)
        run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    per_video = pd.read_csv(tmp_path / "out" / "per_video.csv", keep_default_na=False, na_values=[""])
    assert list(per_video.recording) == list(batch_serial_rows.recording)
    assert (per_video.status == "ok").all()
    for column in ("hr_true_bpm", "hr_pred_bpm", "snr_db"):
        assert per_video[column].to_numpy() == pytest.approx(batch_serial_rows[column].to_numpy(), abs=1e-4)


def test_a_worker_running_another_rppg_is_refused_before_any_work(evaluate_command, batch_set, tmp_path):
    # The worker's Python finds a distribution 'rppg 9.9.9' first on its path.
    fake = tmp_path / "fake" / "rppg-9.9.9.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: rppg\nVersion: 9.9.9\n")
    env = {**os.environ, "PYTHONPATH": str(fake.parent)}
    with dask_processes(tmp_path / "dask", env) as address:
        command = evaluate_command(batch_set, tmp_path / "out", tmp_path / "cache", "--cluster", address)
        run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "other versions" in lines[0] and "9.9.9" in lines[0], run.stderr
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").glob("*.npz"))
