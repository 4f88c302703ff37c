"""Writing results: ``summary.json``, ``hr.csv``, ``trace.csv``, ``pulse.csv``, ``plot.png``.

out = prepare_out_dir("results/")          # fails early, one line, if not writable
write_process_outputs(result, out)
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from rppg.errors import RppgError


def prepare_out_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` if needed and check it is writable, before any work is done."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise RppgError(f"{path}: cannot write output folder ({reason})") from None
    return out


def write_json(obj: object, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2) + "\n")


def write_csv(path: Path, header: list[str], columns: list[np.ndarray], fmt: str = "%.6g") -> None:
    """Columns of equal length as a CSV with a header line."""
    data = np.column_stack([np.asarray(c, dtype=float) for c in columns]) if columns else np.empty((0, 0))
    np.savetxt(path, data, delimiter=",", header=",".join(header), comments="", fmt=fmt)


def write_process_outputs(result, out: Path) -> None:
    """All files of ``rppg process --out`` for a :class:`rppg.pipeline.ProcessResult`."""
    write_json(result.summary(), out / "summary.json")
    s = result.analysis.series
    write_csv(out / "hr.csv", ["t_s", "hr_bpm", "snr_db"], [s.t_s, s.hr_bpm, s.snr_db])
    trace = result.trace
    header, cols = ["t_s", "face"], [trace.t_s, trace.face.astype(float)]
    for roi, rgb in trace.rgb.items():
        header += [f"{roi}_r", f"{roi}_g", f"{roi}_b"]
        cols += [rgb[:, 0], rgb[:, 1], rgb[:, 2]]
    write_csv(out / "trace.csv", header, cols)
    a = result.analysis
    write_csv(out / "pulse.csv", ["t_s", "pulse"], [a.t_s, a.pulse])
    plot_process(result, out / "plot.png")
    if trace.mean_mask is not None:
        write_mask_images(trace.mean_mask, trace.mean_crop, out)


def plot_process(result, path: Path) -> None:
    """Four panels: RGB trace, pulse, its spectrum, heart rate over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rppg import signal

    a, trace = result.analysis, result.trace
    fig, axes = plt.subplots(4, 1, figsize=(10, 10), constrained_layout=True)
    rgb = next(iter(trace.rgb.values()))
    for c, colour in enumerate("rgb"):
        ch = rgb[:, c]
        axes[0].plot(trace.t_s, ch / np.nanmean(ch), color=colour, lw=0.8)
    axes[0].set(title=f"{Path(result.video).name}: colour trace (relative)", xlabel="time (s)")
    axes[1].plot(a.t_s, a.pulse, lw=0.8)
    axes[1].set(title=f"pulse ({a.method})", xlabel="time (s)")
    spec = signal.spectrum(a.pulse, a.fs)
    keep = spec.freqs_hz <= 4.0
    axes[2].plot(60 * spec.freqs_hz[keep], spec.power[keep], lw=0.8)
    if a.hr_bpm is not None:
        axes[2].axvline(a.hr_bpm, color="r", ls="--", label=f"{a.hr_bpm:.1f} bpm")
        axes[2].legend()
    axes[2].set(title="spectrum", xlabel="bpm")
    axes[3].plot(a.series.t_s, a.series.hr_bpm, marker=".")
    axes[3].set(title="heart rate over time", xlabel="time (s)", ylabel="bpm")
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_mask_images(mean_mask: np.ndarray, mean_crop: np.ndarray, out: Path) -> None:
    """``mask.png`` (the mean mask, grey) and ``mask_overlay.png`` (crop with mask in red)."""
    import cv2

    size = 288
    mask8 = (np.clip(mean_mask, 0, 1) * 255).astype(np.uint8)
    cv2.imwrite(str(out / "mask.png"), cv2.resize(mask8, (size, size), interpolation=cv2.INTER_NEAREST))
    heat = cv2.applyColorMap(mask8, cv2.COLORMAP_JET)
    heat = cv2.resize(heat, mean_crop.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    overlay = cv2.addWeighted(mean_crop, 0.55, heat, 0.45, 0)
    cv2.imwrite(
        str(out / "mask_overlay.png"), cv2.resize(overlay, (size, size), interpolation=cv2.INTER_LINEAR)
    )
