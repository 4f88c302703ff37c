"""Does the skin mask earn its place? Uniform weights inside the landmark skin region (method
``agree``: the mask method's chain with every pixel alike) against the shipped mask (and any
other weights given), and against the mask adapted without labels to each real clip, on the
real clips and on held-out synthetic people:

- real clips (``--data``: physrecorder and the talking heads): pulse SNR of the whole clip
  and heart-rate error where there is truth; with ``--adapt``, each clip's second half
  scored after unsupervised adaptation (``rppg.train.fit``, SiNC losses, starting from the
  shipped weights) on its first half alone;
- the mean mask per face area (forehead, cheeks, nose against eyes, brows, lips) on the
  real faces, the mask computed over the whole crop (not only the region);
- synthetic (``--synthetic N``): N held-out people with varied looks, never trained on:
  heart-rate MAE and SNR; and the mean mask's correlation with the generator's skin map.

    python scripts/mask_report.py --out .cache/mask_report --adapt --synthetic 12 \\
        --weights other=runs/mask/mask_weights.npz
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from rppg.config import Config
from rppg.errors import RppgError
from rppg.face.landmarks import area_maps
from rppg.face.stage import FaceStage
from rppg.io import Recording, load_dataset, open_source
from rppg.mask.net import MaskNet, load_mask_model, masked_rgb
from rppg.synth.spec import SynthSpec, mixed_specs

MIN_HALF_S = 5.5
"""Shortest half of a clip worth adapting on and scoring (a heart rate needs 5 s)."""
AREAS = ("forehead", "cheeks", "nose", "eyes", "brows", "lips")


def markdown(rows: list[dict]) -> str:
    """A list of dicts as a Markdown table (numbers to 2 decimals)."""
    if not rows:
        return "(none)"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.2f}" if isinstance(v, float) else ("" if v is None else str(v))  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return "\n".join(lines + ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows])


# --------------------------------------------------------------------------- data


def real_recordings(data: Path) -> list[tuple[Recording, bool]]:
    """(recording, has ground truth) for the real clips found under ``data``."""
    recs: list[tuple[Recording, bool]] = []
    if (data / "physrecorder_v01").is_dir():
        recs += [(r, True) for r in load_dataset("physrecorder", data / "physrecorder_v01")]
    for video in sorted((data / "talking_heads").glob("*.mp4")):
        recs.append((Recording("generic", video.stem, video.stem, video), False))
    return recs


def crop_set(rec: Recording, labelled: bool, cfg: Config, cache: Path):
    from rppg.apps.train_data import load_crops

    return load_crops(rec, cfg, cache, labelled=labelled)


# --------------------------------------------------------------------------- scores


UNIFORM_METHOD = "agree"
"""What the mask is scored against: the mask method's own chain (POS and PBV agreeing,
followed across windows) with every pixel of the region alike."""


def score(crops, net: MaskNet | None, cfg: Config) -> dict:
    """Heart rate, error where labelled, and SNR of one crop set through the chain: the mask
    method with ``net``, :data:`UNIFORM_METHOD` without."""
    from rppg.apps.train import validation_traces
    from rppg.chain.pipeline import analyse

    trace = validation_traces(net, [crops], cfg)[0]
    a = analyse(trace, UNIFORM_METHOD if net is None else "mask", cfg, crops.name)
    err = None if crops.hr_true_bpm is None or a.hr_bpm is None else abs(a.hr_bpm - crops.hr_true_bpm)
    return {"hr_bpm": a.hr_bpm, "error_bpm": err, "snr_db": a.snr_db, "seconds": float(np.ptp(crops.t_s))}


def adapt(crops, cfg: Config, out: Path, init: str) -> MaskNet:
    """Weights adapted without labels to ``crops`` (validated on the same frames: nothing of
    the part scored later is seen)."""
    from rppg.apps.train import fit

    unlabelled = replace(crops, pulse=None, hr_true_bpm=None)
    seconds = float(np.ptp(crops.t_s))
    tc = replace(cfg.train, unsupervised=True, init=init, clip_s=min(cfg.train.clip_s, 0.8 * seconds))
    result = fit(replace(cfg, train=tc), [unlabelled], [unlabelled], out, log=lambda m: None)
    return load_mask_model(result.weights)


def area_weights(rec: Recording, nets: dict[str, MaskNet], cfg: Config, every: int = 10) -> dict:
    """Per mask: its mean weight per face area over every ``every``-th frame (the mask over
    the whole crop), and its mean mask (s, s) under the key ``"picture"``."""
    size = cfg.model.input_size
    sums = {n: dict.fromkeys(AREAS, 0.0) for n in nets}
    counts, masks = dict.fromkeys(AREAS, 0), {n: [] for n in nets}
    with open_source(rec.video) as source, FaceStage.from_config(cfg.face) as stage:
        for frame in source:
            fc = stage.push(frame)
            if frame.index % every or not fc.found or stage.points is None:
                continue
            areas = area_maps(stage.points, fc.rect, size)
            for name, where in areas.items():
                counts[name] += int(where.sum())
            for n, net in nets.items():
                mask = masked_rgb(net, fc.crop[None], size)[1][0]  # no gate: over the whole crop
                masks[n].append(mask)
                for name, where in areas.items():
                    sums[n][name] += float(mask[where].sum())
    return {
        n: {k: sums[n][k] / counts[k] if counts[k] else float("nan") for k in AREAS}
        | {"picture": np.mean(masks[n], axis=0) if masks[n] else np.zeros((size, size))}
        for n in nets
    }


def mean_mask_and_skin(spec: SynthSpec, net: MaskNet, cfg: Config, frames: int = 60):
    """The mask and the generator's own skin map, averaged over the same box crops (the mask
    sees the whole crop: face, hair, clothes, background) of a synthetic video."""
    from rppg.io.frames import Frame
    from rppg.synth.scene import Renderer

    renderer, size = Renderer(spec), cfg.model.input_size
    box_cfg = replace(cfg.face, region="box")
    masks, skins = [], []
    with FaceStage.from_config(box_cfg) as stage:
        for i in range(frames):
            t = i / spec.fps
            fc = stage.push(Frame(i, t, renderer.frame(t)))
            if not fc.found:
                continue
            x0, y0, x1, y1 = fc.rect
            skins.append(
                cv2.resize(renderer.skin_map(t)[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)
            )
            masks.append(masked_rgb(net, fc.crop[None], size)[1][0])
    return np.mean(masks, axis=0), np.mean(skins, axis=0)


def skin_correlation(net: MaskNet, cfg: Config, seeds=(77, 78, 79)) -> float:
    """Mean Pearson r of the mean mask and the skin map over held-out people with varied looks."""
    rs = []
    for spec in mixed_specs(len(seeds), seed=seeds[0], looks=True, width=640, height=480, duration_s=4.0):
        mask, skin = mean_mask_and_skin(spec, net, cfg)
        rs.append(float(np.corrcoef(mask.ravel(), skin.ravel())[0, 1]))
    return float(np.mean(rs))


# --------------------------------------------------------------------------- sections


def real_section(data: Path, nets: dict, cfg: Config, out: Path, do_adapt: bool) -> dict:
    rows, areas, figures = [], [], {}
    for rec, labelled in real_recordings(data):
        try:
            crops = crop_set(rec, labelled, cfg, out / "cache")
        except RppgError as exc:
            print(f"skipping {rec.name}: {exc}")
            continue
        row = {"clip": rec.name, "seconds": round(float(np.ptp(crops.t_s)), 1)}
        for name, net in nets.items():
            s = score(crops, net, cfg)
            row[f"{name} snr"] = s["snr_db"]
            if labelled:
                row[f"{name} err"] = s["error_bpm"]
        if do_adapt and row["seconds"] < 2 * MIN_HALF_S:
            print(f"{rec.name}: not adapted: halves shorter than {MIN_HALF_S:.0f} s")
        elif do_adapt:
            first, second = crops.part(0.0, 0.5), crops.part(0.5, 1.0)
            adapted = adapt(first, cfg, out / "adapt" / rec.name, "shipped")
            for name, net in (("uniform", None), ("shipped", nets["shipped"]), ("adapted", adapted)):
                row[f"2nd half {name} snr"] = score(second, net, cfg)["snr_db"]
        rows.append(row)
        masks = {n: net for n, net in nets.items() if net is not None}
        for name, means in area_weights(rec, masks, cfg).items():
            short = rec.name.replace("liveportrait_driving_", "lp_")
            figures.setdefault(name, {})[short] = means.pop("picture")
            areas.append({"mask": name, "clip": rec.name} | means)
        print(json.dumps(row, default=float), flush=True)
    return {"rows": rows, "areas": areas, "figures": figures}


def mean_row(rows: list[dict]) -> dict:
    """The mean of each whole-clip SNR column (those every clip has)."""
    columns = [c for c in dict.fromkeys(k for r in rows for k in r) if c.endswith("snr")]
    whole = [c for c in columns if all(isinstance(r.get(c), float) for r in rows)]
    means = {c: float(np.mean([r[c] for r in rows])) for c in whole}
    return {"clip": f"**mean of the {len(rows)} clips**"} | means


def synthetic_section(n: int, nets: dict, cfg: Config, out: Path) -> dict:
    from rppg.apps.train_data import load_crops
    from rppg.synth.layouts import write_dataset

    root = out / f"synthetic_{n}"
    if not root.exists():
        specs = mixed_specs(n, seed=4242, looks=True, duration_s=20.0, width=320, height=240)
        write_dataset([replace(s, distractor_amplitude=0.01) for s in specs], root, "ubfc")
    sets = [load_crops(r, cfg, out / "cache") for r in load_dataset("ubfc", root)]
    summary = {}
    for name, net in nets.items():
        scores = [score(s, net, cfg) for s in sets]
        summary[name] = {
            "mae_bpm": float(
                np.mean([s["error_bpm"] if s["error_bpm"] is not None else 60.0 for s in scores])
            ),
            "snr_db": float(np.mean([s["snr_db"] if s["snr_db"] is not None else -30.0 for s in scores])),
            "skin_r": None if net is None else skin_correlation(net, cfg),
        }
        print(name, summary[name], flush=True)
    return summary


def write_figure(figures: dict[str, dict[str, np.ndarray]], path: Path) -> None:
    """Mean masks: one row per mask, one column per clip."""
    from rppg.apps.figures import new_figure, save_figure

    rows, clips = list(figures), list(next(iter(figures.values()), {}))
    if not clips:
        return
    fig, axes = new_figure(
        rows=len(rows), cols=len(clips), size=(1.8 * len(clips) + 1.5, 2.0 * len(rows)), squeeze=False
    )
    for i, mask_name in enumerate(rows):
        for j, clip in enumerate(clips):
            im = axes[i, j].imshow(figures[mask_name][clip], vmin=0, vmax=1, cmap="magma")
            axes[i, j].set(xticks=[], yticks=[], title=clip[:16] if i == 0 else "")
        axes[i, 0].set_ylabel(mask_name)
    fig.colorbar(im, ax=axes.ravel().tolist(), label="mean mask weight")
    save_figure(fig, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data", help="folder of the real clips")
    p.add_argument(
        "--weights", action="append", default=[], metavar="NAME=PATH", help="more weights to compare"
    )
    p.add_argument("--adapt", action="store_true", help="adapt to each clip's first half, score its second")
    p.add_argument("--adapt-epochs", type=int, default=3, help="epochs of adaptation per clip (default: 3)")
    p.add_argument("--adapt-steps", type=int, default=10, help="steps per adaptation epoch (default: 10)")
    p.add_argument("--synthetic", type=int, default=0, help="held-out synthetic people (0: skip)")
    p.add_argument("--out", default=".cache/mask_report")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.train.epochs, cfg.train.steps_per_epoch = a.adapt_epochs, a.adapt_steps
    nets: dict[str, MaskNet | None] = {"uniform": None, "shipped": load_mask_model()}
    for item in a.weights:
        name, _, path = item.partition("=")
        nets[name] = load_mask_model(path)
    report: dict = {}
    if Path(a.data).is_dir():
        real = real_section(Path(a.data), nets, cfg, out, a.adapt)
        write_figure(real.pop("figures"), out / "mean_masks.png")
        report["real"] = real
        print("\n### real clips: whole-clip pulse SNR (dB) and HR error (bpm)\n")
        print(markdown(real["rows"] + [mean_row(real["rows"])]))
        print("\n### mean mask weight per face area (the mask over the whole crop)\n")
        print(markdown(real["areas"]))
    if a.synthetic:
        report["synthetic"] = synthetic_section(a.synthetic, nets, cfg, out)
        print(f"\n### {a.synthetic} held-out synthetic people (varied looks)\n")
        rows = [{"weights": name} | figures for name, figures in report["synthetic"].items()]
        print(markdown(rows))
    (out / "report.json").write_text(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
