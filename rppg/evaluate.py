"""Batch evaluation over a dataset: every method on every recording, one metrics table.

    report = evaluate("ubfc", "/data/UBFC/DATASET_2", ["pos", "chrom"], Config())
    report.metrics      # one dict per method: n, mae, rmse, mape, pearson_r, snr_db (+ *_se)
    write_evaluation(report, out)                            # rppg.report: CSVs and plots

Per recording: the ground truth is checked first; the RGB trace comes from the cache or is
extracted once for all methods; the reference heart rate is computed from the ground-truth
pulse with the same spectral estimator as the prediction, over the same time span (whole
recording and the same sliding windows). A broken recording becomes rows whose ``status``
says what is wrong; the rest are evaluated. Recordings run where ``cfg.batch`` says (this
process, local workers, a Dask cluster: :mod:`rppg.parallel`); with ``keep=DIR`` each one's
rows are saved as it finishes and a stopped run resumes from them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rppg import quality
from rppg.beats import match_beats
from rppg.cache import cache_key, file_identity, load_arrays, save_arrays
from rppg.config import Config, to_dict
from rppg.errors import NoFaceError, RppgError
from rppg.hrv import hrv_values
from rppg.io import GroundTruth, Recording, load_dataset
from rppg.methods import METHODS
from rppg.metrics import hr_metrics
from rppg.model import mask_weights_path
from rppg.parallel import run_all
from rppg.pipeline import Analysis, analyse, extract_trace
from rppg.reference import (
    check_coverage,
    reference_beats,
    reference_breathing,
    reference_hr,
    reference_series,
)
from rppg.resume import ResultStore
from rppg.trace import Trace


@dataclass
class Row:
    """One line of ``per_video.csv``: one recording under one method."""

    recording: str
    method: str
    hr_true_bpm: float = np.nan
    hr_pred_bpm: float = np.nan
    abs_err_bpm: float = np.nan
    snr_db: float = np.nan
    status: str = "ok"
    quality: str = "none"
    """The prediction's quality label (good, fair, poor, none)."""
    reasons: str = ""
    beats_matched: float = np.nan
    """Share of the reference's beats with a found beat within 100 ms (after one lag)."""
    ibi_mae_ms: float = np.nan
    """Inter-beat interval error (ms) over beats matched in a row."""
    rmssd_err_ms: float = np.nan
    """RMSSD of the accepted intervals minus the reference's (ms), over the whole recording
    (not gated by quality: an evaluation figure, not a report)."""
    sdnn_err_ms: float = np.nan
    resp_err_per_min: float = np.nan
    """Breathing rate error (breaths/min), where the dataset has a respiration channel."""
    subject: str = ""
    setup: str = ""
    frames: int = 0
    face_ratio: float = np.nan


@dataclass
class WindowRow:
    """One line of ``per_window.csv``: one window of one recording under one method, with
    the evidence its quality label was made from."""

    recording: str
    method: str
    t_s: float
    hr_true_bpm: float
    hr_pred_bpm: float
    abs_err_bpm: float
    snr_db: float
    quality: str
    face_share: float
    motion: float
    spread_bpm: float


@dataclass
class RecordingResult:
    """Rows of one recording: per method, and per window (plots and windowed metrics)."""

    name: str
    rows: list[Row]
    windows: list[WindowRow] = field(default_factory=list)


@dataclass
class Evaluation:
    rows: list[Row]
    metrics: list[dict]
    results: list[RecordingResult]

    @property
    def failed(self) -> list[str]:
        return sorted({r.recording for r in self.rows if r.status != "ok"})


# --------------------------------------------------------------------------- traces


def trace_key(rec: Recording, cfg: Config, weighting: str) -> str:
    parts: list[object] = [file_identity(rec.video), rec.dataset, to_dict(cfg.face), weighting]
    if weighting == "mask":
        parts.append(file_identity(mask_weights_path(cfg.model.weights)))
    return cache_key("trace", *parts)


def load_trace(rec: Recording, cfg: Config, weightings: set[str], cache_dir: Path | None) -> Trace:
    """The recording's RGB traces for ``weightings``: from the cache, else extracted in one
    pass (the mask's too when weights exist, so that later runs with other methods hit the
    cache)."""
    cached: dict[str, dict] = {}
    if cache_dir is not None:
        for w in weightings:
            arrays = load_arrays(cache_dir, trace_key(rec, cfg, w))
            if arrays is not None:
                cached[w] = arrays
    if len(cached) == len(weightings):
        first = next(iter(cached.values()))
        rgb = {w: a["rgb"] for w, a in cached.items()}
        return Trace(first["t_s"], rgb, first["face"].astype(bool), first["motion"])
    wanted = set(weightings) | {"uniform"}
    if mask_weights_path(cfg.model.weights).is_file():
        wanted.add("mask")  # the default method: worth its inference cost once, for good
    trace = extract_trace(rec.frames(), cfg, wanted)
    if cache_dir is not None:
        for w, rgb in trace.rgb.items():
            arrays = {"t_s": trace.t_s, "face": trace.face, "motion": trace.motion, "rgb": rgb}
            save_arrays(cache_dir, trace_key(rec, cfg, w), arrays)
    return trace


# --------------------------------------------------------------------------- one recording


def evaluate_recording(
    rec: Recording, methods: list[str], cfg: Config, cache_dir: Path | None
) -> RecordingResult:
    """Rows for every method on one recording; failures become rows with a status."""
    try:
        truth = rec.truth()
    except RppgError as exc:
        return failed_result(rec, methods, f"bad ground truth: {exc}")
    weightings = {METHODS.get(m).weighting for m in methods}
    try:
        trace = load_trace(rec, cfg, weightings, cache_dir)
    except NoFaceError as exc:
        return failed_result(rec, methods, f"no face: {exc}")
    except RppgError as exc:
        return failed_result(rec, methods, f"bad video: {exc}")
    extra = {"frames": trace.frames, "face_ratio": round(trace.face_ratio, 4)}
    t0, t1 = float(trace.t_s[0]), float(trace.t_s[-1])
    try:
        check_coverage(truth, t0, t1, rec.name)
    except RppgError as exc:
        return failed_result(rec, methods, f"bad ground truth: {exc}", **extra)
    hr_true = reference_hr(truth, t0, t1, cfg.signal)
    if not np.isfinite(hr_true):
        return failed_result(
            rec, methods, "bad ground truth: no heart rate found in the reference wave", **extra
        )
    reference = Reference(
        truth, hr_true, reference_beats(truth, t0, t1, cfg.signal), reference_breathing(truth, t0, t1)
    )
    result = RecordingResult(rec.name, [])
    for m in methods:
        base = {"subject": rec.subject, "setup": rec.setup} | extra
        try:
            a = analyse(trace, m, cfg, name=rec.name)
        except NoFaceError as exc:
            result.rows.append(Row(rec.name, m, hr_true, status=f"no face: {exc}", **base))
            continue
        except RppgError as exc:
            result.rows.append(Row(rec.name, m, hr_true, status=f"bad video: {exc}", **base))
            continue
        result.rows.append(method_row(rec, a, reference, base))
        result.windows += window_rows(rec.name, a, trace, reference, cfg)
    return result


@dataclass
class Reference:
    """What a recording's predictions are scored against."""

    truth: GroundTruth
    hr_bpm: float
    """The whole recording's true rate (bpm)."""
    beats_s: np.ndarray | None
    """True beat times (s), where there is a wave."""
    breaths_per_min: float | None


def method_row(rec: Recording, a: Analysis, ref: Reference, base: dict) -> Row:
    """One method's row of ``per_video.csv``."""
    pred = np.nan if a.hr_bpm is None else a.hr_bpm
    snr = np.nan if a.snr_db is None else a.snr_db
    status = "ok" if np.isfinite(pred) else "no heart rate found"
    rating = {"quality": a.quality.label, "reasons": "; ".join(a.quality.reasons)}
    scores = score_beats(a, ref.beats_s) | score_breathing(a, ref.breaths_per_min)
    return Row(
        rec.name, a.method, ref.hr_bpm, pred, abs(pred - ref.hr_bpm), snr, status, **rating, **scores, **base
    )


def window_rows(name: str, a: Analysis, trace: Trace, ref: Reference, cfg: Config) -> list[WindowRow]:
    """One method's rows of ``per_window.csv``: each window's true and predicted rate and the
    evidence its quality label was made from."""
    true_w = reference_series(ref.truth, a.t_s, a.fs, cfg.signal)
    evidence = quality.window_evidence(a.series, trace, cfg.signal.window_s)
    return [
        WindowRow(
            name,
            a.method,
            float(t),
            hr_t,
            e.hr_bpm,
            abs(e.hr_bpm - hr_t),
            e.snr_db,
            r.label,
            e.face_share,
            e.motion,
            e.spread_bpm,
        )
        for t, hr_t, e, r in zip(a.series.t_s, true_w, evidence, a.window_quality, strict=True)
    ]


def score_beats(a, ref_beats: np.ndarray | None) -> dict:
    """Beat and HRV errors of an analysis against reference beat times (s)."""
    if ref_beats is None or a.beats is None or len(ref_beats) < 3:
        return {}
    match = match_beats(a.beats.t_s, ref_beats)
    ours = hrv_values(np.where(a.beats.accepted, a.beats.ibi_ms, np.nan))
    theirs = hrv_values(np.concatenate([[np.nan], np.diff(ref_beats) * 1000]))
    return {
        "beats_matched": match["matched"],
        "ibi_mae_ms": match["ibi_mae_ms"],
        "rmssd_err_ms": ours["rmssd_ms"] - theirs["rmssd_ms"],
        "sdnn_err_ms": ours["sdnn_ms"] - theirs["sdnn_ms"],
    }


def score_breathing(a, ref_per_min: float | None) -> dict:
    if ref_per_min is None or a.respiration_per_min is None:
        return {}
    return {"resp_err_per_min": a.respiration_per_min - ref_per_min}


def failed_result(rec: Recording, methods: list[str], status: str, **extra) -> RecordingResult:
    """Rows for every method of a recording that could not be evaluated, saying why."""
    base = {"subject": rec.subject, "setup": rec.setup} | extra
    return RecordingResult(rec.name, [Row(rec.name, m, status=status, **base) for m in methods])


def _evaluate_in_worker(rec, methods, cfg, cache_dir) -> RecordingResult:
    try:
        return evaluate_recording(rec, methods, cfg, cache_dir)
    except Exception as exc:  # a bug on one recording must not lose the others
        return failed_result(rec, methods, f"error: {type(exc).__name__}: {exc}")


WORKER_DIED = "worker died"
"""Status of a recording whose worker process ended under it (see :mod:`rppg.parallel`)."""


# --------------------------------------------------------------------------- kept results (resume)


def result_key(rec: Recording, methods: list[str], cfg: Config) -> str:
    """What a recording's rows depend on: every setting but where the run happens, the
    methods, the video, ground-truth and weights files, and rppg's version."""
    from rppg import __version__

    settings = to_dict(cfg)
    settings.pop("batch")
    files = {"video": rec.video, **rec.paths, "weights": mask_weights_path(cfg.model.weights)}
    identities = {k: file_identity(p) if Path(p).exists() else None for k, p in files.items()}
    return cache_key("result", __version__, settings, methods, rec.dataset, rec.name, identities)


def result_to_dict(result: RecordingResult) -> dict:
    return {"rows": [asdict(r) for r in result.rows], "windows": [asdict(w) for w in result.windows]}


def result_from_dict(name: str, payload: dict) -> RecordingResult:
    rows = [Row(**r) for r in payload["rows"]]
    return RecordingResult(name, rows, [WindowRow(**w) for w in payload["windows"]])


# --------------------------------------------------------------------------- whole dataset


def default_methods(cfg: Config) -> list[str]:
    """Every registered method; ``mask`` only when its weights exist."""
    have_weights = mask_weights_path(cfg.model.weights).is_file()
    return [m for m in METHODS if METHODS.get(m).weighting != "mask" or have_weights]


def evaluate(
    dataset: str, root: str | os.PathLike, methods: list[str] | None, cfg: Config, **options
) -> Evaluation:
    """Evaluate ``methods`` (default: all) on every recording of ``dataset`` under ``root``;
    ``options`` are those of :func:`evaluate_recordings` (cache_dir, progress, keep, log)."""
    methods = methods or default_methods(cfg)
    for m in methods:
        METHODS.get(m)  # unknown names fail before any work
    return evaluate_recordings(load_dataset(dataset, root), methods, cfg, **options)


def evaluate_recordings(
    recs: list[Recording],
    methods: list[str],
    cfg: Config,
    cache_dir: Path | None = None,
    progress: Callable | None = None,
    keep: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Evaluation:
    """Every method on every recording. With ``keep`` (a folder), each recording's rows are
    saved there as it finishes, and rows saved by an earlier run with the same settings are
    reused: a stopped run resumes (``log`` is told how far it had come)."""
    store = ResultStore(keep) if keep is not None else None
    keys = {r.name: result_key(r, methods, cfg) for r in recs} if store else {}
    kept: dict[str, RecordingResult] = {}
    for rec in recs if store else []:
        payload = store.load(rec.name, keys[rec.name])
        if payload is not None:
            kept[rec.name] = result_from_dict(rec.name, payload)
    if kept and log:
        log(f"resuming: {len(kept)} of {len(recs)} recordings already evaluated in {keep}")

    def save(rec: Recording, result: RecordingResult) -> None:
        if store and not any(r.status.startswith(WORKER_DIED) for r in result.rows):
            store.save(rec.name, keys[rec.name], result_to_dict(result))  # a worker death: tried again

    todo = [r for r in recs if r.name not in kept]
    died = lambda rec, reason: failed_result(rec, methods, f"{WORKER_DIED}: {reason}")  # noqa: E731
    fresh = run_all(_evaluate_in_worker, todo, (methods, cfg, cache_dir), cfg.batch, lost=died, done=save,
                    progress=progress)  # fmt: skip
    by_name = kept | {r.name: result for r, result in zip(todo, fresh, strict=True)}
    results = [by_name[r.name] for r in recs]
    rows = [row for r in results for row in r.rows]
    return Evaluation(rows, summarise(rows, results, methods), results)


GOOD_OR_FAIR = ("good", "fair")


def summarise(rows: list[Row], results: list[RecordingResult], methods: list[str]) -> list[dict]:
    """One metrics dict per method over the rows with status ok, then over those rated good
    or fair (``*_good_fair``), plus windowed figures likewise."""
    windows = [w for r in results for w in r.windows]
    table = []
    for m in methods:
        ok = [r for r in rows if r.method == m and r.status == "ok"]
        entry = {"method": m} | _metrics(ok)
        entry["n_failed"] = sum(1 for r in rows if r.method == m and r.status != "ok")
        kept = [r for r in ok if r.quality in GOOD_OR_FAIR]
        entry |= {f"{k}_good_fair": v for k, v in _metrics(kept).items() if k in ("n", "mae", "rmse")}
        for key in ("beats_matched", "ibi_mae_ms"):
            values = np.array([getattr(r, key) for r in ok], dtype=float)
            entry[key] = float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
        for key in ("rmssd_err_ms", "sdnn_err_ms", "resp_err_per_min"):
            values = np.abs(np.array([getattr(r, key) for r in ok], dtype=float))
            entry[f"{key.replace('_err', '_abs_err')}"] = (
                float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
            )
        ok_names = {r.recording for r in ok}
        wins = [w for w in windows if w.method == m and w.recording in ok_names]
        for suffix, chosen in (("", wins), ("_good_fair", [w for w in wins if w.quality in GOOD_OR_FAIR])):
            both = [w for w in chosen if np.isfinite(w.hr_true_bpm) and np.isfinite(w.hr_pred_bpm)]
            wm = hr_metrics([w.hr_true_bpm for w in both], [w.hr_pred_bpm for w in both])
            for key in ("n", "mae", "rmse") + (("pearson_r",) if not suffix else ()):
                entry[f"window_{key}{suffix}"] = wm.get(key, np.nan)
        table.append(entry)
    return table


def _metrics(rows: list[Row]) -> dict:
    return hr_metrics([r.hr_true_bpm for r in rows], [r.hr_pred_bpm for r in rows], [r.snr_db for r in rows])
