"""Batch evaluation over a dataset: every method on every recording, one metrics table.

    report = evaluate("ubfc", "/data/UBFC/DATASET_2", ["pos", "chrom"], Config(), out_dir="eval/")
    report.metrics      # one dict per method: n, mae, rmse, mape, pearson_r, snr_db (+ *_se)

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
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from rppg import signal
from rppg.cache import cache_key, file_identity, load_arrays, save_arrays
from rppg.config import Config, SignalConfig, to_dict
from rppg.data import MASK_WEIGHTS, shipped_file
from rppg.errors import NoFaceError, RppgError
from rppg.io import GroundTruth, Recording, load_dataset
from rppg.methods import METHODS, roi_of
from rppg.metrics import hr_metrics
from rppg.pipeline import analyse, extract_trace
from rppg.trace import ROI_MEANS, Trace

MIN_TRUTH_COVERAGE = 0.9
"""Ground truth must span this share of the video, else the recording is reported broken."""


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


# --------------------------------------------------------------------------- reference


def truth_pulse(
    truth: GroundTruth, t0: float, t1: float, cfg: SignalConfig
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The ground-truth wave between t0 and t1 (s), uniformly resampled, detrended and
    band-passed like a predicted pulse: (times (K,), pulse (K,), fs), or None without a wave."""
    if truth.ppg is None:
        return None
    inside = (truth.t_s >= t0) & (truth.t_s <= t1)
    if inside.sum() < 8:
        return None
    t, wave = truth.t_s[inside], truth.ppg[inside]
    fs = signal.frame_rate(t)
    grid, uniform = signal.resample_uniform(t, wave, fs)
    pulse = signal.bandpass(signal.detrend(uniform, fs, cfg.detrend_s), fs, cfg.band_hz, cfg.filter_order)
    return grid, pulse, fs


def reference_hr(truth: GroundTruth, t0: float, t1: float, cfg: SignalConfig) -> float:
    """True heart rate (bpm) over [t0, t1] s: the spectral estimate of the ground-truth wave
    (as for the prediction), or the mean device HR where there is no wave."""
    pulse = truth_pulse(truth, t0, t1, cfg)
    if pulse is not None:
        _, wave, fs = pulse
        hr, _ = signal.estimate_hr(wave, fs, cfg.band_hz, cfg.snr_tolerance_hz, cfg.resolution_hz)
        return np.nan if hr is None else hr
    inside = (truth.t_s >= t0) & (truth.t_s <= t1)
    return float(truth.hr_bpm[inside].mean()) if inside.any() else np.nan


def reference_series(
    truth: GroundTruth, t0: float, t1: float, ends_s: np.ndarray, cfg: SignalConfig
) -> np.ndarray:
    """True heart rate (bpm) over the windows of ``cfg.window_s`` ending at ``ends_s``, read
    off the ground-truth pulse filtered once over [t0, t1] as the prediction's pulse is."""
    pulse = truth_pulse(truth, t0, t1, cfg)
    out = np.full(len(ends_s), np.nan)
    for i, end in enumerate(ends_s):
        start = max(t0, end - cfg.window_s)
        if pulse is None:
            inside = (truth.t_s > start) & (truth.t_s <= end)
            out[i] = truth.hr_bpm[inside].mean() if inside.any() else np.nan
            continue
        grid, wave, fs = pulse
        segment = wave[(grid > start) & (grid <= end)]
        if len(segment) >= 8:
            hr, _ = signal.estimate_hr(segment, fs, cfg.band_hz, cfg.snr_tolerance_hz, cfg.resolution_hz)
            out[i] = np.nan if hr is None else hr
    return out


def check_coverage(truth: GroundTruth, t0: float, t1: float, name: str) -> None:
    covered = min(truth.t_s[-1], t1) - max(truth.t_s[0], t0)
    if covered < MIN_TRUTH_COVERAGE * (t1 - t0):
        raise RppgError(f"{name}: ground truth covers {max(covered, 0):.1f} s of the {t1 - t0:.1f} s video")


# --------------------------------------------------------------------------- traces


def mask_weights(cfg: Config) -> Path:
    return Path(cfg.model.weights) if cfg.model.weights else shipped_file(MASK_WEIGHTS)


def trace_key(rec: Recording, cfg: Config, roi: str) -> str:
    parts: list[object] = [file_identity(rec.video), rec.dataset, to_dict(cfg.face), roi]
    if roi == "mask":
        parts.append(file_identity(mask_weights(cfg)))
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
    if mask_weights(cfg).is_file():
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
            result.window_true_bpm = reference_series(truth, t0, t1, a.series.t_s, cfg.signal)
        result.window_pred_bpm[m] = a.series.hr_bpm
    return result


def _evaluate_in_worker(rec, methods, cfg, cache_dir) -> RecordingResult:
    try:  # torch, when the mask runs, is held to cfg.model.threads (1) by TraceBuilder
        return evaluate_recording(rec, methods, cfg, cache_dir)
    except Exception as exc:  # a bug on one recording must not lose the others
        return RecordingResult(
            rec.name, [Row(rec.name, m, status=f"error: {type(exc).__name__}: {exc}") for m in methods]
        )


# --------------------------------------------------------------------------- whole dataset


def default_methods(cfg: Config) -> list[str]:
    """Every registered method; ``mask`` only when its weights exist."""
    have_weights = mask_weights(cfg).is_file()
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


# --------------------------------------------------------------------------- outputs

METRIC_COLUMNS = ["method", "n", "mae", "rmse", "mape", "pearson_r", "snr_db"]


def write_report(report: Report, out: Path) -> None:
    """``per_video.csv``, ``metrics.csv``, a Bland-Altman plot per method and an HR-over-time
    plot per recording."""
    _write_rows(out / "per_video.csv", [asdict(r) for r in report.rows])
    extra = [k for k in (report.metrics[0] if report.metrics else {}) if k not in METRIC_COLUMNS]
    _write_rows(out / "metrics.csv", report.metrics, METRIC_COLUMNS + extra)
    _plot_bland_altman(report, out)
    _plot_hr_over_time(report, out)


def _write_rows(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    """Dicts as CSV; floats with 4 decimals, NaN as an empty cell (the csv module, not
    pandas: its import alone is a tenth of a cached evaluation run)."""
    import csv

    columns = columns or (list(rows[0]) if rows else [])

    def cell(v):
        if isinstance(v, float):
            return "" if not np.isfinite(v) else f"{v:.4f}"
        return v

    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(c, "")) for c in columns])


def metrics_rows(report: Report) -> list[dict]:
    """metrics.csv rows as JSON-ready dicts (NaN -> None)."""
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in m.items()}
        for m in report.metrics
    ]


def format_table(report: Report) -> str:
    """The metrics as a Markdown table, value ± standard error."""

    def pm(m: dict, key: str, digits: int = 2) -> str:
        v, se = m.get(key, np.nan), m.get(f"{key}_se", np.nan)
        if not np.isfinite(v):
            return "n/a"
        return f"{v:.{digits}f} ± {se:.{digits}f}" if np.isfinite(se) else f"{v:.{digits}f}"

    lines = [
        "| method | n | MAE (bpm) | RMSE (bpm) | MAPE (%) | Pearson r | SNR (dB) | window MAE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in report.metrics:
        cells = [pm(m, k) for k in ("mae", "rmse", "mape", "pearson_r", "snr_db", "window_mae")]
        lines.append(f"| {m['method']} | {m['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _plot_bland_altman(report: Report, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for m in report.metrics:
        ok = [r for r in report.rows if r.method == m["method"] and r.status == "ok"]
        fig, ax = plt.subplots(figsize=(6, 4.5))
        fig.subplots_adjust(left=0.14, right=0.97, top=0.92, bottom=0.12)  # fixed: layout engines are slow
        if ok:
            t = np.array([r.hr_true_bpm for r in ok])
            p = np.array([r.hr_pred_bpm for r in ok])
            mean, diff = (t + p) / 2, p - t
            bias, sd = diff.mean(), diff.std(ddof=1) if len(diff) > 1 else 0.0
            ax.scatter(mean, diff, s=18)
            ax.axhline(bias, color="k", label=f"bias {bias:.2f} bpm")
            for sign in (-1, 1):
                ax.axhline(bias + sign * 1.96 * sd, color="k", ls="--")
            ax.legend(loc="upper right")
        ax.set(
            title=f"Bland-Altman: {m['method']} (n={len(ok)})",
            xlabel="mean of true and predicted HR (bpm)",
            ylabel="predicted - true (bpm)",
        )
        fig.savefig(out / f"bland_altman_{_safe_name(m['method'])}.png", dpi=80)
        plt.close(fig)


def _plot_hr_over_time(report: Report, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = out / "hr_over_time"
    folder.mkdir(exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 3.5))  # one figure, redrawn for each recording
    fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.14)
    for r in report.results:
        if not len(r.window_t_s):
            continue
        ax.clear()
        ax.plot(r.window_t_s, r.window_true_bpm, "k-", lw=2, label="ground truth")
        for m, hr in r.window_pred_bpm.items():
            ax.plot(r.window_t_s, hr, marker=".", lw=1, label=m)
        ax.set(title=r.name, xlabel="time (s)", ylabel="heart rate (bpm)")
        ax.legend(fontsize="small")
        fig.savefig(folder / f"hr_{_safe_name(r.name)}.png", dpi=60)
    plt.close(fig)


def progress_bar(total: int):
    """A tqdm bar on stderr, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit="rec", file=sys.stderr, disable=None)
