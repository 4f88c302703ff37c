"""Every face in the frame, measured: synthetic crowds with known rates and real people side
by side against their solo readings (the frames per second for 1, 2 and 4 faces are
``scripts/benchmark.py``'s).

    python scripts/faces_report.py                 # the two tables (a few minutes on 2 cores)
    python scripts/faces_report.py --picture docs/faces.png   # also the picture of who is who

The synthetic scenes are :class:`rppg.synth.crowd.Scenes` (two people, the second entering
5 s in; three people, one stepping out for 2 s, one walking up close to another and back);
id switches are counted against where each person's face really is. The real compositions put
the physrecorder clip and each UBFC subject of ``../shared/data`` side by side (paired frame
by frame, the first clip's times) and compare each face with the same frames read alone.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def every_face():
    from rppg.config import Config

    cfg = Config()
    cfg.face.max_faces = 0
    return cfg


def followed_ids(path: Path, crowd) -> int:
    """Id switches of the offline face stage over the scene (see rppg.synth.crowd.id_switches)."""
    from rppg.face.multi import FacesStage
    from rppg.io import open_source
    from rppg.synth.crowd import face_centres, id_switches, identities

    seen: dict[float, dict] = {}
    times = []
    with open_source(path) as source, FacesStage(every_face().face) as stage:

        def keep(pairs) -> None:
            for face_id, fc in pairs:
                if fc.found:
                    seen.setdefault(fc.t_s, {})[face_id] = (fc.box.x, fc.box.y, fc.box.w, fc.box.h)

        for frame in source:
            times.append(frame.t_s)
            keep(stage.feed(frame))
        keep(stage.drain())
    return id_switches(identities(face_centres(crowd, np.array(times)), [seen.get(t, {}) for t in times]))


def synthetic_table(work: Path, picture: Path | None) -> str:
    from rppg.apps.process_many import process_into
    from rppg.synth.crowd import Scenes, crowd_truth, face_centres, write_crowd

    lines = [
        "| scene | person | true bpm | read bpm | error | in frame from (s) | found from (s) | quality "
        "| id switches |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("two", "three"):
        crowd = getattr(Scenes(), name)()
        path = write_crowd(crowd, work / f"{name}.avi")
        out = work / f"{name}_out"
        out.mkdir()
        _, summary = process_into(path, every_face(), out)
        if name == "three" and picture is not None:
            shutil.copy(out / "faces.png", picture)
        centres = np.nanmean(face_centres(crowd, np.arange(0, crowd.duration_s, 0.5)), axis=0)
        switches = followed_ids(path, crowd)
        for j, (start, _, truth) in enumerate(crowd_truth(crowd)):
            face = min(
                summary["faces"],
                key=lambda f: np.hypot(
                    centres[j, 0] - f["box"][0] - f["box"][2] / 2,
                    centres[j, 1] - f["box"][1] - f["box"][3] / 2,
                ),
            )
            lines.append(
                f"| {name} | {j + 1} (face {face['id']}) | {truth:.1f} | {face['hr_bpm']:.1f} | "
                f"{face['hr_bpm'] - truth:+.2f} | {start:.1f} | {face['t_start_s']:.1f} | "
                f"{face['quality']} | {switches if j == 0 else ''} |"
            )
    return "\n".join(lines)


def real_table() -> str:
    from rppg.chain.process import process_video
    from rppg.io import open_source
    from rppg.synth.crowd import SideBySide

    phys = SHARED / "physrecorder_v01" / "video_ZIP_H264.avi"
    subjects = sorted((SHARED / "ubfc_h264").glob("subject*/vid.*"), key=lambda p: int(p.parent.name[7:]))
    if not phys.exists() or not subjects:
        return "(the real recordings are not here: ../shared/data)"
    lines = [
        "| side by side | left alone | left together | right alone | right together | largest difference |",
        "|---|---|---|---|---|---|",
    ]
    for subject in subjects:

        def sources(subject=subject):
            return [open_source(phys), open_source(subject)]

        alone = [process_video(SideBySide(sources(), only=k)).hr_bpm for k in (0, 1)]
        faces = sorted(
            process_video(SideBySide(sources()), config=every_face()).summary()["faces"],
            key=lambda f: f["box"][0],
        )
        together = [f["hr_bpm"] for f in faces]
        if len(together) != 2:
            lines.append(f"| physrecorder + {subject.parent.name} | {len(together)} faces found | | | | |")
            continue
        worst = max(abs(a - b) for a, b in zip(alone, together, strict=True))
        lines.append(
            f"| physrecorder + {subject.parent.name} | {alone[0]:.2f} | {together[0]:.2f} | "
            f"{alone[1]:.2f} | {together[1]:.2f} | {worst:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--picture", type=Path, help="copy the three-person scene's faces.png here")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("Synthetic crowds (rates 62, 85 and 110 bpm; `--faces all`):\n")
        print(synthetic_table(work, a.picture))
        print("\nReal people side by side (each face against the same frames read alone, bpm):\n")
        print(real_table())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
