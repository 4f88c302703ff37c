"""What a newcomer meets first: usage, help, messages that say why, readable figures."""

import json

import cv2
import numpy as np
import pytest

from rppg.apps.cli import build_parser
from rppg.synth.scene import Renderer
from rppg.synth.spec import SynthSpec


def test_bare_command_prints_usage_with_every_subcommand(cli):
    run = cli()
    assert run.returncode == 0 and run.stderr == ""
    for name in ("process", "live", "evaluate", "train", "synth", "methods", "config"):
        assert f"  {name} " in run.stdout and f"e.g. rppg {name}" in run.stdout


def test_version(cli):
    from rppg import __version__

    run = cli("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"rppg {__version__}"


def test_every_option_of_every_subcommand_has_help():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    assert set(subparsers) == {
        "process",
        "synth",
        "evaluate",
        "train",
        "export-mask",
        "live",
        "methods",
        "config",
    }
    for name, sub in subparsers.items():
        for action in sub._actions:
            assert action.help and action.help.strip(), f"{name} {action.option_strings or action.dest}"
            if action.option_strings and action.default not in (None, False, [], "==SUPPRESS=="):
                assert "default" in action.help, f"{name} {action.option_strings}: no default shown"


def test_help_names_every_registered_detector_dataset_and_layout():
    # The names are typed into the help (rppg --help must not import OpenCV to list them):
    # this keeps the two in step.
    import re

    from rppg.face.detect import DETECTORS
    from rppg.io import DATASETS
    from rppg.synth.layouts import LAYOUTS

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices

    def named(command: str, option: str) -> set[str]:
        text = next(a.help for a in sub[command]._actions if option in a.option_strings)
        return set(re.findall(r"[a-z]+", text.split(":", 1)[1].split("(")[0])) - {
            "or",
            "for",
            "pre",
            "cropped",
            "skin",
            "video",
        }

    assert named("process", "--detector") == set(DETECTORS)
    assert named("evaluate", "--dataset") == set(DATASETS)
    assert named("synth", "--format") == set(LAYOUTS)


def test_process_help_lists_every_file_out_writes(cli):
    from rppg.apps.options import OUT_FILES

    text = " ".join(cli("process", "--help").stdout.split())
    assert all(name in text for name in OUT_FILES)


def test_methods_name_their_region_and_paper(cli):
    lines = cli("methods").stdout.splitlines()
    assert "None" not in "\n".join(lines)
    pos = lines.index(next(line for line in lines if line.startswith("pos ")))
    assert "Wang et al. 2017" in lines[pos + 1] and "face region" in lines[pos + 1]


@pytest.fixture(scope="module")
def half_face_video(tmp_path_factory):
    """16 s: a face for the first 8 s, then the empty room."""
    path = tmp_path_factory.mktemp("half") / "half_face.avi"
    face = Renderer(SynthSpec(hr_bpm=72, duration_s=16, width=320, height=240, seed=2, noise_std=1.0))
    empty = Renderer(SynthSpec(duration_s=16, width=320, height=240, seed=2, face_scale=0.01))
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (320, 240))
    for i in range(16 * 30):
        t = i / 30
        out.write((face if t < 8 else empty).frame(t))
    out.release()
    return path


@pytest.mark.slow
def test_a_face_missing_half_the_time_is_said_with_share_and_spans(cli, half_face_video):
    run = cli("process", half_face_video, "--json")
    assert run.returncode == 0
    summary = json.loads(run.stdout)
    assert summary["face_ratio"] == pytest.approx(0.5, abs=0.05)
    assert summary["quality"] == "poor"
    warnings = " | ".join(summary["warnings"])
    assert "face found in 50% of frames" in warnings or "face found in 49% of frames" in warnings
    assert "no face at 8.0-15.9 s" in warnings or "no face at 8.0-16.0 s" in warnings
    assert run.stderr.count("\n") == 1 and "quality poor" in run.stderr and "face found in" in run.stderr
    human = cli("process", half_face_video)
    assert "quality poor" in human.stdout and "took" in human.stdout


@pytest.mark.slow
def test_pre_cropped_skin_without_detector_none_suggests_it(cli, tmp_path):
    # A close-up of skin (no face in it) whose colour pulses at 80 bpm. Lossless, because
    # OpenCV 4.14's MJPG flattens a half-level colour change on a flat patch to grey.
    path = tmp_path / "cheek.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 30.0, (200, 200))
    rng = np.random.default_rng(0)
    for i in range(30 * 12):
        pulse = 1 - 0.01 * np.sin(2 * np.pi * 80 / 60 * i / 30) * np.array([0.53, 0.77, 0.33])  # BGR
        frame = np.array([110.0, 140.0, 190.0]) * pulse + rng.normal(0, 1, (200, 200, 3))
        out.write(np.clip(frame, 0, 255).astype(np.uint8))
    out.release()
    run = cli("process", path)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "no face found" in run.stderr and "--detector none" in run.stderr
    ok = cli("process", path, "--detector", "none", "--method", "pos", "--json")
    assert json.loads(ok.stdout)["hr_bpm"] == pytest.approx(80, abs=1.5)


def test_mkv_frame_rate_is_not_thrown_by_millisecond_timestamps(cli, tmp_path):
    from rppg.synth.layouts import write_video

    video = write_video(SynthSpec(duration_s=6, width=160, height=120, seed=1), tmp_path / "clip.mkv")
    summary = json.loads(cli("process", video, "--json", "--method", "pos").stdout)
    assert summary["fps"] == pytest.approx(30.0, abs=0.01)


# --------------------------------------------------------------------------- figures


def labelled(ax) -> bool:
    return bool(ax.get_xlabel().strip()) and bool(ax.get_ylabel().strip())


def width_px(fig) -> float:
    return fig.get_size_inches()[0] * fig.dpi


def test_process_figure_reads_at_a_glance(short_video):
    from rppg.apps.report import process_figure
    from rppg.chain.process import process_video

    fig = process_figure(process_video(short_video, method="pos"))
    axes = [ax for ax in fig.get_axes() if ax.get_label() != "<colorbar>"]
    bars = [ax for ax in fig.get_axes() if ax.get_label() == "<colorbar>"]
    assert len(axes) == 4 and all(labelled(ax) for ax in axes) and width_px(fig) >= 1000
    assert len(bars) == 1 and bars[0].get_ylabel()  # the spectrogram's colours say what they are
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["R", "G", "B"]
    assert "SNR" in fig._suptitle.get_text() and "quality" in fig._suptitle.get_text()
    for ax in axes:
        legend = ax.get_legend()
        if legend is not None:  # beside the axes, never over the data
            assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1


def test_process_figure_title_agrees_with_the_printed_line(short_video):
    from dataclasses import replace

    from rppg.apps.commands import human_line
    from rppg.apps.report import process_figure
    from rppg.chain.process import process_video

    result = process_video(short_video, method="pos")
    # On the rounding edge: -1.4502 is -1.5 to one decimal, but summary.json holds -1.45,
    # which prints as -1.4; the picture must say what the line says.
    result = replace(result, analysis=replace(result.analysis, snr_db=-1.4502))
    line = human_line(result.video, result.summary())
    title = process_figure(result)._suptitle.get_text()
    assert "SNR -1.4 dB" in line and "SNR -1.4 dB" in title


@pytest.mark.slow
def test_evaluation_figures_read_at_a_glance(tmp_path):
    from rppg.apps.evaluate import evaluate
    from rppg.apps.report import bland_altman_figure, hr_over_time_figure
    from rppg.config import Config
    from rppg.synth.layouts import write_dataset
    from rppg.synth.spec import mixed_specs

    write_dataset(mixed_specs(2, seed=3, duration_s=14.0, width=160, height=120), tmp_path, "ubfc")
    report = evaluate("ubfc", tmp_path, ["pos"], Config(), cache_dir=None)
    ba = bland_altman_figure(report, "pos")
    (ax,) = ba.get_axes()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labelled(ax) and any("1.96 SD" in text for text in labels) and width_px(ba) >= 1000
    over = hr_over_time_figure(report.results[0])
    assert labelled(over.get_axes()[0]) and width_px(over) >= 1000


def test_mask_figure_has_a_colour_bar():
    from rppg.apps.mask_pictures import mask_figure

    yy, xx = np.mgrid[:36, :36]
    region = (((yy - 18) / 15) ** 2 + ((xx - 18) / 12) ** 2 <= 1).astype(float)
    fig = mask_figure(np.full((36, 36), 0.7), region, np.full((36, 36, 3), 120, np.uint8))
    assert len(fig.get_axes()) == 3  # two panels and the colour bar
    assert "mask weight" in fig.get_axes()[2].get_ylabel()


def test_one_recording_shows_no_standard_errors():
    from rppg.apps.report import format_table
    from rppg.apps.scoring import Evaluation, Row
    from rppg.signal.metrics import hr_metrics

    m = {"method": "pos"} | hr_metrics([70.0], [71.0], [2.0])
    table = format_table(Evaluation([Row("a", "pos", 70.0, 71.0, 1.0, 2.0)], [m], []))
    assert "±" not in table and "1.00" in table
