"""The synthetic scene: a face with a known pulse, rendered frame by frame.

A real face photograph (scikit-image's ``astronaut``) is placed on a textured background;
its skin pixels are modulated by a PPG-shaped wave (systolic peak, dicrotic notch, drifting
heart rate with beat-to-beat variation) along the skin's pulsatile colour direction. Options
add head motion, illumination drift and flicker, sensor noise, non-skin distractors (hair
and a background screen flickering at another frequency) and lossy compression.

    spec = SynthSpec(hr_bpm=75, duration_s=30, motion_px=3, noise_std=2)
    renderer = Renderer(spec); image = renderer.frame(1.0)    # BGR uint8 at t = 1 s
    t, ppg, hr = ground_truth(spec)                           # the contact-PPG reference

Writing it in a dataset's layout is :mod:`rppg.synth.layouts`.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from rppg.signal import PULSE_SIGNATURE_RGB
from rppg.synth.appearance import FACE, make_look
from rppg.synth.spec import SynthSpec

GENERATOR_VERSION = 3
"""Bump when the same spec renders differently: cached synthetic sets are then rebuilt."""


# --------------------------------------------------------------------------- pulse


def _waveform(u: np.ndarray) -> np.ndarray:
    """One PPG beat over phase u in [0, 1): systolic peak, notch, diastolic wave; zero mean,
    unit standard deviation."""

    def raw(v: np.ndarray) -> np.ndarray:
        return np.exp(-0.5 * ((v - 0.18) / 0.06) ** 2) + 0.5 * np.exp(-0.5 * ((v - 0.45) / 0.09) ** 2)

    grid = raw(np.linspace(0, 1, 1000, endpoint=False))
    return (raw(np.mod(u, 1.0)) - grid.mean()) / grid.std()


class PulseModel:
    """Heart rate, beats, PPG wave and respiration of a spec as functions of time (s).

    With ``rmssd_ms`` or ``resp_rate_bpm`` set, the wave is built beat by beat: each interval
    is 60 / the heart rate at its start (drift, slow variation and sinus arrhythmia), plus
    white noise of the given RMSSD; the systolic peaks then fall at :meth:`beat_times`.
    Without them the phase simply integrates the heart rate."""

    RSA_BPM = 3.0
    """Sinus arrhythmia at ``resp_depth`` 1: the heart rate swings +- this with each breath."""
    SYSTOLE = 0.18
    """Phase of the systolic peak within a beat (see ``_waveform``)."""

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
        self._hr = spec.hr_bpm + drift + hrv + self.RSA_BPM * spec.resp_depth * self.respiration(self._t)
        offset = rng.uniform()
        if spec.rmssd_ms > 0 or spec.resp_rate_bpm > 0:
            self._phase = self._beat_phase(rng, offset)
        else:
            self._phase = np.cumsum(self._hr / 60.0) * step + offset

    def _beat_phase(self, rng: np.random.Generator, offset: float) -> np.ndarray:
        """Phase (beats) at ``self._t`` from beats laid one interval after another."""
        noise_s = self.spec.rmssd_ms / 1000 / np.sqrt(2)  # white intervals: RMSSD = sqrt(2) sd
        starts = [self._t[0] - offset * 60 / self._hr[0]]
        while starts[-1] <= self._t[-1]:
            hr = np.interp(starts[-1], self._t, self._hr)
            starts.append(starts[-1] + max(0.25, 60.0 / hr + rng.normal(0, noise_s)))
        starts = np.array(starts)
        return np.interp(self._t, starts, np.arange(len(starts), dtype=float))

    def respiration(self, t: np.ndarray) -> np.ndarray:
        """Breathing, from -1 to 1, at times ``t`` (s); zeros without respiration."""
        if self.spec.resp_rate_bpm <= 0:
            return np.zeros_like(np.asarray(t, dtype=float))
        return np.sin(2 * np.pi * self.spec.resp_rate_bpm / 60.0 * np.asarray(t, dtype=float))

    def hr_bpm(self, t: np.ndarray) -> np.ndarray:
        """Instantaneous heart rate (bpm) at times ``t`` (s)."""
        return np.interp(t, self._t, self._hr)

    def wave(self, t: np.ndarray) -> np.ndarray:
        """Blood-volume wave (zero mean, unit std) at times ``t`` (s)."""
        return _waveform(np.interp(t, self._t, self._phase))

    def beat_times(self) -> np.ndarray:
        """Times (s) of the wave's systolic peaks within the recording."""
        k = np.arange(np.ceil(self._phase[0]), np.floor(self._phase[-1])) + self.SYSTOLE
        t = np.interp(k, self._phase, self._t)
        return t[(t >= 0) & (t <= self.spec.duration_s)]

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


class Renderer:
    """Renders frames of a spec at any time; also the skin map in frame coordinates."""

    def __init__(self, spec: SynthSpec) -> None:
        self.spec = spec
        self.pulse = PulseModel(spec)
        rng = np.random.default_rng(spec.seed)
        look = make_look(spec)
        scale = 0.85 * spec.height / look.photo.shape[0] * spec.face_scale
        self._scale = scale

        def fit(image: np.ndarray) -> np.ndarray:
            return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

        tone = np.array([spec.skin_tone, spec.skin_tone, spec.skin_tone**0.8], np.float32)
        self._photo = fit(look.photo) * tone  # darker skin stays reddish
        self._skin = fit(look.skin)
        non_skin = fit(look.non_skin)
        self._figure = fit(look.figure)
        self._specular = fit(look.specular) if spec.highlights > 0 else None
        direction = PULSE_SIGNATURE_RGB[::-1] / PULSE_SIGNATURE_RGB[1]  # BGR, green = 1
        self._skin_dir = (self._skin[..., None] * direction[None, None, :]).astype(np.float32)
        # Distractors change colour along the pulse's own direction: something else "pulsing"
        # at another rate, which a projection like POS cannot reject; only a region can.
        self._direction = direction.astype(np.float32)
        self._non_skin_dir = (non_skin[..., None] * direction[None, None, :]).astype(np.float32)
        ph, pw = self._photo.shape[:2]
        self._origin = ((spec.width - pw) / 2, spec.height - ph)
        self._background = self._make_background(rng, look.photo[look.skin > 0.9].mean(axis=0) * tone)
        self._shade = self._make_shadow(rng) if spec.shadow > 0 else None
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

    def _make_background(self, rng: np.random.Generator, skin_bgr: np.ndarray) -> np.ndarray:
        h, w = self.spec.height, self.spec.width
        grey = rng.uniform(70, 190, (4, 5, 1))
        low = (grey + rng.uniform(-25, 25, (4, 5, 3))).astype(np.float32)
        if self.spec.skin_coloured_wall:
            low = skin_bgr * rng.uniform(0.85, 1.1, (4, 5, 1)).astype(np.float32)
        bg = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
        texture = cv2.GaussianBlur(rng.normal(0, 12, (h, w, 3)).astype(np.float32), (0, 0), 3)
        return np.clip(bg + texture, 0, 255)

    def _make_shadow(self, rng: np.random.Generator) -> np.ndarray:
        """Light falling off across the frame (H, W, 1): a soft edge near the face's middle,
        on a random side, fixed in the room."""
        s = self.spec
        x = (np.arange(s.width, dtype=np.float32) - s.width / 2) / (0.06 * s.width)
        side = 1.0 if rng.random() < 0.5 else -1.0
        shade = 1.0 - s.shadow / (1.0 + np.exp(-side * x))
        return np.broadcast_to(shade[None, :, None], (s.height, s.width, 1)).astype(np.float32)

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
        breath = float(self.pulse.respiration(np.array([t]))[0]) * s.resp_depth
        wave *= 1.0 + 0.2 * breath  # breathing changes the pulse's amplitude ...
        light = (
            1.0 + s.illumination_drift * np.sin(2 * np.pi * 0.05 * t) + 0.003 * breath
        )  # ... and the level
        if s.flicker_amplitude:
            light *= 1.0 + s.flicker_amplitude * np.sin(2 * np.pi * s.flicker_hz * t)
        distract = s.distractor_amplitude * np.sin(2 * np.pi * self._distractor_hz * t)
        # Blood volume up -> more absorption -> darker skin: the wave enters with a minus.
        gain = 1.0 - s.pulse_amplitude * wave * self._skin_dir
        if distract:
            gain = gain + distract * self._non_skin_dir
        person = self._photo * gain
        if self._specular is not None:
            # The glints brighten and fade as the head turns: non-pulsing, moving light.
            person = person + self._specular * (1.0 + 0.6 * np.sin(2 * np.pi * s.motion_hz * 1.7 * t))
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
        if self._shade is not None:
            canvas *= self._shade
        if self._noise is not None:
            canvas += self._noise[self._rng.integers(len(self._noise))]
        return np.clip(canvas, 0, 255).astype(np.uint8)

    def skin_map(self, t: float) -> np.ndarray:
        """Where the pulse is, in frame pixels at time ``t``: float32 (H, W) in [0, 1]."""
        s = self.spec
        return cv2.warpAffine(self._skin, self._transform(t), (s.width, s.height), flags=cv2.INTER_LINEAR)

    def figure(self, t: float) -> np.ndarray:
        """Where the person is (head, face, shoulders) in frame pixels at ``t``: float32
        (H, W) in [0, 1]."""
        s = self.spec
        return cv2.warpAffine(self._figure, self._transform(t), (s.width, s.height), flags=cv2.INTER_LINEAR)

    def face_centre(self, t: float) -> tuple[float, float]:
        """The centre of the face (px, in frame pixels) at ``t``."""
        x, y = (c * self._scale for c in FACE[:2])
        m = self._transform(t)
        return (float(m[0, 0] * x + m[0, 1] * y + m[0, 2]), float(m[1, 0] * x + m[1, 1] * y + m[1, 2]))

    def frames(self, times: np.ndarray | None = None) -> Iterator[tuple[float, np.ndarray]]:
        """(t_s, image) for each frame time (default: the spec's own)."""
        for t in frame_times(self.spec) if times is None else times:
            yield float(t), self.frame(float(t))
