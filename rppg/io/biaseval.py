"""bias-eval-rppg (Dasari et al. 2021, github.com/ananyananda-dasari/bias-eval-rppg):
pre-cropped skin videos (forehead and cheeks, no face: use ``--detector none``) of people in
India and Sierra Leone, one mean heart rate per person from a finger oximeter.

Layout under the root: ``Data/<country>/video<N>_<region>.avi`` and
``Ground_Truth/<country>_GT.csv`` (columns ``Subject``, ``Heart_Rate(BPM)``, with stray
spaces and a byte-order mark). A recording's ground truth is that one rate over the video.

    recs = load_dataset("biaseval", "../shared/data/skin_patches")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rppg.errors import RppgError
from rppg.io.recording import Dataset, GroundTruth, Recording, read_table, register_dataset, side_file

WHOLE_VIDEO_S = 1e6
"""The one rate holds from t = 0 to this time (s): longer than any recording."""


@register_dataset
class BiasEval(Dataset):
    name = "biaseval"

    def recordings(self, root: Path) -> list[Recording]:
        recs = []
        for video in root.glob("Data/*/*.avi"):
            country = video.parent.name
            person, _, region = video.stem.partition("_")
            truth = root / "Ground_Truth" / f"{country}_GT.csv"
            name = f"{country}/{video.stem}"
            recs.append(
                Recording(self.name, name, f"{country}/{person}", video, region, {"truth": str(truth)})
            )
        return recs

    def truth(self, rec: Recording) -> GroundTruth:
        path = side_file(rec, "truth", "ground-truth CSV")
        table = read_table(path, "Subject", "Heart_Rate(BPM)")
        person = rec.subject.split("/")[-1]
        rows = table[table["Subject"].astype(str).str.strip() == person]
        if rows.empty:
            raise RppgError(f"{path}: no heart rate for {person}")
        hr = float(rows["Heart_Rate(BPM)"].iloc[0])
        return GroundTruth(np.array([0.0, WHOLE_VIDEO_S]), hr_bpm=np.array([hr, hr]))
