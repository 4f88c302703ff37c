"""Accuracy metrics for heart-rate estimates, each with its standard error.

    m = hr_metrics(true_bpm, pred_bpm, snr_db)
    m["mae"], m["mae_se"], m["pearson_r"]

Conventions follow rPPG-Toolbox (NeurIPS 2023): MAE and RMSE in bpm, MAPE in %, Pearson r
between true and predicted HR, mean SNR in dB; standard errors over recordings.
"""

from __future__ import annotations

import numpy as np


def hr_metrics(true_bpm, pred_bpm, snr_db=None) -> dict[str, float]:
    """MAE, RMSE, MAPE, Pearson r and mean SNR with standard errors (``*_se``); NaN where a
    figure is undefined (fewer than 2 recordings for r, or constant values)."""
    t = np.asarray(true_bpm, dtype=float)
    p = np.asarray(pred_bpm, dtype=float)
    n = len(t)
    out: dict[str, float] = {"n": n}
    if n == 0:
        return out | {k: np.nan for k in _KEYS}
    err = p - t
    abs_err = np.abs(err)
    sq = err**2
    ape = 100.0 * abs_err / np.abs(t)
    rmse = float(np.sqrt(sq.mean()))
    out["mae"], out["mae_se"] = float(abs_err.mean()), _se(abs_err)
    out["rmse"] = rmse
    # Delta method: d sqrt(m) = dm / (2 sqrt(m)).
    out["rmse_se"] = _se(sq) / (2 * rmse) if rmse > 0 else np.nan
    out["mape"], out["mape_se"] = float(ape.mean()), _se(ape)
    r = pearson(t, p)
    out["pearson_r"] = r
    out["pearson_r_se"] = float(np.sqrt((1 - r**2) / (n - 2))) if n > 2 and np.isfinite(r) else np.nan
    if snr_db is not None:
        s = np.asarray(snr_db, dtype=float)
        s = s[np.isfinite(s)]
        out["snr_db"] = float(s.mean()) if len(s) else np.nan
        out["snr_db_se"] = _se(s) if len(s) else np.nan
    return out


_KEYS = (
    "mae",
    "mae_se",
    "rmse",
    "rmse_se",
    "mape",
    "mape_se",
    "pearson_r",
    "pearson_r_se",
    "snr_db",
    "snr_db_se",
)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; NaN for fewer than 2 values or a constant series."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _se(x: np.ndarray) -> float:
    """Standard error of the mean (sample standard deviation / sqrt(n)); NaN (undefined,
    shown as nothing) for fewer than two values."""
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.nan
