"""Speed and memory of the rppg chain on synthetic 640x480 videos.

    python scripts/benchmark.py                  # 1- and 10-minute videos, method pos
    python scripts/benchmark.py --minutes 1 --methods pos,mask --codec MJPG

Reports decode-only vs full-chain frame rates (same file, same threaded reader), time per
stage, start-up time (command start to first processed frame), per-frame time of the live
(streaming) chain, and peak memory (max RSS) of a whole `process` run per video length.
Each measurement runs in a fresh subprocess so that memory and start-up are not shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_video(minutes: float, codec: str, cache: Path) -> Path:
    from rppg.synth.layouts import VIDEO_EXT, write_video
    from rppg.synth.spec import SynthSpec

    path = cache / f"bench_{minutes:g}min_{codec}{VIDEO_EXT.get(codec, '.avi')}"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        spec = SynthSpec(hr_bpm=72, duration_s=60 * minutes, width=640, height=480, codec=codec, seed=5)
        write_video(spec, path)
    return path


# --------------------------------------------------------------------------- child probes


def probe_decode(video: str) -> dict:
    from rppg.io import VideoFileSource

    t0 = time.perf_counter()
    n = 0
    with VideoFileSource(video) as src:
        for _ in src:
            n += 1
    dt = time.perf_counter() - t0
    return {"frames": n, "seconds": dt, "fps": n / dt}


def probe_process(video: str, method: str) -> dict:
    """The `process` chain in three timed parts: start-up (imports done, detector and model
    built), the per-frame loop (``fps``: what is compared with decoding), and the finish
    (the signal analysis of the whole trace, including scipy's first import)."""
    from rppg.config import Config
    from rppg.io import VideoFileSource
    from rppg.methods import METHODS
    from rppg.pipeline import analyse
    from rppg.trace import TraceBuilder

    cfg = Config()
    t0 = time.perf_counter()
    with (
        VideoFileSource(video) as src,
        TraceBuilder.from_config(cfg, {METHODS.get(method).weighting}) as builder,
    ):
        t1 = time.perf_counter()
        for frame in src:
            builder.add(frame)
        trace = builder.finish()
    t2 = time.perf_counter()
    hr = analyse(trace, method, cfg).hr_bpm
    t3 = time.perf_counter()
    n = trace.frames
    return {
        "frames": n,
        "seconds": t3 - t0,
        "fps": n / (t2 - t1),
        "fps_total": n / (t3 - t0),
        "finish_s": t3 - t2,
        "hr_bpm": hr,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def probe_startup(video: str, method: str) -> dict:
    """Wall-clock time (epoch s) when the first frame has gone through the chain."""
    from rppg.config import Config
    from rppg.io import VideoFileSource
    from rppg.methods import METHODS
    from rppg.trace import TraceBuilder

    cfg = Config()
    with (
        VideoFileSource(video) as src,
        TraceBuilder.from_config(cfg, {METHODS.get(method).weighting}, live=True) as b,
    ):
        for frame in src:
            b.add(frame)
            return {"first_frame_epoch": time.time()}
    return {}


def probe_stages(video: str, method: str, limit: int = 900) -> dict:
    """Mean time per frame (ms) of each stage, run one after another on one core."""
    import cv2
    import numpy as np

    from rppg.config import Config
    from rppg.crops import FaceStage
    from rppg.face import resize_region
    from rppg.io.frames import Frame
    from rppg.methods import METHODS
    from rppg.pipeline import analyse
    from rppg.trace import TraceBuilder, region_mean

    cfg = Config()
    weighting = METHODS.get(method).weighting
    cap = cv2.VideoCapture(video)
    times = {"decode": 0.0, "face": 0.0, "crop": 0.0, "roi": 0.0}
    crops = []
    n = 0
    with FaceStage.from_config(cfg.face) as stage:
        while n < limit:
            t = time.perf_counter()
            ok, image = cap.read()
            times["decode"] += time.perf_counter() - t
            if not ok:
                break
            t = time.perf_counter()
            fc = stage(Frame(n, n / 30, image))
            times["face"] += time.perf_counter() - t
            t = time.perf_counter()
            resize_region(image, fc.rect, cfg.face.crop_size)  # what the stage's crop costs
            times["crop"] += time.perf_counter() - t
            times["face"] -= time.perf_counter() - t
            t = time.perf_counter()
            if weighting == "uniform":
                region_mean(fc.crop, fc.region)
            crops.append(fc.crop)
            times["roi"] += time.perf_counter() - t
            n += 1
    if weighting == "mask":
        from rppg.model import load_mask_model, masked_rgb

        net = load_mask_model()
        t = time.perf_counter()
        for i in range(0, len(crops), cfg.model.batch_size):
            masked_rgb(net, np.stack(crops[i : i + cfg.model.batch_size]), cfg.model.input_size)
        times["roi"] = time.perf_counter() - t
    # The signal stage on a whole trace of this length.
    with TraceBuilder.from_config(cfg, {weighting}) as builder:
        from rppg.io import VideoFileSource

        with VideoFileSource(video) as src:
            for frame in src:
                if frame.index >= limit:
                    break
                builder.add(frame)
        trace = builder.finish()
    t = time.perf_counter()
    analyse(trace, method, cfg)
    times["signal"] = time.perf_counter() - t
    return {k: 1000 * v / n for k, v in times.items()} | {"frames": n}


def probe_live(video: str, method: str, limit: int = 1800) -> dict:
    """Per-frame time (ms) of the streaming chain: trace sample + HR update, no decoding."""
    import numpy as np

    from rppg.config import Config
    from rppg.io import VideoFileSource
    from rppg.streaming import StreamingEstimator

    cfg = Config()
    cfg.method = method
    frames = []
    with VideoFileSource(video) as src:
        for frame in src:
            frames.append(frame)
            if len(frames) >= limit:
                break
    est = StreamingEstimator.from_config(cfg)
    per = []
    for frame in frames:
        t = time.perf_counter()
        est.push(frame)
        per.append(time.perf_counter() - t)
    est.close()
    per_ms = 1000 * np.array(per[300:])
    return {"mean_ms": float(per_ms.mean()), "p95_ms": float(np.percentile(per_ms, 95))}


PROBES = {
    "decode": probe_decode,
    "process": probe_process,
    "startup": probe_startup,
    "stages": probe_stages,
    "live": probe_live,
}


def run_child(probe: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--probe", probe, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", default="1,10", help="video lengths to test (comma list)")
    parser.add_argument("--methods", default="pos", help="methods for the full chain")
    parser.add_argument("--codec", default="MJPG", help="codec of the test videos")
    parser.add_argument("--cache", default=str(REPO / ".cache" / "bench"))
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.probe:
        print(json.dumps(PROBES[a.probe](*a.args)))
        return

    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    minutes = [float(m) for m in a.minutes.split(",")]
    methods = a.methods.split(",")
    videos = {m: str(make_video(m, a.codec, cache)) for m in minutes}
    first = videos[minutes[0]]
    report: dict = {"codec": a.codec, "size": "640x480", "fps": 30}

    decode = run_child("decode", first)
    report["decode_fps"] = decode["fps"]
    print(f"\n## 640x480 {a.codec}, {minutes[0]:g} min ({decode['frames']} frames)\n")
    print(
        "| method | decode-only fps | full chain fps (per-frame loop) | ratio | start-up s | finish s "
        "| whole run fps | live ms/frame (mean, p95) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for method in methods:
        proc = run_child("process", first, method)
        t0 = time.time()
        startup = run_child("startup", first, method)["first_frame_epoch"] - t0
        live = run_child("live", first, method)
        live_txt = f"{live['mean_ms']:.2f}, {live['p95_ms']:.2f}" if live else "n/a"
        ratio = proc["fps"] / decode["fps"]
        print(
            f"| {method} | {decode['fps']:.0f} | {proc['fps']:.0f} | {ratio:.2f} | {startup:.2f} "
            f"| {proc['finish_s']:.2f} | {proc['fps_total']:.0f} | {live_txt} |"
        )
        report[method] = {"process": proc, "ratio": ratio, "startup_s": startup, "live": live}

    print("\n### time per frame by stage (ms, one core, sequential)\n")
    print("| method | decode | face (detect every k) | crop | region mean | signal (whole trace) |")
    print("|---|---|---|---|---|---|")
    for method in methods:
        st = run_child("stages", first, method)
        print(
            f"| {method} | {st['decode']:.3f} | {st['face']:.3f} | {st['crop']:.3f} | "
            f"{st['roi']:.3f} | {st['signal']:.3f} |"
        )
        report[method]["stages_ms"] = st

    print("\n### peak memory of a whole `process` run\n")
    print("| method | " + " | ".join(f"{m:g} min" for m in minutes) + " | ratio |")
    print("|---|" + "---|" * (len(minutes) + 1))
    for method in methods:
        rss = [run_child("process", videos[m], method)["max_rss_mb"] for m in minutes]
        cells = " | ".join(f"{r:.0f} MB" for r in rss)
        print(f"| {method} | {cells} | {rss[-1] / rss[0]:.2f} |")
        report[method]["max_rss_mb"] = dict(zip(map(str, minutes), rss, strict=True))

    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
