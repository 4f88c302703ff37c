"""Recordings of benchmark datasets: a streamed frame source plus ground truth on its clock.

Each dataset layout is a :class:`Dataset` subclass registered by name in :data:`DATASETS`;
it lists the recordings under a root folder and opens their frames and ground truth. A
recording is plain data (picklable, for worker processes); it opens nothing until asked.

    for rec in load_dataset("ubfc", "/data/UBFC/DATASET_2"):
        truth = rec.truth()             # GroundTruth(t_s, ppg, hr_bpm), t = 0 at first frame
        with rec.frames() as src: ...   # Frame(index, t_s, image)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from rppg.errors import RppgError
from rppg.files import natural_key
from rppg.io.frames import FrameSource, increasing
from rppg.io.video import VideoFileSource
from rppg.registry import Registry


@dataclass
class GroundTruth:
    """Contact-sensor reference of one recording, on the frames' clock."""

    t_s: np.ndarray
    """Sample times (s), 0 = the recording's first frame, shape (K,)."""
    ppg: np.ndarray | None = None
    """Pulse wave (arbitrary units), (K,)."""
    hr_bpm: np.ndarray | None = None
    """Heart rate reported by the device (bpm), (K,), where the dataset has it."""
    resp: np.ndarray | None = None
    """Respiration (belt or thermistor, arbitrary units), (K,), where the dataset has it."""
    notes: list[str] = field(default_factory=list)
    """What was repaired on reading (repeated or backward times dropped, gaps bridged)."""

    def check(self, name: str) -> GroundTruth:
        """The ground truth as it can be used: harmless quirks of real files repaired, each
        said in :attr:`notes` (times that repeat or step back: those samples dropped; gaps up
        to ``MAX_GAP_S``: bridged later by interpolation); a one-line error for what cannot
        be used (empty, NaN, lengths that differ, times that mostly do not increase, a longer
        gap in a wave)."""
        if len(self.t_s) < 2 or (self.ppg is None and self.hr_bpm is None):
            raise RppgError(f"{name}: ground truth is empty")
        for label, _, values in self._channels():
            if not np.isfinite(values).all():
                raise RppgError(f"{name}: ground truth {label} contain NaN or inf")
            if len(values) != len(self.t_s):
                raise RppgError(f"{name}: ground truth {label} and times differ in length")
        keep = increasing(self.t_s)
        dropped = int((~keep).sum())
        if dropped > MAX_DROPPED * len(keep):
            raise RppgError(
                f"{name}: ground truth times do not increase ({dropped} of {len(keep)} samples go back)"
            )
        truth = self
        if dropped:
            kept = {field_name: values[keep] for _, field_name, values in self._channels()}
            truth = replace(self, **kept, notes=list(self.notes))
            truth.notes.append(f"ground truth: {dropped} sample(s) whose time repeats or goes back dropped")
        if truth.ppg is None:  # a heart-rate series may be sparse: one value a minute
            return truth
        gaps = np.diff(truth.t_s)
        k = int(np.argmax(gaps))
        if gaps[k] > MAX_GAP_S:
            raise RppgError(
                f"{name}: ground truth has a {gaps[k]:.1f} s gap at {truth.t_s[k]:.1f} s "
                f"(up to {MAX_GAP_S:g} s are bridged)"
            )
        if gaps[k] > GAP_NOTE_FACTOR * np.median(gaps):
            truth.notes.append(f"ground truth: a {gaps[k]:.2f} s gap at {truth.t_s[k]:.1f} s bridged")
        return truth

    def _channels(self) -> list[tuple[str, str, np.ndarray]]:
        """(label in messages, field name, values) of the times and each channel there is."""
        named = (("times", "t_s"), ("ppg", "ppg"), ("hr", "hr_bpm"), ("resp", "resp"))
        return [
            (label, name, getattr(self, name)) for label, name in named if getattr(self, name) is not None
        ]


MAX_DROPPED = 0.01
"""Up to this share of samples whose time repeats or goes back is dropped; more is refused."""
MAX_GAP_S = 2.0
"""Gaps in the ground truth up to this long (s) are bridged (a beat or two); longer ones refused."""
GAP_NOTE_FACTOR = 10.0
"""A gap this many times the median sample interval is said in the notes."""


@dataclass
class Recording:
    """One recording of a dataset; opens files only when asked."""

    dataset: str
    """Name of the layout in :data:`DATASETS`."""
    name: str
    """Unique within the dataset, e.g. ``subject4`` or ``s01_trial07``."""
    subject: str
    """Person recorded: the unit of subject-disjoint splits."""
    video: Path
    """The video file or frame folder (identifies the recording's content, e.g. for caches)."""
    setup: str = ""
    """Recording condition where the dataset has one (PURE's 01-06, DEAP's trial)."""
    paths: dict[str, str] = field(default_factory=dict)
    """Layout-specific side files (ground truth, timestamps)."""

    def frames(self) -> FrameSource:
        return DATASETS.get(self.dataset)().frames(self)

    def truth(self) -> GroundTruth:
        return DATASETS.get(self.dataset)().truth(self).check(self.name)


class Dataset:
    """One on-disk layout: finds recordings under a root, opens frames and ground truth."""

    name: str = ""

    def recordings(self, root: Path) -> list[Recording]:
        raise NotImplementedError

    def frames(self, rec: Recording) -> FrameSource:
        """The recording's video at its container's frame times; layouts with their own
        clock or image folders override this."""
        return VideoFileSource(rec.video)

    def truth(self, rec: Recording) -> GroundTruth:
        raise NotImplementedError


DATASETS: Registry[type[Dataset]] = Registry("dataset")


def register_dataset(cls: type[Dataset]) -> type[Dataset]:
    DATASETS.register(cls.name)(cls)
    return cls


def load_dataset(name: str, root: str | os.PathLike) -> list[Recording]:
    """All recordings of layout ``name`` under ``root``, sorted by name."""
    dataset = DATASETS.get(name)()
    root = Path(root)
    if not root.is_dir():
        raise RppgError(f"{root}: no such folder")
    recs = sorted(dataset.recordings(root), key=lambda r: natural_key(r.name))
    if not recs:
        raise RppgError(f"{root}: no {name} recordings found (see README: dataset layouts)")
    return recs


def side_file(rec: Recording, key: str, what: str) -> Path:
    """A recording's side file, or a one-line error saying it is missing."""
    path = rec.paths.get(key)
    if not path or not Path(path).is_file():
        raise RppgError(f"{rec.name}: {what} missing ({path or 'not found'})")
    return Path(path)


def read_table(path: Path, *required: str):
    """A CSV as a pandas DataFrame with stripped column names, checked to have the
    ``required`` columns; a one-line error naming the file otherwise."""
    import pandas as pd

    try:
        table = pd.read_csv(path, encoding="utf-8-sig")  # tolerates a byte-order mark
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RppgError(f"{path}: unreadable table ({str(exc).splitlines()[0]})") from None
    table.columns = [str(c).strip() for c in table.columns]
    missing = [n for n in required if n not in table.columns]
    if missing:
        raise RppgError(f"{path}: missing column(s) {', '.join(missing)}")
    return table
