"""The `rppg` command as a user runs it: outputs per the contract, one-line errors."""

import json
import subprocess
import sys

import cv2
import pytest

from rppg.synth.layouts import write_video
from rppg.synth.spec import SynthSpec
from tests.conftest import REPO


def test_process_json_and_out_files(cli, short_video, tmp_path):
    out = tmp_path / "result"
    run = cli("process", short_video, "--method", "chrom", "--json", "--out", out)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)  # exactly one JSON object on stdout
    assert summary["method"] == "chrom"
    assert summary["hr_bpm"] == pytest.approx(80, abs=2)
    for name in ("summary.json", "hr.csv", "trace.csv", "plot.png"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "summary.json").read_text()) == summary
    hr_lines = (out / "hr.csv").read_text().splitlines()
    assert hr_lines[0] == "t_s,hr_bpm,snr_db,quality" and len(hr_lines) == 1 + len(summary["hr_series"])
    assert run.stderr == ""


def test_synth_command_writes_a_processable_video(cli, tmp_path):
    run = cli("synth", tmp_path / "s", "--hr", "100", "--duration", "8", "--size", "160x120")
    assert run.returncode == 0, run.stderr
    video = tmp_path / "s" / "synth.avi"
    assert run.stdout.strip() == str(video)
    processed = cli("process", video, "--json")
    assert json.loads(processed.stdout)["hr_bpm"] == pytest.approx(100, abs=3)


@pytest.fixture(scope="module")
def no_face_video(tmp_path_factory):
    # The scene's background alone: texture and noise, nobody in it.
    spec = SynthSpec(duration_s=6, width=160, height=120, face_scale=0.01)
    return write_video(spec, tmp_path_factory.mktemp("noface") / "empty_room.avi")


def bad_inputs(tmp_path, short_video, no_face_video):
    text = tmp_path / "notes.mp4"
    text.write_text("this is a text file\n" * 100)
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(short_video.read_bytes()[:4000])
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    return {
        "missing": (["process", tmp_path / "nope.avi"], "no such file"),
        "text as mp4": (["process", text], "not a readable video"),
        "empty": (["process", empty], "empty file"),
        "truncated": (["process", truncated], "truncated"),
        "no face": (["process", no_face_video], "no face found"),
        "unknown method": (["process", short_video, "--method", "magic"], "unknown method 'magic'"),
        "unwritable out": (["process", short_video, "--out", blocker / "out"], "cannot write output"),
        "unknown flag": (["process", short_video, "--frobnicate"], "unrecognized arguments"),
        "bad whole": (["process", short_video, "--set", "signal.whole=mean"], "must be one of median"),
        "bad region": (["process", short_video, "--set", "face.region=oval"], "must be one of landmarks"),
        "bad detector": (["process", short_video, "--detector", "blaze"], "unknown face detector 'blaze'"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "text as mp4",
        "empty",
        "truncated",
        "no face",
        "unknown method",
        "unwritable out",
        "unknown flag",
        "bad whole",
        "bad region",
        "bad detector",
    ],
)
def test_bad_input_exits_2_with_one_line(cli, case, tmp_path, short_video, no_face_video):
    args, message = bad_inputs(tmp_path, short_video, no_face_video)[case]
    run = cli(*args)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert message in lines[0]
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


def test_no_output_folder_left_half_written_on_error(cli, tmp_path):
    out = tmp_path / "out"
    run = cli("process", tmp_path / "missing.avi", "--out", out)
    assert run.returncode == 2
    assert not out.exists()  # the input is checked before the output folder is made


def test_haar_detector_needs_no_mediapipe_model(cli, short_video):
    run = cli("process", short_video, "--detector", "haar", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["face_ratio"] > 0.9


def test_console_script_entry_point_runs_the_command():
    # pyproject's [project.scripts] names the function pip's `rppg` script calls.
    import importlib
    import re

    target = re.search(r'^rppg = "([\w.]+):(\w+)"$', (REPO / "pyproject.toml").read_text(), re.M)
    module, function = target.groups()
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.argv = ['rppg', 'methods']; from {module} import {function}; {function}()",
        ],
        capture_output=True,
        text=True,
    )
    assert callable(getattr(importlib.import_module(module), function))
    assert run.returncode == 0 and "pos" in run.stdout


@pytest.mark.slow
def test_mask_method_writes_the_mask_pictures(cli, short_video, tmp_path):
    run = cli("process", short_video, "--out", tmp_path, "--json")  # default method: mask
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["method"] == "mask"
    mask = cv2.imread(str(tmp_path / "mask.png"), cv2.IMREAD_GRAYSCALE)
    overlay = cv2.imread(str(tmp_path / "mask_overlay.png"))
    assert mask is not None and mask.shape == (288, 288)
    assert overlay is not None and overlay.shape[1] >= 1000  # the mask beside the face, with a colour bar
    h, w = mask.shape
    assert mask[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].mean() > mask[:, : w // 8].mean()  # face > edge


def test_files_get_the_users_file_mode(cli, short_video, tmp_path):
    # Written through a temporary file and a rename, results must still get the mode any
    # other file of the user gets (0666 less the umask), not the temporary file's 0600.
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    run = cli("process", short_video, "--out", tmp_path, "--method", "pos")
    assert run.returncode == 0, run.stderr
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert set(modes.values()) == {0o666 & ~mask}, modes
