"""Live mode without a camera or display: a video file (or frames) stands in for the camera."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from rppg.apps.live import HR_TEXT_ORIGIN, WAVE_HEIGHT, DisplayState, LiveOptions, render_overlay, run_live
from rppg.chain.process import process_video
from rppg.chain.quality import Rating
from rppg.chain.streaming import LiveReading, StreamingEstimator
from rppg.chain.trace import FrameSample
from rppg.config import Config
from rppg.face.detect import Box
from rppg.io import VideoFileSource
from rppg.io.frames import Frame, FrameSource
from rppg.synth.scene import Renderer
from rppg.synth.spec import SynthSpec

TRUE_BPM = 75.0


@pytest.fixture(scope="module")
def live_video(make_video):
    return make_video(hr_bpm=TRUE_BPM, duration_s=25.0, width=320, height=240, seed=31, hrv_bpm=0.5)


@pytest.mark.slow
def test_headless_values_within_3_bpm_after_warm_up(cli, live_video):
    run = cli("live", "--source", live_video, "--headless", "--fast")
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [set(x) for x in lines[:1]] == [{"t_s", "hr_bpm", "snr_db", "fps", "quality"}]
    assert lines[0]["quality"] == "none"  # measuring
    assert [x["t_s"] for x in lines[:3]] == [0.0, 1.0, 2.0]  # one line per second of video
    assert lines[0]["hr_bpm"] is None  # measuring
    after = [x for x in lines if x["t_s"] >= 10.0]
    assert len(after) >= 14
    assert all(x["hr_bpm"] is not None and abs(x["hr_bpm"] - TRUE_BPM) <= 3.0 for x in after)
    assert all(x["fps"] == pytest.approx(30.0, abs=0.5) for x in after)
    assert all(x["quality"] in ("good", "fair") for x in after)  # a clean synthetic face


@pytest.mark.slow
def test_streaming_agrees_with_process(live_video):
    cfg = Config()
    offline = process_video(live_video, config=cfg).analysis.series
    est = StreamingEstimator.from_config(cfg)
    pairs = []
    with VideoFileSource(live_video) as src:
        for frame in src:
            r = est.push(frame)
            if r.updated and r.hr_bpm is not None:
                k = int(np.argmin(np.abs(offline.t_s - r.t_s)))
                if abs(offline.t_s[k] - r.t_s) < 0.05:
                    pairs.append((r.hr_bpm, offline.hr_bpm[k]))
    est.close()
    assert len(pairs) >= 10
    assert max(abs(a - b) for a, b in pairs) <= 1.0


def reading(image, hr, pulse_len=150, face_cfg=None, mask=None):
    """A reading as the estimator gives it, with the face from the real face stage."""
    from rppg.config import FaceConfig
    from rppg.face.stage import FaceStage

    with FaceStage.from_config(face_cfg or FaceConfig()) as stage:
        fc = stage.push(Frame(0, 12.0, image))
    t = np.arange(pulse_len) / 30
    sample = FrameSample(fc, mask=mask)
    rating = Rating("good" if hr else "none")
    return LiveReading(12.0, hr, 4.0 if hr else None, 30.0, rating, sample, np.sin(2 * np.pi * 1.25 * t))


def test_overlay_draws_heart_rate_and_waveform():
    image = Renderer(SynthSpec(width=640, height=480)).frame(0.0)
    view = render_overlay(image, reading(image, 72.0), DisplayState())
    x, y = HR_TEXT_ORIGIN
    text = view[y - 45 : y + 5, x : x + 250]
    assert (text > 200).all(axis=2).sum() > 300  # white digits on the black panel
    wave = view[-WAVE_HEIGHT:]
    red = (wave[..., 2] > 200) & (wave[..., 0] < 150)
    assert red.sum() > 200 and red.any(axis=0).sum() > 500  # a line across the width
    measuring = render_overlay(image, reading(image, None, 0), DisplayState())
    assert not np.array_equal(measuring[y - 45 : y + 5, x : x + 250], text)
    assert not (measuring[-WAVE_HEIGHT:, :, 2] > 200).any()  # no waveform yet


@pytest.mark.parametrize("region, setting", [("box", "box_scale"), ("landmarks", "region_margin")])
def test_mask_overlay_follows_the_configured_crop(region, setting):
    from rppg.config import FaceConfig

    image = Renderer(SynthSpec(width=640, height=480)).frame(0.0)
    widths = []
    for scale in (1.2, 2.0):
        face_cfg = FaceConfig(region=region, **{setting: scale})
        r = reading(image, 72.0, face_cfg=face_cfg, mask=np.ones((36, 36)))
        view = render_overlay(image, r, DisplayState(show_mask=True))
        plain = render_overlay(image, r, DisplayState(show_mask=False))
        changed = np.argwhere((view != plain).any(axis=2))
        x0, y0, x1, y1 = r.sample.face.rect
        assert (changed[:, 1].min(), changed[:, 1].max(), changed[:, 0].max()) == (x0, x1 - 1, y1 - 1)
        widths.append(x1 - x0)
    assert widths[1] / widths[0] == pytest.approx(2.0 / 1.2, rel=0.03)  # the configured scale


@pytest.mark.slow
def test_record_saves_a_processable_session(cli, live_video, tmp_path):
    out = tmp_path / "session"
    run = cli("live", "--source", live_video, "--headless", "--fast", "--record", out)
    assert run.returncode == 0, run.stderr
    stamps = pd.read_csv(out / "frames_timestamp.csv")
    assert len(stamps) == 750 and stamps["timestamp"].iloc[-1] == pytest.approx(749 / 30)
    hr = pd.read_csv(out / "hr.csv")
    assert len(hr) >= 14 and (hr["hr_bpm"].dropna() - TRUE_BPM).abs().max() <= 3
    processed = cli("process", out / "video.avi", "--json")
    assert json.loads(processed.stdout)["hr_bpm"] == pytest.approx(TRUE_BPM, abs=1.5)


class UnpluggedCamera(FrameSource):
    """Stands in for a webcam that is unplugged after a few seconds."""

    name = "camera 0"
    nominal_fps = 30.0

    def __init__(self, frames: int):
        self.frames = frames
        self.disconnected = False
        self.renderer = Renderer(SynthSpec(width=320, height=240))

    def __iter__(self):
        for i in range(self.frames):
            yield Frame(i, i / 30, self.renderer.frame(i / 30))
        self.disconnected = True


def test_disconnect_keeps_recording_and_exits_cleanly(tmp_path, capsys):
    out = io.StringIO()
    code = run_live(
        UnpluggedCamera(90), Config(), LiveOptions(headless=True, realtime=False, record=tmp_path), out
    )
    assert code == 0
    assert "camera 0 disconnected; recording kept in" in capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "frames_timestamp.csv")) == 90
    assert (tmp_path / "video.avi").stat().st_size > 0
    assert len(out.getvalue().splitlines()) == 3


def test_missing_camera_and_missing_display_exit_2(cli):
    run = cli("live", "--camera", "7", "--headless")
    assert run.returncode == 2 and "camera 7: cannot open" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_every_face_live_has_its_own_number_and_rate(cli, crowd_video):
    from rppg.synth.crowd import crowd_truth, face_centres

    path, crowd = crowd_video("three")
    run = cli("live", "--source", path, "--headless", "--fast", "--faces", "all")
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert all({f["id"] for f in x["faces"]} == {1, 2, 3} for x in lines[1:])
    truth = [hr for _, _, hr in crowd_truth(crowd)]
    for x in lines[-5:]:  # the last seconds: every face read, each near its own person's rate
        centres = face_centres(crowd, np.array([x["t_s"]]))[0]
        for f in x["faces"]:
            bx, by, bw, bh = f["box"]
            person = int(np.argmin(np.hypot(centres[:, 0] - bx - bw / 2, centres[:, 1] - by - bh / 2)))
            assert abs(f["hr_bpm"] - truth[person]) <= 1.5, (x["t_s"], f, truth[person])
        main = min(x["faces"], key=lambda f: f["id"])
        assert x["hr_bpm"] == main["hr_bpm"]  # the top level: the face followed longest


def test_the_overlay_tags_every_face_with_its_number():
    image = np.full((240, 640, 3), 90, np.uint8)
    state = DisplayState()
    faces = {}
    for face_id, x in ((1, 100), (2, 400)):
        r = reading(image, 70.0 + face_id)
        r.sample.face.box = Box(x, 100, 60, 60)
        faces[face_id] = r
    view = render_overlay(image, faces[1], state, faces)
    for x in (100, 400):  # each box's tag, in its quality's colour, just above the box
        tag = view[85:99, x + 2 : x + 40]
        assert (np.abs(tag.astype(int) - 90).sum(axis=2) > 60).mean() > 0.5


def test_the_live_mask_overlays_show_the_whole_crop():
    # Issue 20: the window's and the page's mask overlays show the network over the whole
    # crop (hair, eyes, background), not only the chain's mask inside the region.
    from rppg.apps.web import mask_message
    from rppg.mask.net import load_mask_model

    image = Renderer(SynthSpec(width=640, height=480)).frame(0.0)
    r = reading(image, 72.0, mask=np.zeros((36, 36)))  # as the chain gives it outside the region
    net = load_mask_model()
    chain, whole = mask_message(r), mask_message(r, net)
    assert chain["rect"] == whole["rect"] and chain["size"] == whole["size"] == 36
    values = np.array(whole["values"], np.uint8).reshape(36, 36)
    assert max(chain["values"]) == 0 and np.ptp(values) > 100  # the network's own weights
    view = render_overlay(image, r, DisplayState(show_mask=True, net=net))
    plain = render_overlay(image, r, DisplayState(show_mask=True))
    x0, y0, x1, y1 = r.sample.face.rect
    assert np.abs(view[y0:y1, x0:x1].astype(int) - plain[y0:y1, x0:x1]).mean() > 5
