"""The chain one frame at a time: push a frame, get the current heart rate (live mode).

    est = StreamingEstimator.from_config(cfg)
    for frame in source:
        reading = est.push(frame)    # LiveReading(t_s, hr_bpm or None while measuring, snr_db, fps)

The estimator composes the face stage (one frame at a time) and a trace builder that keeps
the last ``window_s + margin`` seconds of colour samples; once per ``hop_s`` of video time it
runs the offline pulse extraction (:func:`rppg.chain.pipeline.pulse_of`) on that buffer,
takes the spectra of the window ending at the newest frame and reads its rate by the
offline model one window at a time (:class:`rppg.signal.tracking.OnlineTracker`: the
forward pass of the continuity prior offline's Viterbi path uses), and rates it with the
same evidence (:func:`rppg.chain.quality.window_evidence`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rppg import signal
from rppg.chain import quality
from rppg.chain.methods import METHODS, Method
from rppg.chain.pipeline import pulse_of
from rppg.chain.quality import Rating
from rppg.chain.trace import FrameSample, TraceBuilder
from rppg.config import Config
from rppg.errors import RppgError
from rppg.face.multi import FacesStage
from rppg.face.stage import FaceCrop, FaceStage
from rppg.io.frames import Frame
from rppg.signal.tracking import OnlineTracker, rate_grid, window_powers

MARGIN_S = 4.0
"""Extra seconds of history filtered along with the window, so that the band-pass edges
fall outside the part the heart rate is read from."""


@dataclass
class LiveReading:
    """The estimator's state after one frame."""

    t_s: float
    """Video time of the frame (s)."""
    hr_bpm: float | None
    """Heart rate of the last window (bpm); None while measuring (less than one window)."""
    snr_db: float | None
    fps: float
    """Frames per second of video time over the last second."""
    quality: Rating
    """How far to trust ``hr_bpm`` (label and reasons; ``none`` while measuring)."""
    sample: FrameSample
    """The frame's face box, crop rectangle, crop and mask."""
    pulse: np.ndarray = field(default_factory=lambda: np.empty(0))
    """The most recent pulse (last window), for display."""
    pulse_t_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    """The times (s) of ``pulse``'s samples."""
    updated: bool = False
    """True on the frames where the heart rate was recomputed."""


class FrameRate:
    """Frames per second of video time over the last second. ``reset()`` starts over."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._times: deque[float] = deque()

    def push(self, t_s: float) -> float:
        """Count the frame at ``t_s`` (s); the rate (Hz) over the second up to it."""
        self._times.append(t_s)
        while self._times and self._times[0] <= t_s - 1.0:
            self._times.popleft()
        if len(self._times) < 2:
            return 0.0
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


class FaceEstimator:
    """One face's rate from its crops, one frame at a time: the trace buffer, the online
    tracker and the quality of the window ending now. ``reset()`` starts over."""

    def __init__(self, builder: TraceBuilder, method: Method, cfg: Config) -> None:
        self.builder = builder
        self.method = method
        self.cfg = cfg
        self.tracker = OnlineTracker(rate_grid(cfg.signal), cfg.signal)
        self.rate = FrameRate()
        self.reset()

    @classmethod
    def from_config(cls, cfg: Config, method: Method) -> FaceEstimator:
        history = cfg.signal.window_s + MARGIN_S
        builder = TraceBuilder.from_config(cfg, {method.weighting}, live=True, history_s=history)
        return cls(builder, method, cfg)

    def reset(self) -> None:
        self.builder.reset()
        self.tracker.reset()
        self.rate.reset()
        self._next_update: float | None = None
        self._hr: float | None = None
        self._snr: float | None = None
        self._quality = Rating("none", ["measuring"])
        self._recent: deque[tuple[float, float]] = deque()  # (t, own rate) of the last window length
        self._pulse = self._pulse_t = np.empty(0)
        self._t0: float | None = None

    def push(self, fc: FaceCrop) -> LiveReading:
        """This frame's crop of the face (found or not); the reading after it."""
        sample = self.builder.push(fc)
        t = fc.t_s
        self._t0 = t if self._t0 is None else self._t0
        fps = self.rate.push(t)
        updated = False
        sig = self.cfg.signal
        # The first reading comes once a whole window is in, give or take half a frame: frame
        # times are quantised, and 10 s of a 30 fps video ends at 9.983 s.
        if t - self._t0 >= sig.window_s - 0.5 / max(fps, 1.0):
            if self._next_update is None or t >= self._next_update - 1e-6:
                self._update(t)
                updated = True
                self._next_update = t + sig.hop_s
        return LiveReading(
            t, self._hr, self._snr, fps, self._quality, sample, self._pulse, self._pulse_t, updated
        )

    def _update(self, t: float) -> None:
        trace = self.builder.trace()
        try:
            p = pulse_of(trace, self.method, self.cfg, name="live")
        except RppgError as exc:  # no face in the buffer yet, or too little of it: start afresh
            self.tracker.reset()
            self._recent.clear()
            self._hr, self._snr, self._pulse, self._pulse_t = None, None, np.empty(0), np.empty(0)
            self._quality = Rating("none", [str(exc).removeprefix("live: ")])
            return
        sig = self.cfg.signal
        wlen = int(round(sig.window_s * p.fs))
        last = np.array([len(p.pulse)])
        powers = [window_powers(x, p.fs, last, wlen, self.tracker.bpm, sig)[0] for x in p.pulses]
        hr, snr, own = self.tracker.push(powers)
        self._hr, self._snr = hr, None if np.isnan(snr) else snr
        self._pulse, self._pulse_t = p.pulse[-wlen:], p.t_s[-wlen:]
        while self._recent and self._recent[0][0] < t - sig.window_s:
            self._recent.popleft()
        past = np.array([*self._recent, (t, own)], dtype=float)  # (K, 2): time, own rate
        self._recent.append((t, own))
        k = len(past)
        window = signal.HrSeries(past[:, 0], np.full(k, hr), np.full(k, snr), past[:, 1])
        evidence = quality.window_evidence(window, trace, sig.window_s, which=[k - 1])[0]
        self._quality = quality.rate(evidence, self.cfg.quality)


class StreamingEstimator:
    """Push frames one by one; get the current heart rate. ``reset()`` starts over.

    Several faces (``face.max_faces`` other than 1): every face followed has an estimator of
    its own, from the frame its track begins; :attr:`readings` holds each face's reading of
    the last frame, and :meth:`push` returns the main face's (the one followed longest)."""

    def __init__(self, face: FaceStage | FacesStage, make: Callable[[], FaceEstimator]) -> None:
        self.face = face
        self.make = make
        self.rate = FrameRate()
        self.reset()

    @classmethod
    def from_config(cls, cfg: Config, method: str | None = None) -> StreamingEstimator:
        m = METHODS.get(method or cfg.method)
        stage = FaceStage.from_config(cfg.face) if cfg.face.max_faces == 1 else FacesStage(cfg.face)
        return cls(stage, lambda: FaceEstimator.from_config(cfg, m))

    def reset(self) -> None:
        self.face.reset()
        self.rate.reset()
        self.estimators: dict[int, FaceEstimator] = {}
        self.readings: dict[int, LiveReading] = {}
        """{face id: its reading after the last frame} of the faces followed now (one face:
        id 1, always there)."""

    def push(self, frame: Frame) -> LiveReading:
        fps = self.rate.push(frame.t_s)
        crops = self.face.push(frame) if isinstance(self.face, FacesStage) else {1: self.face.push(frame)}
        for face_id in [i for i in self.estimators if i not in crops]:
            del self.estimators[face_id]
        self.readings = {i: self._estimator(i).push(fc) for i, fc in crops.items()}
        if not self.readings:
            return LiveReading(
                frame.t_s, None, None, fps, Rating("none", ["no face"]), FrameSample(FaceCrop(frame.t_s))
            )
        return self.readings[min(self.readings)]

    def _estimator(self, face_id: int) -> FaceEstimator:
        if face_id not in self.estimators:
            self.estimators[face_id] = self.make()
        return self.estimators[face_id]

    def close(self) -> None:
        self.face.close()
