"""Many videos at once, no ground truth: one sub-folder of results each and a summary table.

    rows = process_many(["a.mp4", "b.mp4"], cfg, Path("out"))   # where cfg.batch says
    # out/a/..., out/b/..., out/summary.csv: video, hr_bpm, snr_db, quality, status, warnings

A video that cannot be read becomes a row whose status says why; the others are processed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rppg.batch.parallel import run_all
from rppg.config import Config
from rppg.errors import RppgError
from rppg.files import write_csv
from rppg.io.images import IMAGE_SUFFIXES
from rppg.io.video import VIDEO_SUFFIXES

SUMMARY_COLUMNS = ["video", "hr_bpm", "snr_db", "quality", "status", "warnings"]


def _videos_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())


def expand_inputs(paths: list[str | os.PathLike]) -> list[Path]:
    """The videos named: files as given; a folder of videos as its videos (sorted); a folder
    of images as one image-sequence video; a folder of folders (``subjectN/vid.mp4``, one
    recording each) as the videos found in them."""
    out = []
    for path in map(Path, paths):
        if path.is_dir() and not any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir()):
            videos = _videos_in(path) or sorted(
                v for d in path.iterdir() if d.is_dir() for v in _videos_in(d)
            )
            if videos:
                out.extend(videos)
                continue
        out.append(path)
    return out


def folder_names(videos: list[Path]) -> list[str]:
    """A distinct sub-folder name per video: its stem; with its folder's name in front where
    stems repeat (``subject4_vid``); numbered where those repeat too."""
    stems = [v.stem for v in videos]
    names = [v.stem if stems.count(v.stem) == 1 else f"{v.parent.name}_{v.stem}" for v in videos]
    out, seen = [], {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def process_into(video, cfg: Config, out: Path | None = None):
    """One video (a path or an open frame source) through the chain, one face or every face
    as ``cfg.face.max_faces`` says, its files written into ``out`` (a prepared folder) if
    given: (the :class:`rppg.chain.process.ProcessResult`, its summary)."""
    from rppg.apps.mask_pictures import MeanPictures, picture_net
    from rppg.apps.report import write_faces_outputs, write_process_outputs
    from rppg.chain.faces import Snapshot
    from rppg.chain.process import process_faces, process_video

    net = picture_net(cfg) if out is not None else None
    if cfg.face.max_faces == 1:
        pictures = MeanPictures(net)
        result = process_video(video, config=cfg, on_sample=pictures.add if out is not None else None)
        summary = result.summary()
        if out is not None:
            write_process_outputs(result, out, summary, pictures)
        return result, summary
    per_face: dict[int, MeanPictures] = {}
    snapshot = Snapshot()

    def add(face_id: int, sample) -> None:
        per_face.setdefault(face_id, MeanPictures(net)).add(sample)

    result = process_faces(video, config=cfg, on_sample=add if out is not None else None, snapshot=snapshot)
    summary = result.summary()
    if out is not None:
        write_faces_outputs(result, out, summary, per_face, snapshot)
    return result, summary


def process_one(job: tuple[Path, Path | None], cfg: Config) -> dict:
    """Process one video (into its folder, if it has one); a summary row whatever happens."""
    from rppg.files import prepare_out_dir

    video, folder = job
    try:
        result, _ = process_into(video, cfg, None if folder is None else prepare_out_dir(folder))
    except RppgError as exc:
        return failed_row(job, f"error: {exc}")
    except Exception as exc:  # a bug on one video must not lose the others
        return failed_row(job, f"error: {type(exc).__name__}: {exc}")
    return {
        "video": str(video),
        "hr_bpm": result.hr_bpm,
        "snr_db": result.snr_db,
        "quality": result.quality,
        "status": "ok",
        "warnings": result.warnings,
    }


def failed_row(job: tuple[Path, Path | None], status: str) -> dict:
    return {
        "video": str(job[0]),
        "hr_bpm": None,
        "snr_db": None,
        "quality": "none",
        "status": status,
        "warnings": [],
    }


def process_many(
    videos: list[Path],
    cfg: Config,
    out: Path | None = None,
    progress=None,
    done: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Every video (into ``out/<name>/`` and ``out/summary.csv`` with ``out``), where
    ``cfg.batch`` says; ``done(row)`` is called as each finishes; rows in input order."""
    folders = [None] * len(videos) if out is None else [out / n for n in folder_names(videos)]
    jobs = list(zip(videos, folders, strict=True))
    died = lambda job, reason: failed_row(job, f"worker died: {reason}")  # noqa: E731
    report = (lambda job, row: done(row)) if done else None
    rows = run_all(process_one, jobs, (cfg,), cfg.batch, lost=died, done=report, progress=progress)
    if out is not None:
        table = [r | {"warnings": "; ".join(r["warnings"])} for r in rows]
        write_csv(out / "summary.csv", SUMMARY_COLUMNS, table, ".4f")
    return rows
