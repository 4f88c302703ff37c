"""Shared fixtures: synthetic recordings (made once per session) and the real test clips."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("GLOG_minloglevel", "2")

from rppg.synth.layouts import write_recording  # noqa: E402
from rppg.synth.spec import SynthSpec  # noqa: E402

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
def short_video(make_video) -> Path:
    """A small 12 s, 320x240 synthetic face at 80 bpm, for quick end-to-end checks."""
    return make_video(hr_bpm=80.0, duration_s=12.0, width=320, height=240, seed=3)


@pytest.fixture(scope="session")
def batch_set(tmp_path_factory) -> Path:
    """Five short UBFC-layout recordings for the batch tests (local pool and Dask)."""
    from tests.batch_helpers import synthetic_set

    return synthetic_set(tmp_path_factory.mktemp("batch5"), 5, 10.0)


@pytest.fixture(scope="session")
def batch_serial_rows(batch_set):
    """The per-recording rows of ``batch_set`` evaluated serially (POS), as a table."""
    from rppg.config import Config
    from rppg.evaluate import evaluate_recordings
    from rppg.io import load_dataset
    from tests.batch_helpers import rows_table

    return rows_table(evaluate_recordings(load_dataset("ubfc", batch_set), ["pos"], Config()))
