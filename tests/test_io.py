"""Frame sources: timestamps, streaming, and clear errors for bad files."""

import cv2
import numpy as np
import pytest

from rppg.errors import RppgError
from rppg.io import ImageFolderSource, VideoFileSource, open_source


def test_video_frames_have_container_times(short_video):
    with open_source(short_video) as src:
        frames = [(f.index, f.t_s, f.image.shape) for f in src]
    assert len(frames) == 360
    assert frames[0][1] == 0.0
    assert frames[-1][1] == pytest.approx(359 / 30.0)
    assert frames[0][2] == (240, 320, 3)


def test_fps_override_and_side_timestamps(short_video):
    with VideoFileSource(short_video, fps=50.0) as src:
        t = [f.t_s for f in src]
    assert t[10] == pytest.approx(0.2)
    stamps = 1000.0 + np.cumsum(np.full(360, 0.04))
    with VideoFileSource(short_video, timestamps=stamps) as src:
        t = [f.t_s for f in src]
    assert t[0] == 0.0 and t[-1] == pytest.approx(359 * 0.04)


def test_stopping_early_releases_the_reader(short_video):
    import threading

    before = threading.active_count()
    src = VideoFileSource(short_video, prefetch_depth=2)
    frames = iter(src)
    first = [next(frames).index for _ in range(4)]
    assert threading.active_count() == before + 1  # the decoder thread, 2 frames ahead
    frames.close()  # the consumer stops early
    src.close()
    assert first == [0, 1, 2, 3]
    assert threading.active_count() == before  # the decoder thread has ended


def test_image_folder_uses_nanosecond_names(tmp_path):
    image = np.zeros((8, 8, 3), np.uint8)
    stamps_ns = [1_000_000_000_000, 1_000_033_000_000, 1_000_070_000_000]
    for ns in stamps_ns:
        cv2.imwrite(str(tmp_path / f"Image{ns}.png"), image)
    with ImageFolderSource(tmp_path) as src:
        t = [f.t_s for f in src]
    assert t == pytest.approx([0.0, 0.033, 0.070])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty file"),
        (lambda p: (p.write_text("not a video at all\n" * 50), p)[1], "not a readable video"),
    ],
)
def test_bad_files_name_the_file(tmp_path, make, message):
    path = make(tmp_path / "clip.mp4")
    with pytest.raises(RppgError) as err:
        VideoFileSource(path)
    assert str(path) in str(err.value) and message in str(err.value)
