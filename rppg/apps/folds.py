"""Subject-level cross-validation of the mask (``rppg train --folds K``): the evidence that a
learned stage earns its place, each subject's figure from a mask that never saw that subject.

    results = cross_validate(cfg, out, "ubfc", root, folds=7)   # leave one subject out
    [(r.subjects, r.mask_mae_bpm, r.uniform_mae_bpm) for r in results]

The subjects are dealt into K folds (seeded). For each fold the mask is trained on the other
subjects, its best epoch chosen on a validation share of those (never on the held-out fold),
and then scored on the held-out fold against the same chain with every pixel alike (method
``agree``: the same two projections and tracker, uniform weights). ``OUT/fold<k>/`` holds
each fold's run; ``OUT/folds.csv`` the table. The weights are for measuring: do not ship
weights trained on research-only data.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rppg.apps.train import fit, initial_net, validate
from rppg.apps.train_data import CropSet, check_ranges, crop_sets, split_names, training_dataset
from rppg.config import Config
from rppg.errors import RppgError
from rppg.files import write_csv, write_json
from rppg.io import load_dataset
from rppg.mask.net import load_mask_model

UNIFORM_METHOD = "agree"
"""The held-out baseline: the mask method's own chain with every pixel alike."""
FOLD_COLUMNS = [
    "fold",
    "subjects",
    "mask_mae_bpm",
    "uniform_mae_bpm",
    "mask_snr_db",
    "uniform_snr_db",
    "best_epoch",
]


@dataclass
class FoldResult:
    """One fold's held-out figures (means over its recordings)."""

    fold: int
    subjects: list[str]
    mask_mae_bpm: float
    uniform_mae_bpm: float
    mask_snr_db: float
    uniform_snr_db: float
    best_epoch: int
    """The epoch chosen on the fold's inner validation subjects (0: the starting weights)."""

    def row(self) -> list:
        return [
            self.fold,
            " ".join(self.subjects),
            self.mask_mae_bpm,
            self.uniform_mae_bpm,
            self.mask_snr_db,
            self.uniform_snr_db,
            self.best_epoch,
        ]


def subject_folds(subjects: list[str], folds: int, seed: int) -> list[list[str]]:
    """The subjects dealt into ``folds`` groups of near-equal size (shuffled with ``seed``),
    each sorted; every subject in exactly one."""
    if not 2 <= folds <= len(subjects):
        raise RppgError(f"--folds must be from 2 to the number of subjects ({len(subjects)}), got {folds}")
    order = np.random.default_rng(seed).permutation(len(subjects))
    return [sorted(subjects[i] for i in order[k::folds]) for k in range(folds)]


def cross_validate(
    cfg: Config,
    out: str | os.PathLike,
    dataset: str | None,
    root: str | os.PathLike | None,
    folds: int,
    log=print,
) -> list[FoldResult]:
    """Train and score the mask fold by fold (see the module's text); writes
    ``OUT/folds.csv``."""
    if cfg.train.unsupervised:
        raise RppgError("--folds needs ground truth to score held-out subjects: drop --unsupervised")
    check_ranges(cfg.train)
    out = Path(out)
    dataset, root = training_dataset(cfg, out, dataset, root)
    sets = crop_sets(load_dataset(dataset, root), cfg, out / "crops", True, log)
    subjects = sorted({s.subject for s in sets})
    results = []
    for k, held in enumerate(subject_folds(subjects, folds, cfg.train.seed), start=1):
        log(f"fold {k} of {folds}: holding out {', '.join(held)}")
        results.append(_one_fold(cfg, out / f"fold{k}", k, held, sets, log))
    write_csv(out / "folds.csv", FOLD_COLUMNS, [r.row() for r in results])
    return results


def _one_fold(cfg: Config, out: Path, k: int, held: list[str], sets: list[CropSet], log) -> FoldResult:
    rest = sorted({s.subject for s in sets} - set(held))
    inner_train, inner_val = split_names(rest, cfg.train.val_fraction, cfg.train.seed)
    split = {"train": inner_train, "validation": inner_val, "held_out": held}
    write_json(split, out / "split.json")
    run = fit(
        cfg,
        [s for s in sets if s.subject in inner_train],
        [s for s in sets if s.subject in inner_val],
        out,
        log=log,
        net=initial_net(cfg),
    )
    held_sets = [s for s in sets if s.subject in held]
    mask_mae, mask_snr = validate(load_mask_model(run.weights), held_sets, cfg)
    uniform_mae, uniform_snr = validate(None, held_sets, cfg, uniform_method=UNIFORM_METHOD)
    return FoldResult(k, held, mask_mae, uniform_mae, mask_snr, uniform_snr, run.best_epoch)


def summary_lines(results: list[FoldResult]) -> list[str]:
    """The table ``rppg train --folds`` prints: a line per fold and the mean."""

    def cells(mae_m: float, mae_u: float, snr_m: float, snr_u: float) -> str:
        mae = "n/a" if math.isnan(mae_m) else f"{mae_m:6.2f} vs {mae_u:6.2f} bpm"
        return f"MAE {mae}, SNR {snr_m:6.2f} vs {snr_u:6.2f} dB"

    lines = [
        f"fold {r.fold} ({', '.join(r.subjects)}): "
        + cells(r.mask_mae_bpm, r.uniform_mae_bpm, r.mask_snr_db, r.uniform_snr_db)
        for r in results
    ]
    mean = [float(np.mean([getattr(r, f) for r in results])) for f in FOLD_COLUMNS[2:6]]
    lines.append(f"held-out mean, mask vs every pixel alike ({UNIFORM_METHOD}): " + cells(*mean))
    return lines
