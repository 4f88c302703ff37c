"""Shared fixtures: synthetic recordings (made once per session), the real test clips, the
command line run as a user runs it, and the pieces of the batch fault tests (local pool and
Dask): small synthetic sets, rows as a table, an ``rppg evaluate`` interrupted by Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rppg.synth.layouts import write_dataset, write_recording
from rppg.synth.spec import SynthSpec, mixed_specs

# Started in the background by a shell without job control (`make test &`, a script), pytest
# and every command it runs would ignore Ctrl-C: such a shell starts it with SIGINT ignored,
# and an ignored signal stays ignored across exec. The Ctrl-C tests send SIGINT, and the
# servers of the web tests are stopped with it. A handler, unlike "ignore", is reset to the
# default on exec: the commands the tests run take Ctrl-C as a user's terminal gives it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
PHYSRECORDER_HR_BPM = 71.1
"""The real webcam clip's reference: the oximeter's mean beat rate over the clip (24 beats,
60 / mean inter-beat interval; shared/data/README.md)."""


def shared_or_skip(*parts: str) -> Path:
    """A file or folder under ../shared/data, or skip the test saying why."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real test data not present: {path} (only on the project's machines)")
    return path


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("synth")


@pytest.fixture(scope="session")
def make_video(synth_dir):
    """Factory: a generic-layout synthetic video for a spec, cached per session by spec."""
    cache: dict[str, Path] = {}

    def make(**kwargs) -> Path:
        spec = SynthSpec(**kwargs)
        key = json.dumps(kwargs, sort_keys=True)
        if key not in cache:
            name = f"v{len(cache)}"
            cache[key] = write_recording(spec, synth_dir / name, "generic")
        return cache[key]

    return make


@pytest.fixture(scope="session")
def crowd_video(synth_dir):
    """Factory: ``crowd_video("two" | "three")``, the crowd scenes of
    :class:`rppg.synth.crowd.Scenes` written once per session; (path, CrowdSpec)."""
    from rppg.synth.crowd import Scenes, write_crowd

    cache: dict[str, tuple[Path, object]] = {}

    def make(name: str):
        if name not in cache:
            crowd = getattr(Scenes(), name)()
            cache[name] = (write_crowd(crowd, synth_dir / f"crowd_{name}.avi"), crowd)
        return cache[name]

    return make


@pytest.fixture(scope="session")
def short_video(make_video) -> Path:
    """A small 12 s, 320x240 synthetic face at 80 bpm, for quick end-to-end checks."""
    return make_video(hr_bpm=80.0, duration_s=12.0, width=320, height=240, seed=3)


@pytest.fixture(scope="session")
def cli():
    """Runs ``python -m rppg ARGS`` as a user would: ``cli(*args, cwd=None)`` returns the
    completed process (exit code, stdout, stderr as text)."""

    def run(*args, cwd=None) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "rppg", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, cwd=cwd)

    return run


@pytest.fixture(scope="session")
def make_batch_set():
    """Factory: ``make_batch_set(root, count, duration_s)`` writes ``count`` UBFC-layout
    recordings of ``duration_s`` at 160x120 (quick to evaluate) and returns ``root``."""

    def make(root: Path, count: int, duration_s: float) -> Path:
        specs = mixed_specs(count, seed=21, duration_s=duration_s, width=160, height=120)
        write_dataset(specs, root, "ubfc")
        return root

    return make


@pytest.fixture(scope="session")
def rows_table():
    """An evaluation report's per-recording rows as a DataFrame, for whole-table comparison."""
    return lambda report: pd.DataFrame([asdict(r) for r in report.rows])


@pytest.fixture(scope="session")
def batch_set(tmp_path_factory, make_batch_set) -> Path:
    """Five short UBFC-layout recordings for the batch tests (local pool and Dask)."""
    return make_batch_set(tmp_path_factory.mktemp("batch5"), 5, 10.0)


@pytest.fixture(scope="session")
def batch_serial_rows(batch_set, rows_table):
    """The per-recording rows of ``batch_set`` evaluated serially (POS), as a table."""
    from rppg.apps.evaluate import evaluate_recordings
    from rppg.config import Config
    from rppg.io import load_dataset

    return rows_table(evaluate_recordings(load_dataset("ubfc", batch_set), ["pos"], Config()))


@pytest.fixture(scope="session")
def evaluate_command():
    """``evaluate_command(root, out, cache, *extra)``: the argv of ``rppg evaluate`` (POS on a
    UBFC-layout set) for tests that run it as a separate, interruptible process."""

    def command(root: Path, out: Path, cache: Path, *extra: str) -> list[str]:
        flags = ["--root", str(root), "--out", str(out), "--cache", str(cache), *extra]
        return [sys.executable, "-m", "rppg", *"evaluate --dataset ubfc --methods pos".split(), *flags]

    return command


@pytest.fixture(scope="session")
def interrupt_when_started():
    """``interrupt_when_started(command, started, timeout_s=120)``: runs ``command`` in its own
    process group, waits until a file matching ``started`` (a glob) exists, then presses Ctrl-C
    as a terminal does (SIGINT to the whole group). Returns (completed process, seconds from
    Ctrl-C to exit)."""

    def interrupt(command: list[str], started: Path, timeout_s: float = 120.0):
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
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

    return interrupt


@pytest.fixture(scope="session")
def valid_cache_entries():
    """``valid_cache_entries(folder)``: asserts every trace-cache entry in it loads whole and
    returns how many there are."""

    def count(cache: Path) -> int:
        entries = sorted(cache.glob("*.npz"))
        for path in entries:
            with np.load(path) as data:
                assert {"t_s", "rgb", "face", "motion"} <= set(data.files), path
                for key in data.files:
                    data[key]
        return len(entries)

    return count
