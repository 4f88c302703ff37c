"""Training the skin mask (``rppg train``): against a ground-truth pulse, or, with
``train.unsupervised``, on any face video without one.

One file owns the loop, in order: the differentiable chain (mask -> weighted mean colour ->
POS), the loss (:mod:`rppg.mask.losses`), validation, and the loop with checkpoints and logs.
The data it runs on (face crops cached per recording, the ground-truth pulse at frame times,
the split, clips) is :mod:`rppg.apps.train_data`.

    result = train(load_config("configs/train.yaml"), out="runs/mask")
    result.best_val_mae_bpm, result.uniform_val_mae_bpm
    fit(cfg, train_sets, val_sets, out)      # the loop alone, on crop sets of your own

Supervised: a subject-disjoint split, the best epoch by validation heart-rate MAE.
Unsupervised: each recording's last ``val_fraction`` of time held out, the best epoch by
validation pulse SNR (no label anywhere); starting weights (``train.init``) count as epoch 0,
so adaptation never hands back weights worse on the held-out part than those it started
from. Seeded (clip sampling and augmentation are re-seeded from (seed, epoch), so a resumed
run continues exactly as an uninterrupted one); AdamW with warm-up and cosine decay;
checkpoints written atomically; ``log.csv`` and ``curves.png`` per epoch.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rppg.apps.report import plot_training_curves
from rppg.apps.teacher import sets_agreement, taught_batch
from rppg.apps.train_data import Clips, CropSet, load_training_sets, sample_clips
from rppg.chain.pipeline import heart_rate, pulse_of
from rppg.chain.trace import Trace, TraceBuilder
from rppg.config import Config, to_dict
from rppg.files import CsvWriter, atomic_write
from rppg.mask.losses import region_loss, resample, sinc_losses, supervised_loss
from rppg.mask.net import MaskNet
from rppg.mask.net import load_arrays as load_weights
from rppg.mask.net_torch import SkinMaskNet, clip_traces, normalise, pos, to_tensor

# --------------------------------------------------------------------------- the differentiable chain


def augment(
    x: torch.Tensor, gate: torch.Tensor, rng: np.random.Generator, colour: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-clip brightness and colour gains (each channel's in 1 +- ``colour``) and a
    horizontal flip: x (B, L, 3, H, W) in [0, 1] and its region gate (B, L, H, W), flipped alike.

    Gains are multiplicative and constant over a clip, so the relative colour changes that
    carry the pulse are kept while skin looks lighter, darker or tinted."""
    b = x.shape[0]
    gain = rng.uniform(0.6, 1.3, (b, 1, 1, 1, 1)) * rng.uniform(1 - colour, 1 + colour, (b, 1, 3, 1, 1))
    x = (x * torch.from_numpy(gain).float()).clamp(0, 1)
    flip = torch.from_numpy(rng.random(b) < 0.5)
    x = torch.where(flip[:, None, None, None, None], x.flip(-1), x)
    return x, torch.where(flip[:, None, None, None], gate.flip(-1), gate)


def clip_loss(net: SkinMaskNet, clips: Clips, cfg: Config, rng: np.random.Generator | None) -> torch.Tensor:
    """The loss of a batch: against its reference pulses, or, unlabelled, the SiNC losses
    of its pulses played at random speeds (see :func:`rppg.losses.resample`)."""
    tc = cfg.train
    x = to_tensor(clips.crops)  # (B, L, 3, S, S)
    gate = torch.from_numpy(clips.regions).float().div_(255.0)
    if rng is not None and tc.augment:
        x, gate = augment(x, gate, rng, tc.colour_gain)
    traces = clip_traces(net, x, gate)
    window = max(2, int(round(cfg.signal.projection_window_s * clips.fs)))
    band = cfg.signal.band_hz
    if clips.pulses is not None:
        pred = pos(traces, window)
        max_lag = int(round(tc.max_lag_s * clips.fs))
        target = torch.from_numpy(clips.pulses).float()
        return supervised_loss(pred, target, clips.fs, band, max_lag, tc.pearson_weight)
    speed_rng = rng if rng is not None else np.random.default_rng(0)
    factors = torch.from_numpy(speed_rng.uniform(*tc.speed_range, len(traces))).to(traces.dtype)
    pred = pos(resample(traces, factors), window)
    parts = sinc_losses(pred, clips.fs, band, tc.sinc_width_hz)
    return sum(w * part for w, part in zip(tc.sinc_weights, parts, strict=True))


def teacher_loss(net: SkinMaskNet, crops: np.ndarray, teacher: np.ndarray, cfg: Config, rng) -> torch.Tensor:
    """The region's loss on frames (N, S, S, 3) BGR and their teachers (N, S, S), uint8."""
    x = to_tensor(crops)[:, None]  # (N, 1, 3, S, S): one-frame clips
    target = torch.from_numpy(teacher).float().div_(255.0)[:, None]
    if rng is not None and cfg.train.augment:
        x, target = augment(x, target, rng, cfg.train.colour_gain)
    mask = net(normalise(x[:, 0]))[:, 0]
    return region_loss(mask, target[:, 0])


def train_step(net, opt, clips: Clips, cfg: Config, rng=None, taught=None) -> float:
    """One optimisation step on a batch of clips (and, with ``taught`` = (crops, teacher),
    the teacher's frames, weighted by ``train.teacher_weight``); returns the loss."""
    loss = clip_loss(net, clips, cfg, rng)
    if taught is not None:
        loss = loss + cfg.train.teacher_weight * teacher_loss(net, *taught, cfg, rng)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


# --------------------------------------------------------------------------- validation


def validation_traces(net: MaskNet | None, sets: list[CropSet], cfg: Config) -> list[Trace]:
    """Each validation recording's trace through the chain's own trace builder: the uniform
    mean inside the region (``net`` None: the baseline) or the mask's weighted mean."""
    weightings = {"uniform"} if net is None else {"mask"}
    traces = []
    for s in sets:
        builder = TraceBuilder(
            weightings, net=net, input_size=cfg.model.input_size, batch_size=cfg.model.batch_size
        )
        for fc in s.face_crops():
            builder.push(fc)
        traces.append(builder.trace())
    return traces


def validate(
    net: MaskNet | None, sets: list[CropSet], cfg: Config, uniform_method: str = "pos"
) -> tuple[float, float]:
    """(heart-rate MAE in bpm, mean pulse SNR in dB) of the whole-recording chain on held-out
    recordings: the mask method with ``net``, or ``uniform_method`` on the region's uniform
    mean (None).
    The MAE is NaN for unlabelled recordings; the SNR needs no label. Only the pulse and its
    heart rate are computed: no quality, beats or breathing."""
    errors, snrs = [], []
    method = uniform_method if net is None else "mask"
    for s, trace in zip(sets, validation_traces(net, sets, cfg), strict=True):
        hr = heart_rate(pulse_of(trace, method, cfg, s.name), cfg.signal)
        if s.hr_true_bpm is not None:
            errors.append(abs((hr.hr_bpm if hr.hr_bpm is not None else 0.0) - s.hr_true_bpm))
        snrs.append(hr.snr_db if hr.snr_db is not None else -30.0)
    return float(np.mean(errors)) if errors else math.nan, float(np.mean(snrs))


def checkpoint_rank(val_mae: float, val_snr: float, val_iou: float = math.nan) -> tuple[float, float]:
    """Order of checkpoints (lower is better): validation MAE to 0.1 bpm, then higher SNR.
    MAEs that differ by hundredths of a bpm are noise; the SNR tells the cleaner mask.
    Unlabelled (MAE NaN): the SNR alone. Taught (``val_iou`` a number): the MAE to 1 bpm,
    then the higher agreement with the landmark region, which is what the teacher trains."""
    mae = 0.0 if math.isnan(val_mae) else val_mae
    if not math.isnan(val_iou):
        return round(mae), -val_iou
    return round(mae, 1), -val_snr


# --------------------------------------------------------------------------- the loop


@dataclass
class TrainResult:
    best_val_mae_bpm: float
    """NaN when the validation recordings carry no label (unsupervised)."""
    uniform_val_mae_bpm: float
    best_val_snr_db: float
    uniform_val_snr_db: float
    epochs_run: int
    step: int
    seconds: float
    weights: Path
    best_epoch: int
    """0: the starting weights (``train.init``) stayed the best."""


def _lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


LOG_COLUMNS = [
    "epoch",
    "step",
    "train_loss",
    "val_mae_bpm",
    "val_snr_db",
    "val_region_iou",
    "uniform_val_mae_bpm",
    "uniform_val_snr_db",
    "lr",
    "seconds",
]
WEIGHTS_FILE = "mask_weights.npz"
CHECKPOINT = "last.pt"


def save_weights(net: SkinMaskNet, path: Path) -> None:
    """The network's weights as the ``.npz`` that inference reads, atomically."""
    atomic_write(path, lambda f: np.savez(f, **net.arrays()))


def initial_net(cfg: Config) -> SkinMaskNet:
    """The network to start from: random (seeded), the shipped weights (``init: shipped``),
    or a weights file (``init: PATH``)."""
    torch.manual_seed(cfg.train.seed)
    init = cfg.train.init
    if not init:
        return SkinMaskNet(prior_size=cfg.model.input_size if cfg.train.prior else None)
    return SkinMaskNet.from_arrays(load_weights(None if init == "shipped" else init, cfg.face.region))


def _scores(mae_bpm: float, snr_db: float) -> str:
    """Validation figures for the log; the MAE only where there are labels."""
    snr = f"SNR {snr_db:.2f} dB"
    return snr if math.isnan(mae_bpm) else f"MAE {mae_bpm:.2f} bpm, {snr}"


def train(
    cfg: Config,
    out: str | os.PathLike,
    dataset: str | None = None,
    root: str | os.PathLike | None = None,
    resume: bool = False,
    log=print,
) -> TrainResult:
    """Fit the mask network on a dataset (default: a generated synthetic set); writes
    ``OUT/mask_weights.npz`` (best), ``last.pt``, ``log.csv``, ``curves.png`` and
    ``split.json``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, cfg.train.threads))
    start_time = time.perf_counter()
    dataset, root = dataset or cfg.train.dataset, root or cfg.train.root
    net = initial_net(cfg)  # a bad --init fails now, not after minutes of crop extraction
    train_sets, val_sets = load_training_sets(cfg, out, dataset, root, log)
    return fit(cfg, train_sets, val_sets, out, resume, log, start_time, net)


@dataclass
class Best:
    """The best epoch so far, by :func:`checkpoint_rank`."""

    mae_bpm: float = math.nan
    snr_db: float = -math.inf
    epoch: int = 0
    rank: tuple[float, float] = field(default=(math.inf, math.inf))

    def offer(self, mae_bpm: float, snr_db: float, epoch: int, iou: float = math.nan) -> bool:
        """Keep these validation figures if they rank better; whether they did."""
        rank = checkpoint_rank(mae_bpm, snr_db, iou)
        if rank >= self.rank:
            return False
        self.mae_bpm, self.snr_db, self.epoch, self.rank = mae_bpm, snr_db, epoch, rank
        return True


@dataclass
class Loop:
    """What the loop carries from epoch to epoch (and a checkpoint saves)."""

    net: SkinMaskNet
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler
    epoch: int = 0
    """Epochs done."""
    step: int = 0
    best: Best = field(default_factory=Best)

    def save(self, path: Path, cfg: Config) -> None:
        state = {
            "model": self.net.state_dict(),
            "optimizer": self.opt.state_dict(),
            "scheduler": self.sched.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "best_val_mae_bpm": self.best.mae_bpm,
            "best_val_snr_db": self.best.snr_db,
            "best_epoch": self.best.epoch,
            "best_rank": list(self.best.rank),
            "config": to_dict(cfg),
        }
        atomic_write(path, lambda f: torch.save(state, f))

    def restore(self, path: Path) -> None:
        state = torch.load(path, map_location="cpu", weights_only=False)  # our own file
        self.net.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.sched.load_state_dict(state["scheduler"])
        self.epoch, self.step = state["epoch"], state["step"]
        self.best = Best(
            state["best_val_mae_bpm"],
            state["best_val_snr_db"],
            state["best_epoch"],
            tuple(state["best_rank"]),
        )


def new_loop(net: SkinMaskNet, cfg: Config) -> Loop:
    """AdamW with a linear warm-up over the first 5% of the steps, then cosine decay."""
    tc = cfg.train
    opt = torch.optim.AdamW(net.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    total = tc.epochs * tc.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, total, max(1, total // 20)))
    return Loop(net, opt, sched)


def start(loop: Loop, cfg: Config, val_sets: list[CropSet], out: Path, resume: bool, log) -> None:
    """Continue from the checkpoint (``resume``), or score the starting weights as epoch 0
    when they are given (``train.init``): adaptation must beat them."""
    checkpoint = out / CHECKPOINT
    if resume and checkpoint.is_file():
        loop.restore(checkpoint)
        log(f"resuming after epoch {loop.epoch} (step {loop.step}, best epoch {loop.best.epoch})")
        return
    if resume:
        log(f"no checkpoint in {out}; starting from scratch")
    if cfg.train.init:
        net = MaskNet.from_arrays(loop.net.arrays())
        mae, snr = validate(net, val_sets, cfg)
        loop.best.offer(mae, snr, 0, sets_agreement(net, val_sets))  # ranked as the epochs are
        save_weights(loop.net, out / WEIGHTS_FILE)
        log(f"starting weights ({cfg.train.init}): validation {_scores(mae, snr)}")


def train_epoch(loop: Loop, train_sets: list[CropSet], cfg: Config) -> float:
    """One epoch of steps on random clips, seeded from (seed, epoch); the mean loss."""
    from tqdm import tqdm

    tc = cfg.train
    rng = np.random.default_rng([tc.seed, loop.epoch])
    torch.manual_seed(tc.seed * 1000 + loop.epoch)
    loop.net.train()
    losses = []
    desc = f"epoch {loop.epoch + 1}/{tc.epochs}"
    bar = tqdm(range(tc.steps_per_epoch), desc=desc, file=sys.stderr, disable=None, leave=False)
    pulse_sets = [s for s in train_sets if not s.teacher_only]
    for _ in bar:
        clips = sample_clips(pulse_sets, tc.clip_s, tc.batch_clips, rng)
        taught = taught_batch(train_sets, tc, rng)
        losses.append(train_step(loop.net, loop.opt, clips, cfg, rng, taught))
        loop.sched.step()
        loop.step += 1
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
    loop.net.eval()
    return float(np.mean(losses))


def fit(
    cfg: Config,
    train_sets: list[CropSet],
    val_sets: list[CropSet],
    out: str | os.PathLike,
    resume: bool = False,
    log=print,
    start_time: float | None = None,
    net: SkinMaskNet | None = None,
) -> TrainResult:
    """The loop on given crop sets (labelled: supervised; unlabelled: SiNC losses), from
    ``net`` (default: :func:`initial_net`)."""
    tc = cfg.train
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start_time = time.perf_counter() if start_time is None else start_time
    uniform_mae, uniform_snr = validate(None, val_sets, cfg)
    loop = new_loop(net if net is not None else initial_net(cfg), cfg)
    start(loop, cfg, val_sets, out, resume, log)
    first = loop.epoch
    with CsvWriter(out / "log.csv", LOG_COLUMNS, ".6g", append=first > 0) as epoch_log:
        while loop.epoch < tc.epochs:
            loss = train_epoch(loop, train_sets, cfg)
            loop.epoch += 1
            net = MaskNet.from_arrays(loop.net.arrays())
            val_mae, val_snr = validate(net, val_sets, cfg)
            iou = sets_agreement(net, val_sets)
            if loop.best.offer(val_mae, val_snr, loop.epoch, iou):
                save_weights(loop.net, out / WEIGHTS_FILE)
            lr = loop.sched.get_last_lr()[0]
            elapsed = time.perf_counter() - start_time
            epoch_log.row(
                [loop.epoch, loop.step, loss, val_mae, val_snr, iou, uniform_mae, uniform_snr, lr, elapsed]
            )
            loop.save(out / CHECKPOINT, cfg)
            plot_training_curves(out / "log.csv", out / "curves.png")
            log(
                f"epoch {loop.epoch}: loss {loss:.4f}, validation {_scores(val_mae, val_snr)}"
                f"{'' if math.isnan(iou) else f', region IoU {iou:.2f}'} "
                f"(uniform weights: {_scores(uniform_mae, uniform_snr)}); best epoch {loop.best.epoch}"
            )
    b = loop.best
    return TrainResult(
        b.mae_bpm,
        uniform_mae,
        b.snr_db,
        uniform_snr,
        tc.epochs - first,
        loop.step,
        time.perf_counter() - start_time,
        out / WEIGHTS_FILE,
        b.epoch,
    )
