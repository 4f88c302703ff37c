"""Typed settings: the one place where every default lives.

``configs/*.yaml`` files hold overrides of these defaults (``configs/default.yaml`` is a
dump of them, checked by a test); CLI flags override a config file in turn.

    from rppg.config import load_config
    cfg = load_config("configs/default.yaml", overrides=["signal.window_s=8"])
    cfg.signal.band_hz   # (0.7, 3.5)
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from rppg.errors import RppgError


@dataclass(slots=True)
class FaceConfig:
    """How faces are found, followed and cropped, and which of their pixels count."""

    detector: str = "blazeface"
    """Face detector name: ``blazeface`` (run by OpenCV), ``mediapipe`` (the same model via
    mediapipe, if installed), ``haar`` or ``none`` (the whole frame is skin: pre-cropped
    skin video)."""
    model_path: str | None = None
    """Face-detection ``.tflite`` (BlazeFace short range); None = the one shipped in data/."""
    min_confidence: float = 0.5
    """Detections (and landmark fits) below this score are ignored."""
    detect_every: int = 5
    """Run the detector on every k-th frame; boxes are held and smoothed in between (regions
    ``box`` and ``skin``; with ``landmarks`` the detector only finds a lost face)."""
    detect_width: int = 320
    """Frames are downscaled to this width (px) before detection, for speed."""
    smoothing: float = 0.3
    """Weight of a new detection in the box's exponential moving average (1 = no smoothing)."""
    hold_s: float = 0.5
    """Keep the last box (or landmarks) this long (s) when the face is missed, then report
    no face."""
    max_faces: int = 1
    """How many faces to follow: 1 = one face (the largest found, as always); N = up to N,
    each with its own id, trace and rate; 0 = every face found."""
    track_hold_s: float = 5.0
    """Several faces: a face missed this long (s) keeps its id, and takes it back when it is
    found again near where it was; after that it is done."""
    search_every_s: float = 1.0
    """Several faces, region ``landmarks``: the whole frame is searched for new faces this
    often (s); in between, each face's mesh follows it (regions ``box`` and ``skin``: the
    detector runs every ``detect_every`` frames)."""
    box_scale: float = 1.5
    """The crop is the detected box enlarged by this factor (regions ``box`` and ``skin``)."""
    crop_size: int = 36
    """Face crops are resized to crop_size x crop_size px."""
    region: Literal["landmarks", "box", "skin"] = "landmarks"
    """Which pixels of the crop count: ``landmarks`` (the face oval without eyes, brows and
    lips, from the face mesh), ``box`` (all of the crop) or ``skin`` (skin-coloured pixels)."""
    landmarks_every_s: float = 0.2
    """Fit the face mesh this often (s); offline, the region is interpolated between fits
    (live: held). Faces that talk and turn need a fit every few frames: fits 0.33 s or more
    apart lost windows on the real clips (README, speed)."""
    landmark_model: str | None = None
    """Face mesh ``.tflite`` (mediapipe's FaceMesh); None = the one shipped in rppg's data/."""
    oval_scale: float = 0.8
    """The face oval shrunk about its centre by this factor: drops the hairline, jaw edge
    and background at the border."""
    eye_scale: float = 1.5
    """Eye outlines enlarged by this factor and removed (lids, lashes, glasses' rims)."""
    brow_scale: float = 1.3
    """Eyebrow outlines enlarged by this factor and removed."""
    lips_scale: float = 1.2
    """The outer lip outline enlarged by this factor and removed (lips move when talking)."""
    region_margin: float = 1.1
    """With ``landmarks``, the crop is the shrunk oval's bounding square enlarged by this."""
    fallback: bool = False
    """With ``landmarks``: a frame on which the face mesh finds no face while the detector
    still does is read as the box chain reads it (the detector's box, weighted by the box
    mask, its colour joined onto the mesh region's level) instead of being lost (README).
    Off by default: the mesh also checks the detector, and a false face that the mesh
    refuses (an empty room, a poster) would be read."""


@dataclass(slots=True)
class ModelConfig:
    """The skin-mask network."""

    weights: str | None = None
    """Mask weights file; None = the weights shipped in ``data/``."""
    input_size: int = 36
    """The mask runs on face crops downscaled to input_size x input_size px (the seed
    article's 36x36): 4x cheaper than 72x72 to train and run, and the mean colour is kept."""
    batch_size: int = 64
    """Crops per forward pass in offline processing."""


@dataclass(slots=True)
class SignalConfig:
    """Pulse extraction and heart-rate estimation."""

    band_hz: tuple[float, float] = (0.7, 3.0)
    """Heart-rate band (Hz), used for filtering, peak search and SNR: 42-180 bpm. (3.5 Hz,
    210 bpm, let noise peaks win on the real skin-patch clips: README, band choice.)"""
    beat_band_hz: tuple[float, float] = (0.7, 4.0)
    """Band (Hz) of the pulse that beats are found in: wider than the heart-rate band, to
    keep the systolic upstroke's shape (measured: README, beats)."""
    filter_order: int = 3
    """Butterworth band-pass order (applied forwards and backwards: zero phase)."""
    detrend_s: float = 4.0
    """Smoothness-priors detrend cut-off (s): slower changes than this are removed."""
    projection_window_s: float = 1.6
    """Sliding window (s) for the POS/CHROM overlap-add projections."""
    window_s: float = 10.0
    """Window (s) of the heart-rate-over-time series."""
    hop_s: float = 1.0
    """Hop (s) of the heart-rate-over-time series."""
    snr_tolerance_hz: float = 0.1
    """Half-width (Hz) of the bands around the pulse and its first harmonic counted as signal."""
    resolution_hz: float = 0.002
    """Spectral grid step (Hz) reached by zero padding, before peak interpolation."""
    min_duration_s: float = 5.0
    """Shortest recording (s) for which a heart rate is reported."""
    whole: Literal["median", "periodogram"] = "median"
    """Whole-recording rate: ``median`` of the windows' rates, or ``periodogram`` (one
    spectrum of the whole pulse, as rPPG-Toolbox's tables)."""
    estimator: Literal["tracked", "windows"] = "tracked"
    """How the windows' rates are read: ``tracked`` follows the rate through the windows (a
    continuity prior over their spectra: Viterbi offline, its forward pass live; measured on
    real compressed webcam video: README, accuracy); ``windows`` reads each window alone (its
    strongest peak, after the harmonic guard), as the ground truth always is."""
    track_bpm_per_s: float = 2.0
    """The continuity prior: standard deviation of the rate's change per second (bpm/s); the
    result is flat from 1 to 6 (README)."""
    track_refine_bpm: float = 3.0
    """A tracked window reports its own strongest rate within this distance of the track
    (bpm): half the main lobe of a 10 s window's spectrum."""
    track_step_bpm: float = 0.5
    """Spacing of the rates the tracker follows (bpm)."""
    harmonic_guard: bool = True
    """``windows``: report f/2 instead of the band's strongest peak f when the spectrum has a
    peak near f/2 (within ``snr_tolerance_hz``) with at least ``harmonic_ratio`` of f's power.
    (Tracked rates need none: on real webcam video the guard halved right rates.)"""
    harmonic_ratio: float = 0.5
    """Power share of f that a peak near f/2 needs for the harmonic guard to choose it."""


@dataclass(slots=True)
class QualityConfig:
    """Thresholds of the quality labels (see :mod:`rppg.quality`): a reading is ``good`` when
    it meets every good threshold, ``fair`` when it meets every fair one, else ``poor``.
    Calibrated on evaluation output (README: quality calibration)."""

    snr_good_db: float = 0.0
    """Pulse SNR (dB) of a good reading."""
    snr_fair_db: float = -3.0
    """Pulse SNR (dB) of a fair one."""
    face_share_good: float = 0.9
    """Share of frames with a face, good."""
    face_share_fair: float = 0.7
    """Share of frames with a face, fair."""
    motion_good: float = 0.3
    """Fastest mean face movement (face sizes per second), good."""
    motion_fair: float = 1.0
    """Fastest mean face movement (face sizes per second), fair."""
    spread_good_bpm: float = 3.0
    """Largest disagreement with the neighbouring windows (bpm), good."""
    spread_fair_bpm: float = 8.0
    """Largest disagreement with the neighbouring windows (bpm), fair."""
    usable_share_good: float = 0.7
    """A recording's share of windows rated good or fair, for a good recording."""
    usable_share_fair: float = 0.5
    """... for a fair recording."""
    agreeing_share_good: float = 0.85
    """A recording's share of windows whose own rate agrees with the one reported (within
    ``signal.track_refine_bpm``), for a good recording: a tracked rate through windows that
    each say something else is not to be trusted."""
    agreeing_share_fair: float = 0.75
    """... for a fair recording."""


@dataclass(slots=True)
class TrainConfig:
    """Training the skin mask (``rppg train``)."""

    dataset: str | None = None
    """Layout of the training data (``rppg.io``); None = ``ubfc``, or ``generic`` when unsupervised."""
    root: str | None = None
    """Dataset root; None = generate a synthetic set with distractors into ``OUT/synthetic``."""
    unsupervised: bool = False
    """Learn without a reference pulse, from the pulse's spectrum alone (SiNC losses: power
    inside the band, in one narrow peak, peaks spread over the batch): any face video."""
    init: str | None = None
    """Starting weights: None = random, ``shipped``, or a file (epoch 0: kept unless an epoch beats it)."""
    synthetic_subjects: int = 12
    synthetic_duration_s: float = 20.0
    synthetic_size: tuple[int, int] = (320, 240)
    synthetic_distractor: tuple[float, float] = (0.006, 0.02)
    """Range of the synthetic distractor amplitude (non-skin regions pulsing at another rate)."""
    synthetic_looks: bool = True
    """Vary the synthetic people's looks (hair colour, beard, glasses, highlights, shadow,
    skin-coloured clothes and wall): the mask must learn skin, not silhouette."""
    val_fraction: float = 0.25
    """Held out for validation: that share of subjects (supervised, subject-disjoint), or of
    each recording's time, its end (unsupervised)."""
    folds: int = 0
    """0: one train/validation split; K >= 2: subject-level K-fold cross-validation (``rppg.apps.folds``)."""
    clip_s: float = 4.0
    """Length (s) of one training clip."""
    batch_clips: int = 4
    steps_per_epoch: int = 25
    epochs: int = 12
    lr: float = 0.05
    weight_decay: float = 1e-4
    max_lag_s: float = 0.3
    """The contact PPG may lag the face by up to this much (s); the loss ignores such lags."""
    pearson_weight: float = 0.5
    """Weight of the lag-tolerant negative Pearson term next to the spectral term."""
    sinc_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """Unsupervised: weights of the bandwidth, sparsity and variance losses."""
    sinc_width_hz: float = 0.1
    """Unsupervised: half-width of the spectral peak the sparsity loss allows (0.1 Hz = 6 bpm)."""
    speed_range: tuple[float, float] = (0.7, 1.3)
    """Unsupervised: each clip is played this many times faster (random), so a batch from a few
    people still holds many heart rates for the variance loss."""
    augment: bool = True
    """Random brightness/colour/flip changes of the crops."""
    colour_gain: float = 0.15
    """Augmentation: each channel times a random gain in 1 +- this (another camera's white balance)."""
    teacher_weight: float = 0.0
    """0: the mask learns from the pulse alone. Above 0: the landmark skin region teaches it
    pixel by pixel on crops of the face stage's own region (``face.region``: with ``box``, the
    whole detector box; see :mod:`rppg.apps.teacher`), and this weights that per-pixel
    cross-entropy next to the pulse loss. No pulse label is needed for it."""
    prior: bool = False
    """Learn, beside the network, where in the crop skin lies: a map (s, s) that multiplies the
    mask (:data:`rppg.mask.net.PRIOR`). For box crops, where skin-coloured neck, ears and
    walls are not the face's skin; a random start only (``init`` keeps its file's own)."""
    teacher_frames: int = 64
    """Frames drawn per step for the teacher's loss."""
    teacher_videos: tuple[str, ...] = ()
    """Folders of face videos (no ground truth read) for the teacher only: real hair, backgrounds, clothes."""
    teacher_video_share: float | None = None
    """Share of the teacher's frames from ``teacher_videos`` (the rest: the training set); None: all alike."""
    seed: int = 0
    threads: int = 1
    """torch threads; 1 makes a run bit-for-bit reproducible (more threads sum in varying order)."""


@dataclass(slots=True)
class BatchConfig:
    """Where the recordings of a batch run (``rppg evaluate``, ``rppg process`` on several
    videos, the crops of ``rppg train``) are processed: see :mod:`rppg.parallel`."""

    workers: int = 1
    """Recordings processed at once: 1 = one after another in this process; more = that many
    worker processes (a local pool, or the workers of a Dask LocalCluster)."""
    cluster: str | None = None
    """None = a pool of local processes; ``local`` = a Dask LocalCluster on this machine; an
    address such as ``tcp://10.0.0.5:8786`` = a running Dask scheduler (needs
    ``rppg[cluster]``; its workers are its own, ``workers`` does not apply)."""
    memory_limit: str = "2GiB"
    """Memory of each LocalCluster worker (Dask's units: 2GiB, 500MB; ``auto`` = this machine's
    memory shared among the workers). A worker past it is restarted and its recording
    reported as ``worker died``. One recording takes about 0.2 GB (README: speed and memory)."""
    allowed_failures: int = 0
    """Retries of a recording whose LocalCluster worker died under it, before it is reported as
    ``worker died`` (Dask's ``distributed.scheduler.allowed-failures``; a remote scheduler
    keeps its own setting)."""
    connect_timeout_s: float = 10.0
    """How long to wait for a remote scheduler and its first worker (s)."""


@dataclass(slots=True)
class Config:
    """All settings of one run."""

    method: str = "mask"
    """Pulse method: ``mask`` (the trained skin mask + POS), ``pos``, ``chrom``, ``green``,
    ... (see ``rppg methods``)."""
    face: FaceConfig = field(default_factory=FaceConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    signal: SignalConfig = field(default_factory=SignalConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    batch: BatchConfig = field(default_factory=BatchConfig)


def choices(cls: type, name: str) -> tuple[str, ...]:
    """The values a setting of type ``Literal[...]`` allows, e.g. ``choices(FaceConfig, "region")``."""
    return typing.get_args(typing.get_type_hints(cls)[name])


def to_dict(obj: Any) -> dict[str, Any]:
    """A config dataclass as plain dicts/lists (tuples become lists), for YAML and JSON."""
    return json.loads(json.dumps(dataclasses.asdict(obj)))


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Defaults, then the YAML file at ``path``, then ``key.sub=value`` overrides."""
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise RppgError(f"{path}: cannot read config ({exc.strerror})") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise RppgError(f"{path}: not valid YAML ({_first_line(exc)})") from None
        if not isinstance(data, dict):
            raise RppgError(f"{path}: a config must be a mapping of sections")
    cfg = from_dict(Config, data, source)
    for item in overrides or []:
        apply_override(cfg, item)
    return cfg


def from_dict(cls: type, data: dict[str, Any], source: str, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from nested dicts, rejecting unknown keys by name."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            raise RppgError(f"{source}: unknown setting '{prefix}{key}'")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise RppgError(f"{source}: '{prefix}{key}' must be a mapping")
            kwargs[key] = from_dict(hint, value, source, f"{prefix}{key}.")
        else:
            kwargs[key] = _coerce(hint, value, f"{source}: '{prefix}{key}'")
    return cls(**kwargs)


def apply_override(cfg: Config, item: str) -> None:
    """Apply one ``section.key=value`` override (value parsed as YAML) in place."""
    if "=" not in item:
        raise RppgError(f"override '{item}' must look like section.key=value")
    dotted, raw = item.split("=", 1)
    *parents, leaf = dotted.strip().split(".")
    target: Any = cfg
    for part in parents:
        if not dataclasses.is_dataclass(target) or not hasattr(target, part):
            raise RppgError(f"override '{item}': unknown setting '{dotted}'")
        target = getattr(target, part)
    if not dataclasses.is_dataclass(target) or leaf not in {f.name for f in dataclasses.fields(target)}:
        raise RppgError(f"override '{item}': unknown setting '{dotted}'")
    hint = typing.get_type_hints(type(target))[leaf]
    setattr(target, leaf, _coerce(hint, yaml.safe_load(raw), f"override '{item}'"))


def _coerce(hint: Any, value: Any, where: str) -> Any:
    """Check ``value`` against a simple type hint, converting where it is lossless."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Literal:
        if value not in args:
            raise RppgError(f"{where} must be one of {', '.join(map(str, args))}, got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, where)
    if origin is tuple and args[1:] == (Ellipsis,):
        if not isinstance(value, (list, tuple)):
            raise RppgError(f"{where} must be a list")
        return tuple(_coerce(args[0], v, where) for v in value)
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise RppgError(f"{where} must be a list of {len(args)} values")
        return tuple(_coerce(a, v, where) for a, v in zip(args, value, strict=False))
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    raise RppgError(f"{where} must be {getattr(hint, '__name__', hint)}, got {value!r}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def dump_yaml(cfg: Any) -> str:
    """A config (or section) as YAML text."""
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)
