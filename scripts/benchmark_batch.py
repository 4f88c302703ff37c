"""Batch evaluation in its three places: this process, the local pool, a Dask LocalCluster.

    python scripts/benchmark_batch.py                  # 24 synthetic recordings x 30 s, 640x480
    python scripts/benchmark_batch.py --count 6 --duration 10     # a quick look

Measured, each in a fresh ``rppg evaluate`` process (default methods, no trace cache, so each
mode decodes every video): wall time, and peak memory of the whole process tree (the sum of
the resident memory of the command and all its children, sampled every 0.1 s). Then Dask's
own costs: LocalCluster start-up (import, 2 workers up, closed) and the installed size of
the packages ``rppg[cluster]`` adds. Needs ``rppg[cluster]`` (psutil comes with it). Nothing
here is asserted: the figures go to the README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]

MODES = {
    "serial (--workers 1)": ["--workers", "1"],
    "local pool (--workers 2)": ["--workers", "2"],
    "Dask LocalCluster (--cluster local --workers 2)": ["--cluster", "local", "--workers", "2"],
}

CLUSTER_PACKAGES = [
    "dask",
    "distributed",
    "click",
    "cloudpickle",
    "importlib_metadata",
    "lazy-importer",
    "locket",
    "msgpack",
    "partd",
    "psutil",
    "sortedcontainers",
    "tblib",
    "toolz",
    "tornado",
    "zict",
    "zipp",
]
"""What ``pip install 'rppg[cluster]'`` added to the pinned environment (pip's own list)."""


def dataset(count: int, duration_s: float, size: tuple[int, int], cache: Path) -> Path:
    from rppg.synth.layouts import write_dataset
    from rppg.synth.spec import mixed_specs

    root = cache / f"batch{count}_{duration_s:g}s_{size[0]}x{size[1]}"
    if not root.is_dir():
        print(f"writing {root} ...", file=sys.stderr)
        specs = mixed_specs(count, seed=7, duration_s=duration_s, width=size[0], height=size[1])
        write_dataset(specs, root, "ubfc")
    return root


def measure(command: list[str]) -> dict:
    """Wall time (s) and peak summed RSS (MB) of a command and its children."""
    start = time.perf_counter()
    proc = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        rss = 0
        try:
            for p in [proc, *proc.children(recursive=True)]:
                rss += p.memory_info().rss
        except psutil.Error:  # a child ended between listing and reading
            pass
        peak = max(peak, rss)
        time.sleep(0.1)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode()
    return {"wall_s": wall, "peak_mb": peak / 2**20, "rc": proc.returncode, "stderr": stderr[-300:]}


CLUSTER_START = """
import logging, time
t = time.perf_counter()
from distributed import Client, LocalCluster
imported = time.perf_counter() - t
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                  silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
    client.wait_for_workers(2)
    up = time.perf_counter() - t
print(imported, up, time.perf_counter() - t)
"""


def cluster_start() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "start.py"  # a file: spawned workers re-import the main module
        body = "\n".join("    " + line for line in CLUSTER_START.splitlines())
        script.write_text(f"if __name__ == '__main__':\n{body}\n")
        out = subprocess.run([sys.executable, script], capture_output=True, text=True, check=True).stdout
    imported, up, closed = map(float, out.split())
    return {"import_s": imported, "up_s": up, "closed_s": closed}


def installed_mb(names: list[str]) -> float:
    total = 0
    for name in names:
        dist = metadata.distribution(name)
        paths = [dist.locate_file(f) for f in dist.files or []]
        total += sum(p.stat().st_size for p in paths if p.exists())
    return total / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24, help="recordings (default: 24)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds each (default: 30)")
    parser.add_argument("--size", default="640x480", help="WIDTHxHEIGHT (default: 640x480)")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "bench", help="where the set is kept")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    root = dataset(args.count, args.duration, size, args.cache)
    results = {}
    with tempfile.TemporaryDirectory() as out:
        for mode, flags in MODES.items():
            where = ["--root", str(root), "--out", f"{out}/{len(results)}"]
            command = [
                sys.executable,
                "-m",
                "rppg",
                *"evaluate --dataset ubfc --no-cache".split(),
                *where,
                *flags,
            ]
            results[mode] = measure(command)
            r = results[mode]
            print(f"{mode}: {r['wall_s']:.1f} s, {r['peak_mb']:.0f} MB", file=sys.stderr)
    start = cluster_start()
    size_mb = installed_mb(CLUSTER_PACKAGES)
    print(f"\n{args.count} recordings x {args.duration:g} s, {args.size}, default methods, no trace cache\n")
    print("| mode | wall (s) | peak memory, process tree (MB) |\n|---|---|---|")
    for mode, r in results.items():
        failed = "" if r["rc"] == 0 else f" (exit {r['rc']}: {r['stderr']})"
        print(f"| {mode} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} |{failed}")
    print(
        f"\nLocalCluster, 2 workers: import {start['import_s']:.2f} s, up {start['up_s']:.2f} s, "
        f"closed {start['closed_s']:.2f} s (from the start of the script)"
    )
    print(f"rppg[cluster] adds {len(CLUSTER_PACKAGES)} distributions, {size_mb:.0f} MB installed")
    if args.json:
        print(json.dumps({"modes": results, "cluster_start": start, "installed_mb": size_mb}))


if __name__ == "__main__":
    main()
