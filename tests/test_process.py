"""End to end: synthetic and real videos through `process_video` give the right heart rate."""

import numpy as np
import pytest

from rppg.config import Config
from rppg.pipeline import analyse, process_video
from tests.conftest import PHYSRECORDER_HR_BPM, shared_or_skip

MILD = dict(duration_s=30.0, motion_px=3.0, noise_std=3.0, hrv_bpm=1.0, seed=7)


@pytest.mark.parametrize("bpm", [50.0, 75.0, 110.0, 150.0])
def test_pos_and_chrom_within_1_5_bpm(make_video, bpm):
    video = make_video(hr_bpm=bpm, **MILD)
    cfg = Config()
    result = process_video(video, method="pos", config=cfg)
    assert result.hr_bpm == pytest.approx(bpm, abs=1.5)
    chrom = analyse(result.trace, "chrom", cfg)
    assert chrom.hr_bpm == pytest.approx(bpm, abs=1.5)
    assert result.trace.face_ratio == 1.0


def test_summary_follows_the_contract(short_video):
    summary = process_video(short_video, method="pos").summary()
    assert set(summary) >= {
        "video", "method", "hr_bpm", "snr_db", "frames", "fps", "duration_s", "face_ratio",
        "seconds", "hr_series",
    }  # fmt: skip
    assert summary["frames"] == 360
    assert summary["fps"] == pytest.approx(30.0)
    assert summary["duration_s"] == pytest.approx(12.0)
    assert summary["hr_bpm"] == pytest.approx(80, abs=2)
    assert len(summary["hr_series"]) == 3  # 12 s, 10 s window, 1 s hop
    assert set(summary["hr_series"][0]) == {"t_s", "hr_bpm", "snr_db", "quality"}
    assert summary["quality"] in ("good", "fair", "poor", "none") and isinstance(summary["warnings"], list)


def test_real_webcam_clip_within_1_bpm_of_oximeter():
    folder = shared_or_skip("physrecorder_v01")
    result = process_video(folder / "video_ZIP_H264.avi")
    assert result.hr_bpm == pytest.approx(PHYSRECORDER_HR_BPM, abs=1.0)


def test_talking_heads_run_with_face_and_plausible_rate():
    folder = shared_or_skip("talking_heads")
    clips = sorted(folder.glob("*.mp4"))
    assert clips
    for clip in clips:
        result = process_video(clip)
        assert result.trace.face_ratio > 0.9, clip.name
        assert 45 <= result.hr_bpm <= 150, clip.name
        assert np.isfinite(result.analysis.pulse).all()
