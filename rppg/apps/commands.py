"""The ``rppg`` commands: each one's arguments beside what it runs.

    rppg process face.avi --json
    rppg synth out/ --hr 75 --duration 30 --format ubfc

Registered in :data:`rppg.apps.options.COMMANDS` in the order ``rppg`` lists them; the
parser and the exit codes are :mod:`rppg.apps.cli`'s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from rppg.apps.options import (
    OUT_FILES,
    add_batch_args,
    add_config_args,
    add_faces_arg,
    command,
    config_from_args,
)
from rppg.config import Config, dump_yaml
from rppg.errors import RppgError
from rppg.synth.spec import SynthSpec

# --------------------------------------------------------------------------- process


def process_arguments(p: argparse.ArgumentParser) -> None:

    p.add_argument(
        "video",
        nargs="+",
        help="video file or folder of images; several, or a folder of videos (or of folders of "
        "videos), for a batch",
    )
    p.add_argument("--method", help=f"pulse method (default: {Config().method}); see 'rppg methods'")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write " + ", ".join(OUT_FILES) + " into DIR (a batch: DIR/<video>/ each, and DIR/summary.csv)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    p.add_argument(
        "--fps", type=float, help="frame rate to use instead of the file's (default: the file's times)"
    )
    add_faces_arg(p)
    add_batch_args(p, "videos (in a batch)")
    add_config_args(p)


@command(
    "process",
    "heart rate of a video file or image folder (or several)",
    "rppg process face.mp4 --out results/",
    process_arguments,
)
def process(args: argparse.Namespace) -> int:
    from rppg.apps.process_many import expand_inputs
    from rppg.batch.parallel import check_batch

    cfg = config_from_args(args)
    check_batch(cfg.batch)
    videos = expand_inputs(args.video)
    if len(videos) > 1:
        return process_batch(args, cfg, videos)
    return process_one(args, cfg, videos[0])


def process_one(args: argparse.Namespace, cfg: Config, video: Path) -> int:
    from rppg.apps.process_many import process_into
    from rppg.files import prepare_out_dir
    from rppg.io import open_source

    source = open_source(video, fps=args.fps)  # a bad input fails before --out is made
    out = prepare_out_dir(args.out) if args.out else None
    result, summary = process_into(source, cfg, out)
    if args.json:
        print(json.dumps(summary))
    else:
        print(human_line(str(video), summary))
        for face in summary.get("faces", []):
            print(face_line(face))
        if out is not None:
            print(f"results written to {out}/")
    if result.quality in ("poor", "none"):
        reasons = "; ".join(result.warnings) or "no reason recorded"
        print(f"rppg: warning: {video}: quality {result.quality}: {reasons}", file=sys.stderr)
    return 0


def human_line(video: str, s: dict) -> str:
    """The one line ``rppg process`` prints for a video."""
    hr = "n/a" if s["hr_bpm"] is None else f"{s['hr_bpm']:.1f} bpm"
    snr = "n/a" if s["snr_db"] is None else f"{s['snr_db']:.1f} dB"
    return (
        f"{video}: heart rate {hr} (quality {s['quality']}, SNR {snr}, method {s['method']}); "
        f"{s['frames']} frames, {s['fps']:.2f} fps, {s['duration_s']:.1f} s, "
        f"face in {100 * s['face_ratio']:.0f}% of frames; took {s['seconds']:.1f} s"
    )


def face_line(face: dict) -> str:
    """The line ``rppg process --faces`` prints for each face."""
    hr = "n/a" if face["hr_bpm"] is None else f"{face['hr_bpm']:.1f} bpm"
    x, y, w, h = face["box"] or (0, 0, 0, 0)
    why = f": {'; '.join(face['warnings'])}" if face["warnings"] else ""
    return (
        f"  face {face['id']}: heart rate {hr} (quality {face['quality']}), "
        f"{face['t_start_s']:.1f}-{face['t_end_s']:.1f} s, box {w:.0f}x{h:.0f} at ({x:.0f}, {y:.0f}){why}"
    )


def process_batch(args: argparse.Namespace, cfg: Config, videos: list[Path]) -> int:
    """Several videos: with --out, a sub-folder each and summary.csv; a line each, printed
    as each video finishes."""
    from rppg.apps.process_many import process_many
    from rppg.batch.parallel import progress_bar
    from rppg.files import prepare_out_dir

    if args.fps:
        raise RppgError("--fps applies to one video at a time")
    out = prepare_out_dir(args.out) if args.out else None

    def say(row: dict) -> None:
        if args.json:
            print(json.dumps(row), flush=True)
        elif row["status"] == "ok":
            hr = "n/a" if row["hr_bpm"] is None else f"{row['hr_bpm']:.1f} bpm"
            why = f": {'; '.join(row['warnings'])}" if row["warnings"] else ""
            print(f"{row['video']}: heart rate {hr} (quality {row['quality']}){why}", flush=True)
        else:
            print(f"{row['video']}: {row['status']}", flush=True)

    rows = process_many(videos, cfg, out, progress_bar, done=say)
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        print(f"rppg: {len(failed)} of {len(rows)} videos failed (see status)", file=sys.stderr)
    if args.out:
        print(
            f"results in {args.out}/<video>/ and {args.out}/summary.csv",
            file=sys.stderr if args.json else sys.stdout,
        )
    return 0


# --------------------------------------------------------------------------- live


def live_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--camera", type=int, default=0, help="camera index (default: 0)")
    group.add_argument("--source", metavar="VIDEO", help="play this video as if it were a camera")
    p.add_argument("--headless", action="store_true", help="no window: one JSON line per second of video")
    p.add_argument(
        "--browser", action="store_true", help="a local web page instead of a window (needs 'rppg[web]')"
    )
    p.add_argument("--no-open", action="store_true", help="with --browser: print the URL, open no browser")
    p.add_argument("--port", type=int, default=0, help="with --browser: the port (default: a free one)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="with --browser: the address to listen on (default: 127.0.0.1, this machine only; "
        "another one lets other machines in: a warning is printed)",
    )
    p.add_argument("--fast", action="store_true", help="with --source: as fast as possible, not in real time")
    p.add_argument(
        "--record",
        metavar="DIR",
        help="save video, frame times, heart rates and pulse into DIR (--browser: the folder the "
        "record button saves each session into, default ./rppg-recordings)",
    )
    p.add_argument(
        "--snapshots", metavar="DIR", default=".", help="where the s key saves pictures (default: .)"
    )
    p.add_argument("--method", help=f"pulse method (default: {Config().method})")
    add_faces_arg(p)
    add_config_args(p)


@command(
    "live",
    "live heart rate from a webcam, or a video played as one",
    "rppg live --browser  (or: rppg live --source face.mp4 --headless)",
    live_arguments,
    "Keys: q quit, m mask, s snapshot.",
)
def live(args: argparse.Namespace) -> int:
    from rppg.apps.live import LiveOptions, run_live
    from rppg.files import prepare_out_dir
    from rppg.io import CameraSource, VideoFileSource

    cfg = config_from_args(args)
    if args.browser:
        from rppg.apps.web import BrowserOptions, serve

        opts = BrowserOptions(
            args.host,
            args.port,
            not args.no_open,
            Path(args.source) if args.source else None,
            not args.fast,
            Path(args.record or "rppg-recordings"),
        )
        return serve(cfg, opts)
    record = prepare_out_dir(args.record) if args.record else None
    if not args.headless and not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        raise RppgError("no display to show the window on (DISPLAY is unset); use --headless")
    source = VideoFileSource(args.source) if args.source else CameraSource(args.camera)
    opts = LiveOptions(
        headless=args.headless, realtime=not args.fast, record=record, snapshot_dir=Path(args.snapshots)
    )
    with source:
        return run_live(source, cfg, opts)


# --------------------------------------------------------------------------- evaluate


def evaluate_arguments(p: argparse.ArgumentParser) -> None:
    """``rppg evaluate``'s (``scripts/evaluate.py`` runs this command through ``cli.main``)."""
    p.add_argument(
        "--dataset", required=True, help="layout: ubfc, pure, deap, physrecorder, biaseval, generic"
    )
    p.add_argument("--root", required=True, help="the dataset's root folder")
    p.add_argument("--methods", help="comma-separated methods (default: all; see 'rppg methods')")
    p.add_argument("--out", default="evaluation", help="output folder (default: ./evaluation)")
    p.add_argument("--json", action="store_true", help='print {"metrics": [...]} on stdout')
    p.add_argument(
        "--cache",
        metavar="DIR",
        help="trace cache folder (default: $XDG_CACHE_HOME/rppg/traces, else ~/.cache/rppg/traces)",
    )
    p.add_argument("--no-cache", action="store_true", help="always decode the videos")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="evaluate every recording again (default: a run stopped part-way resumes: rows kept in "
        "OUT/recordings/ by an earlier run with the same settings are reused)",
    )
    add_batch_args(p, "recordings")
    add_config_args(p)


@command(
    "evaluate",
    "metrics of methods over a dataset with ground truth",
    "rppg evaluate --dataset ubfc --root DATASET_2/ --methods mask,pos",
    evaluate_arguments,
)
def evaluate(args: argparse.Namespace) -> int:
    from rppg.apps.evaluate import evaluate
    from rppg.apps.report import format_table, metrics_rows, write_evaluation
    from rppg.batch.cache import default_cache_dir
    from rppg.batch.parallel import check_batch, progress_bar
    from rppg.files import prepare_out_dir

    cfg = config_from_args(args)
    check_batch(cfg.batch)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    out = prepare_out_dir(args.out)
    cache = None if args.no_cache else Path(args.cache) if args.cache else default_cache_dir() / "traces"
    keep = out / "recordings"
    if args.fresh:
        shutil.rmtree(keep, ignore_errors=True)
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731  (stdout: the table or the JSON)
    try:
        evaluation = evaluate(
            args.dataset, args.root, methods, cfg, cache_dir=cache, progress=progress_bar, keep=keep, log=log
        )
    except KeyboardInterrupt:
        log(f"rppg: interrupted; finished recordings are kept in {keep}/ and the same command resumes")
        return 130
    write_evaluation(evaluation, out)
    if args.json:
        print(json.dumps({"metrics": metrics_rows(evaluation)}))
    else:
        print(format_table(evaluation))
        print(f"per-recording rows, metrics and plots in {out}/")
    n_recs = len({r.recording for r in evaluation.rows})
    if evaluation.failed:
        print(
            f"rppg: {len(evaluation.failed)} of {n_recs} recordings failed (see status in "
            f"{out / 'per_video.csv'}): {', '.join(evaluation.failed)}",
            file=sys.stderr,
        )
    return 0


# --------------------------------------------------------------------------- synth

SYNTH_OPTIONS = {
    "hr": ("hr_bpm", "mean heart rate (bpm)"),
    "duration": ("duration_s", "length (s)"),
    "fps": ("fps", "frame rate (Hz)"),
    "seed": ("seed", "random seed: the same seed gives the same video"),
    "motion": ("motion_px", "head sway amplitude (px at 640x480)"),
    "noise": ("noise_std", "sensor noise std (grey levels)"),
    "distractor": ("distractor_amplitude", "relative colour flicker of hair and wall at another rate"),
    "drift": ("hr_drift_bpm", "heart-rate change over the video (bpm)"),
    "codec": ("codec", "MJPG, mp4v, XVID or I420"),
    "lag": ("ppg_lag_s", "contact-PPG delay behind the face (s)"),
    "jitter": ("timestamp_jitter_s", "frame-time jitter std (s), for layouts that store times"),
}
"""``rppg synth`` flags -> SynthSpec fields (whose defaults are the flags' defaults)."""


def synth_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", help="folder to write the recording into")
    p.add_argument(
        "--format",
        default="generic",
        help="layout: generic, ubfc, pure, deap, physrecorder (default: generic)",
    )
    p.add_argument("--name", help="recording name inside the layout (default: the layout's own)")
    p.add_argument("--size", default="640x480", help="WIDTHxHEIGHT (default: 640x480)")
    spec = SynthSpec()
    for flag, (field, text) in SYNTH_OPTIONS.items():
        default = getattr(spec, field)
        p.add_argument(f"--{flag}", type=type(default), default=default, help=f"{text} (default: {default})")


@command(
    "synth",
    "write a synthetic face video with a known pulse",
    "rppg synth out/ --hr 75 --duration 30",
    synth_arguments,
)
def synth(args: argparse.Namespace) -> int:
    from rppg.synth.layouts import write_recording

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise RppgError(f"--size must look like 640x480, got {args.size!r}") from None
    if args.hr <= 0 or args.duration <= 0 or args.fps <= 0:
        raise RppgError("--hr, --duration and --fps must be positive")
    values = {field: getattr(args, flag) for flag, (field, _) in SYNTH_OPTIONS.items()}
    spec = SynthSpec(width=width, height=height, **values)
    print(write_recording(spec, args.out_dir, args.format, args.name))
    return 0


# --------------------------------------------------------------------------- methods, config


@command("methods", "list the pulse methods", "rppg methods")
def methods(args: argparse.Namespace) -> int:
    from rppg.chain.methods import METHODS

    default = Config().method
    for name in METHODS:
        m = METHODS.get(name)
        weights = "learned mask" if m.weighting == "mask" else "every pixel alike"
        mark = " (default)" if name == default else ""
        print(f"{name:6s} {m.description}{mark}\n       pixels of the face region: {weights}; {m.reference}")
    return 0


CONFIG_HEADER = """\
# rppg settings, as written by 'rppg config' (configs/default.yaml is this output for the
# built-in defaults, and a test keeps the two equal). Copy it and keep what you change.
"""


@command("config", "print every setting with its value, as YAML", "rppg config > my.yaml", add_config_args)
def config(args: argparse.Namespace) -> int:
    print(CONFIG_HEADER + dump_yaml(config_from_args(args)), end="")
    return 0
