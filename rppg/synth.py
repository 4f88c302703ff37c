"""Synthetic face videos with a known pulse, written in any supported dataset layout.

A real face photograph (scikit-image's ``astronaut``) is placed on a textured background;
its skin pixels are modulated by a PPG-shaped wave (systolic peak, dicrotic notch, drifting
heart rate with beat-to-beat variation) along the skin's pulsatile colour direction. Options
add head motion, illumination drift and flicker, sensor noise, non-skin distractors (hair
and a background screen flickering at another frequency) and lossy compression.

    spec = SynthSpec(hr_bpm=75, duration_s=30, motion_px=3, noise_std=2)
    path = write_recording(spec, "out/", fmt="generic")      # out/synth.avi + out/synth.csv
    renderer = Renderer(spec); image = renderer.frame(1.0)    # BGR uint8 at t = 1 s
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from rppg.errors import RppgError
from rppg.registry import Registry
from rppg.signal import PULSE_SIGNATURE_RGB

GENERATOR_VERSION = 2
"""Bump when the same spec renders differently: cached synthetic sets are then rebuilt."""
# Region of the astronaut photo used (rows, cols) and the face/hair ellipses inside it.
_PHOTO_ROWS, _PHOTO_COLS = slice(0, 300), slice(90, 360)
_FACE_ELLIPSE = (225 - 90, 132, 46, 60)  # cx, cy, ax, ay in photo-crop pixels
_HEAD_ELLIPSE = (226 - 90, 80, 76, 68)


@dataclass
class SynthSpec:
    """Everything that defines one synthetic recording; the same spec gives the same video."""

    hr_bpm: float = 72.0
    """Mean heart rate (bpm)."""
    duration_s: float = 30.0
    fps: float = 30.0
    width: int = 640
    height: int = 480
    seed: int = 0
    hr_drift_bpm: float = 0.0
    """Linear change of heart rate from start to end (bpm)."""
    hrv_bpm: float = 1.0
    """Standard deviation of slow beat-to-beat variation (bpm)."""
    pulse_amplitude: float = 0.004
    """Relative change of the green channel of skin over one pulse (0.004 = 0.4 %)."""
    motion_px: float = 2.0
    """Amplitude of slow head sway (px at 640x480)."""
    motion_hz: float = 0.15
    illumination_drift: float = 0.03
    """Relative amplitude of a slow brightness drift."""
    flicker_amplitude: float = 0.0
    """Relative amplitude of whole-scene light flicker at ``flicker_hz``."""
    flicker_hz: float = 0.0
    noise_std: float = 2.0
    """Sensor noise standard deviation (grey levels)."""
    distractor_amplitude: float = 0.0
    """Relative colour change (along the pulse's colour direction) of the hair and the wall
    behind the head, and twice that of a background screen, at ``distractor_hz``: non-skin
    regions that pulse, which a projection cannot reject and only a region can."""
    distractor_hz: float | None = None
    """Distractor frequency (Hz); None = 0.6 Hz away from the heart rate, inside the band."""
    ppg_lag_s: float = 0.0
    """Delay of the contact PPG behind the face signal (s)."""
    ppg_fs: float = 64.0
    """Sampling rate of the written ground-truth pulse (Hz)."""
    timestamp_jitter_s: float = 0.0
    """Standard deviation of frame capture-time jitter (s), for layouts that store times."""
    codec: str = "MJPG"
    """FourCC of the written video: MJPG (lossy), mp4v, XVID, I420 (uncompressed)."""
    quality: int = 90
    """JPEG quality for MJPG."""
    face_scale: float = 1.0
    """Size of the person relative to the default framing."""
    skin_tone: float = 1.0
    """Brightness of the person (1 = the photo; 0.4 = much darker skin and hair)."""

    @property
    def frame_count(self) -> int:
        return int(round(self.duration_s * self.fps))

    def resolved_distractor_hz(self) -> float:
        if self.distractor_hz is not None:
            return self.distractor_hz
        f = self.hr_bpm / 60.0
        return f + 0.6 if f + 0.6 < 3.3 else f - 0.6


# --------------------------------------------------------------------------- pulse


def _waveform(u: np.ndarray) -> np.ndarray:
    """One PPG beat over phase u in [0, 1): systolic peak, notch, diastolic wave; zero mean,
    unit standard deviation."""

    def raw(v: np.ndarray) -> np.ndarray:
        return np.exp(-0.5 * ((v - 0.18) / 0.06) ** 2) + 0.5 * np.exp(-0.5 * ((v - 0.45) / 0.09) ** 2)

    grid = raw(np.linspace(0, 1, 1000, endpoint=False))
    return (raw(np.mod(u, 1.0)) - grid.mean()) / grid.std()


class PulseModel:
    """Heart rate and PPG wave of a spec as functions of time (s)."""

    def __init__(self, spec: SynthSpec) -> None:
        self.spec = spec
        rng = np.random.default_rng(spec.seed + 1000)
        step = 1e-3
        self._t = np.arange(-2.0, spec.duration_s + 2.0, step)
        hrv = np.zeros_like(self._t)
        for _ in range(4):
            f = rng.uniform(0.03, 0.3)
            hrv += np.sin(2 * np.pi * f * self._t + rng.uniform(0, 2 * np.pi))
        hrv *= spec.hrv_bpm / max(hrv.std(), 1e-9)
        drift = spec.hr_drift_bpm * (self._t / max(spec.duration_s, 1e-9) - 0.5)
        self._hr = spec.hr_bpm + drift + hrv
        self._phase = np.cumsum(self._hr / 60.0) * step + rng.uniform()

    def hr_bpm(self, t: np.ndarray) -> np.ndarray:
        """Instantaneous heart rate (bpm) at times ``t`` (s)."""
        return np.interp(t, self._t, self._hr)

    def wave(self, t: np.ndarray) -> np.ndarray:
        """Blood-volume wave (zero mean, unit std) at times ``t`` (s)."""
        return _waveform(np.interp(t, self._t, self._phase))

    def mean_hr_bpm(self) -> float:
        inside = (self._t >= 0) & (self._t <= self.spec.duration_s)
        return float(self._hr[inside].mean())


def ground_truth(spec: SynthSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contact-PPG ground truth: times (s), wave, instantaneous HR (bpm), at ``ppg_fs`` Hz.

    The wave is the blood-volume wave delayed by ``ppg_lag_s``: as with a finger oximeter.
    """
    model = PulseModel(spec)
    t = np.arange(0.0, spec.duration_s, 1.0 / spec.ppg_fs)
    return t, model.wave(t - spec.ppg_lag_s), model.hr_bpm(t - spec.ppg_lag_s)


def frame_times(spec: SynthSpec) -> np.ndarray:
    """Capture times (s) of the frames: k / fps plus jitter, kept increasing."""
    t = np.arange(spec.frame_count) / spec.fps
    if spec.timestamp_jitter_s > 0:
        rng = np.random.default_rng(spec.seed + 2000)
        jitter = rng.normal(0.0, spec.timestamp_jitter_s, len(t))
        t = t + np.clip(jitter, -0.4 / spec.fps, 0.4 / spec.fps)
        t[0] = 0.0
    return t


# --------------------------------------------------------------------------- scene


@lru_cache(maxsize=1)
def _photo_and_maps() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The face photo crop (BGR float32), its soft skin map, and its soft map of non-skin
    regions next to the face (hair and the wall behind the head) (float32 in [0, 1])."""
    from skimage import data

    photo = np.ascontiguousarray(data.astronaut()[_PHOTO_ROWS, _PHOTO_COLS, ::-1])
    h, w = photo.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    ycc = cv2.cvtColor(photo, cv2.COLOR_BGR2YCrCb).astype(int)
    sat = cv2.cvtColor(photo, cv2.COLOR_BGR2HSV)[..., 1].astype(int)

    def ellipse(cx: float, cy: float, ax: float, ay: float) -> np.ndarray:
        return ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 <= 1

    face = ellipse(*_FACE_ELLIPSE)
    skin_colour = (
        (ycc[..., 1] >= 135)
        & (ycc[..., 1] <= 180)
        & (ycc[..., 2] >= 80)
        & (ycc[..., 2] <= 130)
        & (ycc[..., 0] > 70)
    )
    skin = (face & skin_colour).astype(np.float32)
    hair = ellipse(*_HEAD_ELLIPSE) & ~face & (sat > 60) & (yy < 150)
    value = photo.max(axis=2).astype(int)
    wall = ~ellipse(*_HEAD_ELLIPSE) & ~face & (sat < 45) & (value > 120) & (yy < 170)
    skin = cv2.GaussianBlur(skin, (5, 5), 1.0)
    non_skin = cv2.GaussianBlur((hair | wall).astype(np.float32), (5, 5), 1.0)
    return photo.astype(np.float32), skin, non_skin


class Renderer:
    """Renders frames of a spec at any time; also the skin map in frame coordinates."""

    def __init__(self, spec: SynthSpec) -> None:
        self.spec = spec
        self.pulse = PulseModel(spec)
        rng = np.random.default_rng(spec.seed)
        photo, skin, non_skin = _photo_and_maps()
        scale = 0.85 * spec.height / photo.shape[0] * spec.face_scale
        self._scale = scale
        self._photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        tone = spec.skin_tone
        self._photo *= np.array([tone, tone, tone**0.8], np.float32)  # darker skin stays reddish
        self._skin = cv2.resize(skin, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        non_skin = cv2.resize(non_skin, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        direction = PULSE_SIGNATURE_RGB[::-1] / PULSE_SIGNATURE_RGB[1]  # BGR, green = 1
        self._skin_dir = (self._skin[..., None] * direction[None, None, :]).astype(np.float32)
        # Distractors change colour along the pulse's own direction: something else "pulsing"
        # at another rate, which a projection like POS cannot reject; only a region can.
        self._direction = direction.astype(np.float32)
        self._non_skin_dir = (non_skin[..., None] * direction[None, None, :]).astype(np.float32)
        ph, pw = self._photo.shape[:2]
        self._origin = ((spec.width - pw) / 2, spec.height - ph)
        self._background = self._make_background(rng)
        sw, sh = spec.width // 6, spec.height // 6
        self._screen = (slice(sh // 2, sh // 2 + sh), slice(spec.width - sw - sw // 3, spec.width - sw // 3))
        self._noise = (
            [
                rng.normal(0.0, spec.noise_std, (spec.height, spec.width, 3)).astype(np.float32)
                for _ in range(8)
            ]
            if spec.noise_std > 0
            else None
        )
        self._rng = rng
        self._motion_phase = rng.uniform(0, 2 * np.pi, 3)
        self._distractor_hz = spec.resolved_distractor_hz()

    def _make_background(self, rng: np.random.Generator) -> np.ndarray:
        h, w = self.spec.height, self.spec.width
        grey = rng.uniform(70, 190, (4, 5, 1))
        low = (grey + rng.uniform(-25, 25, (4, 5, 3))).astype(np.float32)
        bg = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
        texture = cv2.GaussianBlur(rng.normal(0, 12, (h, w, 3)).astype(np.float32), (0, 0), 3)
        return np.clip(bg + texture, 0, 255)

    def _transform(self, t: float) -> np.ndarray:
        """2x3 affine photo -> frame at time t: head sway and slight rotation."""
        s = self.spec
        a = s.motion_px * s.width / 640.0
        ph = self._motion_phase
        w = 2 * np.pi * s.motion_hz
        dx = a * np.sin(w * t + ph[0])
        dy = 0.5 * a * np.sin(1.3 * w * t + ph[1])
        angle = 0.3 * s.motion_px * np.sin(0.7 * w * t + ph[2])  # degrees
        ph_h, ph_w = self._photo.shape[:2]
        m = cv2.getRotationMatrix2D((ph_w / 2, ph_h / 2), angle, 1.0)
        m[0, 2] += self._origin[0] + dx
        m[1, 2] += self._origin[1] + dy
        return m

    def frame(self, t: float) -> np.ndarray:
        """The BGR uint8 frame at time ``t`` (s)."""
        s = self.spec
        wave = float(self.pulse.wave(np.array([t]))[0])
        light = 1.0 + s.illumination_drift * np.sin(2 * np.pi * 0.05 * t)
        if s.flicker_amplitude:
            light *= 1.0 + s.flicker_amplitude * np.sin(2 * np.pi * s.flicker_hz * t)
        distract = s.distractor_amplitude * np.sin(2 * np.pi * self._distractor_hz * t)
        # Blood volume up -> more absorption -> darker skin: the wave enters with a minus.
        gain = 1.0 - s.pulse_amplitude * wave * self._skin_dir
        if distract:
            gain = gain + distract * self._non_skin_dir
        person = self._photo * gain
        canvas = self._background * light
        if distract:
            canvas[self._screen] *= 1.0 + 2.0 * distract * self._direction
        cv2.warpAffine(
            person * light,
            self._transform(t),
            (s.width, s.height),
            dst=canvas,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        if self._noise is not None:
            canvas += self._noise[self._rng.integers(len(self._noise))]
        return np.clip(canvas, 0, 255).astype(np.uint8)

    def skin_map(self, t: float) -> np.ndarray:
        """Where the pulse is, in frame pixels at time ``t``: float32 (H, W) in [0, 1]."""
        s = self.spec
        return cv2.warpAffine(self._skin, self._transform(t), (s.width, s.height), flags=cv2.INTER_LINEAR)

    def frames(self, times: np.ndarray | None = None) -> Iterator[tuple[float, np.ndarray]]:
        """(t_s, image) for each frame time (default: the spec's own)."""
        for t in frame_times(self.spec) if times is None else times:
            yield float(t), self.frame(float(t))


# --------------------------------------------------------------------------- writing

VIDEO_EXT = {"MJPG": ".avi", "XVID": ".avi", "I420": ".avi", "FFV1": ".avi", "mp4v": ".mp4"}


def write_video(spec: SynthSpec, path: str | os.PathLike, times: np.ndarray | None = None) -> Path:
    """Render ``spec`` into a video file (codec from the spec); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*spec.codec), spec.fps, (spec.width, spec.height)
    )
    if not writer.isOpened():
        raise RppgError(f"{path}: cannot write video with codec {spec.codec}")
    if spec.codec == "MJPG":
        writer.set(cv2.VIDEOWRITER_PROP_QUALITY, spec.quality)
    try:
        for _, image in Renderer(spec).frames(times):
            writer.write(image)
    finally:
        writer.release()
    return path


def write_frames(spec: SynthSpec, folder: str | os.PathLike, name: Callable[[int, float], str]) -> Path:
    """Render ``spec`` as lossless PNG images named ``name(index, t_s)``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, (t, image) in enumerate(Renderer(spec).frames()):
        cv2.imwrite(str(folder / name(i, t)), image)
    return folder


def write_spec(spec: SynthSpec, path: str | os.PathLike) -> None:
    """The spec and its true mean heart rate as JSON (tests and evaluation read it)."""
    meta = asdict(spec) | {"hr_bpm_mean": PulseModel(spec).mean_hr_bpm()}
    Path(path).write_text(json.dumps(meta, indent=2))


Writer = Callable[[SynthSpec, Path, str], Path]
WRITERS: Registry[Writer] = Registry("synthetic format")


@WRITERS.register("generic")
def _write_generic(spec: SynthSpec, out: Path, name: str) -> Path:
    """``OUT/<name>.avi`` + ``OUT/<name>.csv`` (time_s, ppg, hr_bpm) + ``OUT/<name>.json``."""
    video = write_video(spec, out / f"{name}{VIDEO_EXT.get(spec.codec, '.avi')}")
    t, ppg, hr = ground_truth(spec)
    np.savetxt(
        out / f"{name}.csv",
        np.column_stack([t, ppg, hr]),
        delimiter=",",
        header="time_s,ppg,hr_bpm",
        comments="",
        fmt="%.6f",
    )
    write_spec(spec, out / f"{name}.json")
    return video


@WRITERS.register("ubfc")
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


@WRITERS.register("pure")
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
        {"Timestamp": start_ns + int(round(x * 1e9)), "Value": {"waveform": float(w), "pulseRate": float(h),
         "o2saturation": 98, "signalStrength": 4}}
        for x, w, h in zip(t, ppg, hr, strict=True)
    ]  # fmt: skip
    meta = {"/FullPackage": packages, "/Image": [{"Timestamp": ns} for ns in stamps]}
    (folder / f"{name}.json").write_text(json.dumps(meta))
    write_spec(spec, folder / "synth.json")
    return folder


DEAP_FPS, DEAP_FS, DEAP_BASELINE, DEAP_SAMPLES = 50.0, 128.0, 384, 8064


def deap_experiment_order(participant: int) -> np.ndarray:
    """Experiment_id (1-40) of each presented trial 1-40: a fixed, non-identity shuffle."""
    return np.random.default_rng(participant).permutation(40) + 1


@WRITERS.register("deap")
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
        content = {"data": rng.normal(0, 1, (40, 40, DEAP_SAMPLES)).astype(np.float32),
                   "labels": rng.uniform(1, 9, (40, 4)).astype(np.float32)}  # fmt: skip
    t = (np.arange(DEAP_SAMPLES) - DEAP_BASELINE) / DEAP_FS
    model = PulseModel(replace(spec, duration_s=max(spec.duration_s, 60.0)))
    experiment = int(order[trial - 1])
    content["data"][experiment - 1, 38] = model.wave(t - spec.ppg_lag_s)
    content["data"][experiment - 1, 38, :DEAP_BASELINE] = rng.normal(0, 1, DEAP_BASELINE)
    decoy_hz = spec.resolved_distractor_hz()
    content["data"][experiment - 1, 39] = np.sin(2 * np.pi * decoy_hz * t)
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


@WRITERS.register("physrecorder")
def _write_physrecorder(spec: SynthSpec, out: Path, name: str) -> Path:
    """PhysRecorder: ``OUT/<name>/video.avi`` + ``frames_timestamp.csv`` + ``BVP.csv``
    (unix seconds, one clock)."""
    folder = out / name
    start = 1_700_000_000.0
    times = frame_times(spec)
    write_video(spec, folder / "video.avi", times)
    rows = "\n".join(f"{i},{start + t:.6f}" for i, t in enumerate(times))
    (folder / "frames_timestamp.csv").write_text("frame,timestamp\n" + rows + "\n")
    t, ppg, _ = ground_truth(spec)
    rows = "\n".join(f"{start + x:.6f},{w:.6f}" for x, w in zip(t, ppg, strict=True))
    (folder / "BVP.csv").write_text("timestamp,bvp\n" + rows + "\n")
    write_spec(spec, folder / "synth.json")
    return folder


def mixed_specs(n: int, seed: int = 0, **fixed) -> list[SynthSpec]:
    """``n`` specs with mixed conditions (heart rate 50-140 bpm, motion, noise, light drift
    and flicker, heart-rate drift, distractors), reproducible from ``seed``; ``fixed``
    overrides fields for all (e.g. width, duration_s)."""
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(n):
        varied = dict(
            hr_bpm=float(rng.uniform(50, 140)),
            seed=seed * 1000 + i,
            motion_px=float(rng.uniform(0.5, 5.0)),
            noise_std=float(rng.uniform(1.0, 4.0)),
            illumination_drift=float(rng.uniform(0.0, 0.06)),
            flicker_amplitude=float(rng.choice([0.0, 0.0, 0.01])),
            flicker_hz=float(rng.uniform(4.0, 6.0)),
            hr_drift_bpm=float(rng.uniform(-6, 6)),
            hrv_bpm=float(rng.uniform(0.5, 2.0)),
            pulse_amplitude=float(rng.uniform(0.003, 0.006)),
            distractor_amplitude=float(rng.choice([0.0, 0.0, 0.002])),
            ppg_lag_s=float(rng.uniform(0.0, 0.3)),
            skin_tone=float(rng.uniform(0.45, 1.0)),
        )
        specs.append(SynthSpec(**(varied | fixed)))
    return specs


def write_dataset(specs: list[SynthSpec], out: str | os.PathLike, fmt: str = "ubfc") -> list[Path]:
    """Write specs as one dataset in layout ``fmt`` (one subject or trial each)."""
    names = {
        "ubfc": lambda i: f"subject{i + 1}",
        "pure": lambda i: f"{i + 1:02d}-01",
        "deap": lambda i: f"s{i + 1:02d}_trial01",
    }.get(fmt, lambda i: f"rec{i + 1:02d}")
    return [write_recording(spec, out, fmt, names(i)) for i, spec in enumerate(specs)]


def write_recording(
    spec: SynthSpec, out: str | os.PathLike, fmt: str = "generic", name: str | None = None
) -> Path:
    """Write one recording in dataset layout ``fmt`` under ``out``; returns its main path."""
    writer = WRITERS.get(fmt)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RppgError(f"{out}: cannot create folder ({exc.strerror})") from None
    default_name = {"ubfc": "subject1", "pure": "01-01", "deap": "s01_trial01"}.get(fmt, "synth")
    return writer(spec, out, name or default_name)
