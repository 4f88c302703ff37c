"""Several synthetic people in one frame, each with a pulse of their own.

    crowd = CrowdSpec([Person(SynthSpec(hr_bpm=62), x_px=0),
                       Person(SynthSpec(hr_bpm=85, seed=1), x_px=300, enter_s=4)])
    write_crowd(crowd, "crowd.avi")
    crowd_truth(crowd)        # [(first s, last s, mean bpm) of each person in frame]

Each person is one :class:`rppg.synth.scene.Renderer` (their own look, sway and pulse),
rendered at the crowd's height and ``width_px`` wide, cut out along their figure (head,
face and shoulders) and laid over one shared wall; later people stand in front. A person can
walk (keyframes of their left edge), enter late, leave early and step out for a while.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from rppg.io.frames import Frame, FrameSource
from rppg.synth.layouts import write_frames
from rppg.synth.scene import Renderer
from rppg.synth.spec import SynthSpec


@dataclass
class Person:
    """One person of a crowd: who they are (their spec's look and pulse) and where."""

    spec: SynthSpec
    """Their look, pulse and sway; its size and frame rate are replaced by the crowd's."""
    x_px: float
    """Left edge of their picture in the crowd's frame (px)."""
    width_px: int = 320
    """Width of their picture (px); its height is the crowd's."""
    enter_s: float = 0.0
    leave_s: float = float("inf")
    away_s: tuple[float, float] | None = None
    """A spell (start, end in s) out of the frame in the middle."""
    path: tuple[tuple[float, float], ...] = ()
    """Keyframes (t_s, x_px) of a walk: the left edge moves linearly between them and stays
    at the first before it and the last after it; empty: they stand at ``x_px``."""

    def x_at(self, t: float) -> float:
        if not self.path:
            return self.x_px
        times, xs = zip(*self.path, strict=True)
        return float(np.interp(t, times, xs))

    def present(self, t: float) -> bool:
        away = self.away_s is not None and self.away_s[0] <= t < self.away_s[1]
        return self.enter_s <= t < self.leave_s and not away


@dataclass
class CrowdSpec:
    """A crowd scene: the people, and the frame they share."""

    people: list[Person]
    width: int = 960
    height: int = 240
    fps: float = 30.0
    duration_s: float = 20.0
    seed: int = 0
    noise_std: float = 2.0
    """Sensor noise of the wall (each person's own spec sets theirs)."""
    codec: str = "MJPG"
    quality: int = 90

    def renderers(self) -> list[Renderer]:
        return [
            Renderer(replace(p.spec, width=p.width_px, height=self.height, fps=self.fps)) for p in self.people
        ]


def _wall(crowd: CrowdSpec) -> np.ndarray:
    rng = np.random.default_rng(crowd.seed + 5000)
    low = rng.uniform(80, 180, (4, 8, 1)) + rng.uniform(-20, 20, (4, 8, 3))
    wall = cv2.resize(low.astype(np.float32), (crowd.width, crowd.height), interpolation=cv2.INTER_CUBIC)
    texture = cv2.GaussianBlur(rng.normal(0, 10, wall.shape).astype(np.float32), (0, 0), 3)
    return np.clip(wall + texture, 0, 255)


def crowd_frames(crowd: CrowdSpec) -> Iterator[tuple[float, np.ndarray]]:
    """(t_s, BGR uint8 frame) of the scene, one at a time."""
    wall = _wall(crowd)
    renderers = crowd.renderers()
    rng = np.random.default_rng(crowd.seed + 6000)
    for k in range(int(round(crowd.duration_s * crowd.fps))):
        t = k / crowd.fps
        canvas = wall.copy()
        if crowd.noise_std > 0:
            canvas += rng.normal(0.0, crowd.noise_std, canvas.shape).astype(np.float32)
        for person, renderer in zip(crowd.people, renderers, strict=True):
            if person.present(t):
                _lay(canvas, renderer.frame(t).astype(np.float32), renderer.figure(t), round(person.x_at(t)))
        yield t, np.clip(canvas, 0, 255).astype(np.uint8)


def _lay(canvas: np.ndarray, image: np.ndarray, alpha: np.ndarray, x0: int) -> None:
    """Lay ``image`` over ``canvas`` with its left edge at ``x0``, weighted by ``alpha``."""
    lo, hi = max(x0, 0), min(x0 + image.shape[1], canvas.shape[1])
    if hi <= lo:
        return
    a = alpha[:, lo - x0 : hi - x0, None]
    canvas[:, lo:hi] = canvas[:, lo:hi] * (1 - a) + image[:, lo - x0 : hi - x0] * a


def face_centres(crowd: CrowdSpec, times: np.ndarray) -> np.ndarray:
    """Where each person's face is: (len(times), people, 2) px in the crowd's frame, NaN
    while they are not in it."""
    renderers = crowd.renderers()
    out = np.full((len(times), len(crowd.people), 2), np.nan)
    for j, (person, renderer) in enumerate(zip(crowd.people, renderers, strict=True)):
        for i, t in enumerate(times):
            if person.present(float(t)):
                x, y = renderer.face_centre(float(t))
                out[i, j] = (x + round(person.x_at(float(t))), y)
    return out


def identities(
    centres: np.ndarray, followed: list[dict[int, tuple[float, float, float, float]]]
) -> np.ndarray:
    """Which track id followed each person in each frame: (frames, people) ints, 0 where
    none did. ``centres``: :func:`face_centres` of the frames; ``followed``: each frame's
    {id: (x, y, w, h)} boxes. A box is a person's when its centre is within half its width
    of the person's face centre."""
    out = np.zeros(centres.shape[:2], int)
    for i, boxes in enumerate(followed):
        for face_id, (x, y, w, h) in boxes.items():
            d = np.hypot(centres[i, :, 0] - (x + w / 2), centres[i, :, 1] - (y + h / 2))
            j = int(np.nanargmin(d)) if np.isfinite(d).any() else -1
            if j >= 0 and d[j] < 0.5 * w:
                out[i, j] = face_id
    return out


def id_switches(ids: np.ndarray) -> int:
    """How often a person's track id changed (frames without one skipped), plus how many
    ids followed more than one person: 0 when each person kept one id of their own."""
    switches = 0
    owners: dict[int, set[int]] = {}
    for j in range(ids.shape[1]):
        seen = ids[ids[:, j] > 0, j]
        switches += int(np.count_nonzero(np.diff(seen)))
        for face_id in np.unique(seen):
            owners.setdefault(int(face_id), set()).add(j)
    return switches + sum(len(people) - 1 for people in owners.values())


def crowd_truth(crowd: CrowdSpec) -> list[tuple[float, float, float]]:
    """Each person's (first s, last s in frame, mean heart rate in bpm over that span)."""
    out = []
    for person, renderer in zip(crowd.people, crowd.renderers(), strict=True):
        start = max(person.enter_s, 0.0)
        end = min(person.leave_s, crowd.duration_s) - 1.0 / crowd.fps
        t = np.arange(start, end, 1.0 / crowd.fps)
        out.append((start, end, float(np.mean(renderer.pulse.hr_bpm(t)))))
    return out


def write_crowd(crowd: CrowdSpec, path: str | os.PathLike) -> Path:
    """Render the scene into a video file; returns the path."""
    images = (image for _, image in crowd_frames(crowd))
    return write_frames(images, path, crowd.fps, (crowd.width, crowd.height), crowd.codec, crowd.quality)


@dataclass
class Scenes:
    """The crowd scenes the tests and the README use (rates 62, 85 and 110 bpm)."""

    rates: tuple[float, ...] = (62.0, 85.0, 110.0)
    duration_s: float = 20.0
    extra: dict = field(default_factory=dict)

    def _spec(self, k: int) -> SynthSpec:
        return SynthSpec(hr_bpm=self.rates[k], seed=11 + k, hrv_bpm=0.3, motion_px=1.0, **self.extra)

    def two(self) -> CrowdSpec:
        """Two people side by side, the second entering 5 s in."""
        return CrowdSpec(
            [Person(self._spec(0), 0), Person(self._spec(1), 320, enter_s=5.0)],
            width=640,
            duration_s=self.duration_s,
        )

    def three(self) -> CrowdSpec:
        """Three people: the first steps out for 2 s in the middle, the third walks up close
        to the second (their faces half a face apart) and back."""
        d = self.duration_s
        walk = ((0.0, 640.0), (0.35 * d, 640.0), (0.5 * d, 415.0), (0.65 * d, 640.0))
        return CrowdSpec(
            [
                Person(self._spec(0), 0, away_s=(0.4 * d, 0.4 * d + 2.0)),
                Person(self._spec(1), 320),
                Person(self._spec(2), 640, path=walk),
            ],
            width=960,
            duration_s=d,
        )


class SideBySide(FrameSource):
    """Recordings laid side by side in one frame: a crowd of real people.

    Frames are paired by their index and carry the first source's times; every picture is
    scaled to the first's height. ``only=k`` gives the k-th source's pictures alone, with the
    same times: its solo reading under the same clock. Ends with the shortest source."""

    def __init__(self, sources: list[FrameSource], only: int | None = None) -> None:
        self.sources = sources
        self.only = only
        names = [s.name for s in sources]
        self.name = " | ".join(names) if only is None else f"{names[only]} (of {' | '.join(names)})"
        self.nominal_fps = sources[0].nominal_fps

    def __iter__(self) -> Iterator[Frame]:
        for frames in zip(*self.sources, strict=False):
            height = frames[0].image.shape[0]
            images = [_to_height(f.image, height) for f in frames]
            image = images[self.only] if self.only is not None else np.hstack(images)
            yield Frame(frames[0].index, frames[0].t_s, np.ascontiguousarray(image))
        self.warnings = tuple(w for s in self.sources for w in s.warnings)

    def close(self) -> None:
        for s in self.sources:
            s.close()


def _to_height(image: np.ndarray, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    if h == height:
        return image
    return cv2.resize(image, (round(w * height / h), height), interpolation=cv2.INTER_AREA)
