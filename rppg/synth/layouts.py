"""Synthetic recordings written in each dataset layout, so that the loaders are exercised
end to end. Every layout is registered with its writer and its own recording names.

    path = write_recording(spec, "out/", "generic")        # out/synth.avi + out/synth.csv
    write_dataset(mixed_specs(6), "out/ubfc6", "ubfc")       # subject1 ... subject6 (spec.mixed_specs)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from rppg.errors import RppgError
from rppg.files import write_csv
from rppg.registry import Registry
from rppg.synth.scene import PulseModel, Renderer, frame_times, ground_truth
from rppg.synth.spec import SynthSpec

VIDEO_EXT = {"MJPG": ".avi", "XVID": ".avi", "I420": ".avi", "FFV1": ".avi", "mp4v": ".mp4"}


def write_video(spec: SynthSpec, path: str | os.PathLike, times: np.ndarray | None = None) -> Path:
    """Render ``spec`` into a video file (codec from the spec); returns the path."""
    images = (image for _, image in Renderer(spec).frames(times))
    return write_frames(images, path, spec.fps, (spec.width, spec.height), spec.codec, spec.quality)


def write_frames(
    images: Iterable[np.ndarray],
    path: str | os.PathLike,
    fps: float,
    size: tuple[int, int],
    codec: str = "MJPG",
    quality: int = 90,
) -> Path:
    """Write BGR frames of ``size`` (width, height px) into a video file with the FourCC
    ``codec`` (``quality``: MJPG's JPEG quality); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
    if not writer.isOpened():
        raise RppgError(f"{path}: cannot write video with codec {codec}")
    if codec == "MJPG":
        writer.set(cv2.VIDEOWRITER_PROP_QUALITY, quality)
    try:
        for image in images:
            writer.write(image)
    finally:
        writer.release()
    return path


def write_y4m(spec: SynthSpec, path: str | os.PathLike) -> Path:
    """Render ``spec`` into an uncompressed YUV4MPEG2 file (4:2:0), the format Chromium's
    fake camera plays (``--use-file-for-fake-video-capture``); width and height must be even."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    num, den = (int(round(spec.fps * 1000)), 1000)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{spec.width} H{spec.height} F{num}:{den} Ip A1:1 C420jpeg\n".encode())
        for _, image in Renderer(spec).frames():
            f.write(b"FRAME\n" + cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def write_spec(spec: SynthSpec, path: str | os.PathLike) -> None:
    """The spec and its true mean heart rate as JSON (tests and evaluation read it)."""
    meta = asdict(spec) | {"hr_bpm_mean": PulseModel(spec).mean_hr_bpm()}
    Path(path).write_text(json.dumps(meta, indent=2))


@dataclass(frozen=True)
class Layout:
    """How one dataset layout is written."""

    name: str
    write: Callable[[SynthSpec, Path, str], Path]
    """(spec, root, recording name) -> the recording's main path."""
    recording_name: Callable[[int], str]
    """Name of the i-th recording (from 0) of a synthetic dataset in this layout."""
    default_name: str
    """Name of a single recording written without one."""


LAYOUTS: Registry[Layout] = Registry("synthetic format")


def layout(name: str, recording_name: Callable[[int], str], default_name: str | None = None):
    """Register the decorated writer as layout ``name``."""

    def add(write: Callable[[SynthSpec, Path, str], Path]):
        LAYOUTS.register(name)(Layout(name, write, recording_name, default_name or recording_name(0)))
        return write

    return add


@layout("generic", lambda i: f"rec{i + 1:02d}", "synth")
def _write_generic(spec: SynthSpec, out: Path, name: str) -> Path:
    """``OUT/<name>.avi`` + ``OUT/<name>.csv`` (time_s, ppg, hr_bpm) + ``OUT/<name>.json``."""
    video = write_video(spec, out / f"{name}{VIDEO_EXT.get(spec.codec, '.avi')}")
    write_csv(out / f"{name}.csv", ["time_s", "ppg", "hr_bpm"], zip(*ground_truth(spec), strict=True), ".6f")
    write_spec(spec, out / f"{name}.json")
    return video


@layout("ubfc", lambda i: f"subject{i + 1}")
def _write_ubfc(spec: SynthSpec, out: Path, name: str) -> Path:
    """UBFC-rPPG DATASET_2: ``OUT/<name>/vid.avi`` + ``ground_truth.txt`` (PPG, HR, time)."""
    folder = out / name
    write_video(spec, folder / "vid.avi")
    t, ppg, hr = ground_truth(spec)
    with open(folder / "ground_truth.txt", "w") as f:
        for row in (ppg, hr, t):
            f.write(" ".join(f"{v:.6e}" for v in row) + "\n")
    write_spec(spec, folder / "synth.json")
    return folder


@layout("pure", lambda i: f"{i + 1:02d}-01")
def _write_pure(spec: SynthSpec, out: Path, name: str) -> Path:
    """PURE: ``OUT/<name>/<name>.json`` (ns timestamps, 60 Hz oximeter) + PNG frames
    ``OUT/<name>/<name>/Image<ns>.png`` captured at the spec's (jittered) frame times."""
    folder = out / name
    start_ns = 1_400_000_000_000_000_000 + spec.seed * 1_000_000_000
    times = frame_times(spec)
    stamps = [start_ns + int(round(t * 1e9)) for t in times]
    frames = folder / name
    frames.mkdir(parents=True, exist_ok=True)
    for (_, image), ns in zip(Renderer(spec).frames(times), stamps, strict=True):
        cv2.imwrite(str(frames / f"Image{ns}.png"), image)
    t, ppg, hr = ground_truth(replace(spec, ppg_fs=60.0))
    packages = [
        {
            "Timestamp": start_ns + int(round(x * 1e9)),
            "Value": {"waveform": float(w), "pulseRate": float(h), "o2saturation": 98, "signalStrength": 4},
        }
        for x, w, h in zip(t, ppg, hr, strict=True)
    ]
    meta = {"/FullPackage": packages, "/Image": [{"Timestamp": ns} for ns in stamps]}
    (folder / f"{name}.json").write_text(json.dumps(meta))
    write_spec(spec, folder / "synth.json")
    return folder


# DEAP's layout as its documentation gives it, written out here rather than imported from
# rppg.io.deap on purpose: the writer is an independent statement of the format, so a wrong
# constant in the loader (the plethysmograph's channel, the baseline) fails the tests
# instead of being mirrored by the data they read.
DEAP_FPS, DEAP_FS, DEAP_BASELINE, DEAP_SAMPLES = 50.0, 128.0, 384, 8064
DEAP_PLETH, DEAP_RESP, DEAP_TEMPERATURE = 38, 37, 39


def deap_experiment_order(participant: int) -> np.ndarray:
    """Experiment_id (1-40) of each presented trial 1-40: a fixed, non-identity shuffle."""
    return np.random.default_rng(participant).permutation(40) + 1


@layout("deap", lambda i: f"s{i + 1:02d}_trial01")
def _write_deap(spec: SynthSpec, out: Path, name: str) -> Path:
    """DEAP: ``face_video/sXX/sXX_trialYY.avi`` (50 fps), the pulse in channel 38 of
    ``data_preprocessed_python/sXX.dat`` at the trial's Experiment_id, after a 3 s baseline,
    and ``metadata_csv/participant_ratings.csv``. Channel 39 carries a decoy wave at another
    rate, so a loader reading the wrong channel or trial gets a wrong heart rate. Writing
    several trials of one participant adds them to the same ``.dat``."""
    import pickle

    match = re.match(r"^s(\d+)_trial(\d+)$", name)
    if not match:
        raise RppgError(f"deap recording names look like s01_trial05, got {name!r}")
    participant, trial = int(match.group(1)), int(match.group(2))
    spec = replace(spec, fps=DEAP_FPS, ppg_fs=DEAP_FS)
    subject = f"s{participant:02d}"
    video = write_video(spec, out / "face_video" / subject / f"{name}.avi")
    order = deap_experiment_order(participant)
    dat = out / "data_preprocessed_python" / f"{subject}.dat"
    dat.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed + 3000)
    if dat.exists():
        with open(dat, "rb") as f:
            content = pickle.load(f, encoding="latin1")
    else:
        content = {
            "data": rng.normal(0, 1, (40, 40, DEAP_SAMPLES)).astype(np.float32),
            "labels": rng.uniform(1, 9, (40, 4)).astype(np.float32),
        }
    t = (np.arange(DEAP_SAMPLES) - DEAP_BASELINE) / DEAP_FS
    model = PulseModel(replace(spec, duration_s=max(spec.duration_s, 60.0)))
    experiment = int(order[trial - 1])
    content["data"][experiment - 1, DEAP_PLETH] = model.wave(t - spec.ppg_lag_s)
    content["data"][experiment - 1, DEAP_PLETH, :DEAP_BASELINE] = rng.normal(0, 1, DEAP_BASELINE)
    content["data"][experiment - 1, DEAP_RESP] = model.respiration(t) + 0.05 * rng.normal(
        0, 1, len(t)
    )  # the belt
    decoy_hz = spec.resolved_distractor_hz()
    content["data"][experiment - 1, DEAP_TEMPERATURE] = np.sin(2 * np.pi * decoy_hz * t)
    with open(dat, "wb") as f:
        pickle.dump(content, f, protocol=2)
    ratings = out / "metadata_csv" / "participant_ratings.csv"
    ratings.parent.mkdir(parents=True, exist_ok=True)
    rows = [] if not ratings.exists() else ratings.read_text().splitlines()[1:]
    rows = [r for r in rows if int(r.split(",")[0]) != participant]
    rows += [f"{participant},{k + 1},{order[k]},5,5,5,5,5" for k in range(40)]
    header = "Participant_id,Trial,Experiment_id,Start_time,Valence,Arousal,Dominance,Liking"
    ratings.write_text("\n".join([header, *rows]) + "\n")
    write_spec(spec, video.with_suffix(".json"))
    return video


@layout("physrecorder", lambda i: f"rec{i + 1:02d}", "synth")
def _write_physrecorder(spec: SynthSpec, out: Path, name: str) -> Path:
    """PhysRecorder: ``OUT/<name>/video.avi`` + ``frames_timestamp.csv`` + ``BVP.csv``
    (unix seconds, one clock)."""
    folder = out / name
    start = 1_700_000_000.0
    times = frame_times(spec)
    write_video(spec, folder / "video.avi", times)
    stamps = zip(np.arange(len(times)), start + times, strict=True)
    write_csv(folder / "frames_timestamp.csv", ["frame", "timestamp"], stamps, ".6f")
    t, ppg, _ = ground_truth(spec)
    write_csv(folder / "BVP.csv", ["timestamp", "bvp"], zip(start + t, ppg, strict=True), ".6f")
    write_spec(spec, folder / "synth.json")
    return folder


def write_dataset(specs: list[SynthSpec], out: str | os.PathLike, fmt: str = "ubfc") -> list[Path]:
    """Write specs as one dataset in layout ``fmt`` (one subject or trial each)."""
    names = LAYOUTS.get(fmt).recording_name
    return [write_recording(spec, out, fmt, names(i)) for i, spec in enumerate(specs)]


def write_recording(
    spec: SynthSpec, out: str | os.PathLike, fmt: str = "generic", name: str | None = None
) -> Path:
    """Write one recording in dataset layout ``fmt`` under ``out``; returns its main path."""
    lay = LAYOUTS.get(fmt)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RppgError(f"{out}: cannot create folder ({exc.strerror})") from None
    return lay.write(spec, out, name or lay.default_name)
