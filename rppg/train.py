"""Training the skin mask (``rppg train``): against a ground-truth pulse, or, with
``train.unsupervised``, on any face video without one.

One file owns the loop, in order: data (face crops cached per recording, clips with the
ground-truth pulse at frame times where there is one), the differentiable chain (mask ->
weighted mean colour -> POS), the loss (:mod:`rppg.losses`), and the loop with validation,
checkpoints and logs.

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

import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from rppg import signal
from rppg.cache import cache_key, file_identity, load_arrays, save_arrays
from rppg.config import Config, to_dict
from rppg.crops import FaceCrop, FaceStage
from rppg.errors import NoFaceError, RppgError
from rppg.files import CsvWriter, atomic_write
from rppg.io import Recording, load_dataset
from rppg.losses import resample, sinc_losses, supervised_loss
from rppg.model import MaskNet, downscale
from rppg.model import load_arrays as load_weights
from rppg.model_torch import SkinMaskNet, clip_traces, pos, to_tensor
from rppg.parallel import run_all
from rppg.pipeline import heart_rate, pulse_of
from rppg.reference import check_coverage, reference_hr, truth_pulse
from rppg.report import plot_training_curves
from rppg.trace import Trace, TraceBuilder

# --------------------------------------------------------------------------- data


@dataclass
class CropSet:
    """Face crops of one recording with the ground-truth pulse at the frame times."""

    name: str
    subject: str
    t_s: np.ndarray
    """Frame times (s), (N,)."""
    crops: np.ndarray
    """BGR uint8 face crops (N, s, s, 3) at the mask model's input size (blank without face)."""
    regions: np.ndarray
    """The face stage's region over each crop, uint8 (N, s, s), 255 = counts fully."""
    face: np.ndarray
    """Whether a face was tracked, bool (N,)."""
    pulse: np.ndarray | None
    """Ground-truth pulse at the frame times, band-passed and standardised, (N,); None
    unlabelled (unsupervised training)."""
    fs: float
    """Frame rate (Hz)."""
    hr_true_bpm: float | None

    def part(self, start: float, stop: float) -> CropSet:
        """The frames from ``start`` to ``stop`` (shares of the recording's length)."""
        n = len(self.t_s)
        span = slice(int(round(start * n)), int(round(stop * n)))
        pulse = None if self.pulse is None else self.pulse[span]
        return replace(self, t_s=self.t_s[span], crops=self.crops[span], regions=self.regions[span],
                       face=self.face[span], pulse=pulse)  # fmt: skip

    def face_crops(self):
        """The frames as the face stage gave them (for the trace builder)."""
        for t, crop, region, found in zip(self.t_s, self.crops, self.regions, self.face, strict=True):
            yield (
                FaceCrop(float(t), crop=crop, region=region / np.float32(255))
                if found
                else FaceCrop(float(t))
            )


def extract_crops(rec: Recording, cfg: Config) -> dict[str, np.ndarray]:
    """Run the face stage over a recording: times (N,), face flags (N,), crops (N, s, s, 3)
    and regions (N, s, s) uint8 at the mask's input size (zeros without a face)."""
    size = cfg.model.input_size
    t_s, face, crops, regions = [], [], [], []
    with rec.frames() as source, FaceStage.from_config(cfg.face) as stage:
        for fc in stage.crops(source):
            t_s.append(fc.t_s)
            face.append(fc.found)
            crop = fc.crop if fc.found else np.zeros((size, size, 3), np.uint8)
            region = fc.region if fc.found else np.zeros((size, size), np.float32)
            crops.append(downscale(crop[None], size)[0])
            regions.append(cv2.resize(region, (size, size), interpolation=cv2.INTER_AREA) * 255 + 0.5)
    if not crops:
        raise RppgError(f"{rec.video}: no frames could be decoded")
    arrays = {"t_s": np.asarray(t_s), "face": np.asarray(face), "crops": np.stack(crops)}
    return arrays | {"regions": np.stack(regions).astype(np.uint8)}


def load_crops(rec: Recording, cfg: Config, cache_dir: Path, labelled: bool = True) -> CropSet:
    """Crops from the cache (keyed by the video, face settings and input size), else
    extracted once; with the recording's ground-truth pulse at the frame times if
    ``labelled`` (else its ground truth is never read)."""
    key = cache_key("crops", file_identity(rec.video), rec.dataset, to_dict(cfg.face), cfg.model.input_size)
    arrays = load_arrays(cache_dir, key)
    if arrays is None:
        arrays = extract_crops(rec, cfg)
        save_arrays(cache_dir, key, arrays)
    t_s, face = arrays["t_s"], arrays["face"].astype(bool)
    if not face.any():
        raise NoFaceError(f"{rec.name}: no face found")
    fs = signal.frame_rate(t_s)
    if not labelled:
        return CropSet(rec.name, rec.subject, t_s, arrays["crops"], arrays["regions"], face, None, fs, None)
    truth = rec.truth()
    t0, t1 = float(t_s[0]), float(t_s[-1])
    check_coverage(truth, t0, t1, rec.name)
    wave = truth_pulse(truth, t0, t1, cfg.signal)
    if wave is None:
        raise RppgError(f"{rec.name}: training needs a ground-truth pulse wave, not only HR")
    grid, pulse, _ = wave
    at_frames = np.interp(t_s, grid, pulse)
    at_frames = (at_frames - at_frames.mean()) / max(at_frames.std(), 1e-9)
    hr = reference_hr(truth, t0, t1, cfg.signal)
    return CropSet(rec.name, rec.subject, t_s, arrays["crops"], arrays["regions"], face, at_frames, fs, hr)


def _crops_in_worker(rec: Recording, cfg: Config, cache_dir: Path, labelled: bool) -> CropSet | str:
    """:func:`load_crops`, or why the recording cannot be used (where :mod:`rppg.parallel`
    runs it: this process, a worker, a cluster)."""
    try:
        return load_crops(rec, cfg, cache_dir, labelled)
    except RppgError as exc:
        return str(exc)


@dataclass
class Clips:
    """A batch of training clips: B clips of L frames."""

    crops: np.ndarray
    """BGR uint8 (B, L, S, S, 3)."""
    regions: np.ndarray
    """uint8 (B, L, S, S), 255 = the pixel counts fully."""
    pulses: np.ndarray | None
    """Ground-truth pulse at the frames (B, L); None unlabelled."""
    fs: float
    """Frame rate (Hz)."""


def sample_clips(sets: list[CropSet], length_s: float, count: int, rng: np.random.Generator) -> Clips:
    """``count`` random clips with a face in every frame, at the sets' common frame rate.
    Raises when no recording has such a clip."""
    fs = float(np.median([s.fs for s in sets]))
    length = int(round(length_s * fs))
    starts = [_clip_starts(s.face, length) for s in sets]
    usable = [i for i, st in enumerate(starts) if len(st)]
    if not usable:
        raise RppgError(
            f"no recording has {length_s:g} s with a face in every frame (train.clip_s); "
            "shorten the clips or check the face detection"
        )
    picks = []
    for _ in range(count):
        i = usable[rng.integers(len(usable))]
        start = int(starts[i][rng.integers(len(starts[i]))])
        picks.append((sets[i], slice(start, start + length)))
    labelled = all(s.pulse is not None for s, _ in picks)
    return Clips(
        np.stack([s.crops[span] for s, span in picks]),
        np.stack([s.regions[span] for s, span in picks]),
        np.stack([s.pulse[span] for s, span in picks]) if labelled else None,
        fs,
    )


def _clip_starts(face: np.ndarray, length: int) -> np.ndarray:
    """Start indices of every run of ``length`` frames that all have a face."""
    if len(face) < length or length < 1:
        return np.empty(0, int)
    counts = np.convolve(face.astype(int), np.ones(length, int), mode="valid")
    return np.flatnonzero(counts == length)


def augment(
    x: torch.Tensor, gate: torch.Tensor, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-clip brightness and colour gains and a horizontal flip: x (B, L, 3, H, W) in [0, 1]
    and its region gate (B, L, H, W), flipped alike.

    Gains are multiplicative and constant over a clip, so the relative colour changes that
    carry the pulse are kept while skin looks lighter, darker or tinted."""
    b = x.shape[0]
    gain = rng.uniform(0.6, 1.3, (b, 1, 1, 1, 1)) * rng.uniform(0.85, 1.15, (b, 1, 3, 1, 1))
    x = (x * torch.from_numpy(gain).float()).clamp(0, 1)
    flip = torch.from_numpy(rng.random(b) < 0.5)
    x = torch.where(flip[:, None, None, None, None], x.flip(-1), x)
    return x, torch.where(flip[:, None, None, None], gate.flip(-1), gate)


# --------------------------------------------------------------------------- the differentiable chain


def clip_loss(net: SkinMaskNet, clips: Clips, cfg: Config, rng: np.random.Generator | None) -> torch.Tensor:
    """The loss of a batch: against its reference pulses, or, unlabelled, the SiNC losses
    of its pulses played at random speeds (see :func:`rppg.losses.resample`)."""
    tc = cfg.train
    x = to_tensor(clips.crops)  # (B, L, 3, S, S)
    gate = torch.from_numpy(clips.regions).float().div_(255.0)
    if rng is not None and tc.augment:
        x, gate = augment(x, gate, rng)
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


def train_step(net, opt, clips: Clips, cfg: Config, rng=None) -> float:
    """One optimisation step on a batch of clips; returns the loss."""
    loss = clip_loss(net, clips, cfg, rng)
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


def validate(net: MaskNet | None, sets: list[CropSet], cfg: Config) -> tuple[float, float]:
    """(heart-rate MAE in bpm, mean pulse SNR in dB) of the whole-recording chain on held-out
    recordings: the mask method with ``net``, or POS on the region's uniform mean (None).
    The MAE is NaN for unlabelled recordings; the SNR needs no label. Only the pulse and its
    heart rate are computed: no quality, beats or breathing."""
    errors, snrs = [], []
    method = "pos" if net is None else "mask"
    for s, trace in zip(sets, validation_traces(net, sets, cfg), strict=True):
        hr = heart_rate(pulse_of(trace, method, cfg, s.name), cfg.signal)
        if s.hr_true_bpm is not None:
            errors.append(abs((hr.hr_bpm if hr.hr_bpm is not None else 0.0) - s.hr_true_bpm))
        snrs.append(hr.snr_db if hr.snr_db is not None else -30.0)
    return float(np.mean(errors)) if errors else math.nan, float(np.mean(snrs))


def checkpoint_rank(val_mae: float, val_snr: float) -> tuple[float, float]:
    """Order of checkpoints (lower is better): validation MAE to 0.1 bpm, then higher SNR.
    MAEs that differ by hundredths of a bpm are noise; the SNR tells the cleaner mask.
    Unlabelled (MAE NaN): the SNR alone."""
    return (0.0 if math.isnan(val_mae) else round(val_mae, 1)), -val_snr


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


def split_subjects(recs: list[Recording], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Subject-disjoint (train, validation) subject lists, reproducible from ``seed``."""
    subjects = sorted({r.subject for r in recs})
    if len(subjects) < 2:
        raise RppgError("training needs recordings of at least 2 subjects (train and validation)")
    order = np.random.default_rng(seed).permutation(len(subjects))
    n_val = min(len(subjects) - 1, max(1, int(round(val_fraction * len(subjects)))))
    val = sorted(subjects[i] for i in order[:n_val])
    return [s for s in subjects if s not in val], val


def synthetic_training_set(cfg: Config, folder: Path) -> Path:
    """Generate (once) the synthetic training set described by ``cfg.train``."""
    from rppg.synth.layouts import write_dataset
    from rppg.synth.scene import GENERATOR_VERSION
    from rppg.synth.spec import mixed_specs

    tc = cfg.train
    rng = np.random.default_rng(tc.seed)
    specs = mixed_specs(tc.synthetic_subjects, seed=100 + tc.seed, looks=tc.synthetic_looks,
                        duration_s=tc.synthetic_duration_s, width=tc.synthetic_size[0],
                        height=tc.synthetic_size[1])  # fmt: skip
    lo, hi = tc.synthetic_distractor
    specs = [replace(s, distractor_amplitude=float(rng.uniform(lo, hi))) for s in specs]
    manifest = json.dumps([GENERATOR_VERSION, *(asdict(s) for s in specs)], sort_keys=True)
    stamp = folder / "specs.json"
    if not (stamp.is_file() and stamp.read_text() == manifest):
        shutil.rmtree(folder, ignore_errors=True)
        write_dataset(specs, folder, "ubfc")
        stamp.write_text(manifest)
    return folder


def _lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


LOG_COLUMNS = ["epoch", "step", "train_loss", "val_mae_bpm", "val_snr_db", "uniform_val_mae_bpm",
               "uniform_val_snr_db", "lr", "seconds"]  # fmt: skip
WEIGHTS_FILE = "mask_weights.npz"


def save_weights(net: SkinMaskNet, path: Path) -> None:
    """The network's weights as the ``.npz`` that inference reads, atomically."""
    atomic_write(path, lambda f: np.savez(f, **net.arrays()))


def initial_net(cfg: Config) -> SkinMaskNet:
    """The network to start from: random (seeded), the shipped weights (``init: shipped``),
    or a weights file (``init: PATH``)."""
    torch.manual_seed(cfg.train.seed)
    init = cfg.train.init
    if not init:
        return SkinMaskNet()
    return SkinMaskNet.from_arrays(load_weights(None if init == "shipped" else init))


def load_training_sets(
    cfg: Config, out: Path, dataset: str | None, root: str | os.PathLike | None, log=print
) -> tuple[list[CropSet], list[CropSet]]:
    """(train, validation) crop sets of a dataset (default: a generated synthetic set).
    Supervised: split by subject. Unsupervised: no ground truth is read, and each recording's
    last ``val_fraction`` of time is its validation part (so one video is enough)."""
    tc = cfg.train
    if root is None:
        dataset, root = "ubfc", synthetic_training_set(cfg, out / "synthetic")
    dataset = dataset or ("generic" if tc.unsupervised else "ubfc")
    recs = load_dataset(dataset, root)
    if tc.unsupervised:
        train_subjects, val_subjects = sorted({r.subject for r in recs}), []
    else:
        train_subjects, val_subjects = split_subjects(recs, tc.val_fraction, tc.seed)
    split = {"train": train_subjects, "validation": val_subjects or "last share of each recording"}
    (out / "split.json").write_text(json.dumps(split, indent=2))
    sets: dict[str, list[CropSet]] = {"train": [], "validation": []}
    died = lambda rec, reason: f"worker died: {reason}"  # noqa: E731
    args = (cfg, out / "crops", not tc.unsupervised)
    for rec, crop_set in zip(recs, run_all(_crops_in_worker, recs, args, cfg.batch, lost=died), strict=True):
        if isinstance(crop_set, str):
            log(f"skipping {rec.name}: {crop_set}")
            continue
        if tc.unsupervised:
            held_out = crop_set.part(1.0 - tc.val_fraction, 1.0)
            if _face_seconds(held_out) < cfg.signal.min_duration_s:
                log(f"{rec.name}: its last {tc.val_fraction:.0%} holds under {cfg.signal.min_duration_s:g} s "
                    "of face, too short to validate on: used for training only")  # fmt: skip
                sets["train"].append(crop_set)
                continue
            sets["train"].append(crop_set.part(0.0, 1.0 - tc.val_fraction))
            sets["validation"].append(held_out)
        else:
            sets["validation" if rec.subject in val_subjects else "train"].append(crop_set)
    if tc.unsupervised and sets["train"] and not sets["validation"]:
        need = cfg.signal.min_duration_s / tc.val_fraction
        raise RppgError(
            f"{root}: no video long enough to validate on (its last {tc.val_fraction:.0%} must hold "
            f"{cfg.signal.min_duration_s:g} s of face: about {need:.0f} s in all)"
        )
    if not sets["train"] or not sets["validation"]:
        raise RppgError(f"{root}: not enough usable recordings for a train/validation split")
    return sets["train"], sets["validation"]


def _scores(mae_bpm: float, snr_db: float) -> str:
    """Validation figures for the log; the MAE only where there are labels."""
    snr = f"SNR {snr_db:.2f} dB"
    return snr if math.isnan(mae_bpm) else f"MAE {mae_bpm:.2f} bpm, {snr}"


def _face_seconds(crops: CropSet) -> float:
    """Seconds from the first to the last frame with a face."""
    t = crops.t_s[crops.face]
    return float(t[-1] - t[0]) if len(t) > 1 else 0.0


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
    initial_net(cfg)  # a bad --init fails now, not after minutes of crop extraction
    train_sets, val_sets = load_training_sets(cfg, out, dataset, root, log)
    return fit(cfg, train_sets, val_sets, out, resume, log, start_time)


def fit(
    cfg: Config,
    train_sets: list[CropSet],
    val_sets: list[CropSet],
    out: str | os.PathLike,
    resume: bool = False,
    log=print,
    start_time: float | None = None,
) -> TrainResult:
    """The loop on given crop sets (labelled: supervised; unlabelled: SiNC losses)."""
    tc = cfg.train
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start_time = time.perf_counter() if start_time is None else start_time
    uniform_mae, uniform_snr = validate(None, val_sets, cfg)

    # -- model and optimiser
    net = initial_net(cfg)
    opt = torch.optim.AdamW(net.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    total = tc.epochs * tc.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, total, max(1, total // 20)))
    start_epoch, step, best_epoch = 0, 0, 0
    best, best_snr, best_rank = math.nan, -math.inf, (math.inf, math.inf)
    checkpoint = out / "last.pt"
    if resume and checkpoint.is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)  # our own file
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start_epoch, step = state["epoch"], state["step"]
        best, best_snr, best_epoch = state["best_val_mae_bpm"], state["best_val_snr_db"], state["best_epoch"]
        best_rank = tuple(state["best_rank"])
        log(f"resuming after epoch {start_epoch} (step {step}, best epoch {best_epoch})")
    else:
        if resume:
            log(f"no checkpoint in {out}; starting from scratch")
        if tc.init:  # the starting weights are a candidate too: adaptation must beat them
            best, best_snr = validate(MaskNet.from_arrays(net.arrays()), val_sets, cfg)
            best_rank = checkpoint_rank(best, best_snr)
            save_weights(net, out / WEIGHTS_FILE)
            log(f"starting weights ({tc.init}): validation {_scores(best, best_snr)}")
    epoch_log = CsvWriter(out / "log.csv", LOG_COLUMNS, ".6g", append=start_epoch > 0)

    # -- the loop
    from tqdm import tqdm

    for epoch in range(start_epoch, tc.epochs):
        rng = np.random.default_rng([tc.seed, epoch])
        torch.manual_seed(tc.seed * 1000 + epoch)
        net.train()
        losses = []
        bar = tqdm(range(tc.steps_per_epoch), desc=f"epoch {epoch + 1}/{tc.epochs}", file=sys.stderr,
                   disable=None, leave=False)  # fmt: skip
        for _ in bar:
            clips = sample_clips(train_sets, tc.clip_s, tc.batch_clips, rng)
            losses.append(train_step(net, opt, clips, cfg, rng))
            sched.step()
            step += 1
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        net.eval()
        val_mae, val_snr = validate(MaskNet.from_arrays(net.arrays()), val_sets, cfg)
        if checkpoint_rank(val_mae, val_snr) < best_rank:
            best, best_snr, best_epoch = val_mae, val_snr, epoch + 1
            best_rank = checkpoint_rank(val_mae, val_snr)
            save_weights(net, out / WEIGHTS_FILE)
        elapsed = time.perf_counter() - start_time
        epoch_log.row([epoch + 1, step, np.mean(losses), val_mae, val_snr, uniform_mae, uniform_snr,
                       sched.get_last_lr()[0], elapsed])  # fmt: skip
        state = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "epoch": epoch + 1, "step": step, "best_val_mae_bpm": best, "best_val_snr_db": best_snr,
                 "best_epoch": best_epoch, "best_rank": list(best_rank), "config": to_dict(cfg)}  # fmt: skip
        atomic_write(checkpoint, lambda f, state=state: torch.save(state, f))
        plot_training_curves(out / "log.csv", out / "curves.png")
        log(f"epoch {epoch + 1}: loss {np.mean(losses):.4f}, validation {_scores(val_mae, val_snr)} "
            f"(uniform weights: {_scores(uniform_mae, uniform_snr)}); "
            f"best epoch {best_epoch}")  # fmt: skip
    epoch_log.close()
    return TrainResult(best, uniform_mae, best_snr, uniform_snr, tc.epochs - start_epoch, step,
                       time.perf_counter() - start_time, out / WEIGHTS_FILE, best_epoch)  # fmt: skip
