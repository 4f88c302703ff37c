"""DEAP (Koelstra et al. 2012): face video of participants s01-s22 with the plethysmograph.

Layout under the root: ``face_video/sXX/sXX_trialYY.avi``,
``data_preprocessed_python/sXX.dat`` (Python 2 pickle: ``data`` 40 trials x 40 channels x
8064 samples at 128 Hz) and ``metadata_csv/participant_ratings.csv``.

Two traps, both handled here: the plethysmograph is channel 39 of 40, **index 38** (index
39 is temperature, 37 the respiration belt, read too); and the ``.dat`` trials are in
Experiment_id order while videos are in presentation order, so video ``sXX_trialYY`` maps
to ``data[Experiment_id - 1]`` through the ratings file's (Participant_id, Trial) ->
Experiment_id. The first 384 samples (3 s) are the
pre-trial baseline and are dropped; the 60 s trial starts with the video. The camcorder
recorded 50 fps PAL, and some files' container fps is wrong, so frames are timed at 50 fps.

    recs = load_dataset("deap", "/data/DEAP")
"""

from __future__ import annotations

import pickle
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from rppg.errors import RppgError
from rppg.io.frames import FrameSource
from rppg.io.recording import (
    Dataset,
    GroundTruth,
    Recording,
    read_table,
    register_dataset,
    side_file,
)
from rppg.io.video import VideoFileSource

PLETH_CHANNEL = 38
RESP_CHANNEL = 37
"""The respiration belt: channel 38 of 40, index 37."""
FS_HZ = 128.0
BASELINE_SAMPLES = 384
VIDEO_FPS = 50.0
_NAME = re.compile(r"^s(\d+)_trial(\d+)$")


@register_dataset
class Deap(Dataset):
    name = "deap"

    def recordings(self, root: Path) -> list[Recording]:
        recs = []
        for video in root.glob("face_video/s*/s*_trial*.avi"):
            match = _NAME.match(video.stem)
            if not match:
                continue
            subject = f"s{int(match.group(1)):02d}"
            paths = {
                "dat": str(root / "data_preprocessed_python" / f"{subject}.dat"),
                "ratings": str(root / "metadata_csv" / "participant_ratings.csv"),
            }
            recs.append(Recording(self.name, video.stem, subject, video, setup=match.group(2), paths=paths))
        return recs

    def frames(self, rec: Recording) -> FrameSource:
        return VideoFileSource(rec.video, fps=VIDEO_FPS)

    def truth(self, rec: Recording) -> GroundTruth:
        participant, trial = (int(v) for v in _NAME.match(rec.name).groups())
        experiment = experiment_id(side_file(rec, "ratings", "participant_ratings.csv"), participant, trial)
        data = _load_dat(side_file(rec, "dat", "preprocessed physiology (.dat)"))
        if experiment > data.shape[0] or data.shape[1] <= PLETH_CHANNEL:
            raise RppgError(f"{rec.name}: .dat has shape {data.shape}, no trial {experiment}")
        wave = np.asarray(data[experiment - 1, PLETH_CHANNEL, BASELINE_SAMPLES:], dtype=float)
        resp = np.asarray(data[experiment - 1, RESP_CHANNEL, BASELINE_SAMPLES:], dtype=float)
        return GroundTruth(np.arange(len(wave)) / FS_HZ, wave, resp=resp)


def experiment_id(ratings: Path, participant: int, trial: int) -> int:
    """The Experiment_id (1-40, the .dat trial order) of a participant's presented trial."""
    table = read_table(ratings, "Participant_id", "Trial", "Experiment_id")
    row = table[(table["Participant_id"] == participant) & (table["Trial"] == trial)]
    if row.empty:
        raise RppgError(f"{ratings}: no row for participant {participant}, trial {trial}")
    return int(row["Experiment_id"].iloc[0])


@lru_cache(maxsize=2)
def _load_dat(path: Path) -> np.ndarray:
    try:
        with open(path, "rb") as f:
            content = pickle.load(f, encoding="latin1")  # written by Python 2
        data = np.asarray(content["data"])
    except (OSError, pickle.UnpicklingError, KeyError, EOFError, TypeError, ValueError) as exc:
        raise RppgError(f"{path}: not a DEAP .dat file ({type(exc).__name__})") from None
    if data.ndim != 3:
        raise RppgError(f"{path}: data has shape {data.shape}, expected trials x channels x samples")
    return data
