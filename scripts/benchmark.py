"""Speed and memory of rppg, every figure in one table, each against its reference.

    python scripts/benchmark.py                         # everything (clips cached in .cache/bench)
    python scripts/benchmark.py --quick                 # no 10-minute clip, no peer
    python scripts/benchmark.py --vitallens PYTHON      # also time vitallens' local POS there

Measured, each in a fresh process: the whole ``rppg process`` command (start-up included)
against OpenCV's decode-only throughput of the same file, on a synthetic 1-minute 640x480
MJPG clip and on the real H.264 webcam clip looped ten times without re-encoding (needs
ffmpeg); start-up on a 2-second clip; ``rppg --help``; peak memory on 1 and 10 minutes; the
live chain's time per frame; time per stage. Nothing here is asserted: the figures go to the
README and the closing notes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
RPPG = [sys.executable, "-m", "rppg"]


# --------------------------------------------------------------------------- clips


def synthetic_clip(minutes: float, cache: Path) -> Path:
    from rppg.synth.layouts import write_video
    from rppg.synth.spec import SynthSpec

    path = cache / f"synth_{minutes:g}min.avi"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        write_video(SynthSpec(hr_bpm=72, duration_s=60 * minutes, width=640, height=480, seed=5), path)
    return path


def looped_real_clip(cache: Path) -> Path | None:
    """The real webcam clip looped ten times without re-encoding (200 s), or None."""
    src = SHARED / "physrecorder_v01" / "video_ZIP_H264.avi"
    path = cache / "physrecorder_x10.avi"
    if not path.exists():
        if not src.exists() or not shutil.which("ffmpeg"):
            return None
        cmd = [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-stream_loop",
            "9",
            "-i",
            str(src),
            "-c",
            "copy",
            str(path),
        ]
        subprocess.run(cmd, check=True)
    return path


# --------------------------------------------------------------------------- probes (child processes)

CHILD = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall_s": wall, "max_rss_mb": rss, "rc": run.returncode, "stdout": run.stdout,
                  "stderr": run.stderr[-500:]}))
"""


def crowd_clip(people: int, cache: Path) -> Path:
    """``people`` synthetic people side by side in a 1280x360 frame, 30 s (the same frame
    size for every count, so that only the number of faces changes)."""
    from rppg.synth.crowd import CrowdSpec, Person, write_crowd
    from rppg.synth.spec import SynthSpec

    path = cache / f"crowd_{people}.avi"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        crowd = [
            Person(SynthSpec(hr_bpm=60 + 12 * k, seed=40 + k, hrv_bpm=0.3, motion_px=1.0), 320 * k)
            for k in range(people)
        ]
        write_crowd(CrowdSpec(crowd, width=1280, height=360, duration_s=30.0), path)
    return path


def timed(cmd: list[str]) -> dict:
    """Wall time and peak RSS of one command, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", CHILD, *cmd], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {result['stderr']}")
    return result


DECODE = """
import sys, time, cv2
cap = cv2.VideoCapture(sys.argv[1]); n = 0; t = time.perf_counter()
while cap.grab():
    cap.retrieve(); n += 1
print(n, time.perf_counter() - t)
"""


def decode_only(video: Path) -> tuple[int, float]:
    """(frames, seconds) of OpenCV's default decode loop: the throughput a user's own
    OpenCV script gets from this file."""
    out = subprocess.run(
        [sys.executable, "-c", DECODE, str(video)], capture_output=True, text=True, check=True
    )
    frames, seconds = out.stdout.split()
    return int(frames), float(seconds)


def live_probe(video: str, method: str, limit: int = 900) -> dict:
    """Per-frame time (ms) of the streaming chain (face stage, trace, heart rate), frames
    decoded beforehand; the first 10 s (warm-up) left out."""
    import numpy as np

    from rppg.chain.streaming import StreamingEstimator
    from rppg.config import Config
    from rppg.io import VideoFileSource

    cfg = Config()
    cfg.method = method
    with VideoFileSource(video) as src:
        frames = [f for f, _ in zip(src, range(limit), strict=False)]
    est = StreamingEstimator.from_config(cfg)
    per = []
    for frame in frames:
        t = time.perf_counter()
        est.push(frame)
        per.append(time.perf_counter() - t)
    est.close()
    ms = 1000 * np.array(per[300:])
    return {"mean_ms": float(ms.mean()), "p95_ms": float(np.percentile(ms, 95))}


def stages_probe(video: str, limit: int = 900) -> dict:
    """Time per frame (ms) of each offline stage, one after another on one thread: decode,
    face stage (mesh fits and region), trace (region mean and mask), signal analysis."""
    from rppg.chain.pipeline import analyse
    from rppg.chain.trace import TraceBuilder
    from rppg.config import Config
    from rppg.face.stage import FaceStage
    from rppg.io import VideoFileSource

    cfg = Config()
    with VideoFileSource(video) as src:
        t = time.perf_counter()
        frames = [f for f, _ in zip(src, range(limit), strict=False)]
        decode = time.perf_counter() - t
    builder = TraceBuilder.from_config(cfg, {"uniform", "mask"})
    with FaceStage.from_config(cfg.face) as stage:
        t = time.perf_counter()
        crops = list(stage.crops(frames))
        face = time.perf_counter() - t
    t = time.perf_counter()
    for fc in crops:
        builder.push(fc)
    trace = builder.trace()
    trace_s = time.perf_counter() - t
    t = time.perf_counter()
    analyse(trace, "mask", cfg)
    signal_s = time.perf_counter() - t
    n = len(frames)
    return {
        k: 1000 * v / n
        for k, v in {"decode": decode, "face": face, "trace": trace_s, "signal": signal_s}.items()
    }


def faces_probe(cache: str) -> dict:
    """Frames per second of the offline chain (in this process: start-up left out, the best
    of three runs) on 1, 2 and 4 people in the same 1280x360 frame: one face as today, and
    every face (``--faces all``)."""
    from rppg.chain.process import process_faces, process_video
    from rppg.config import Config

    every = Config()
    every.face.max_faces = 0
    out = {}
    for people in (1, 2, 4):
        clip = crowd_clip(people, Path(cache))
        runs = {"1": lambda c=clip: process_video(c)} if people == 1 else {}
        runs["all"] = lambda c=clip: process_faces(c, config=every)
        for chain, run in runs.items():
            seconds = []
            for _ in range(3):
                t = time.perf_counter()
                run()
                seconds.append(time.perf_counter() - t)
            out[f"{people}/{chain}"] = 900 / min(seconds)
    return out


PROBES = {"live": live_probe, "stages": stages_probe, "faces": faces_probe}


def run_probe(name: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--probe", name, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main

VITALLENS = """
import sys, time
from vitallens import VitalLens
VitalLens(method="pos", export_to_json=False)(sys.argv[1])
"""


def region_speeds(clip: Path, method: str, row) -> dict:
    """The box chain (detector box and mask, no face mesh) against the landmark chain on one
    clip, the whole command pinned to one core and to two (``taskset``; where it is missing,
    unpinned only): {"box/1": s, "landmarks/1": s, ...}."""
    pins = (
        {"1": ["taskset", "-c", "0"], "2": ["taskset", "-c", "0,1"]}
        if shutil.which("taskset")
        else {"all": []}
    )
    out = {}
    for cores, pin in pins.items():
        for region in ("landmarks", "box"):
            cmd = [
                *pin,
                *RPPG,
                "process",
                str(clip),
                "--method",
                method,
                "--json",
                "--set",
                f"face.region={region}",
            ]
            out[f"{region}/{cores}"] = min(timed(cmd)["wall_s"] for _ in range(2))
        ratio = out[f"landmarks/{cores}"] / out[f"box/{cores}"]
        row(
            f"box chain vs landmark chain, {cores} core{'s' * (cores != '1')}",
            "synthetic 1 min, MJPG 640x480",
            f"{out[f'box/{cores}']:.1f} s",
            f"{out[f'landmarks/{cores}']:.1f} s",
            f"{ratio:.2f}x faster",
            "",
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", default="mask", help="rppg method (default: the default, mask)")
    p.add_argument("--quick", action="store_true", help="skip the 10-minute clip and the peer")
    p.add_argument("--vitallens", help="a python with vitallens 0.6.2 installed, to time its local POS")
    p.add_argument("--cache", default=str(REPO / ".cache" / "bench"))
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--probe", help=argparse.SUPPRESS)
    p.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.probe:
        print(json.dumps(PROBES[a.probe](*a.args)))
        return

    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    rows, figures = [], {}

    def row(what, clip, rppg, reference, ratio, target):
        rows.append(f"| {what} | {clip} | {rppg} | {reference} | {ratio} | {target} |")

    clips = {"synthetic 1 min, MJPG 640x480": synthetic_clip(1, cache)}
    real = looped_real_clip(cache)
    if real:
        clips["real webcam H.264 x10 (200 s)"] = real
    for label, clip in clips.items():
        frames, dec_s = decode_only(clip)
        run = timed([*RPPG, "process", str(clip), "--method", a.method, "--json"])
        ratio = dec_s / run["wall_s"]
        target = "≥ 0.8" if "synthetic" in label else "≥ 0.4"
        row(
            "whole `rppg process` vs decode-only",
            label,
            f"{frames / run['wall_s']:.0f} fps ({run['wall_s']:.1f} s)",
            f"{frames / dec_s:.0f} fps ({dec_s:.1f} s)",
            f"{ratio:.2f}x",
            target,
        )
        figures[label] = {
            "frames": frames,
            "decode_s": dec_s,
            "process_s": run["wall_s"],
            "ratio": ratio,
            "max_rss_mb": run["max_rss_mb"],
            "hr_bpm": json.loads(run["stdout"])["hr_bpm"],
        }
        if "synthetic" in label:
            row("peak memory (RSS)", label, f"{run['max_rss_mb']:.0f} MB", "", "", "≤ 250 MB")
    if real and a.vitallens and not a.quick:
        peer = timed([a.vitallens, "-c", VITALLENS, str(real)])
        ours = figures["real webcam H.264 x10 (200 s)"]["process_s"]
        row(
            "vs vitallens 0.6.2 local POS (whole command)",
            "real webcam H.264 x10 (200 s)",
            f"{ours:.1f} s",
            f"{peer['wall_s']:.1f} s, {peer['max_rss_mb']:.0f} MB",
            f"{peer['wall_s'] / ours:.1f}x faster",
            "≥ 1.5x",
        )
        figures["vitallens"] = peer | {"stdout": "", "stderr": ""}
    if not a.quick:
        long = synthetic_clip(10, cache)
        run = timed([*RPPG, "process", str(long), "--method", a.method, "--json"])
        one = figures["synthetic 1 min, MJPG 640x480"]["max_rss_mb"]
        row(
            "peak memory, 10 min vs 1 min",
            "synthetic 10 min",
            f"{run['max_rss_mb']:.0f} MB",
            f"{one:.0f} MB",
            f"{run['max_rss_mb'] / one:.2f}x",
            "≤ 1.1x",
        )
        figures["synthetic 10 min"] = {"max_rss_mb": run["max_rss_mb"], "process_s": run["wall_s"]}
    short = cache / "synth_2s.avi"
    if not short.exists():
        from rppg.synth.layouts import write_video
        from rppg.synth.spec import SynthSpec

        write_video(SynthSpec(duration_s=2.0, width=640, height=480, seed=5), short)
    start = min(
        timed(
            [*RPPG, "process", str(short), "--method", a.method, "--json", "--set", "signal.min_duration_s=1"]
        )["wall_s"]
        for _ in range(3)
    )
    row("start-up: whole command on a 2 s clip", "synthetic 2 s", f"{start:.2f} s", "", "", "< 1.3 s")
    helps = min(timed([*RPPG, "--help"])["wall_s"] for _ in range(3))
    row("`rppg --help`", "", f"{helps:.2f} s", "", "", "< 0.3 s")
    live = run_probe("live", str(clips["synthetic 1 min, MJPG 640x480"]), a.method)
    row(
        "live chain per frame (mean, p95)",
        "synthetic 640x480",
        f"{live['mean_ms']:.1f}, {live['p95_ms']:.1f} ms",
        "",
        "",
        "< 5, < 10 ms",
    )
    figures |= {"startup_s": start, "help_s": helps, "live": live}
    faces = run_probe("faces", str(cache))
    for key, fps in faces.items():
        people, chain = key.split("/")
        what = "one face (today's chain)" if chain == "1" else f"`--faces all`, {people} faces"
        ratio = fps / faces["1/1"]
        target = "≥ 0.6x" if key == "2/all" else ""
        row(
            what,
            "synthetic 1280x360, 30 s",
            f"{fps:.0f} fps",
            f"{faces['1/1']:.0f} fps",
            f"{ratio:.2f}x",
            target,
        )
    figures["faces"] = faces
    figures["regions"] = region_speeds(clips["synthetic 1 min, MJPG 640x480"], a.method, row)

    print("| measurement | clip | rppg | reference | ratio | target |\n|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\nTime per frame by stage (ms, one thread, one stage after another):\n")
    print(
        "| clip | decode | face stage (fits + region) | trace (mean + mask) | signal |\n|---|---|---|---|---|"
    )
    for label, clip in clips.items():
        st = run_probe("stages", str(clip))
        print(f"| {label} | {st['decode']:.2f} | {st['face']:.2f} | {st['trace']:.2f} | {st['signal']:.2f} |")
        figures.setdefault("stages", {})[label] = st
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
