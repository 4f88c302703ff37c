"""The ``rppg`` command.

    rppg process face.avi --json
    rppg synth out/ --hr 75 --duration 30 --format ubfc

Exit codes: 0 success; 2 user error (one line on stderr); 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from rppg.config import Config, dump_yaml, load_config
from rppg.errors import RppgError
from rppg.synth.spec import SynthSpec

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage dumps."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def command(name: str):
    def add(fn: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = fn
        return fn

    return add


def add_config_args(p: argparse.ArgumentParser, weights: bool = True) -> None:
    defaults = Config()
    p.add_argument(
        "--config",
        metavar="FILE",
        help="YAML settings file (default: the built-in defaults; see 'rppg config')",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one setting, e.g. --set signal.window_s=8 (repeatable; names: 'rppg config')",
    )
    p.add_argument(
        "--detector",
        help=f"face detector: blazeface, mediapipe, haar, or none for pre-cropped skin video "
        f"(default: {defaults.face.detector})",
    )
    if weights:
        p.add_argument("--weights", metavar="FILE", help="mask weights .npz (default: the shipped ones)")


def config_from_args(args: argparse.Namespace) -> Config:
    """Config file, then --set overrides, then the dedicated flags; names of methods and
    detectors checked before any work (one line, exit 2)."""
    cfg = load_config(args.config, args.set)
    if getattr(args, "method", None):
        cfg.method = args.method
    if getattr(args, "detector", None):
        cfg.face.detector = args.detector
    if getattr(args, "weights", None):
        cfg.model.weights = args.weights
    if getattr(args, "workers", None) is not None:
        cfg.batch.workers = args.workers
    if getattr(args, "cluster", None):
        cfg.batch.cluster = args.cluster
    if getattr(args, "unsupervised", None):
        cfg.train.unsupervised = True
    if getattr(args, "init", None):
        cfg.train.init = args.init
    check_names(cfg)
    return cfg


def check_names(cfg: Config) -> None:
    """The registry names in a config (method, face detector) exist."""
    from rppg.face import DETECTORS
    from rppg.methods import METHODS

    METHODS.get(cfg.method)
    DETECTORS.get(cfg.face.detector)


def add_batch_args(p: argparse.ArgumentParser, what: str) -> None:
    """``--workers`` and ``--cluster`` (settings ``batch.*``), for commands over many recordings."""
    batch = Config().batch
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"{what} processed at once: 1 one after another in this process, N in N worker "
        f"processes (with --cluster local: the LocalCluster's workers) (default: {batch.workers})",
    )
    p.add_argument(
        "--cluster",
        metavar="local|ADDRESS",
        help="run on Dask (needs 'rppg[cluster]'): 'local' starts a LocalCluster on this machine, "
        "an address such as tcp://host:8786 uses a running scheduler (default: local processes)",
    )


EXAMPLES = {
    "process": "rppg process face.mp4 --out results/",
    "live": "rppg live            (or: rppg live --source face.mp4 --headless)",
    "evaluate": "rppg evaluate --dataset ubfc --root DATASET_2/ --methods mask,pos",
    "train": "rppg train --config configs/train.yaml --out runs/mask",
    "synth": "rppg synth out/ --hr 75 --duration 30",
    "methods": "rppg methods",
    "config": "rppg config > my.yaml",
}


def usage() -> str:
    """What ``rppg`` alone prints: the commands, one example each."""
    lines = ["usage: rppg COMMAND [options]   (rppg COMMAND --help for its options; rppg --version)", ""]
    lines += [f"  {name:9s} {HELP[name]}\n            e.g. {example}" for name, example in EXAMPLES.items()]
    return "\n".join(lines)


HELP = {
    "process": "heart rate of a video file or image folder (or several)",
    "live": "live heart rate from a webcam, or a video played as one",
    "evaluate": "metrics of methods over a dataset with ground truth",
    "train": "train the skin mask (needs 'rppg[train]')",
    "synth": "write a synthetic face video with a known pulse",
    "methods": "list the pulse methods",
    "config": "print every setting with its value, as YAML",
}


def build_parser() -> argparse.ArgumentParser:
    from rppg import __version__
    from rppg.report import OUT_FILES

    defaults = Config()
    parser = _Parser(prog="rppg", description="Heart rate from face video (remote photoplethysmography).")
    parser.add_argument("--version", action="version", version=f"rppg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("process", help=HELP["process"], description=HELP["process"] + ".")
    p.add_argument(
        "video", nargs="+", help="video file or folder of images; several, or a folder of videos, for a batch"
    )
    p.add_argument("--method", help=f"pulse method (default: {defaults.method}); see 'rppg methods'")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write " + ", ".join(OUT_FILES) + " into DIR (a batch: DIR/<video>/ each, and DIR/summary.csv)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    p.add_argument(
        "--fps", type=float, help="frame rate to use instead of the file's (default: the file's times)"
    )
    add_batch_args(p, "videos (in a batch)")
    add_config_args(p)

    p = sub.add_parser("synth", help=HELP["synth"], description=HELP["synth"] + ".")
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

    add_evaluate_parser(sub)

    p = sub.add_parser("train", help=HELP["train"], description=HELP["train"] + ".")
    p.add_argument(
        "--dataset",
        help="layout of the training data (default: ubfc; with --unsupervised: generic, any videos)",
    )
    p.add_argument("--root", help="dataset root (default: none: a synthetic set is generated)")
    p.add_argument("--out", default="runs/mask", help="run folder (default: runs/mask)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    add_batch_args(p, "recordings whose face crops are extracted")
    p.add_argument(
        "--unsupervised",
        action="store_true",
        default=None,
        help="learn without ground truth (SiNC losses), e.g. on your own videos (default: supervised)",
    )
    p.add_argument(
        "--init",
        metavar="WEIGHTS",
        help="start from these weights: 'shipped' or a mask_weights.npz (default: random)",
    )
    add_config_args(p, weights=False)

    p = sub.add_parser(
        "live", help=HELP["live"], description=HELP["live"] + ". Keys: q quit, m mask, s snapshot."
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--camera", type=int, default=0, help="camera index (default: 0)")
    group.add_argument("--source", metavar="VIDEO", help="play this video as if it were a camera")
    p.add_argument("--headless", action="store_true", help="no window: one JSON line per second of video")
    p.add_argument("--fast", action="store_true", help="with --source: as fast as possible, not in real time")
    p.add_argument("--record", metavar="DIR", help="save video, frame times and heart rates into DIR")
    p.add_argument(
        "--snapshots", metavar="DIR", default=".", help="where the s key saves pictures (default: .)"
    )
    p.add_argument("--method", help=f"pulse method (default: {defaults.method})")
    add_config_args(p)

    sub.add_parser("methods", help=HELP["methods"], description=HELP["methods"] + ".")
    p = sub.add_parser("config", help=HELP["config"], description=HELP["config"] + ".")
    add_config_args(p)
    return parser


@command("process")
def _process(args: argparse.Namespace) -> int:
    from rppg.batch import expand_inputs
    from rppg.parallel import check_batch

    cfg = config_from_args(args)
    check_batch(cfg.batch)
    videos = expand_inputs(args.video)
    if len(videos) > 1:
        return _process_batch(args, cfg, videos)
    return _process_one(args, cfg, videos[0])


def _process_one(args: argparse.Namespace, cfg: Config, video: Path) -> int:
    from rppg.files import prepare_out_dir
    from rppg.io import open_source
    from rppg.pipeline import process_video
    from rppg.report import MeanPictures, write_process_outputs

    source = open_source(video, fps=args.fps)  # a bad input fails before --out is made
    out = prepare_out_dir(args.out) if args.out else None
    pictures = MeanPictures()
    result = process_video(source, config=cfg, on_sample=pictures.add if out is not None else None)
    summary = result.summary()
    if out is not None:
        write_process_outputs(result, out, summary, pictures)
    if args.json:
        print(json.dumps(summary))
    else:
        print(human_line(str(video), summary))
        if out is not None:
            print(f"results written to {out}/")
    if result.quality in ("poor", "none"):
        reasons = "; ".join(result.warnings) or "no reason recorded"
        print(f"rppg: warning: {video}: quality {result.quality}: {reasons}", file=sys.stderr)
    return 0


def human_line(video: str, s: dict) -> str:
    hr = "n/a" if s["hr_bpm"] is None else f"{s['hr_bpm']:.1f} bpm"
    snr = "n/a" if s["snr_db"] is None else f"{s['snr_db']:.1f} dB"
    return (
        f"{video}: heart rate {hr} (quality {s['quality']}, SNR {snr}, method {s['method']}); "
        f"{s['frames']} frames, {s['fps']:.2f} fps, {s['duration_s']:.1f} s, "
        f"face in {100 * s['face_ratio']:.0f}% of frames; took {s['seconds']:.1f} s"
    )


def _process_batch(args: argparse.Namespace, cfg: Config, videos: list[Path]) -> int:
    """Several videos: with --out, a sub-folder each and summary.csv; always a line each."""
    from rppg.batch import process_many
    from rppg.files import prepare_out_dir
    from rppg.parallel import progress_bar

    if args.fps:
        raise RppgError("--fps applies to one video at a time")
    out = prepare_out_dir(args.out) if args.out else None
    rows = process_many(videos, cfg, out, progress_bar)
    for row in rows:
        if args.json:
            print(json.dumps(row))
        elif row["status"] == "ok":
            print(f"{row['video']}: heart rate {row['hr_bpm']:.1f} bpm (quality {row['quality']})")
        else:
            print(f"{row['video']}: {row['status']}")
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        print(f"rppg: {len(failed)} of {len(rows)} videos failed (see status)", file=sys.stderr)
    if args.out:
        print(
            f"results in {args.out}/<video>/ and {args.out}/summary.csv",
            file=sys.stderr if args.json else sys.stdout,
        )
    return 0


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


@command("synth")
def _synth(args: argparse.Namespace) -> int:
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


def add_evaluate_parser(sub) -> None:
    """``rppg evaluate`` (``scripts/evaluate.py`` runs this command through :func:`main`)."""
    p = sub.add_parser("evaluate", help=HELP["evaluate"], description=HELP["evaluate"] + ".")
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


@command("evaluate")
def _evaluate(args: argparse.Namespace) -> int:
    from rppg.cache import default_cache_dir
    from rppg.evaluate import evaluate
    from rppg.files import prepare_out_dir
    from rppg.parallel import check_batch, progress_bar
    from rppg.report import format_table, metrics_rows, write_evaluation

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
        report = evaluate(
            args.dataset, args.root, methods, cfg, cache_dir=cache, progress=progress_bar, keep=keep, log=log
        )
    except KeyboardInterrupt:
        log(f"rppg: interrupted; finished recordings are kept in {keep}/ and the same command resumes")
        return 130
    write_evaluation(report, out)
    if args.json:
        print(json.dumps({"metrics": metrics_rows(report)}))
    else:
        print(format_table(report))
        print(f"per-recording rows, metrics and plots in {out}/")
    n_recs = len({r.recording for r in report.rows})
    if report.failed:
        print(
            f"rppg: {len(report.failed)} of {n_recs} recordings failed (see status in "
            f"{out / 'per_video.csv'}): {', '.join(report.failed)}",
            file=sys.stderr,
        )
    return 0


@command("train")
def _train(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("torch") is None:  # only training needs it
        raise RppgError("rppg train needs torch: pip install 'rppg[train]'")
    from rppg.files import prepare_out_dir
    from rppg.parallel import check_batch
    from rppg.train import train

    cfg = config_from_args(args)
    check_batch(cfg.batch)
    out = prepare_out_dir(args.out)
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731  (stdout: the result only)
    r = train(cfg, out, args.dataset, args.root, args.resume, log)
    mae = (
        ""
        if math.isnan(r.best_val_mae_bpm)
        else (f"MAE {r.best_val_mae_bpm:.2f} bpm (uniform weights {r.uniform_val_mae_bpm:.2f}), ")
    )
    snr = f"SNR {r.best_val_snr_db:.2f} dB (uniform weights {r.uniform_val_snr_db:.2f})"
    kept = f" (the starting weights, {cfg.train.init}: no epoch did better)" if r.best_epoch == 0 else ""
    print(f"best validation {mae}{snr}; {r.step} steps, {r.seconds:.0f} s; weights: {r.weights}{kept}")
    return 0


@command("live")
def _live(args: argparse.Namespace) -> int:
    from rppg.files import prepare_out_dir
    from rppg.io import CameraSource, VideoFileSource
    from rppg.live import LiveOptions, run_live

    cfg = config_from_args(args)
    record = prepare_out_dir(args.record) if args.record else None
    if not args.headless and not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        raise RppgError("no display to show the window on (DISPLAY is unset); use --headless")
    source = VideoFileSource(args.source) if args.source else CameraSource(args.camera)
    opts = LiveOptions(
        headless=args.headless, realtime=not args.fast, record=record, snapshot_dir=Path(args.snapshots)
    )
    with source:
        return run_live(source, cfg, opts)


@command("methods")
def _methods(args: argparse.Namespace) -> int:
    from rppg.methods import METHODS

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


@command("config")
def _config(args: argparse.Namespace) -> int:
    print(CONFIG_HEADER + dump_yaml(config_from_args(args)), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        print(usage())
        return 0
    try:
        return COMMANDS[args.command](args)
    except RppgError as exc:
        print(f"rppg: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rppg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line, the traceback on request
        if os.environ.get("RPPG_DEBUG"):
            traceback.print_exc()
        print(
            f"rppg: unexpected error: {type(exc).__name__}: {exc} (RPPG_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
