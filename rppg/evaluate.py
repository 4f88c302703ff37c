"""Batch evaluation over a dataset: every method on every recording, one metrics table.

    report = evaluate("ubfc", "/data/UBFC/DATASET_2", ["pos", "chrom"], Config())
    report.metrics      # one dict per method: n, mae, rmse, mape, pearson_r, snr_db (+ *_se)
    write_evaluation(report, out)                            # rppg.report: CSVs and plots

Per recording: the ground truth is checked first; the RGB trace comes from the cache or is
extracted once for all methods; the reference heart rate is computed from the ground-truth
pulse with the same spectral estimator as the prediction, over the same time span (whole
recording and the same sliding windows). A broken recording becomes rows whose ``status``
says what is wrong; the rest are evaluated.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from rppg.cache import cache_key, file_identity, load_arrays, save_arrays
from rppg.config import Config, to_dict
from rppg.errors import NoFaceError, RppgError
from rppg.io import Recording, load_dataset
from rppg.methods import METHODS, roi_of
from rppg.metrics import hr_metrics
from rppg.model import mask_weights_path
from rppg.pipeline import analyse, extract_trace
from rppg.reference import check_coverage, reference_hr, reference_series
from rppg.trace import ROI_MEANS, Trace


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
    subject: str = ""
    setup: str = ""
    frames: int = 0
    face_ratio: float = np.nan


@dataclass
class RecordingResult:
    """Rows of one recording plus its heart rate over time (for plots and windowed metrics)."""

    name: str
    rows: list[Row]
    window_t_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    window_true_bpm: np.ndarray = field(default_factory=lambda: np.empty(0))
    window_pred_bpm: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Report:
    rows: list[Row]
    metrics: list[dict]
    results: list[RecordingResult]

    @property
    def failed(self) -> list[str]:
        return sorted({r.recording for r in self.rows if r.status != "ok"})


# --------------------------------------------------------------------------- traces


def trace_key(rec: Recording, cfg: Config, roi: str) -> str:
    parts: list[object] = [file_identity(rec.video), rec.dataset, to_dict(cfg.face), roi]
    if roi == "mask":
        parts.append(file_identity(mask_weights_path(cfg.model.weights)))
    return cache_key("trace", *parts)


def load_trace(rec: Recording, cfg: Config, rois: set[str], cache_dir: Path | None) -> Trace:
    """The recording's RGB traces for ``rois``: from the cache, else extracted in one pass
    (every region is extracted, the mask's too when weights exist, so that later runs with
    other methods hit the cache)."""
    cached: dict[str, dict] = {}
    if cache_dir is not None:
        for roi in rois:
            arrays = load_arrays(cache_dir, trace_key(rec, cfg, roi))
            if arrays is not None:
                cached[roi] = arrays
    if len(cached) == len(rois):
        first = next(iter(cached.values()))
        return Trace(first["t_s"], {r: a["rgb"] for r, a in cached.items()}, first["face"].astype(bool))
    wanted = set(rois) | set(ROI_MEANS)
    if mask_weights_path(cfg.model.weights).is_file():
        wanted.add("mask")  # the default method: worth its inference cost once, for good
    trace = extract_trace(rec.frames(), cfg, wanted)
    if cache_dir is not None:
        for roi, rgb in trace.rgb.items():
            save_arrays(
                cache_dir, trace_key(rec, cfg, roi), {"t_s": trace.t_s, "face": trace.face, "rgb": rgb}
            )
    return trace


# --------------------------------------------------------------------------- one recording


def evaluate_recording(
    rec: Recording, methods: list[str], cfg: Config, cache_dir: Path | None
) -> RecordingResult:
    """Rows for every method on one recording; failures become rows with a status."""
    base = {"subject": rec.subject, "setup": rec.setup}

    def failed(status: str, **extra) -> RecordingResult:
        return RecordingResult(rec.name, [Row(rec.name, m, status=status, **base, **extra) for m in methods])

    try:
        truth = rec.truth()
    except RppgError as exc:
        return failed(f"bad ground truth: {exc}")
    rois = {roi_of(METHODS.get(m), cfg) for m in methods}
    try:
        trace = load_trace(rec, cfg, rois, cache_dir)
    except NoFaceError as exc:
        return failed(f"no face: {exc}")
    except RppgError as exc:
        return failed(f"bad video: {exc}")
    extra = {"frames": trace.frames, "face_ratio": round(trace.face_ratio, 4)}
    t0, t1 = float(trace.t_s[0]), float(trace.t_s[-1])
    try:
        check_coverage(truth, t0, t1, rec.name)
    except RppgError as exc:
        return failed(f"bad ground truth: {exc}", **extra)
    hr_true = reference_hr(truth, t0, t1, cfg.signal)
    if not np.isfinite(hr_true):
        return failed("bad ground truth: no heart rate found in the reference wave", **extra)
    result = RecordingResult(rec.name, [])
    for m in methods:
        try:
            a = analyse(trace, m, cfg, name=rec.name)
        except NoFaceError as exc:
            result.rows.append(Row(rec.name, m, hr_true, status=f"no face: {exc}", **base, **extra))
            continue
        except RppgError as exc:
            result.rows.append(Row(rec.name, m, hr_true, status=f"bad video: {exc}", **base, **extra))
            continue
        pred = np.nan if a.hr_bpm is None else a.hr_bpm
        snr = np.nan if a.snr_db is None else a.snr_db
        status = "ok" if np.isfinite(pred) else "no heart rate found"
        result.rows.append(Row(rec.name, m, hr_true, pred, abs(pred - hr_true), snr, status, **base, **extra))
        if len(result.window_t_s) == 0:
            result.window_t_s = a.series.t_s
            result.window_true_bpm = reference_series(truth, a.t_s, a.fs, cfg.signal)
        result.window_pred_bpm[m] = a.series.hr_bpm
    return result


def _evaluate_in_worker(rec, methods, cfg, cache_dir) -> RecordingResult:
    try:
        return evaluate_recording(rec, methods, cfg, cache_dir)
    except Exception as exc:  # a bug on one recording must not lose the others
        return RecordingResult(
            rec.name, [Row(rec.name, m, status=f"error: {type(exc).__name__}: {exc}") for m in methods]
        )


# --------------------------------------------------------------------------- whole dataset


def default_methods(cfg: Config) -> list[str]:
    """Every registered method; ``mask`` only when its weights exist."""
    have_weights = mask_weights_path(cfg.model.weights).is_file()
    return [m for m in METHODS if METHODS.get(m).roi != "mask" or have_weights]


def evaluate(
    dataset: str,
    root: str | os.PathLike,
    methods: list[str] | None,
    cfg: Config,
    workers: int = 1,
    cache_dir: Path | None = None,
    progress: Callable | None = None,
) -> Report:
    """Evaluate ``methods`` on every recording of ``dataset`` under ``root``."""
    methods = methods or default_methods(cfg)
    for m in methods:
        METHODS.get(m)  # unknown names fail before any work
    recs = load_dataset(dataset, root)
    results: list[RecordingResult] = []
    bar = progress(total=len(recs)) if progress else None
    if workers <= 1:
        for rec in recs:
            results.append(_evaluate_in_worker(rec, methods, cfg, cache_dir))
            if bar:
                bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_evaluate_in_worker, rec, methods, cfg, cache_dir) for rec in recs]
            for future in as_completed(futures):
                results.append(future.result())
                if bar:
                    bar.update(1)
    if bar:
        bar.close()
    order = {r.name: i for i, r in enumerate(recs)}
    results.sort(key=lambda r: order[r.name])
    rows = [row for r in results for row in r.rows]
    return Report(rows, summarise(rows, results, methods), results)


def summarise(rows: list[Row], results: list[RecordingResult], methods: list[str]) -> list[dict]:
    """One metrics dict per method over the rows with status ok, plus windowed figures."""
    table = []
    for m in methods:
        ok = [r for r in rows if r.method == m and r.status == "ok"]
        entry = {"method": m} | hr_metrics(
            [r.hr_true_bpm for r in ok], [r.hr_pred_bpm for r in ok], [r.snr_db for r in ok]
        )
        entry["n_failed"] = sum(1 for r in rows if r.method == m and r.status != "ok")
        true_w, pred_w = _windows(results, m)
        w = hr_metrics(true_w, pred_w)
        for key in ("n", "mae", "rmse", "pearson_r"):
            entry[f"window_{key}"] = w.get(key, np.nan)
        table.append(entry)
    return table


def _windows(results: list[RecordingResult], method: str) -> tuple[np.ndarray, np.ndarray]:
    ok_recordings = {
        row.recording for r in results for row in r.rows if row.method == method and row.status == "ok"
    }
    true, pred = [], []
    for r in results:
        if r.name in ok_recordings and method in r.window_pred_bpm:
            t, p = r.window_true_bpm, r.window_pred_bpm[method]
            keep = np.isfinite(t) & np.isfinite(p)
            true.append(t[keep])
            pred.append(p[keep])
    if not true:
        return np.empty(0), np.empty(0)
    return np.concatenate(true), np.concatenate(pred)


def progress_bar(total: int):
    """A tqdm bar on stderr, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit="rec", file=sys.stderr, disable=None)
