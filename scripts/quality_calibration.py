"""Calibrate the quality labels on evaluation output: heart-rate error against label.

    python scripts/quality_calibration.py --out .cache/quality          # table + plot
    python scripts/quality_calibration.py --shared ../shared/data       # where the real clips are

Sources with a reference: the real webcam clip (physrecorder, contact PPG), the real
UBFC-rPPG subjects in compressed video (contact PPG), the real skin-patch clips (biaseval,
one oximeter rate per person, ``--detector none``) and a
synthetic set of graded difficulty (weak pulse, noise, motion, pulsing hair and wall,
small faces). Every window and every recording is evaluated with the default method and POS
under the configured thresholds (``quality`` in the config); the table gives, per label, how
many readings and how far off they were. Talking heads without a reference are listed with
their labels and rates (plausible: 50-110 bpm).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from rppg.apps.evaluate import evaluate
from rppg.apps.figures import new_figure, save_figure
from rppg.chain.process import process_video
from rppg.chain.quality import LABELS
from rppg.config import load_config
from rppg.synth.layouts import write_dataset
from rppg.synth.spec import mixed_specs

REPO = Path(__file__).resolve().parents[1]


def graded_specs(n: int, seed: int):
    """Synthetic recordings from easy to hard: the pulse weaker, noise, motion and pulsing
    non-skin stronger, the face smaller, as i grows."""
    rng = np.random.default_rng(seed)
    specs = []
    for i, s in enumerate(mixed_specs(n, seed, duration_s=30.0, width=320, height=240)):
        hard = i / max(n - 1, 1)
        specs.append(
            replace(
                s,
                pulse_amplitude=float(np.interp(hard, [0, 1], [0.005, 0.0006])),
                noise_std=float(rng.uniform(2, 2 + 8 * hard)),
                motion_px=float(rng.uniform(1, 1 + 20 * hard)),
                distractor_amplitude=float(rng.choice([0.0, 0.01 + 0.03 * hard])),
                face_scale=float(rng.uniform(1.0 - 0.5 * hard, 1.0)),
                hr_bpm=float(rng.uniform(50, 130)),
            )
        )
    return specs


def sources(shared: Path, cache: Path) -> list[tuple[str, str, Path, list[str]]]:
    """(label, dataset, root, config overrides) of every evaluated source that exists."""
    out = []
    if (shared / "physrecorder_v01").is_dir():
        out.append(("webcam (real)", "physrecorder", shared, []))
    if (shared / "ubfc_h264").is_dir():
        out.append(("UBFC-rPPG H.264 (real)", "ubfc", shared / "ubfc_h264", []))
    if (shared / "skin_patches").is_dir():
        out.append(("skin patches (real)", "biaseval", shared / "skin_patches", ["face.detector=none"]))
    synth = cache / "graded_synthetic"
    if not synth.is_dir():
        write_dataset(graded_specs(24, seed=31), synth, "ubfc")
    out.append(("synthetic, graded", "ubfc", synth, []))
    return out


def table(rows: list, what: str) -> list[str]:
    lines = [
        f"| {what} | label | n | MAE (bpm) | within 5 bpm | within 10 bpm |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted({r["source"] for r in rows}) + ["all"]:
        mine = [r for r in rows if name in ("all", r["source"])]
        for label in LABELS[:3]:
            err = np.array([r["err"] for r in mine if r["quality"] == label and np.isfinite(r["err"])])
            if len(err):
                lines.append(
                    f"| {name} | {label} | {len(err)} | {err.mean():.1f} | {100 * (err <= 5).mean():.0f}% "
                    f"| {100 * (err <= 10).mean():.0f}% |"
                )
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shared", default=str(REPO.parent / "shared" / "data"), help="the real clips")
    p.add_argument("--out", default=str(REPO / ".cache" / "quality"), help="tables, plot and caches")
    p.add_argument("--methods", default="mask,pos")
    a = p.parse_args()
    out, shared = Path(a.out), Path(a.shared)
    out.mkdir(parents=True, exist_ok=True)
    methods = a.methods.split(",")
    windows, recordings = [], []
    for label, dataset, root, overrides in sources(shared, out):
        report = evaluate(dataset, root, methods, load_config(None, overrides), cache_dir=out / "traces")
        for r in report.rows:
            if r.status == "ok":
                recordings.append(
                    {"source": label, "quality": r.quality, "err": r.abs_err_bpm, "snr": r.snr_db}
                )
        for w in (w for res in report.results for w in res.windows):
            windows.append({"source": label, "quality": w.quality, "err": w.abs_err_bpm, "snr": w.snr_db})
    lines = [
        "## windows (10 s)",
        "",
        *table(windows, "source"),
        "",
        "## recordings",
        "",
        *table(recordings, "source"),
    ]
    heads = sorted((shared / "talking_heads").glob("*.mp4"))
    if heads:
        lines += [
            "",
            "## talking heads (no reference)",
            "",
            "| clip | method | HR (bpm) | quality | why |",
            "|---|---|---|---|---|",
        ]
        for clip in heads:
            for m in methods:
                res = process_video(clip, method=m)
                why = "; ".join(res.warnings)
                lines.append(f"| {clip.stem} | {m} | {res.hr_bpm:.1f} | {res.quality} | {why} |")
    text = "\n".join(lines)
    print(text)
    (out / "calibration.md").write_text(text + "\n")
    fig, axes = new_figure(cols=2, size=(12, 4.5), dpi=90)
    for ax, rows, title in ((axes[0], windows, "10 s windows"), (axes[1], recordings, "whole recordings")):
        for label, colour in zip(LABELS[:3], ("tab:green", "tab:orange", "tab:red"), strict=True):
            mine = [r for r in rows if r["quality"] == label and np.isfinite(r["err"])]
            ax.scatter(
                [r["snr"] for r in mine], [r["err"] for r in mine], s=10, c=colour, label=label, alpha=0.7
            )
        ax.set(
            title=f"error against SNR, {title}",
            xlabel="pulse SNR (dB)",
            ylabel="|HR error| (bpm)",
            yscale="symlog",
        )
        ax.legend(title="quality")
    save_figure(fig, out / "calibration.png")
    print(f"\nwritten: {out / 'calibration.md'}, {out / 'calibration.png'}")


if __name__ == "__main__":
    main()
