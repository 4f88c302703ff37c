"""Quality labels: each criterion lowers the label and says why; grey video and missing
faces are reported; real recordings are labelled as calibrated."""

import json

import numpy as np
import pytest

from rppg.chain.quality import Evidence, face_gaps, rate
from rppg.config import QualityConfig

Q = QualityConfig()


def test_a_clean_reading_is_good():
    r = rate(Evidence(72.0, 4.0, 1.0, 0.05, 1.0, 1.0), Q)
    assert (r.label, r.reasons) == ("good", [])


@pytest.mark.parametrize(
    "change, label, reason",
    [
        ({"snr_db": -1.0}, "fair", "moderate pulse (SNR -1.0 dB)"),
        ({"snr_db": -5.0}, "poor", "weak pulse (SNR -5.0 dB)"),
        ({"face_share": 0.8}, "fair", "face found in 80% of frames"),
        ({"face_share": 0.5}, "poor", "face found in 50% of frames"),
        ({"motion": 0.5}, "fair", "head moving (0.50 face sizes/s)"),
        ({"motion": 2.0}, "poor", "head moving fast (2.00 face sizes/s)"),
        ({"spread_bpm": 5.0}, "fair", "unsteady over time (±5 bpm)"),
        ({"spread_bpm": 20.0}, "poor", "unstable over time (±20 bpm)"),
        ({"usable_share": 0.6}, "fair", "60% of the windows usable"),
        ({"usable_share": 0.2}, "poor", "only 20% of the windows usable"),
        ({"usable_share": 0.0}, "poor", "no window usable"),
        ({"hr_bpm": np.nan}, "none", "no heart rate found"),
    ],
)
def test_each_criterion_lowers_the_label_and_says_why(change, label, reason):
    values = dict(hr_bpm=72.0, snr_db=4.0, face_share=1.0, motion=0.05, spread_bpm=1.0, usable_share=1.0)
    r = rate(Evidence(**(values | change)), Q)
    assert r.label == label and r.reasons == [reason]


def test_the_worst_criterion_wins_and_all_are_told():
    r = rate(Evidence(72.0, -1.0, 0.5, 0.05, 1.0), Q)
    assert r.label == "poor" and len(r.reasons) == 2


def test_face_gaps_are_spans_of_a_second_or_more():
    t = np.arange(300) / 30
    face = np.ones(300, bool)
    face[60:120] = False  # 2 s
    face[200:210] = False  # a third of a second: not reported
    assert face_gaps(t, face) == [pytest.approx((2.0, 4.0))]


@pytest.mark.slow
def test_grey_video_is_rated_none_and_suggests_green(cli, make_video, tmp_path):
    import cv2

    colour = make_video(hr_bpm=72.0, duration_s=12.0, width=320, height=240, seed=8, noise_std=1.0)
    grey = tmp_path / "grey.avi"
    cap = cv2.VideoCapture(str(colour))
    out = cv2.VideoWriter(str(grey), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (320, 240))
    while True:
        ok, im = cap.read()
        if not ok:
            break
        out.write(cv2.cvtColor(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR))
    out.release()
    run = cli("process", grey, "--method", "pos", "--json")
    assert run.returncode == 0
    summary = json.loads(run.stdout)
    assert summary["quality"] == "none"
    assert any("no colour" in w and "--method green" in w for w in summary["warnings"])
    assert "--method green" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    green = json.loads(cli("process", grey, "--method", "green", "--json").stdout)
    assert green["hr_bpm"] == pytest.approx(72.0, abs=2.0) and green["quality"] != "none"
