"""How far to trust a heart rate: a label (``good``, ``fair``, ``poor``, ``none``) and the
reasons behind it, from what the chain knows about a window or a whole recording: the
pulse's SNR, the share of frames with a face, how fast the face moved, whether the windows
agree, and whether the video has colour at all.

    windows = rate_windows(series, trace, cfg)            # one Rating per window of an HrSeries
    overall = rate_recording(hr, snr, series, windows, trace, cfg)   # Rating(label, reasons)

The thresholds live in :class:`rppg.config.QualityConfig`; they were calibrated on
evaluation output (error against rating, see the README).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rppg import signal
from rppg.config import Config, QualityConfig
from rppg.signal import HrSeries

LABELS = ("good", "fair", "poor", "none")
"""Best first."""


@dataclass
class Rating:
    """A quality label and the reasons that kept it from being better."""

    label: str
    reasons: list[str] = field(default_factory=list)

    def worse(self, label: str, reason: str) -> None:
        """Lower the label to ``label`` (if that is worse) and record why."""
        if LABELS.index(label) > LABELS.index(self.label):
            self.label = label
        self.reasons.append(reason)


@dataclass
class Evidence:
    """What a rating is made of, for one window or a whole recording."""

    hr_bpm: float
    """NaN when no heart rate was found."""
    snr_db: float
    face_share: float
    """Share of the frames in which the face was found."""
    motion: float
    """Mean speed of the face (face sizes per second)."""
    spread_bpm: float = np.nan
    """How far a window's own rate (what its spectra alone say) is from the own rates of the
    windows of the last window length (a pulse keeps its rate; noise peaks jump), or how much
    the windows scatter around a recording's rate, bpm; NaN when unknown."""
    usable_share: float = np.nan
    """Recordings: the share of their windows rated good or fair; NaN for a window."""
    agreeing_share: float = np.nan
    """Recordings: the share of their windows whose own rate agrees with the one reported;
    NaN for a window."""


def rate(e: Evidence, q: QualityConfig) -> Rating:
    """The label of one reading: ``good`` when every criterion meets its good threshold,
    ``fair`` when every one meets its fair threshold, else ``poor``; ``none`` without a rate."""
    if not np.isfinite(e.hr_bpm):
        return Rating("none", ["no heart rate found"])
    r = Rating("good")
    if not np.isfinite(e.snr_db) or e.snr_db < q.snr_fair_db:
        r.worse("poor", f"weak pulse (SNR {e.snr_db:.1f} dB)")
    elif e.snr_db < q.snr_good_db:
        r.worse("fair", f"moderate pulse (SNR {e.snr_db:.1f} dB)")
    if e.face_share < q.face_share_fair:
        r.worse("poor", f"face found in {100 * e.face_share:.0f}% of frames")
    elif e.face_share < q.face_share_good:
        r.worse("fair", f"face found in {100 * e.face_share:.0f}% of frames")
    if e.motion > q.motion_fair:
        r.worse("poor", f"head moving fast ({e.motion:.2f} face sizes/s)")
    elif e.motion > q.motion_good:
        r.worse("fair", f"head moving ({e.motion:.2f} face sizes/s)")
    if e.spread_bpm > q.spread_fair_bpm:
        r.worse("poor", f"unstable over time (±{e.spread_bpm:.0f} bpm)")
    elif e.spread_bpm > q.spread_good_bpm:
        r.worse("fair", f"unsteady over time (±{e.spread_bpm:.0f} bpm)")
    if e.usable_share < q.usable_share_fair:
        share = "no window" if e.usable_share == 0 else f"only {100 * e.usable_share:.0f}% of the windows"
        r.worse("poor", f"{share} usable")
    elif e.usable_share < q.usable_share_good:
        r.worse("fair", f"{100 * e.usable_share:.0f}% of the windows usable")
    if e.agreeing_share < q.agreeing_share_fair:
        r.worse("poor", f"only {100 * e.agreeing_share:.0f}% of the windows agree with the rate")
    elif e.agreeing_share < q.agreeing_share_good:
        r.worse("fair", f"{100 * e.agreeing_share:.0f}% of the windows agree with the rate")
    return r


def motion(trace, inside: np.ndarray) -> float:
    """Mean face speed (face sizes per second) over the frames ``inside``."""
    if trace.motion is None:
        return 0.0
    steps = trace.motion[inside]
    steps = steps[np.isfinite(steps)]
    t = trace.t_s[inside]
    if len(steps) == 0 or len(t) < 2:
        return 0.0
    return float(steps.sum() / max(t[-1] - t[0], 1e-9))


def window_evidence(
    series: HrSeries, trace, window_s: float, which: Sequence[int] | None = None
) -> list[Evidence]:
    """The evidence of the windows ``which`` (default: all) of a heart-rate series, from the
    series and the frames of the trace each window covers. A window's spread is the median
    absolute difference of its own rate from those of the windows before it within one window
    length: the windows' own rates, not the reported ones (a followed rate is steady by
    construction), and only those before (all a live reading has), so that offline and live
    rate a window alike. Measured on the real recordings, this leaves noise-only clips one
    good window where the reported rates' spread left nine (README, quality)."""
    indices = range(len(series.t_s)) if which is None else which
    own = series.own
    out = []
    for i in indices:
        t, hr, snr = series.t_s[i], series.hr_bpm[i], series.snr_db[i]
        inside = signal.within(trace.t_s, t - window_s, t)
        before = own[(series.t_s < t) & (series.t_s >= t - window_s) & np.isfinite(own)]
        spread = float(np.median(np.abs(before - own[i]))) if len(before) and np.isfinite(own[i]) else np.nan
        share = float(trace.face[inside].mean()) if inside.any() else 0.0
        out.append(Evidence(hr, snr, share, motion(trace, inside), spread))
    return out


def rate_windows(series: HrSeries, trace, cfg: Config) -> list[Rating]:
    """One rating per window of ``series``."""
    return [rate(e, cfg.quality) for e in window_evidence(series, trace, cfg.signal.window_s)]


def recording_evidence(
    hr_bpm: float | None,
    snr_db: float | None,
    series: HrSeries,
    windows: list[Rating],
    trace,
    agree_bpm: float,
) -> Evidence:
    """The whole recording's evidence; its spread is the median absolute difference of the
    windows' rates from the whole recording's ``hr_bpm``, its usable share that of its
    ``windows`` rated good or fair, its agreeing share that of the windows whose own rate is
    within ``agree_bpm`` of their reported one."""
    hr = np.nan if hr_bpm is None else hr_bpm
    rates = series.hr_bpm[np.isfinite(series.hr_bpm)]
    spread = float(np.median(np.abs(rates - hr))) if len(rates) > 1 and np.isfinite(hr) else np.nan
    everything = np.ones(len(trace.t_s), bool)
    snr = np.nan if snr_db is None else snr_db
    usable = float(np.mean([r.label in ("good", "fair") for r in windows])) if windows else np.nan
    rated = np.isfinite(series.hr_bpm)
    agreeing = np.abs(series.own[rated] - series.hr_bpm[rated]) <= agree_bpm
    agree = float(agreeing.mean()) if rated.sum() > 1 else np.nan
    return Evidence(hr, snr, trace.face_ratio, motion(trace, everything), spread, usable, agree)


GREY_LEVELS = 4.0
"""Channels of a recording's mean colour within this many grey levels: no colour. Skin
differs by tens of levels between channels; a grey video by rounding: OpenCV 4.14 decodes
grey MJPG with green 2 levels above red and blue."""


def has_colour(trace) -> bool:
    """Whether the video has colour at all: a grey video's R, G and B are (nearly) equal, and
    every colour projection (POS, CHROM, ...) is left with noise."""
    rgb = next(iter(trace.rgb.values()))
    rgb = rgb[np.isfinite(rgb).all(axis=1)]
    return len(rgb) > 0 and float(np.ptp(rgb.mean(axis=0))) > GREY_LEVELS


def rate_recording(
    hr_bpm: float | None,
    snr_db: float | None,
    series: HrSeries,
    windows: list[Rating],
    trace,
    cfg: Config,
    needs_colour: bool = True,
) -> Rating:
    """The whole recording's rating (``windows``: the ratings of ``series``' windows), with
    the reasons a user should hear first."""
    evidence = recording_evidence(hr_bpm, snr_db, series, windows, trace, cfg.signal.track_refine_bpm)
    r = rate(evidence, cfg.quality)
    duration = float(trace.t_s[-1] - trace.t_s[0]) if trace.frames > 1 else 0.0
    if duration < cfg.signal.window_s:
        r.worse("poor", f"short: {duration:.1f} s, less than one {cfg.signal.window_s:g} s window")
    if needs_colour and not has_colour(trace):
        r.worse("none", "no colour in the video (grey frames): try --method green")
    return r


def face_gaps(t_s: np.ndarray, face: np.ndarray, min_s: float = 1.0) -> list[tuple[float, float]]:
    """Spans (start, end) s of at least ``min_s`` without a face."""
    gaps, start = [], None
    for t, found in zip(t_s, face, strict=True):
        if not found and start is None:
            start = t
        elif found and start is not None:
            if t - start >= min_s:
                gaps.append((float(start), float(t)))
            start = None
    if start is not None and t_s[-1] - start >= min_s:
        gaps.append((float(start), float(t_s[-1])))
    return gaps


def gaps_warning(t_s: np.ndarray, face: np.ndarray) -> list[str]:
    """``["no face at 2.0-4.0 s, ..."]`` for the face's gaps of a second or more; [] if none."""
    gaps = face_gaps(t_s, face)
    if not gaps:
        return []
    spans = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in gaps[:5]) + (", ..." if len(gaps) > 5 else "")
    return [f"no face at {spans}"]
