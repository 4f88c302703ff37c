"""Training the skin mask against ground-truth pulse (``rppg train``).

One file owns the loop, in order: data (face crops cached per recording, clips with the
ground-truth pulse at frame times), the differentiable chain (mask -> weighted mean colour
-> POS -> band limit), the loss (spectral + lag-tolerant Pearson), and the loop with
validation, checkpoints and logs.

    result = train(load_config("configs/train.yaml"), out="runs/mask")
    result.best_val_mae_bpm, result.uniform_val_mae_bpm

Subject-disjoint split; seeded (clip sampling and augmentation are re-seeded from
(seed, epoch), so a resumed run continues exactly as an uninterrupted one); AdamW with
warm-up and cosine decay; best checkpoint by validation heart-rate MAE; checkpoints written
atomically; ``log.csv`` and ``curves.png`` per epoch.
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
from rppg.io import Recording, load_dataset
from rppg.model import MaskNet, downscale
from rppg.model_torch import SkinMaskNet, clip_traces, pos, to_tensor
from rppg.parallel import run_all
from rppg.pipeline import analyse
from rppg.reference import check_coverage, reference_hr, truth_pulse
from rppg.report import CsvWriter, atomic_write, plot_training_curves
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
    pulse: np.ndarray
    """Ground-truth pulse at the frame times, band-passed and standardised, (N,)."""
    fs: float
    """Frame rate (Hz)."""
    hr_true_bpm: float

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


def load_crops(rec: Recording, cfg: Config, cache_dir: Path) -> CropSet:
    """Crops from the cache (keyed by the video, face settings and input size), else
    extracted once; with the recording's ground-truth pulse at the frame times."""
    key = cache_key("crops", file_identity(rec.video), rec.dataset, to_dict(cfg.face), cfg.model.input_size)
    arrays = load_arrays(cache_dir, key)
    if arrays is None:
        arrays = extract_crops(rec, cfg)
        save_arrays(cache_dir, key, arrays)
    t_s, face = arrays["t_s"], arrays["face"].astype(bool)
    if not face.any():
        raise NoFaceError(f"{rec.name}: no face found")
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
    fs = signal.frame_rate(t_s)
    return CropSet(rec.name, rec.subject, t_s, arrays["crops"], arrays["regions"], face, at_frames, fs, hr)


def _crops_in_worker(rec: Recording, cfg: Config, cache_dir: Path) -> CropSet | str:
    """:func:`load_crops`, or why the recording cannot be used (where :mod:`rppg.parallel`
    runs it: this process, a worker, a cluster)."""
    try:
        return load_crops(rec, cfg, cache_dir)
    except RppgError as exc:
        return str(exc)


@dataclass
class Clips:
    """A batch of training clips: B clips of L frames."""

    crops: np.ndarray
    """BGR uint8 (B, L, S, S, 3)."""
    regions: np.ndarray
    """uint8 (B, L, S, S), 255 = the pixel counts fully."""
    pulses: np.ndarray
    """Ground-truth pulse at the frames (B, L)."""
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
    return Clips(
        np.stack([s.crops[span] for s, span in picks]),
        np.stack([s.regions[span] for s, span in picks]),
        np.stack([s.pulse[span] for s, span in picks]),
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


def band_power(x: torch.Tensor, fs: float, band_hz: tuple[float, float], pad: int = 4):
    """Normalised power spectrum inside the band (B, K) and the band-limited signal (B, L)."""
    length = x.shape[1]
    x = x - x.mean(dim=1, keepdim=True)
    n = pad * length
    freqs = torch.fft.rfftfreq(n, 1.0 / fs)
    inside = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    window = torch.hann_window(length, periodic=False, dtype=x.dtype)
    power = torch.fft.rfft(x * window, n=n).abs() ** 2
    power = power[:, inside]
    short = torch.fft.rfftfreq(length, 1.0 / fs)
    spec = torch.fft.rfft(x, n=length) * ((short >= band_hz[0]) & (short <= band_hz[1]))
    return power / power.sum(dim=1, keepdim=True).clamp_min(1e-12), torch.fft.irfft(spec, n=length)


def lagged_pearson(a: torch.Tensor, b: torch.Tensor, max_lag: int) -> torch.Tensor:
    """Best |Pearson r| of a and b (B, L) over shifts of b by 0..max_lag samples, (B,).

    The contact PPG lags the face, and the sign of a projection is arbitrary, so neither
    may cost the model anything."""
    best = None
    for lag in range(max_lag + 1):
        x = a[:, : a.shape[1] - lag]
        y = b[:, lag:]
        x = x - x.mean(dim=1, keepdim=True)
        y = y - y.mean(dim=1, keepdim=True)
        r = (x * y).sum(dim=1) / (x.norm(dim=1) * y.norm(dim=1)).clamp_min(1e-9)
        best = r.abs() if best is None else torch.maximum(best, r.abs())
    return best


def clip_loss(pred: torch.Tensor, target: torch.Tensor, fs: float, cfg: Config) -> torch.Tensor:
    """Spectral distance (Hellinger, insensitive to lag and sign) plus weighted
    (1 - lag-tolerant |Pearson r|), averaged over the batch."""
    p, pred_band = band_power(pred, fs, cfg.signal.band_hz)
    q, target_band = band_power(target, fs, cfg.signal.band_hz)
    spectral = 1.0 - torch.sqrt(p * q + 1e-12).sum(dim=1)
    max_lag = int(round(cfg.train.max_lag_s * fs))
    pearson = 1.0 - lagged_pearson(pred_band, target_band, max_lag)
    return (spectral + cfg.train.pearson_weight * pearson).mean()


def train_step(net, opt, clips: Clips, cfg: Config, rng=None) -> float:
    """One optimisation step on a batch of clips; returns the loss."""
    x = to_tensor(clips.crops)  # (B, L, 3, S, S)
    gate = torch.from_numpy(clips.regions).float().div_(255.0)
    if rng is not None and cfg.train.augment:
        x, gate = augment(x, gate, rng)
    window = max(2, int(round(cfg.signal.projection_window_s * clips.fs)))
    pred = pos(clip_traces(net, x, gate), window)
    loss = clip_loss(pred, torch.from_numpy(clips.pulses).float(), clips.fs, cfg)
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
            builder.add_crop(fc)
        traces.append(builder.finish())
    return traces


def validate(net: MaskNet | None, sets: list[CropSet], cfg: Config) -> tuple[float, float]:
    """(heart-rate MAE in bpm, mean SNR in dB) of the whole-recording chain on held-out
    recordings: the mask method with ``net``, or POS on the region's uniform mean (None)."""
    errors, snrs = [], []
    for s, trace in zip(sets, validation_traces(net, sets, cfg), strict=True):
        a = analyse(trace, "pos", cfg, s.name) if net is None else analyse(trace, "mask", cfg, s.name)
        errors.append(abs((a.hr_bpm if a.hr_bpm is not None else 0.0) - s.hr_true_bpm))
        snrs.append(a.snr_db if a.snr_db is not None else -30.0)
    return float(np.mean(errors)), float(np.mean(snrs))


def checkpoint_rank(val_mae: float, val_snr: float) -> tuple[float, float]:
    """Order of checkpoints (lower is better): validation MAE to 0.1 bpm, then higher SNR.
    MAEs that differ by hundredths of a bpm are noise; the SNR tells the cleaner mask."""
    return round(val_mae, 1), -val_snr


# --------------------------------------------------------------------------- the loop


@dataclass
class TrainResult:
    best_val_mae_bpm: float
    uniform_val_mae_bpm: float
    epochs_run: int
    step: int
    seconds: float
    weights: Path


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
    specs = mixed_specs(tc.synthetic_subjects, seed=100 + tc.seed, duration_s=tc.synthetic_duration_s,
                        width=tc.synthetic_size[0], height=tc.synthetic_size[1])  # fmt: skip
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


LOG_COLUMNS = ["epoch", "step", "train_loss", "val_mae_bpm", "val_snr_db", "uniform_val_mae_bpm", "lr",
               "seconds"]  # fmt: skip
WEIGHTS_FILE = "mask_weights.npz"


def save_weights(net: SkinMaskNet, path: Path) -> None:
    """The network's weights as the ``.npz`` that inference reads, atomically."""
    atomic_write(path, lambda f: np.savez(f, **net.arrays()))


def train(
    cfg: Config,
    out: str | os.PathLike,
    dataset: str | None = None,
    root: str | os.PathLike | None = None,
    resume: bool = False,
    log=print,
) -> TrainResult:
    """Fit the mask network; writes ``OUT/mask_weights.npz`` (best), ``last.pt``, ``log.csv``,
    ``curves.png`` and ``split.json``."""
    tc = cfg.train
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, tc.threads))
    start_time = time.perf_counter()

    # -- data
    dataset = dataset or tc.dataset
    root = root or tc.root
    if root is None:
        dataset, root = "ubfc", synthetic_training_set(cfg, out / "synthetic")
    recs = load_dataset(dataset, root)
    train_subjects, val_subjects = split_subjects(recs, tc.val_fraction, tc.seed)
    (out / "split.json").write_text(
        json.dumps({"train": train_subjects, "validation": val_subjects}, indent=2)
    )
    sets: dict[str, list[CropSet]] = {"train": [], "validation": []}
    died = lambda rec, reason: f"worker died: {reason}"  # noqa: E731
    crop_sets = run_all(_crops_in_worker, recs, (cfg, out / "crops"), cfg.batch, lost=died)
    for rec, crop_set in zip(recs, crop_sets, strict=True):
        if isinstance(crop_set, str):
            log(f"skipping {rec.name}: {crop_set}")
            continue
        sets["validation" if rec.subject in val_subjects else "train"].append(crop_set)
    if not sets["train"] or not sets["validation"]:
        raise RppgError(f"{root}: not enough usable recordings for a train/validation split")
    uniform_mae = validate(None, sets["validation"], cfg)[0]

    # -- model and optimiser
    torch.manual_seed(tc.seed)
    net = SkinMaskNet()
    opt = torch.optim.AdamW(net.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    total = tc.epochs * tc.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, total, max(1, total // 20)))
    start_epoch, step, best, best_rank = 0, 0, math.inf, (math.inf, math.inf)
    checkpoint = out / "last.pt"
    if resume and checkpoint.is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)  # our own file
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start_epoch, step, best = state["epoch"], state["step"], state["best_val_mae_bpm"]
        best_rank = tuple(state["best_rank"])
        log(f"resuming after epoch {start_epoch} (step {step}, best validation MAE {best:.2f} bpm)")
    elif resume:
        log(f"no checkpoint in {out}; starting from scratch")
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
            clips = sample_clips(sets["train"], tc.clip_s, tc.batch_clips, rng)
            losses.append(train_step(net, opt, clips, cfg, rng))
            sched.step()
            step += 1
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        net.eval()
        val_mae, val_snr = validate(MaskNet.from_arrays(net.arrays()), sets["validation"], cfg)
        if checkpoint_rank(val_mae, val_snr) < best_rank:
            best, best_rank = val_mae, checkpoint_rank(val_mae, val_snr)
            save_weights(net, out / WEIGHTS_FILE)
        elapsed = time.perf_counter() - start_time
        epoch_log.row(
            [epoch + 1, step, np.mean(losses), val_mae, val_snr, uniform_mae, sched.get_last_lr()[0], elapsed]
        )
        state = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "epoch": epoch + 1, "step": step, "best_val_mae_bpm": best, "best_rank": list(best_rank),
                 "config": to_dict(cfg)}  # fmt: skip
        atomic_write(checkpoint, lambda f, state=state: torch.save(state, f))
        plot_training_curves(out / "log.csv", out / "curves.png")
        log(f"epoch {epoch + 1}: loss {np.mean(losses):.4f}, validation MAE {val_mae:.2f} bpm, "
            f"SNR {val_snr:.1f} dB (uniform weights: MAE {uniform_mae:.2f}), best {best:.2f}")  # fmt: skip
    epoch_log.close()
    return TrainResult(best, uniform_mae, tc.epochs - start_epoch, step, time.perf_counter() - start_time,
                       out / WEIGHTS_FILE)  # fmt: skip
