"""What the ``rppg`` commands share: the command record and its registry, the options that
several commands take (settings, batch), and settings from arguments.

    @command("methods", "list the pulse methods", "rppg methods")
    def methods(args) -> int: ...                       # and its arguments: see Command

    cfg = config_from_args(args)     # config file, then --set, then the dedicated flags
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from rppg.config import Config, load_config


@dataclass(frozen=True)
class Command:
    """One ``rppg`` command: what it is for, one example, its arguments and what it runs."""

    name: str
    help: str
    example: str
    run: Callable[[argparse.Namespace], int]
    """Runs the command; its exit code."""
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    """Adds the command's arguments to its parser."""
    description: str = ""
    """Shown by ``rppg COMMAND --help`` after the help line."""


COMMANDS: dict[str, Command] = {}
"""The commands in the order ``rppg`` lists them."""


def command(name: str, help: str, example: str, arguments=None, description: str = ""):
    """Register the decorated function as command ``name``'s handler."""

    def add(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = Command(name, help, example, run, arguments, description)
        return run

    return add


def add_config_args(p: argparse.ArgumentParser, weights: bool = True) -> None:
    """``--config``, ``--set``, ``--detector`` (and ``--weights``): the settings."""
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


def faces_count(text: str) -> int:
    """``--faces``: a count of faces from 1 up, or ``all`` (0, the setting's "every face")."""
    if text.strip().lower() == "all":
        return 0
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a number of faces (1, 2, ...) or 'all', got {text!r}")
    return n


def add_faces_arg(p: argparse.ArgumentParser) -> None:
    """``--faces N|all`` (setting ``face.max_faces``)."""
    p.add_argument(
        "--faces",
        type=faces_count,
        metavar="N|all",
        help="how many faces to follow, each with its own id and heart rate: 1 (default) the "
        "largest face, N up to N, 'all' every face found",
    )


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


OUT_FILES = {
    "summary.json": "the --json summary",
    "hr.csv": "heart rate per window (t_s, hr_bpm, snr_db, quality)",
    "trace.csv": "colour of the face region per frame (8-bit levels)",
    "pulse.csv": "the pulse on a uniform time grid (t_s, pulse_au)",
    "beats.csv": "beat times and intervals (t_s, ibi_ms, quality)",
    "hrv.json": "SDNN, RMSSD, pNN50 (null with a reason when the signal does not allow)",
    "<video>_physio.tsv.gz": "the pulse as BIDS physiological data",
    "<video>_physio.json": "its BIDS sidecar (SamplingFrequency, StartTime, Columns, units)",
    "plot.png": "trace, pulse, the windows' spectra and the heart rate over time",
    "mask.png": "the mean skin mask over the whole face crop (method mask)",
    "mask_overlay.png": "the mean face with its region, beside the mask over the whole crop (method mask)",
}
"""What ``rppg process --out DIR`` writes (``rppg process --help`` lists them; kept
here, apart from the writers, so that the help loads no numpy)."""


FLAGS = {
    "method": ("method",),
    "detector": ("face", "detector"),
    "faces": ("face", "max_faces"),
    "weights": ("model", "weights"),
    "workers": ("batch", "workers"),
    "cluster": ("batch", "cluster"),
    "unsupervised": ("train", "unsupervised"),
    "init": ("train", "init"),
    "folds": ("train", "folds"),
}
"""Dedicated flags -> the setting each overrides (given: not None)."""


def config_from_args(args: argparse.Namespace) -> Config:
    """Config file, then --set overrides, then the dedicated flags; names of methods and
    detectors checked before any work (one line, exit 2)."""
    cfg = load_config(args.config, args.set)
    for flag, path in FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            *sections, leaf = path
            target = cfg
            for section in sections:
                target = getattr(target, section)
            setattr(target, leaf, value)
    check_names(cfg)
    return cfg


def check_names(cfg: Config) -> None:
    """The registry names in a config (method, face detector) exist."""
    from rppg.chain.methods import METHODS
    from rppg.face.detect import DETECTORS

    METHODS.get(cfg.method)
    DETECTORS.get(cfg.face.detector)
