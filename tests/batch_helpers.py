"""Shared by the batch fault tests (local pool and Dask): small synthetic sets, the rows of a
serial run as a table, and an ``rppg evaluate`` command interrupted by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from rppg.evaluate import Report
from rppg.synth.layouts import write_dataset
from rppg.synth.spec import mixed_specs


def synthetic_set(root: Path, count: int, duration_s: float) -> Path:
    """``count`` UBFC-layout recordings of ``duration_s`` at 160x120 (quick to evaluate)."""
    write_dataset(mixed_specs(count, seed=21, duration_s=duration_s, width=160, height=120), root, "ubfc")
    return root


def rows_table(report: Report) -> pd.DataFrame:
    return pd.DataFrame([asdict(r) for r in report.rows])


def evaluate_command(root: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "rppg", "evaluate", "--dataset", "ubfc", "--root", str(root),
            "--methods", "pos", "--out", str(out), "--cache", str(cache), *extra]  # fmt: skip


def interrupt_when_started(command: list[str], started: Path, timeout_s: float = 120.0):
    """Run ``command`` in its own process group, wait until a file matching ``started`` (a
    glob) exists, then press Ctrl-C as a terminal does (SIGINT to the whole group). Returns
    (completed process, seconds from Ctrl-C to exit)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while not list(started.parent.glob(started.name)):
        assert proc.poll() is None, f"finished before any work was seen: {proc.communicate()}"
        assert time.monotonic() < deadline, "no work started"
        time.sleep(0.02)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(command, proc.returncode, out, err), time.monotonic() - t0


def assert_cache_valid(cache: Path) -> int:
    """Every entry of a trace cache loads; returns how many there are."""
    entries = sorted(cache.glob("*.npz"))
    for path in entries:
        with np.load(path) as data:
            assert {"t_s", "rgb", "face", "motion"} <= set(data.files), path
            for key in data.files:
                data[key]
    return len(entries)
