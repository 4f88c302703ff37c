"""The artifacts of each use: ``process --out``, evaluation tables and plots, training
curves; on the writers of :mod:`rppg.files`, the helpers of :mod:`rppg.apps.figures` and the
mask pictures of :mod:`rppg.apps.mask_pictures`.

    write_process_outputs(result, out)          # summary.json, hr.csv, trace.csv, ...
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rppg import signal
from rppg.apps.figures import OUTSIDE, QUALITY_BGR, QUALITY_COLOURS, new_figure, save_figure
from rppg.apps.mask_pictures import MeanPictures, write_mask_pictures
from rppg.files import atomic_write, json_number, safe_name, write_csv, write_json
from rppg.signal.tracking import combined_power, rate_grid, window_powers

if TYPE_CHECKING:
    from rppg.apps.scoring import Evaluation
    from rppg.chain.faces import Snapshot
    from rppg.chain.process import ProcessResult


# --------------------------------------------------------------------------- rppg process


def write_process_outputs(
    result: ProcessResult, out: Path, summary: dict | None = None, pictures: MeanPictures | None = None
) -> None:
    """All files of ``rppg process --out`` (see :data:`rppg.apps.options.OUT_FILES`); units in every header.
    ``summary``: the result's summary if already made; ``pictures``: the mean crop, region
    and mask, for the mask pictures (method mask)."""
    write_json(summary if summary is not None else result.summary(), out / "summary.json")
    a, trace = result.analysis, result.trace
    s = a.series
    labels = [r.label for r in a.window_quality]
    write_csv(
        out / "hr.csv",
        ["t_s", "hr_bpm", "snr_db", "quality"],
        zip(s.t_s, s.hr_bpm, s.snr_db, labels, strict=True),
    )
    header, cols = ["t_s", "face"], [trace.t_s, trace.face.astype(int)]
    for w, rgb in trace.rgb.items():
        header += [f"{w}_{c}_8bit" for c in "rgb"]
        cols += [rgb[:, 0], rgb[:, 1], rgb[:, 2]]
    write_csv(out / "trace.csv", header, zip(*cols, strict=True))
    write_csv(out / "pulse.csv", ["t_s", "pulse_au"], zip(a.t_s, a.pulse, strict=True))
    b = a.beats
    write_csv(out / "beats.csv", ["t_s", "ibi_ms", "quality"], zip(b.t_s, b.ibi_ms, b.quality, strict=True))
    write_json(
        a.hrv.as_dict() | {"note": "HRV from face video is experimental; see the README"}, out / "hrv.json"
    )
    write_bids_physio(a.t_s, a.pulse, a.fs, out / Path(result.video).stem)
    save_figure(process_figure(result), out / "plot.png")
    if pictures is not None:
        write_mask_pictures(pictures, out)


def write_faces_outputs(
    result: ProcessResult,
    out: Path,
    summary: dict,
    pictures: dict[int, MeanPictures],
    snapshot: Snapshot,
) -> None:
    """Several faces: ``summary.json`` (every face), ``faces.png`` (who is who) and one
    sub-folder ``face<id>/`` per face with a single face's files; a face without a rate gets
    its ``summary.json`` only."""
    write_json(summary, out / "summary.json")
    entries = {e["id"]: e for e in summary["faces"]}
    for face in result.faces:
        folder = out / f"face{face.face.id}"
        folder.mkdir(exist_ok=True)
        mine = result.of_face(face)
        if mine is None:
            write_json(entries[face.face.id], folder / "summary.json")
            continue
        write_process_outputs(
            mine, folder, mine.summary() | {"face": entries[face.face.id]}, pictures.get(face.face.id)
        )
    if snapshot.image is not None:
        import cv2

        cv2.imwrite(str(out / "faces.png"), faces_picture(snapshot, entries))


def faces_picture(snapshot: Snapshot, entries: dict[int, dict]) -> np.ndarray:
    """The frame with the most faces, each face's box drawn with its number and rate
    (coloured by its quality): BGR uint8."""
    import cv2

    image = snapshot.image.copy()
    scale = max(image.shape[:2]) / 640
    for face_id, (x, y, w, h) in snapshot.boxes.items():
        e = entries.get(face_id)
        colour = QUALITY_BGR.get(e["quality"] if e else "none", QUALITY_BGR["none"])
        p0, p1 = (round(x), round(y)), (round(x + w), round(y + h))
        cv2.rectangle(image, p0, p1, colour, max(1, round(2 * scale)), cv2.LINE_AA)
        rate = "" if e is None or e["hr_bpm"] is None else f" {e['hr_bpm']:.0f} bpm"
        label = f"{face_id}{rate}"
        size = 0.6 * scale
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, size, 1)
        top = max(p0[1] - th - base - 4, 0)
        cv2.rectangle(image, (p0[0], top), (p0[0] + tw + 6, top + th + base + 4), colour, -1)
        cv2.putText(
            image,
            label,
            (p0[0] + 3, top + th + 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            size,
            (255, 255, 255),
            max(1, round(scale)),
            cv2.LINE_AA,
        )
    return image


def write_bids_physio(t_s: np.ndarray, pulse: np.ndarray, fs: float, stem: Path) -> tuple[Path, Path]:
    """The pulse as BIDS physiological data: ``<stem>_physio.tsv.gz`` (one column, no
    header, gzip) and ``<stem>_physio.json`` (SamplingFrequency in Hz, StartTime in s from the
    video's first frame, Columns, and the column's units and description)."""
    import gzip

    data = Path(f"{stem}_physio.tsv.gz")
    text = "".join(f"{v:.6g}\n" for v in pulse)
    atomic_write(data, lambda f: f.write(gzip.compress(text.encode(), mtime=0)))
    sidecar = {
        "SamplingFrequency": round(float(fs), 6),
        "StartTime": round(float(t_s[0]), 6),
        "Columns": ["cardiac"],
        "cardiac": {
            "Description": "blood-volume pulse from face video (rppg), band-passed",
            "Units": "arbitrary",
        },
    }
    return data, write_json(sidecar, Path(f"{stem}_physio.json"))


def process_figure(result: ProcessResult):
    """Four panels: the colour trace, the pulse, the windows' spectra with each window's
    rate, and the heart rate over time with each window's quality; the verdict in the title."""
    a, trace = result.analysis, result.trace
    # Rounded as summary.json rounds them first, so the title and the printed line agree.
    hr_bpm, snr_db = json_number(a.hr_bpm), json_number(a.snr_db)
    hr = "no heart rate" if hr_bpm is None else f"{hr_bpm:.1f} bpm"
    snr = "" if snr_db is None else f", SNR {snr_db:.1f} dB"
    fig, axes = new_figure(rows=4, size=(12, 11), dpi=90)
    fig.suptitle(f"{Path(result.video).name}: {hr}, quality {a.quality.label}{snr} (method {a.method})")
    rgb = next(iter(trace.rgb.values()))
    for c, (name, colour) in enumerate(zip("RGB", ("tab:red", "tab:green", "tab:blue"), strict=True)):
        ch = rgb[:, c]
        axes[0].plot(trace.t_s, ch / np.nanmean(ch), color=colour, lw=0.8, label=name)
    axes[0].set(title="colour of the face region", xlabel="time (s)", ylabel="level / its mean")
    axes[0].legend(**OUTSIDE)
    axes[1].plot(a.t_s, a.pulse, lw=0.8, color="k")
    axes[1].set(title="pulse (band-passed)", xlabel="time (s)", ylabel="pulse (a.u.)")
    spectrogram_panel(axes[2], a, result.sig)
    s = a.series
    axes[3].plot(s.t_s, s.hr_bpm, color="0.6", lw=1, zorder=1)
    for label, colour in QUALITY_COLOURS.items():
        mine = [i for i, r in enumerate(a.window_quality) if r.label == label]
        if mine:
            axes[3].scatter(s.t_s[mine], s.hr_bpm[mine], color=colour, s=25, zorder=2, label=label)
    if a.hr_bpm is not None:
        axes[3].axhline(a.hr_bpm, color="k", ls=":", lw=1, label="whole recording")
    axes[3].set(
        title=f"heart rate over time ({result.sig.window_s:g} s windows; colour = quality)",
        xlabel="time (s, window end)",
        ylabel="heart rate (bpm)",
    )
    axes[3].legend(**OUTSIDE)
    return fig


def spectrogram_panel(ax, a, sig) -> None:
    """The windows' spectra over time (what each window's rate is read from: the method's
    projections agreeing), each window's rate on them and the whole recording's."""
    bpm = rate_grid(sig)
    wlen = min(len(a.pulse), int(round(sig.window_s * a.fs)))
    ends = signal.window_ends(len(a.pulse), a.fs, sig.window_s, sig.hop_s)
    power = combined_power([window_powers(p, a.fs, ends, wlen, bpm, sig) for p in a.pulses])
    if len(ends):
        t = a.series.t_s
        step = t[1] - t[0] if len(t) > 1 else sig.hop_s
        extent = (t[0] - step / 2, t[-1] + step / 2, bpm[0], bpm[-1])
        image = ax.imshow(
            power.T, origin="lower", aspect="auto", extent=extent, cmap="magma", interpolation="nearest"
        )
        ax.figure.colorbar(image, ax=ax, label="share of the window's power", pad=0.01)
        ax.plot(t, a.series.hr_bpm, color="cyan", lw=1.2, label="each window's rate")
    if a.hr_bpm is not None:
        ax.axhline(a.hr_bpm, color="lime", ls=":", lw=1.2, label=f"whole recording {a.hr_bpm:.1f} bpm")
    ax.set(
        title="spectra of the windows (the rate is read where they agree, followed over time)",
        xlabel="time (s, window end)",
        ylabel="heart rate (bpm)",
    )
    ax.legend(**OUTSIDE)


# --------------------------------------------------------------------------- rppg evaluate

METRIC_COLUMNS = ["method", "n", "mae", "rmse", "mape", "pearson_r", "snr_db"]
ROW_FORMAT = ".4f"


def write_evaluation(report: Evaluation, out: Path) -> None:
    """``per_video.csv``, ``per_window.csv``, ``metrics.csv``, a Bland-Altman plot per method
    and an HR-over-time plot per recording."""
    from dataclasses import asdict

    for name, items in (
        ("per_video", report.rows),
        ("per_window", [w for r in report.results for w in r.windows]),
    ):
        rows = [asdict(x) for x in items]
        write_csv(out / f"{name}.csv", list(rows[0]) if rows else [], rows, ROW_FORMAT)
    extra = [k for k in (report.metrics[0] if report.metrics else {}) if k not in METRIC_COLUMNS]
    write_csv(out / "metrics.csv", METRIC_COLUMNS + extra, report.metrics, ROW_FORMAT)
    for m in report.metrics:
        plot_bland_altman(report, m["method"], out / f"bland_altman_{safe_name(m['method'])}.png")
    folder = out / "hr_over_time"
    folder.mkdir(exist_ok=True)
    for r in report.results:
        if r.windows:
            plot_hr_over_time(r, folder / f"hr_{safe_name(r.name)}.png")


def bland_altman_figure(report: Evaluation, method: str):
    """Differences against means of true and predicted rates, with the bias and the 95%
    limits of agreement labelled on the lines; the legend beside the axes."""
    ok = [r for r in report.rows if r.method == method and r.status == "ok"]
    fig, ax = new_figure(size=(10, 5.5))
    if ok:
        t = np.array([r.hr_true_bpm for r in ok])
        p = np.array([r.hr_pred_bpm for r in ok])
        mean, diff = (t + p) / 2, p - t
        colours = [QUALITY_COLOURS.get(r.quality, "tab:gray") for r in ok]
        ax.scatter(mean, diff, s=22, c=colours)
        bias = diff.mean()
        ax.axhline(bias, color="k", label=f"bias {bias:+.2f} bpm")
        if len(diff) > 1:
            sd = diff.std(ddof=1)
            for sign in (-1, 1):
                level = bias + sign * 1.96 * sd
                ax.axhline(
                    level,
                    color="k",
                    ls="--",
                    label=f"bias {'+' if sign > 0 else '-'} 1.96 SD: {level:+.2f} bpm",
                )
        for label, colour in QUALITY_COLOURS.items():
            ax.scatter([], [], c=colour, s=22, label=f"rated {label}")
        ax.legend(**OUTSIDE)
    ax.set(
        title=f"Bland-Altman: {method} (n={len(ok)})",
        xlabel="mean of true and predicted heart rate (bpm)",
        ylabel="predicted - true (bpm)",
    )
    return fig


def plot_bland_altman(report: Evaluation, method: str, path: Path) -> None:
    save_figure(bland_altman_figure(report, method), path)


def hr_over_time_figure(result):
    """One recording's windowed heart rate: the ground truth and every method."""
    methods = list(dict.fromkeys(w.method for w in result.windows))
    first = [w for w in result.windows if w.method == methods[0]]
    fig, ax = new_figure(size=(12, 4.5))
    ax.plot([w.t_s for w in first], [w.hr_true_bpm for w in first], "k-", lw=2.5, label="ground truth")
    for m in methods:
        mine = [w for w in result.windows if w.method == m]
        ax.plot([w.t_s for w in mine], [w.hr_pred_bpm for w in mine], marker=".", lw=1, alpha=0.8, label=m)
    ax.set(title=result.name, xlabel="time (s, window end)", ylabel="heart rate (bpm)")
    ax.legend(**OUTSIDE)
    return fig


def plot_hr_over_time(result, path: Path) -> None:
    save_figure(hr_over_time_figure(result), path)


def metrics_rows(report: Evaluation) -> list[dict]:
    """metrics.csv rows as JSON-ready dicts (NaN -> None)."""
    return [
        {k: (json_number(v, None) if isinstance(v, float) else v) for k, v in m.items()}
        for m in report.metrics
    ]


def format_table(report: Evaluation) -> str:
    """The metrics as a Markdown table, value ± standard error."""

    def pm(m: dict, key: str, digits: int = 2) -> str:
        v, se = m.get(key, np.nan), m.get(f"{key}_se", np.nan)
        if not np.isfinite(v):
            return "n/a"
        return f"{v:.{digits}f} ± {se:.{digits}f}" if np.isfinite(se) else f"{v:.{digits}f}"  # SE: n > 1

    lines = [
        "| method | n | MAE (bpm) | RMSE (bpm) | MAPE (%) | Pearson r | SNR (dB) | window MAE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in report.metrics:
        cells = [pm(m, k) for k in ("mae", "rmse", "mape", "pearson_r", "snr_db", "window_mae")]
        lines.append(f"| {m['method']} | {m['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- rppg train


def training_curves_figure(log_path: Path):
    """Training loss, validation heart-rate MAE (where labelled) and pulse SNR per epoch: the
    mask, and uniform weights in the same region."""
    import csv

    with open(log_path, newline="") as f:
        log = list(csv.DictReader(f))
    keys = ("epoch", "train_loss", "val_mae_bpm", "uniform_val_mae_bpm", "val_snr_db", "uniform_val_snr_db")
    col = {k: np.array([float(r[k] or "nan") for r in log]) for k in keys}  # "": not measured
    labelled = bool(np.isfinite(col["val_mae_bpm"]).any())
    fig, axes = new_figure(cols=3 if labelled else 2, size=(16 if labelled else 12, 4.5))
    axes[0].plot(col["epoch"], col["train_loss"], marker=".")
    loss = "loss (spectral + correlation)" if labelled else "loss (SiNC: band + peak + spread)"
    axes[0].set(title="training loss", xlabel="epoch", ylabel=loss)
    panels = [("val_snr_db", "validation pulse SNR", "SNR (dB)")]
    if labelled:
        panels.insert(0, ("val_mae_bpm", "validation heart-rate error", "MAE (bpm)"))
    for ax, (key, title, unit) in zip(axes[1:], panels, strict=True):
        ax.plot(col["epoch"], col[key], marker=".", label="mask")
        ax.plot(col["epoch"], col["uniform_" + key], ls="--", label="uniform weights in the region")
        ax.set(title=title, xlabel="epoch", ylabel=unit)
        ax.legend(**OUTSIDE)
    return fig


def plot_training_curves(log_path: Path, path: Path) -> None:
    save_figure(training_curves_figure(log_path), path)
