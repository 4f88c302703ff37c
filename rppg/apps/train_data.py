"""Training's data stage: face crops per recording (through the chain's face stage, cached
on disk), the ground-truth pulse at the frame times, the train/validation split, and
random clips for the loop. No torch here: the loop is :mod:`rppg.apps.train`.

    train_sets, val_sets = load_training_sets(cfg, out, "ubfc", "/data/UBFC")  # CropSet lists
    clips = sample_clips(train_sets, length_s=4.0, count=4, rng=rng)          # Clips (B, L, ...)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from rppg import signal
from rppg.apps.teacher import extract_taught_crops
from rppg.batch.cache import cache_key, cached_arrays, file_identity
from rppg.batch.parallel import run_all
from rppg.chain.reference import check_coverage, reference_hr, truth_pulse
from rppg.config import Config, TrainConfig, to_dict
from rppg.errors import NoFaceError, RppgError
from rppg.face.stage import FaceCrop, FaceStage
from rppg.io import Recording, load_dataset
from rppg.mask.align import stacked_points, to_canonical, warp_to_canonical
from rppg.mask.net import downscale

# --------------------------------------------------------------------------- crops


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
    teacher: np.ndarray | None = None
    """The landmark skin region over each crop, uint8 (N, s, s) (``train.teacher_weight``;
    see :mod:`rppg.apps.teacher`); None untaught."""
    taught: np.ndarray | None = None
    """Whether the frame has a teacher region, bool (N,)."""
    teacher_only: bool = False
    """From ``train.teacher_videos``: its frames teach the mask the region, never the pulse."""

    def part(self, start: float, stop: float) -> CropSet:
        """The frames from ``start`` to ``stop`` (shares of the recording's length)."""
        n = len(self.t_s)
        span = slice(int(round(start * n)), int(round(stop * n)))
        cut = lambda a: None if a is None else a[span]  # noqa: E731
        return replace(
            self,
            t_s=self.t_s[span],
            crops=self.crops[span],
            regions=self.regions[span],
            face=self.face[span],
            pulse=cut(self.pulse),
            teacher=cut(self.teacher),
            taught=cut(self.taught),
        )

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
    t_s, face, crops, regions, points = [], [], [], [], []
    # No stand-in crops (face.fallback): framed as the box frames them, not as the region.
    with rec.frames() as source, FaceStage(replace(cfg.face, fallback=False)) as stage:
        for fc in stage.crops(source):
            t_s.append(fc.t_s)
            face.append(fc.found)
            points.append(fc.points)
            crop = fc.crop if fc.found else np.zeros((size, size, 3), np.uint8)
            region = fc.region if fc.found else np.zeros((size, size), np.float32)
            crops.append(downscale(crop[None], size)[0])
            regions.append(cv2.resize(region, (size, size), interpolation=cv2.INTER_AREA) * 255 + 0.5)
    if not crops:
        raise RppgError(f"{rec.video}: no frames could be decoded")
    arrays = {"t_s": np.asarray(t_s), "face": np.asarray(face), "crops": np.stack(crops)}
    return arrays | {"regions": np.stack(regions).astype(np.uint8), "points": stacked_points(points)}


def aligned_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Extracted crops, regions and teacher warped into the canonical frame of the face's
    keypoints (:mod:`rppg.mask.align`; frames without keypoints stay as they are): a learned
    prior then learns where skin lies on the face, not in a box that the face moves about in.
    Outside the original crop the region and teacher are 0, the crop repeats its edge."""
    size = arrays["crops"].shape[1]
    moves = [to_canonical(p, size) for p in arrays["points"]]
    out = dict(arrays)
    borders = {"crops": cv2.BORDER_REPLICATE, "regions": cv2.BORDER_CONSTANT, "teacher": cv2.BORDER_CONSTANT}
    for name in borders.keys() & arrays.keys():
        warped = (warp_to_canonical(a, m, borders[name]) for a, m in zip(arrays[name], moves, strict=True))
        out[name] = np.stack(list(warped))
    return out


def load_crops(rec: Recording, cfg: Config, cache_dir: Path, labelled: bool = True) -> CropSet:
    """Crops from the cache (keyed by the video, face settings and input size), else
    extracted once; with the recording's ground-truth pulse at the frame times if
    ``labelled`` (else its ground truth is never read)."""
    taught = cfg.train.teacher_weight > 0
    extract = extract_taught_crops if taught else extract_crops
    kind = "taught" if taught else "crops"
    ident = (file_identity(rec.video), rec.dataset, to_dict(cfg.face), cfg.model.input_size, "keypoints")
    arrays = cached_arrays(cache_dir, cache_key(kind, *ident), lambda: extract(rec, cfg))
    if cfg.train.prior:
        arrays = aligned_arrays(arrays)
    t_s, face = arrays["t_s"], arrays["face"].astype(bool)
    if not face.any():
        raise NoFaceError(f"{rec.name}: no face found")
    teacher = {"teacher": arrays["teacher"], "taught": arrays["taught"].astype(bool)} if taught else {}
    fs = signal.frame_rate(t_s)
    crops, regions = arrays["crops"], arrays["regions"]
    crop_set = CropSet(rec.name, rec.subject, t_s, crops, regions, face, None, fs, None, **teacher)
    if not labelled:
        return crop_set
    truth = rec.truth()
    t0, t1 = float(t_s[0]), float(t_s[-1])
    check_coverage(truth, t0, t1, rec.name)
    wave = truth_pulse(truth, t0, t1, cfg.signal)
    if wave is None:
        raise RppgError(f"{rec.name}: training needs a ground-truth pulse wave, not only HR")
    grid, pulse, _ = wave
    at_frames = np.interp(t_s, grid, pulse)
    at_frames = (at_frames - at_frames.mean()) / max(at_frames.std(), 1e-9)
    return replace(crop_set, pulse=at_frames, hr_true_bpm=reference_hr(truth, t0, t1, cfg.signal))


def crops_in_worker(rec: Recording, cfg: Config, cache_dir: Path, labelled: bool) -> CropSet | str:
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


# --------------------------------------------------------------------------- the split


def split_subjects(recs: list[Recording], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Subject-disjoint (train, validation) subject lists, reproducible from ``seed``."""
    return split_names(sorted({r.subject for r in recs}), val_fraction, seed)


def split_names(subjects: list[str], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train, validation) of sorted subject names: ``val_fraction`` of them (at least one,
    never all) drawn with ``seed``."""
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
    specs = mixed_specs(
        tc.synthetic_subjects,
        seed=100 + tc.seed,
        looks=tc.synthetic_looks,
        duration_s=tc.synthetic_duration_s,
        width=tc.synthetic_size[0],
        height=tc.synthetic_size[1],
    )
    lo, hi = tc.synthetic_distractor
    specs = [replace(s, distractor_amplitude=float(rng.uniform(lo, hi))) for s in specs]
    manifest = json.dumps([GENERATOR_VERSION, *(asdict(s) for s in specs)], sort_keys=True)
    stamp = folder / "specs.json"
    if not (stamp.is_file() and stamp.read_text() == manifest):
        shutil.rmtree(folder, ignore_errors=True)
        write_dataset(specs, folder, "ubfc")
        stamp.write_text(manifest)
    return folder


def training_dataset(
    cfg: Config, out: Path, dataset: str | None, root: str | os.PathLike | None
) -> tuple[str, str | os.PathLike]:
    """(layout, root) to train on: as given, or the generated synthetic set (UBFC layout)."""
    if root is None:
        return "ubfc", synthetic_training_set(cfg, out / "synthetic")
    return dataset or ("generic" if cfg.train.unsupervised else "ubfc"), root


def crop_sets(
    recs: list[Recording], cfg: Config, cache_dir: Path, labelled: bool, log=print
) -> list[CropSet]:
    """Each recording's crop set, in order (extracted where :mod:`rppg.batch.parallel` runs
    them); a recording that cannot be used is skipped, saying why."""
    died = lambda rec, reason: f"worker died: {reason}"  # noqa: E731
    out = []
    args = (cfg, cache_dir, labelled)
    for rec, crop_set in zip(recs, run_all(crops_in_worker, recs, args, cfg.batch, lost=died), strict=True):
        if isinstance(crop_set, str):
            log(f"skipping {rec.name}: {crop_set}")
        else:
            out.append(crop_set)
    return out


def check_ranges(tc: TrainConfig) -> None:
    """Refuse training settings outside their range now, not after minutes of crop extraction."""
    if not 0 <= tc.colour_gain < 1:
        raise RppgError(
            f"train.colour_gain must be from 0 to below 1 (gains of 1 +- it), got {tc.colour_gain:g}"
        )
    share = tc.teacher_video_share
    if share is not None and not 0 <= share <= 1:
        raise RppgError(f"train.teacher_video_share must be from 0 to 1 (or null), got {share:g}")


def load_training_sets(
    cfg: Config, out: Path, dataset: str | None, root: str | os.PathLike | None, log=print
) -> tuple[list[CropSet], list[CropSet]]:
    """(train, validation) crop sets of a dataset (default: a generated synthetic set).
    Supervised: split by subject. Unsupervised: no ground truth is read, and each recording's
    last ``val_fraction`` of time is its validation part (so one video is enough)."""
    tc = cfg.train
    check_ranges(tc)
    missing = [f for f in tc.teacher_videos if not Path(f).is_dir()] if tc.teacher_weight > 0 else []
    if missing:  # said now, not after minutes of crop extraction
        raise RppgError(f"{missing[0]}: no such folder (train.teacher_videos)")
    dataset, root = training_dataset(cfg, out, dataset, root)
    recs = load_dataset(dataset, root)
    if tc.unsupervised:
        train_subjects, val_subjects = sorted({r.subject for r in recs}), []
    else:
        train_subjects, val_subjects = split_subjects(recs, tc.val_fraction, tc.seed)
    split = {"train": train_subjects, "validation": val_subjects or "last share of each recording"}
    (out / "split.json").write_text(json.dumps(split, indent=2))
    sets: dict[str, list[CropSet]] = {"train": [], "validation": []}
    for crop_set in crop_sets(recs, cfg, out / "crops", not tc.unsupervised, log):
        if tc.unsupervised:
            held_out = crop_set.part(1.0 - tc.val_fraction, 1.0)
            if _face_seconds(held_out) < cfg.signal.min_duration_s:
                log(
                    f"{crop_set.name}: its last {tc.val_fraction:.0%} holds under "
                    f"{cfg.signal.min_duration_s:g} s of face, too short to validate on: "
                    "used for training only"
                )
                sets["train"].append(crop_set)
                continue
            sets["train"].append(crop_set.part(0.0, 1.0 - tc.val_fraction))
            sets["validation"].append(held_out)
        else:
            sets["validation" if crop_set.subject in val_subjects else "train"].append(crop_set)
    if tc.unsupervised and sets["train"] and not sets["validation"]:
        need = cfg.signal.min_duration_s / tc.val_fraction
        raise RppgError(
            f"{root}: no video long enough to validate on (its last {tc.val_fraction:.0%} must hold "
            f"{cfg.signal.min_duration_s:g} s of face: about {need:.0f} s in all)"
        )
    if not sets["train"] or not sets["validation"]:
        raise RppgError(f"{root}: not enough usable recordings for a train/validation split")
    return sets["train"] + teacher_only_sets(cfg, out, log), sets["validation"]


def teacher_only_sets(cfg: Config, out: Path, log=print) -> list[CropSet]:
    """The crop sets of ``train.teacher_videos`` (folders of any face videos; no ground truth
    read), for the teacher's loss alone; none unless ``train.teacher_weight`` is above 0."""
    if cfg.train.teacher_weight <= 0 or not cfg.train.teacher_videos:
        return []
    recs = [rec for folder in cfg.train.teacher_videos for rec in load_dataset("generic", folder)]
    sets = crop_sets(recs, cfg, out / "crops", False, log)
    log(f"teacher only: {len(sets)} videos from {', '.join(cfg.train.teacher_videos)}")
    return [replace(s, teacher_only=True) for s in sets]


def _face_seconds(crops: CropSet) -> float:
    """Seconds from the first to the last frame with a face."""
    t = crops.t_s[crops.face]
    return float(t[-1] - t[0]) if len(t) > 1 else 0.0
