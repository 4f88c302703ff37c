"""Many videos at once, no ground truth: one sub-folder of results each and a summary table.

    rows = process_many(["a.mp4", "b.mp4"], cfg, Path("out"))   # where cfg.batch says
    # out/a/..., out/b/..., out/summary.csv: video, hr_bpm, snr_db, quality, status

A video that cannot be read becomes a row whose status says why; the others are processed.
"""

from __future__ import annotations

import os
from pathlib import Path

from rppg.config import Config
from rppg.errors import RppgError
from rppg.files import write_csv
from rppg.io.images import IMAGE_SUFFIXES
from rppg.io.video import VIDEO_SUFFIXES
from rppg.parallel import run_all

SUMMARY_COLUMNS = ["video", "hr_bpm", "snr_db", "quality", "status"]


def expand_inputs(paths: list[str | os.PathLike]) -> list[Path]:
    """The videos named: files as given, a folder of videos as its videos (sorted), a folder
    of images as one image-sequence video."""
    out = []
    for path in map(Path, paths):
        if path.is_dir():
            videos = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
            has_images = any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())
            if videos and not has_images:
                out.extend(videos)
                continue
        out.append(path)
    return out


def folder_names(videos: list[Path]) -> list[str]:
    """A distinct sub-folder name per video: its stem, numbered when stems repeat."""
    names, seen = [], {}
    for v in videos:
        seen[v.stem] = seen.get(v.stem, 0) + 1
        names.append(v.stem if seen[v.stem] == 1 else f"{v.stem}_{seen[v.stem]}")
    return names


def process_one(job: tuple[Path, Path | None], cfg: Config) -> dict:
    """Process one video (into its folder, if it has one); a summary row whatever happens."""
    from rppg.files import prepare_out_dir
    from rppg.pipeline import process_video
    from rppg.report import MeanPictures, write_process_outputs

    video, folder = job
    try:
        pictures = MeanPictures()
        result = process_video(video, config=cfg, on_sample=pictures.add if folder is not None else None)
        if folder is not None:
            write_process_outputs(result, prepare_out_dir(folder), pictures=pictures)
    except RppgError as exc:
        return {"video": str(video), "status": f"error: {exc}"}
    except Exception as exc:  # a bug on one video must not lose the others
        return {"video": str(video), "status": f"error: {type(exc).__name__}: {exc}"}
    return {
        "video": str(video),
        "hr_bpm": result.hr_bpm,
        "snr_db": result.snr_db,
        "quality": result.quality,
        "status": "ok",
    }


def process_many(videos: list[Path], cfg: Config, out: Path | None = None, progress=None) -> list[dict]:
    """Every video (into ``out/<name>/`` and ``out/summary.csv`` with ``out``), where
    ``cfg.batch`` says; summary rows in input order."""
    folders = [None] * len(videos) if out is None else [out / n for n in folder_names(videos)]
    jobs = list(zip(videos, folders, strict=True))
    died = lambda job, reason: {"video": str(job[0]), "status": f"worker died: {reason}"}  # noqa: E731
    rows = run_all(process_one, jobs, (cfg,), cfg.batch, lost=died, progress=progress)
    if out is not None:
        write_csv(out / "summary.csv", SUMMARY_COLUMNS, rows, ".4f")
    return rows
