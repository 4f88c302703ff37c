"""Real files as they lie on disk: time lines that repeat, step back, start late or have
gaps; videos cut short, shot sideways or carrying a rotation flag; any video suffix in the
UBFC layout; and the real UBFC-rPPG subjects themselves."""

import json
import struct

import cv2
import numpy as np
import pytest

from rppg.chain.process import process_video
from rppg.errors import RppgError
from rppg.io import VideoFileSource, load_dataset
from rppg.io.recording import GroundTruth
from rppg.synth.layouts import write_recording, write_video
from rppg.synth.scene import Renderer
from rppg.synth.spec import SynthSpec
from tests.conftest import shared_or_skip

FS = 30.0


def wave(n: int = 600, start: float = 0.0):
    t = start + np.arange(n) / FS
    return t, np.sin(2 * np.pi * 1.2 * t)


# --------------------------------------------------------------------------- ground truth


def test_repeated_and_backward_times_are_dropped_and_said():
    t, ppg = wave()
    t[100] = t[99]  # a repeated stamp, as UBFC's subject 4 and 9 have
    t[300] = t[298]  # one stepping back
    truth = GroundTruth(t, ppg).check("s")
    assert len(truth.t_s) == len(t) - 2 and np.all(np.diff(truth.t_s) > 0)
    assert truth.notes == ["ground truth: 2 sample(s) whose time repeats or goes back dropped"]


def test_times_that_mostly_go_back_are_refused():
    t, ppg = wave()
    t[::20] = 0.0  # 5% of the samples back at the start (the first stays: it was 0)
    with pytest.raises(RppgError, match="times do not increase .29 of 600 samples go back"):
        GroundTruth(t, ppg).check("s")


def test_a_short_gap_is_bridged_and_said_a_long_one_refused():
    t, ppg = wave()
    keep = (t < 10.0) | (t > 10.9)  # 0.9 s missing, as UBFC's subject 15 at 32 s
    truth = GroundTruth(t[keep], ppg[keep]).check("s")
    assert truth.notes == ["ground truth: a 0.97 s gap at 10.0 s bridged"]
    keep = (t < 10.0) | (t >= 13.0)
    with pytest.raises(RppgError, match="3.0 s gap at 10.0 s"):
        GroundTruth(t[keep], ppg[keep]).check("s")


def test_clean_truth_has_no_notes_and_a_late_start_is_no_fault():
    t, ppg = wave(start=23.575)  # UBFC's subject 4 starts there
    assert GroundTruth(t, ppg).check("s").notes == []


def test_hr_only_truth_may_be_sparse():
    truth = GroundTruth(np.array([0.0, 60.0, 120.0]), hr_bpm=np.array([70.0, 72.0, 71.0])).check("s")
    assert truth.notes == []


def test_ubfc_layout_with_mp4_and_repeated_stamps_is_evaluated(tmp_path):
    from rppg.apps.evaluate import evaluate
    from rppg.config import Config

    spec = SynthSpec(hr_bpm=75, duration_s=12.0, width=160, height=120, seed=8)
    folder = write_recording(spec, tmp_path, "ubfc", "subject1")
    (folder / "vid.avi").rename(folder / "vid.mp4")  # re-encoded copies are named so
    lines = (folder / "ground_truth.txt").read_text().splitlines()
    times = lines[2].split()
    times[50] = times[49]
    (folder / "ground_truth.txt").write_text("\n".join([lines[0], lines[1], " ".join(times)]) + "\n")
    (row,) = evaluate("ubfc", tmp_path, ["pos"], Config(), cache_dir=None).rows
    assert row.status == "ok" and abs(row.hr_pred_bpm - 75) < 1.5
    assert "1 sample(s) whose time repeats or goes back dropped" in row.warnings


def test_repeated_frame_times_are_skipped_and_said(tmp_path):
    spec = SynthSpec(hr_bpm=70, duration_s=8.0, width=160, height=120, seed=9)
    video = write_video(spec, tmp_path / "v.avi")
    stamps = np.arange(240) / FS
    stamps[100] = stamps[99]
    with VideoFileSource(video, timestamps=stamps) as src:
        t = np.array([f.t_s for f in src])
        assert len(t) == 239 and np.all(np.diff(t) > 0)
    assert src.warnings == ("1 frame(s) whose time repeats or goes back skipped",)


# --------------------------------------------------------------------------- videos


def test_a_video_cut_short_says_so(tmp_path):
    video = write_video(
        SynthSpec(hr_bpm=80, duration_s=30.0, width=160, height=120, seed=3), tmp_path / "v.avi"
    )
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(0.4 * len(data))])
    result = process_video(cut, method="pos")
    assert 8.0 < result.duration_s < 16.0
    assert any(
        w.startswith("cut short: ") and "of the 900 frames its header promises" in w for w in result.warnings
    )
    assert not any("cut short" in w for w in process_video(video, method="pos").warnings)


def _upright_frames(seconds: float = 12.0) -> tuple[SynthSpec, list[np.ndarray]]:
    spec = SynthSpec(hr_bpm=84, duration_s=seconds, width=320, height=240, seed=2)
    return spec, [image for _, image in Renderer(spec).frames()]


def _write(path, images, codec: str = "MJPG"):
    h, w = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), FS, (w, h))
    for image in images:
        writer.write(image)
    writer.release()
    return path


@pytest.mark.slow
@pytest.mark.parametrize("turn", [cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180])
def test_a_face_shot_sideways_or_upside_down_is_found(tmp_path, turn):
    spec, frames = _upright_frames()
    video = _write(tmp_path / "turned.avi", [cv2.rotate(f, turn) for f in frames])
    result = process_video(video, method="pos")
    assert result.trace.face_ratio > 0.95 and abs(result.hr_bpm - spec.hr_bpm) < 1.5


def test_the_containers_rotation_is_honoured(tmp_path):
    # A phone stores its frames sideways and a matrix in the MP4 track header that says how
    # to show them: frames come out upright, as the phone showed them.
    _, frames = _upright_frames(2.0)
    video = _write(
        tmp_path / "phone.mp4", [cv2.rotate(f, cv2.ROTATE_90_COUNTERCLOCKWISE) for f in frames], "mp4v"
    )
    data = bytearray(video.read_bytes())
    box = data.find(b"tkhd")
    matrix = box + 4 + 4 + (20 if data[box + 4] == 0 else 32) + 16  # past the times and volume
    data[matrix : matrix + 36] = struct.pack(
        ">9i", 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30
    )  # 90 degrees
    video.write_bytes(bytes(data))
    with VideoFileSource(video) as src:
        assert src.rotation == 90
        first = next(iter(src)).image
    assert first.shape == frames[0].shape
    assert np.abs(first.astype(float) - frames[0]).mean() < 10  # the upright picture (mp4v's losses aside)


# --------------------------------------------------------------------------- the real UBFC subjects


@pytest.mark.slow
def test_real_ubfc_subjects_as_they_lie_on_disk():
    # Issue 19: all 7 read (vid.mp4, repeated stamps, offsets, gaps); the default method within
    # 2.0 bpm MAE of truth.json, at least 6 of 7 within 5 bpm, any reading more than 5 off rated
    # poor or none.
    from rppg.apps.evaluate import evaluate
    from rppg.config import Config

    root = shared_or_skip("ubfc_h264")
    truth = json.loads((root / "truth.json").read_text())
    assert sorted(r.name for r in load_dataset("ubfc", root)) == sorted(truth)
    rows = evaluate("ubfc", root, ["mask"], Config(), cache_dir=None).rows
    assert all(r.status == "ok" for r in rows)
    errors = {r.recording: abs(r.hr_pred_bpm - truth[r.recording]) for r in rows}
    assert np.mean(list(errors.values())) <= 2.0, errors
    assert sum(e <= 5.0 for e in errors.values()) >= 6, errors
    assert all(r.quality in ("poor", "none") for r in rows if errors[r.recording] > 5.0)
