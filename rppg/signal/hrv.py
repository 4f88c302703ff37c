"""Heart-rate variability from inter-beat intervals, reported only where the signal allows.

    values = hrv_values(ibi_ms)                       # {"sdnn_ms", "rmssd_ms", "pnn50", "mean_hr_bpm"}
    report = report_hrv(beats, window_t_s, window_labels, window_s)   # Hrv, values or None + reason

HRV from face video is experimental: a beat found a frame early or late moves RMSSD by tens
of milliseconds. So the figures are given only for a stretch of at least ``MIN_SPAN_S`` whose
every window was rated good, from the intervals there that passed the outlier screen; else
they are null with the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rppg.signal.beats import Beats
from rppg.signal.heart_rate import within

MIN_SPAN_S = 60.0
"""HRV needs at least this long a stretch of good signal (s)."""
MIN_INTERVALS = 40
"""... and at least this many accepted intervals in it."""


def hrv_values(ibi_ms: np.ndarray) -> dict[str, float]:
    """SDNN and RMSSD (ms), pNN50 (share of successive differences over 50 ms) and the mean
    heart rate (bpm) of intervals (ms); NaN entries break the successive differences."""
    ibi = np.asarray(ibi_ms, dtype=float)
    ok = ibi[np.isfinite(ibi)]
    diffs = np.diff(ibi)
    diffs = diffs[np.isfinite(diffs)]
    if len(ok) < 2 or len(diffs) < 1:
        return {"sdnn_ms": np.nan, "rmssd_ms": np.nan, "pnn50": np.nan, "mean_hr_bpm": np.nan}
    return {
        "sdnn_ms": float(np.std(ok, ddof=1)),
        "rmssd_ms": float(np.sqrt(np.mean(diffs**2))),
        "pnn50": float(np.mean(np.abs(diffs) > 50.0)),
        "mean_hr_bpm": float(60000.0 / ok.mean()),
    }


@dataclass
class Hrv:
    """The HRV of a recording as reported: values, or None with the reason."""

    sdnn_ms: float | None
    rmssd_ms: float | None
    pnn50: float | None
    mean_hr_bpm: float | None
    beats: int
    """Accepted intervals the figures come from (or that there were)."""
    quality: str
    """``good`` when reported, else ``none``."""
    reason: str | None
    """Why not reported (None when reported)."""

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def good_stretch(window_t_s: np.ndarray, labels: list[str], window_s: float) -> tuple[float, float]:
    """(start, end) s of the longest run of consecutive windows rated good; (0, 0) if none.
    A window ending at t covers (t - window_s, t]."""
    best, start = (0.0, 0.0), None
    for t, label in zip(list(window_t_s) + [np.inf], list(labels) + ["none"], strict=True):
        if label == "good":
            start = t if start is None else start
            end = t
            continue
        if start is not None and end - (start - window_s) > best[1] - best[0]:
            best = (start - window_s, end)
        start = None
    return best


def report_hrv(beats: Beats, window_t_s: np.ndarray, labels: list[str], window_s: float) -> Hrv:
    """HRV over the longest good stretch, if it is long enough and has enough clean beats."""
    start, end = good_stretch(window_t_s, labels, window_s)
    inside = within(beats.t_s, start, end) & beats.accepted
    n = int(inside.sum())
    if end - start < MIN_SPAN_S:
        reason = (
            f"needs {MIN_SPAN_S:g} s of good signal; the longest good stretch is {max(end - start, 0):.0f} s"
        )
        return Hrv(None, None, None, None, n, "none", reason)
    if n < MIN_INTERVALS:
        return Hrv(None, None, None, None, n, "none", f"only {n} clean beat intervals in the good stretch")
    ibi = np.where(inside, beats.ibi_ms, np.nan)
    v = hrv_values(ibi)
    return Hrv(v["sdnn_ms"], v["rmssd_ms"], v["pnn50"], v["mean_hr_bpm"], n, "good", None)
