"""Scoring predictions against the reference: the rows of ``per_video.csv`` and
``per_window.csv``, beat and breathing scores, and the metrics table over many recordings.

    row = method_row(rec, analysis, reference, base)        # one recording, one method
    windows = window_rows(rec.name, analysis, trace, reference, cfg)
    table = summarise(rows, results, methods)                # one metrics dict per method
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from rppg.chain import quality
from rppg.chain.pipeline import Analysis
from rppg.chain.reference import reference_series
from rppg.chain.trace import Trace
from rppg.config import Config
from rppg.io import GroundTruth, Recording
from rppg.signal.beats import match_beats
from rppg.signal.hrv import hrv_values
from rppg.signal.metrics import hr_metrics


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
    warnings: str = ""
    """What was wrong with the recording's files but read anyway (repaired ground-truth times,
    a video cut short), "; "-separated."""


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


def result_to_dict(result: RecordingResult) -> dict:
    return {"rows": [asdict(r) for r in result.rows], "windows": [asdict(w) for w in result.windows]}


def result_from_dict(name: str, payload: dict) -> RecordingResult:
    rows = [Row(**r) for r in payload["rows"]]
    return RecordingResult(name, rows, [WindowRow(**w) for w in payload["windows"]])


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
