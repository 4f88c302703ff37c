"""Every face in the frame (--faces): synthetic crowds with known rates (two and three
people, one entering late, one stepping out for 2 s, two passing close), the ids kept, the
outputs, and real people side by side (physrecorder and a UBFC subject) against their solo
readings."""

import json

import cv2
import numpy as np
import pytest

from rppg.chain.process import process_faces, process_video
from rppg.config import Config
from rppg.errors import NoFaceError
from rppg.face.detect import Box, find_faces, make_detector
from rppg.face.multi import FacesStage
from rppg.face.tracks import MAX_COST, FaceTracks, match_cost
from rppg.io import open_source
from rppg.synth.crowd import (
    CrowdSpec,
    Scenes,
    SideBySide,
    crowd_frames,
    crowd_truth,
    face_centres,
    id_switches,
    identities,
    write_crowd,
)
from tests.conftest import shared_or_skip


def every_face() -> Config:
    cfg = Config()
    cfg.face.max_faces = 0
    return cfg


def who_is_who(result, crowd: CrowdSpec) -> dict[int, dict]:
    """Each person's face entry (person index -> the ``faces`` entry whose mean box centre is
    nearest the person's mean face centre)."""
    t = np.arange(0, crowd.duration_s, 0.5)
    centres = np.nanmean(face_centres(crowd, t), axis=0)  # (people, 2)
    out = {}
    for face in result.summary()["faces"]:
        x, y, w, h = face["box"]
        j = int(np.argmin(np.hypot(centres[:, 0] - x - w / 2, centres[:, 1] - y - h / 2)))
        assert j not in out, f"two faces on person {j}"
        out[j] = face
    return out


@pytest.mark.parametrize("scene", ["two", "three"])
def test_each_person_reads_within_1_bpm_of_their_own_rate(crowd_video, scene):
    path, crowd = crowd_video(scene)
    result = process_video(path, config=every_face())
    faces = who_is_who(result, crowd)
    assert len(faces) == len(crowd.people)
    for j, (start, _, truth) in enumerate(crowd_truth(crowd)):
        assert abs(faces[j]["hr_bpm"] - truth) <= 1.0, (j, faces[j]["hr_bpm"], truth)
        # found at the next search of the whole frame (every search_every_s)
        assert start <= faces[j]["t_start_s"] <= start + Config().face.search_every_s + 0.1, (
            j,
            faces[j],
            start,
        )
    longest = max(faces.values(), key=lambda f: (f["face_ratio"] * (f["t_end_s"] - f["t_start_s"]), -f["id"]))
    assert result.summary()["hr_bpm"] == longest["hr_bpm"]  # the top level: the face seen longest


@pytest.mark.parametrize("scene, region", [("two", "landmarks"), ("three", "landmarks"), ("three", "box")])
def test_ids_never_switch_and_a_face_away_for_2_s_keeps_its_id(crowd_video, scene, region):
    # Mesh-led tracks (the default region) and detector-led ones (region box), offline.
    path, crowd = crowd_video(scene)
    cfg = every_face().face
    cfg.region = region
    seen: dict[float, dict] = {}
    with open_source(path) as source, FacesStage(cfg) as stage:
        times = []
        for frame in source:
            times.append(frame.t_s)
            for face_id, fc in [*stage.feed(frame)]:
                if fc.found:
                    seen.setdefault(fc.t_s, {})[face_id] = (fc.box.x, fc.box.y, fc.box.w, fc.box.h)
        for face_id, fc in stage.drain():
            if fc.found:
                seen.setdefault(fc.t_s, {})[face_id] = (fc.box.x, fc.box.y, fc.box.w, fc.box.h)
    ids = identities(face_centres(crowd, np.array(times)), [seen.get(t, {}) for t in times])
    assert id_switches(ids) == 0, ids
    for j, person in enumerate(crowd.people):
        inside = np.array([person.present(t) for t in times])
        assert (ids[inside, j] > 0).mean() > 0.95  # followed while there
        if person.away_s is not None:  # back after 2 s out of the frame: the same id
            before = ids[np.array(times) < person.away_s[0], j]
            after = ids[np.array(times) >= person.away_s[1] + 0.5, j]
            assert set(before[before > 0]) == set(after[after > 0]) and len(set(after)) == 1


def test_frames_without_any_face_are_counted(tmp_path):
    crowd = Scenes(duration_s=16.0).two()
    crowd.people[0].enter_s = 3.0  # nobody for the first 3 s
    path = write_crowd(crowd, tmp_path / "late.avi")
    result = process_faces(path)  # no config: every face
    s = result.summary()
    assert s["video_frames"] == 480
    assert abs(s["frames_without_face"] - 90) <= 6, s["frames_without_face"]
    assert [f["t_start_s"] >= 2.9 for f in s["faces"]] == [True, True]


def test_a_video_with_nobody_in_it_is_one_clear_error(tmp_path, cli):
    path = write_crowd(CrowdSpec([], width=320, height=240, duration_s=3.0), tmp_path / "empty.avi")
    with pytest.raises(NoFaceError, match="no face found in any of its 90 frames"):
        process_faces(path, config=every_face())
    r = cli("process", path, "--faces", "all")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "empty.avi" in r.stderr, r.stderr


def test_faces_on_the_command_line(crowd_video, cli, tmp_path):
    path, crowd = crowd_video("three")
    r = cli("process", path, "--faces", "all", "--json", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert len(s["faces"]) == 3
    keys = {"id", "box", "t_start_s", "t_end_s", "face_ratio", "hr_bpm", "snr_db", "quality", "warnings"}
    keys.add("hr_series")
    for face in s["faces"]:
        assert set(face) == keys and len(face["box"]) == 4 and face["hr_series"]
        folder = tmp_path / "out" / f"face{face['id']}"
        mine = json.loads((folder / "summary.json").read_text())
        assert mine["hr_bpm"] == face["hr_bpm"] and mine["face"]["id"] == face["id"]
        assert (folder / "hr.csv").exists() and (folder / "plot.png").exists()
    away = [f for f in s["faces"] if any("no face at" in w for w in f["warnings"])]
    assert len(away) == 1  # the one who stepped out, and the span is said
    picture = cv2.imread(str(tmp_path / "out" / "faces.png"))
    assert picture.shape[:2] == (crowd.height, crowd.width)
    two = json.loads(cli("process", path, "--faces", "2", "--json").stdout)
    assert len(two["faces"]) == 2
    bad = cli("process", path, "--faces", "0")
    assert bad.returncode == 2 and "--faces" in bad.stderr and "'all'" in bad.stderr


def test_one_face_is_todays_reading_of_the_largest_face(crowd_video):
    path, _ = crowd_video("two")
    one = process_video(path)
    cfg = Config()
    cfg.face.max_faces = 1
    assert process_video(path, config=cfg).summary() | {"seconds": 0} == one.summary() | {"seconds": 0}
    assert "faces" not in one.summary() and abs(one.hr_bpm - 62.0) <= 1.0  # the first (larger span)


def test_tracks_follow_positions_not_the_detectors_order():
    class Scripted:
        """Boxes in the order of a list per frame (a detector sorts by score)."""

        def __init__(self, frames):
            self.frames, self.k = frames, 0

        def detect(self, image):
            self.k += 1
            return self.frames[self.k - 1]

        def close(self):
            pass

    left, right = Box(100, 100, 60, 60, 0.9), Box(300, 100, 60, 60, 0.8)
    frames = [[left, right], [right, left], [], [], [right], [left, right], [Box(600, 100, 60, 60)]]
    cfg = Config().face
    cfg.detect_every = 1
    tracks = FaceTracks(Scripted(frames), cfg)
    image = np.zeros((240, 320, 3), np.uint8)  # never looked at by the scripted detector
    seen = [tracks.push(image, t) for t in (0.0, 0.1, 0.2, 1.0, 2.4, 2.5, 9.0)]
    assert seen[0][1].x == 100 and seen[0][2].x == 300
    assert seen[1][1].x == 100 and seen[1][2].x == 300  # the detector's order swapped: ids did not
    assert seen[3] == {}  # missed longer than hold_s: not shown, still followed
    assert seen[4][2].x == 300 and 1 not in seen[4]
    assert seen[5][1].x == 100  # back after 2.3 s near where it left: its old id
    assert list(seen[6]) == [3] and set(tracks.ended) == {1, 2}  # 6.5 s later: a new face
    assert match_cost(left, left) == 0.0 and match_cost(left, right) >= MAX_COST


def test_wide_frames_are_searched_in_tiles(crowd_video):
    _, crowd = crowd_video("three")
    image = next(im for t, im in crowd_frames(crowd) if t >= 1.0)
    cfg = Config().face
    detector = make_detector(cfg)
    try:
        boxes = find_faces(detector, image, cfg.detect_width)
    finally:
        detector.close()
    centres = face_centres(crowd, np.array([1.0]))[0]
    assert len(boxes) == 3
    for x, y in centres:
        assert min(np.hypot(b.center[0] - x, b.center[1] - y) for b in boxes) < 15


@pytest.mark.slow
@pytest.mark.parametrize("subject", ["subject12", "subject15"])  # 15: once a face found twice
def test_real_people_side_by_side_read_as_they_do_alone(subject):
    phys = shared_or_skip("physrecorder_v01", "video_ZIP_H264.avi")
    subject = shared_or_skip("ubfc_h264", subject, "vid.mp4")

    def sources():
        return [open_source(phys), open_source(subject)]

    alone = [process_video(SideBySide(sources(), only=k)).hr_bpm for k in (0, 1)]
    together = process_video(SideBySide(sources()), config=every_face())
    faces = sorted(together.summary()["faces"], key=lambda f: f["box"][0])  # left, right
    assert len(faces) == 2
    for face, solo in zip(faces, alone, strict=True):
        assert abs(face["hr_bpm"] - solo) <= 0.5, (face["hr_bpm"], solo)
    assert alone[0] == pytest.approx(process_video(phys).hr_bpm, abs=1e-9)  # the composition is the clip


def test_a_faces_mesh_moves_its_track_and_no_face_starts_on_top_of_one():
    class Once:
        def __init__(self):
            self.calls = 0

        def detect(self, image):
            self.calls += 1
            if self.calls == 1:
                return [Box(100, 100, 60, 60, 0.9), Box(200, 100, 60, 60, 0.8)]
            return [Box(205, 105, 50, 50, 0.9), Box(200, 120, 30, 30, 0.6)]  # face 2, and part of it

        def close(self):
            pass

    detector = Once()
    tracks = FaceTracks(detector, Config().face, search_every_s=1.0)
    image = np.zeros((240, 320, 3), np.uint8)
    tracks.push(image, 0.0)
    tracks.follow(1, Box(110, 100, 50, 50), 0.2)  # its mesh: centre 5 px right (an oval box, smaller)
    tracks.follow(1, Box(200, 100, 60, 60), 0.3)  # slid onto face 2: ignored
    now = tracks.push(image, 0.4)
    assert now[1].center == pytest.approx((135.0, 125.0), abs=1.0) and now[1].w == 60  # moved, size kept
    assert detector.calls == 1  # no search until search_every_s has passed
    tracks.push(image, 1.0)
    # face 1 missed once: still followed; face 2's second, partial box: no new face on top of it
    assert detector.calls == 2 and set(tracks.tracks) == {1, 2}


def test_a_face_found_twice_across_tiles_is_one_face():
    class Halves:
        """A wide frame's tiles (128 px, 96 px apart): the face whole at the right edge of the
        first, its part in the second."""

        def __init__(self):
            self.tiles = 0

        def detect(self, image):
            self.tiles += 1
            found = {1: [Box(88, 40, 40, 40, 0.9)], 2: [Box(0, 50, 20, 20, 0.7)]}  # overlap 0.25, all inside
            return found.get(self.tiles, [])

        def close(self):
            pass

    detector = Halves()
    boxes = find_faces(detector, np.zeros((128, 512, 3), np.uint8), 320)
    assert detector.tiles == 5 and len(boxes) == 1 and boxes[0].score == 0.9
