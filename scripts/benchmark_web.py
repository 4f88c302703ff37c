"""The live page's server, measured: start-up, frames per second sustained at 320x240, the
delay from a frame to the reading that includes it, memory over a long session, the size of
the ``rppg[web]`` extra, and a screenshot of the page (docs/live_browser.png).

    python scripts/benchmark_web.py                 # about 6 minutes on 2 cores
    python scripts/benchmark_web.py --minutes 60    # the memory over an hour of video

A WebSocket client stands in for the page: it sends the frames of a synthetic 320x240 video
(its known rate 75 bpm) with their capture times, exactly as the page does. Nothing is
asserted: the figures go to the README (scripts/readme_figures.py, section "browser").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
WEB_PACKAGES = [
    "aiohttp",
    "aiohappyeyeballs",
    "aiosignal",
    "attrs",
    "frozenlist",
    "multidict",
    "propcache",
    "yarl",
    "idna",
]


def start_server(*args: str) -> tuple[subprocess.Popen, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rppg", "live", "--browser", "--no-open", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    return proc, url, time.perf_counter() - t0


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def frames_of(video: Path) -> list[np.ndarray]:
    """The clip's frames as the page sends them: RGBA, 320x240."""
    import cv2

    from rppg.io import VideoFileSource

    with VideoFileSource(video) as src:
        return [cv2.cvtColor(f.image, cv2.COLOR_BGR2RGBA) for f in src]


def message(rgba: np.ndarray, t_s: float) -> bytes:
    from rppg.apps.web import HEADER

    h, w = rgba.shape[:2]
    return HEADER.pack(w, h, t_s) + rgba.tobytes()


async def stream(
    url: str, frames: list[np.ndarray], seconds: float, fps: float, paced: bool, on_reading=None
):
    """Send ``seconds`` of video (the clip looped) at ``fps``, in real time when ``paced``;
    returns (wall seconds, readings, send wall time per frame time)."""
    import aiohttp

    base, token = url.split("/?token=")
    sent: dict[float, float] = {}
    readings: list[tuple[float, dict]] = []
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(f"{base}/ws?token={token}", headers={"Origin": base}) as ws:
            await ws.receive_json()  # hello

            async def listen():
                async for msg in ws:
                    if (
                        msg.type == aiohttp.WSMsgType.TEXT
                        and (m := json.loads(msg.data))["type"] == "reading"
                    ):
                        readings.append((time.perf_counter(), m))
                        if on_reading:
                            on_reading(m)

            listener = asyncio.create_task(listen())
            start = time.perf_counter()
            n = int(seconds * fps)
            for i in range(n):
                t = i / fps
                if paced and (delay := t - (time.perf_counter() - start)) > 0:
                    await asyncio.sleep(delay)
                sent[round(t, 3)] = time.perf_counter()
                await ws.send_bytes(message(frames[i % len(frames)], t))
            last = round((n - 1) / fps, 3)
            while not readings or readings[-1][1]["t_s"] < last - 1.0:  # the last frames processed
                await asyncio.sleep(0.05)
            wall = time.perf_counter() - start
            listener.cancel()
    return wall, readings, sent


def measure_speed(url: str, frames) -> dict:
    wall, readings, _ = asyncio.run(stream(url, frames, 60.0, 30.0, paced=False))
    rates = [m["hr_bpm"] for _, m in readings if m["hr_bpm"] is not None]
    return {"fps": 60.0 * 30.0 / wall, "hr_bpm_median": float(np.median(rates))}


def measure_delay(url: str, frames) -> dict:
    _, readings, sent = asyncio.run(stream(url, frames, 30.0, 30.0, paced=True))
    delays = [1000 * (arrived - sent[m["t_s"]]) for arrived, m in readings if m["t_s"] in sent]
    return {"median_ms": float(np.median(delays)), "p95_ms": float(np.percentile(delays, 95))}


def measure_memory(url: str, frames, pid: int, minutes: float) -> list[tuple[float, float]]:
    samples = [(0.0, rss_mb(pid))]

    def sample(m: dict) -> None:
        if m["t_s"] >= samples[-1][0] + 60.0:
            samples.append((m["t_s"], rss_mb(pid)))

    asyncio.run(stream(url, frames, 60.0 * minutes, 30.0, paced=False, on_reading=sample))
    return samples


def installed_mb(packages: list[str]) -> float:
    from importlib import metadata

    total = 0
    for name in packages:
        dist = metadata.distribution(name)
        total += sum(
            (
                Path(dist.locate_file(f)).stat().st_size
                for f in dist.files or []
                if Path(dist.locate_file(f)).is_file()
            ),
            0,
        )
    return total / 1e6


def screenshot(path: Path, camera: Path) -> None:
    from playwright.sync_api import sync_playwright

    proc, url, _ = start_server()
    try:
        with sync_playwright() as p:
            flags = [
                "--no-sandbox",
                "--disable-gpu",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera}",
                "--disable-background-networking",
                "--no-first-run",
            ]
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True, args=flags
            )
            page = browser.new_page(viewport={"width": 1240, "height": 660})
            page.goto(url)
            page.wait_for_function(
                "window.rppg.readings.filter(r => r.hr_bpm !== null).length >= 8", timeout=120_000
            )
            page.screenshot(path=str(path))
            browser.close()
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0, help="video minutes of the memory run")
    p.add_argument("--screenshot", default=str(REPO / "docs" / "live_browser.png"))
    a = p.parse_args()
    from rppg.synth.layouts import write_recording, write_y4m
    from rppg.synth.spec import SynthSpec

    spec = SynthSpec(hr_bpm=75.0, duration_s=20.0, width=320, height=240, seed=31, hrv_bpm=0.5)
    with tempfile.TemporaryDirectory() as tmp:
        frames = frames_of(write_recording(spec, Path(tmp), "generic"))
        proc, url, startup = start_server()
        try:
            speed = measure_speed(url, frames)
            delay = measure_delay(url, frames)
            memory = measure_memory(url, frames, proc.pid, a.minutes)
        finally:
            proc.terminate()
            proc.wait()
        if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
            screenshot(Path(a.screenshot), write_y4m(spec, Path(tmp) / "camera.y4m"))
    print("| measurement | result |\n|---|---|")
    print(f"| server start-up (command to printed URL) | {startup:.2f} s |")
    print(
        f"| frames per second sustained, 320x240, one page | {speed['fps']:.0f} fps (rate read: "
        f"{speed['hr_bpm_median']:.1f} bpm for 75) |"
    )
    print(
        f"| delay from a frame to the reading that ends with it, 30 fps | {delay['median_ms']:.0f} ms "
        f"median, {delay['p95_ms']:.0f} ms p95 |"
    )
    first, last = memory[1] if len(memory) > 1 else memory[0], memory[-1]
    print(
        f"| server memory over {a.minutes:g} min of video | {first[1]:.0f} MB after {first[0] / 60:.0f} min, "
        f"{last[1]:.0f} MB after {last[0] / 60:.0f} min |"
    )
    print(
        f"| `rppg[web]` | {len(WEB_PACKAGES)} distributions, {installed_mb(WEB_PACKAGES):.1f} MB installed |"
    )


if __name__ == "__main__":
    main()
