"""Any folder of videos, each with a CSV of the same name: ``time_s`` and ``ppg`` and/or
``hr_bpm`` (``time_s`` on the video's clock, 0 = first frame).

    clips/alice.mp4 + clips/alice.csv, clips/bob.avi + clips/bob.csv
    recs = load_dataset("generic", "clips/")
"""

from __future__ import annotations

from pathlib import Path

from rppg.errors import RppgError
from rppg.io.recording import (
    Dataset,
    GroundTruth,
    Recording,
    read_table,
    register_dataset,
    side_file,
)
from rppg.io.video import VIDEO_SUFFIXES


@register_dataset
class Generic(Dataset):
    name = "generic"

    def recordings(self, root: Path) -> list[Recording]:
        recs = []
        for video in root.rglob("*"):
            if video.suffix.lower() in VIDEO_SUFFIXES and video.is_file():
                name = str(video.relative_to(root).with_suffix(""))
                paths = {"truth": str(video.with_suffix(".csv"))}
                recs.append(Recording(self.name, name, name, video, paths=paths))
        return recs

    def truth(self, rec: Recording) -> GroundTruth:
        path = side_file(rec, "truth", "ground-truth CSV")
        table = read_table(path, "time_s")
        if "ppg" not in table.columns and "hr_bpm" not in table.columns:
            raise RppgError(f"{path}: needs a 'ppg' or 'hr_bpm' column")
        ppg, hr = (table[c].to_numpy(float) if c in table.columns else None for c in ("ppg", "hr_bpm"))
        return GroundTruth(table["time_s"].to_numpy(float), ppg, hr)
