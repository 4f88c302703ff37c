"""Batch evaluation over a dataset: every method on every recording, one metrics table.

    evaluation = evaluate("ubfc", "/data/UBFC/DATASET_2", ["pos", "chrom"], Config())
    evaluation.metrics  # one dict per method: n, mae, rmse, mape, pearson_r, snr_db (+ *_se)
    write_evaluation(evaluation, out)                  # rppg.apps.report: CSVs and plots

Per recording: the ground truth is checked first; the RGB trace comes from the cache or is
extracted once for all methods; the reference heart rate is computed from the ground-truth
pulse with the same spectral estimator as the prediction, over the same time span (whole
recording and the same sliding windows). A broken recording becomes rows whose ``status``
says what is wrong; the rest are evaluated. Recordings run where ``cfg.batch`` says (this
process, local workers, a Dask cluster: :mod:`rppg.batch.parallel`); with ``keep=DIR`` each one's
rows are saved as it finishes and a stopped run resumes from them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rppg.apps.scoring import (
    Evaluation,
    RecordingResult,
    Reference,
    Row,
    failed_result,
    method_row,
    result_from_dict,
    result_to_dict,
    summarise,
    window_rows,
)
from rppg.batch.cache import cache_key, file_identity, load_arrays, save_arrays
from rppg.batch.parallel import run_all
from rppg.batch.resume import ResultStore
from rppg.chain.methods import METHODS
from rppg.chain.pipeline import analyse, extract_trace
from rppg.chain.reference import (
    check_coverage,
    reference_beats,
    reference_breathing,
    reference_hr,
)
from rppg.chain.trace import Trace
from rppg.config import Config, to_dict
from rppg.errors import NoFaceError, RppgError
from rppg.io import Recording, load_dataset
from rppg.mask.net import mask_weights_path

# --------------------------------------------------------------------------- traces


def trace_key(rec: Recording, cfg: Config, weighting: str) -> str:
    parts: list[object] = [file_identity(rec.video), rec.dataset, to_dict(cfg.face), weighting]
    if weighting == "mask":
        parts.append(file_identity(mask_weights_path(cfg.model.weights, cfg.face.region)))
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
        return Trace(
            first["t_s"],
            rgb,
            first["face"].astype(bool),
            first["motion"],
            first["centre"],
            [str(w) for w in first["warnings"]],
        )
    wanted = set(weightings) | {"uniform"}
    if mask_weights_path(cfg.model.weights, cfg.face.region).is_file():
        wanted.add("mask")  # the default method: worth its inference cost once, for good
    trace = extract_trace(rec.frames(), cfg, wanted)
    if cache_dir is not None:
        for w, rgb in trace.rgb.items():
            arrays = {
                "t_s": trace.t_s,
                "face": trace.face,
                "motion": trace.motion,
                "centre": trace.centre,
                "warnings": np.array(trace.warnings, dtype=str),
                "rgb": rgb,
            }
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
    extra = {
        "frames": trace.frames,
        "face_ratio": round(trace.face_ratio, 4),
        "warnings": "; ".join(truth.notes + trace.warnings),
    }
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
    weights = mask_weights_path(cfg.model.weights, cfg.face.region)
    files = {"video": rec.video, **rec.paths, "weights": weights}
    identities = {k: file_identity(p) if Path(p).exists() else None for k, p in files.items()}
    return cache_key("result", __version__, settings, methods, rec.dataset, rec.name, identities)


# --------------------------------------------------------------------------- whole dataset


def default_methods(cfg: Config) -> list[str]:
    """Every registered method; ``mask`` only when its weights exist."""
    have_weights = mask_weights_path(cfg.model.weights, cfg.face.region).is_file()
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
    fresh = run_all(
        _evaluate_in_worker,
        todo,
        (methods, cfg, cache_dir),
        cfg.batch,
        lost=died,
        done=save,
        progress=progress,
    )
    by_name = kept | {r.name: result for r, result in zip(todo, fresh, strict=True)}
    results = [by_name[r.name] for r in recs]
    rows = [row for r in results for row in r.rows]
    return Evaluation(rows, summarise(rows, results, methods), results)
