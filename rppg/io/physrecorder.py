"""PhysRecorder (github.com/KegangWangCCNU/PhysRecorder) sessions.

A folder with a video (``*.avi``/``*.mp4``), ``frames_timestamp.csv`` (``frame,timestamp``,
unix s, one per frame) and ``BVP.csv`` (``timestamp,bvp``, unix s): one clock for both,
so the wave is aligned to frames by time.

    recs = load_dataset("physrecorder", "../shared/data")
"""

from __future__ import annotations

from pathlib import Path

from rppg.io.frames import FrameSource
from rppg.io.recording import (
    Dataset,
    GroundTruth,
    Recording,
    read_table,
    register_dataset,
    side_file,
)
from rppg.io.video import VIDEO_SUFFIXES, VideoFileSource


@register_dataset
class PhysRecorder(Dataset):
    name = "physrecorder"

    def recordings(self, root: Path) -> list[Recording]:
        recs = []
        for stamps in root.rglob("frames_timestamp.csv"):
            folder = stamps.parent
            videos = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
            if not videos:
                continue
            paths = {"stamps": str(stamps), "truth": str(folder / "BVP.csv")}
            recs.append(Recording(self.name, folder.name, folder.name, videos[0], paths=paths))
        return recs

    def _frame_times(self, rec: Recording):
        path = side_file(rec, "stamps", "frames_timestamp.csv")
        table = read_table(path, "timestamp")
        return table["timestamp"].to_numpy(float)

    def frames(self, rec: Recording) -> FrameSource:
        return VideoFileSource(rec.video, timestamps=self._frame_times(rec))

    def truth(self, rec: Recording) -> GroundTruth:
        t0 = self._frame_times(rec)[0]
        path = side_file(rec, "truth", "BVP.csv")
        table = read_table(path, "timestamp", "bvp")
        return GroundTruth(table["timestamp"].to_numpy(float) - t0, table["bvp"].to_numpy(float))
