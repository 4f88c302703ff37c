"""The ``rppg`` commands of the skin mask: training it, and exporting it for other runtimes.

    rppg train --config configs/train.yaml --out runs/mask
    rppg export-mask mask.onnx

Registered in :data:`rppg.apps.options.COMMANDS` after :mod:`rppg.apps.commands`' ones.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from rppg.apps.options import add_batch_args, add_config_args, command, config_from_args
from rppg.assets import SHIPPED_MASKS
from rppg.errors import RppgError


def train_arguments(p: argparse.ArgumentParser) -> None:
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
    p.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="cross-validate by subject: K runs, each scored on the subjects it never saw, "
        "mask against every pixel alike (default: 0, one run)",
    )
    add_config_args(p, weights=False)


@command(
    "train",
    "train the skin mask (needs 'rppg[train]')",
    "rppg train --config configs/train.yaml --out runs/mask",
    train_arguments,
)
def train(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("torch") is None:  # only training needs it
        raise RppgError("rppg train needs torch: pip install 'rppg[train]'")
    from rppg.apps.train import train
    from rppg.batch.parallel import check_batch
    from rppg.files import prepare_out_dir

    cfg = config_from_args(args)
    check_batch(cfg.batch)
    if cfg.train.folds < 0 or cfg.train.folds == 1:  # said before minutes of crop extraction
        raise RppgError(f"--folds must be 0 (one run) or at least 2, got {cfg.train.folds}")
    if cfg.train.folds and args.resume:
        raise RppgError("--resume continues one run; it does not combine with --folds")
    out = prepare_out_dir(args.out)
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731  (stdout: the result only)
    if cfg.train.folds:
        from rppg.apps.folds import cross_validate, summary_lines

        results = cross_validate(cfg, out, args.dataset, args.root, cfg.train.folds, log)
        print("\n".join(summary_lines(results)) + f"\nper fold: {out / 'folds.csv'}")
        return 0
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


def export_mask_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="FILE.onnx", help="ONNX file to write")
    p.add_argument("--weights", metavar="FILE", help="mask weights .npz (default: the shipped ones)")
    p.add_argument(
        "--region",
        choices=sorted(SHIPPED_MASKS),
        default="landmarks",
        help="without --weights: the mask shipped for this face region (default: landmarks)",
    )


@command(
    "export-mask",
    "write the skin mask as an ONNX model (needs 'rppg[onnx]')",
    "rppg export-mask mask.onnx",
    export_mask_arguments,
    "Input 'crops': uint8 BGR face crops (N, H, W, 3); output 'mask': weights (N, H, W) in (0, 1). "
    "The input normalisation is inside the graph.",
)
def export_mask(args: argparse.Namespace) -> int:
    from rppg.mask.export import export_mask

    if Path(args.out).suffix.lower() != ".onnx":
        raise RppgError(f"{args.out}: the output file must end in .onnx")
    print(export_mask(args.out, args.weights, args.region))
    return 0
