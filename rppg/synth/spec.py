"""What defines a synthetic recording: a plain dataclass (cheap to import, e.g. for the
command line's defaults), and sets of them with mixed conditions.

    spec = SynthSpec(hr_bpm=75, duration_s=30, motion_px=3, noise_std=2)
    specs = mixed_specs(12, seed=6, width=320, height=240)
"""

from __future__ import annotations

from dataclasses import dataclass

HAIR_COLOURS = {
    "photo": None,
    "black": (25, 25, 30),
    "dark brown": (30, 45, 70),
    "blonde": (120, 175, 210),
    "red": (40, 70, 150),
    "grey": (150, 150, 150),
}
"""BGR of the hair at the photo's mean hair brightness; ``photo`` keeps her own."""


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
    """Standard deviation of slow heart-rate variation (bpm)."""
    rmssd_ms: float = 0.0
    """Beat-to-beat variation: the intervals get white noise of this RMSSD (ms); 0 = none, and
    the rate varies only slowly."""
    resp_rate_bpm: float = 0.0
    """Breaths per minute; 0 = no respiration. Breathing modulates the heart rate (sinus
    arrhythmia), the pulse's amplitude and the skin's brightness, by ``resp_depth``."""
    resp_depth: float = 1.0
    """Strength of the respiratory modulations: 1 = +-3 bpm, +-20 % amplitude, +-0.3 % level."""
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
    hair_colour: str = "photo"
    """A name of :data:`HAIR_COLOURS`: ``photo`` (her own), ``black``, ``dark brown``,
    ``blonde``, ``red`` or ``grey``."""
    beard: float = 0.0
    """Share of the lower face covered by dark stubble (0 = none, 1 = full beard)."""
    glasses: bool = False
    """Dark-rimmed glasses."""
    mouth_closed: bool = False
    """Lips closed over the smile's teeth, in a lip colour of their own (they do not pulse in
    the video: lips move when people talk)."""
    highlights: float = 0.0
    """Strength of specular glints on forehead, nose and cheekbones (0-1): bright, not
    pulsing, flickering as the head turns."""
    shadow: float = 0.0
    """Depth of a shadow over one side of the frame (0-0.7): fixed in the room, so the head
    moves under its edge."""
    skin_coloured_clothes: bool = False
    """Clothing in the skin's own colour (it pulses at the distractor's rate, if any)."""
    skin_coloured_wall: bool = False
    """A wall in the skin's own colour behind the person."""

    @property
    def frame_count(self) -> int:
        return int(round(self.duration_s * self.fps))

    def resolved_distractor_hz(self) -> float:
        if self.distractor_hz is not None:
            return self.distractor_hz
        f = self.hr_bpm / 60.0
        return f + 0.6 if f + 0.6 < 3.3 else f - 0.6


def beats_spec(seed: int, rmssd_ms: float, resp_rate_bpm: float) -> SynthSpec:
    """The beats, HRV and breathing benchmark's recording: 60 s at 320x240, 70 bpm, beat
    intervals varying with an RMSSD near ``rmssd_ms`` (ms), breathing at ``resp_rate_bpm``
    per minute, sensor noise 3 grey levels."""
    return SynthSpec(
        hr_bpm=70,
        duration_s=60,
        width=320,
        height=240,
        seed=seed,
        rmssd_ms=rmssd_ms,
        resp_rate_bpm=resp_rate_bpm,
        noise_std=3,
    )


def mixed_specs(n: int, seed: int = 0, looks: bool = False, **fixed) -> list[SynthSpec]:
    """``n`` specs with mixed conditions (heart rate 50-140 bpm, motion, noise, light drift
    and flicker, heart-rate drift, distractors), reproducible from ``seed``; with ``looks``,
    varied appearance too (hair colour, beard, glasses, highlights, shadow, skin-coloured
    clothes and wall: what a skin mask must learn to tell apart). ``fixed`` overrides fields
    for all (e.g. width, duration_s)."""
    import numpy as np  # here: the command line imports this module for its defaults

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
        if looks:
            varied |= varied_look(rng)
        specs.append(SynthSpec(**(varied | fixed)))
    return specs


def varied_look(rng) -> dict:
    """Random appearance fields of a :class:`SynthSpec` (each feature in a share of people)."""
    return dict(
        hair_colour=str(rng.choice(sorted(HAIR_COLOURS))),
        beard=float(rng.uniform(0.4, 1.0)) if rng.random() < 0.35 else 0.0,
        glasses=bool(rng.random() < 0.35),
        highlights=float(rng.uniform(0.3, 1.0)) if rng.random() < 0.6 else 0.0,
        shadow=float(rng.uniform(0.2, 0.6)) if rng.random() < 0.5 else 0.0,
        skin_coloured_clothes=bool(rng.random() < 0.35),
        skin_coloured_wall=bool(rng.random() < 0.35),
        mouth_closed=bool(rng.random() < 0.5),
    )
