"""Does the box chain help where the face mesh loses the face (``face.fallback``)?

On the real clips with truth (``--data``: physrecorder and the UBFC H.264 subjects), the
landmark chain with the fallback off and on, each clip read twice:

- as it is: the mesh loses no face on these clips, so the fallback must change nothing;
- stressed: ``--lost-s`` seconds from a third of the clip turned by ``--roll`` degrees (a
  camera tilted, a head rolled, all at once). The mesh, refitted upright from the detector's
  box, loses the face there; the detector, which finds rolled faces, still has it. The
  stressed copies are re-encoded with ffmpeg (libx264, CRF 12) into ``--work`` (deleted
  after), never into the project.

Per clip: heart-rate error against the evaluator's reference, pulse SNR and the share of
frames with a face, fallback off against on.

    python scripts/fallback_report.py [--data ../shared/data] [--roll 60] [--lost-s 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rppg.apps.evaluate import evaluate
from rppg.config import load_config

DATASETS = (("physrecorder", "physrecorder_v01", "video_ZIP_H264.avi"), ("ubfc", "ubfc_h264", "vid.mp4"))
"""(dataset, folder under --data, the video file name in each recording's folder)."""
ENCODE = ("-fps_mode", "passthrough", "-c:v", "libx264", "-crf", "12", "-preset", "veryfast")
"""How a stressed copy is encoded: every frame kept, near-lossless, so only the turn differs."""


def stressed_copy(src: Path, dst: Path, video: str, roll: float, lost_s: float) -> None:
    """A copy of a dataset folder whose videos have ``lost_s`` seconds, from a third of each,
    turned by ``roll`` degrees (every other file linked as it is)."""
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.name != video:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path.resolve())
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            start = duration_s(path) / 3
            turn = f"rotate='if(between(t,{start:.2f},{start + lost_s:.2f}),{np.radians(roll):.5f},0)'"
            subprocess.run(
                ["ffmpeg", "-loglevel", "error", "-y", "-i", str(path), "-vf", turn, *ENCODE, str(target)],
                check=True,
            )


def duration_s(video: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(video)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def rows(dataset: str, root: Path, fallback: bool) -> dict[str, object]:
    cfg = load_config(None, [f"face.fallback={str(fallback).lower()}"])
    return {r.recording: r for r in evaluate(dataset, root, ["mask"], cfg).rows}


HEADER = [
    "| clip | read | error off (bpm) | error on | SNR off (dB) | SNR on | face off | face on |",
    "|---|---|---|---|---|---|---|---|",
]


def table_rows(read: str, dataset: str, root: Path) -> list[str]:
    """One row per recording of ``dataset`` under ``root`` and one of their means."""
    off, on = rows(dataset, root, False), rows(dataset, root, True)
    cells = lambda a, b: (  # noqa: E731
        f"{a.abs_err_bpm:.2f} | {b.abs_err_bpm:.2f} | {a.snr_db:.2f} | {b.snr_db:.2f} "
        f"| {a.face_ratio:.1%} | {b.face_ratio:.1%}"
    )
    lines = [f"| {name} | {read} | {cells(off[name], on[name])} |" for name in sorted(off)]
    if len(off) > 1:
        mean = lambda d: Mean(*(np.nanmean([getattr(r, k) for r in d.values()]) for k in Mean._fields))  # noqa: E731
        lines.append(f"| {dataset}, mean of {len(off)} | {read} | {cells(mean(off), mean(on))} |")
    return lines


class Mean(NamedTuple):
    abs_err_bpm: float
    snr_db: float
    face_ratio: float


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    parser.add_argument("--data", type=Path, default=shared, help="the real clips (default: %(default)s)")
    parser.add_argument("--roll", type=float, default=60.0, help="degrees the stressed seconds are turned")
    parser.add_argument("--lost-s", type=float, default=5.0, help="seconds turned, from a third of a clip")
    parser.add_argument("--work", type=Path, default=None, help="for the stressed copies (default: temp)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="rppg-fallback-", dir=args.work))
    try:
        out = list(HEADER)
        turned = f"{args.lost_s:g} s turned {args.roll:g} degrees"
        for dataset, folder, video in DATASETS:
            src = args.data / folder
            stressed_copy(src, work / folder, video, args.roll, args.lost_s)
            out += table_rows("as it is", dataset, src) + table_rows(turned, dataset, work / folder)
        print("\n".join(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
