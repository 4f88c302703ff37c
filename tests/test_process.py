"""End to end: synthetic and real videos through `process_video` give the right heart rate."""

import numpy as np
import pytest

from rppg.chain.pipeline import analyse
from rppg.chain.process import process_video
from rppg.config import Config
from tests.conftest import PHYSRECORDER_HR_BPM, shared_or_skip

pytestmark = pytest.mark.slow  # end-to-end runs of seconds to minutes: `make check` leaves them out

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
        "video",
        "method",
        "hr_bpm",
        "snr_db",
        "frames",
        "fps",
        "duration_s",
        "face_ratio",
        "seconds",
        "hr_series",
    }
    assert summary["frames"] == 360
    assert summary["fps"] == pytest.approx(30.0)
    assert summary["duration_s"] == pytest.approx(12.0)
    assert summary["hr_bpm"] == pytest.approx(80, abs=2)
    assert len(summary["hr_series"]) == 3  # 12 s, 10 s window, 1 s hop
    assert set(summary["hr_series"][0]) == {"t_s", "hr_bpm", "snr_db", "quality"}
    assert summary["quality"] in ("good", "fair", "poor", "none") and isinstance(summary["warnings"], list)


@pytest.mark.parametrize("ratio, distractor_hz", [(10, None), (13, None), (13, 2 * 72 / 60)])
def test_hair_flickering_at_another_rate_does_not_win(make_video, ratio, distractor_hz):
    # Hair and the wall behind the head change colour along the pulse's own colour direction,
    # 10-13x more strongly than the skin pulses, at the heart rate + 36 bpm or at twice it.
    spec = dict(hr_bpm=72.0, duration_s=20.0, width=320, height=240, seed=5, pulse_amplitude=0.004)
    video = make_video(distractor_amplitude=0.004 * ratio, distractor_hz=distractor_hz, **spec)
    for method in ("mask", "pos", "chrom"):
        result = process_video(video, method=method)
        assert result.hr_bpm == pytest.approx(72.0, abs=1.5), method
        assert result.quality in ("good", "fair"), method
    # The landmark region is what keeps the hair out: POS on the whole crop reads the flicker.
    box = Config()
    box.face.region = "box"
    assert abs(process_video(video, method="pos", config=box).hr_bpm - 72.0) > 20


def test_real_webcam_clip_whole_and_every_window_match_the_oximeter():
    from rppg.chain.reference import reference_series
    from rppg.io import load_dataset

    folder = shared_or_skip("physrecorder_v01")
    rec = load_dataset("physrecorder", folder.parent)[0]
    cfg = Config()
    for method in ("mask", "pos"):
        result = process_video(folder / "video_ZIP_H264.avi", method=method, config=cfg)
        assert result.hr_bpm == pytest.approx(PHYSRECORDER_HR_BPM, abs=1.0), method
        a = result.analysis
        truth = reference_series(rec.truth(), a.t_s, a.fs, cfg.signal)
        both = np.isfinite(truth)
        assert both.sum() >= 10
        assert np.abs(a.series.hr_bpm[both] - truth[both]).max() <= 3.0, method
        assert result.quality in ("good", "fair"), method


@pytest.fixture(scope="module")
def talking_heads():
    """The 7 real talking-head clips (no reference) processed by the default method."""
    clips = sorted(shared_or_skip("talking_heads").glob("*.mp4"))
    assert len(clips) == 7
    return {clip.name: process_video(clip) for clip in clips}


def test_talking_heads_plausible_when_rated_usable(talking_heads):
    # No reference: a reading rated good or fair must be plausible (50-110 bpm for people
    # talking at rest); the others must say why they are poor.
    for name, result in talking_heads.items():
        assert result.trace.face_ratio > 0.9, name
        if result.quality in ("good", "fair"):
            assert 50 <= result.hr_bpm <= 110, name
        else:
            assert result.warnings, name


@pytest.mark.xfail(
    strict=True, reason="target 3 of 7 missed: 2 measured (d3 and d9 fair; d6 poor since 00b3dfe)"
)
def test_three_talking_heads_of_seven_usable(talking_heads):
    usable = [name for name, r in talking_heads.items() if r.quality in ("good", "fair")]
    assert len(usable) >= 3, usable
