"""Process-wide runtime settings: native libraries (FFmpeg, OpenCV, TFLite, absl) kept from
writing banners and warnings on stderr, which would break the promise that an error is one
line there.

    configure_process()                     # once, at import of rppg
    with native_stderr_silenced():          # around calls that print regardless
        cap = cv2.VideoCapture(path)
"""

from __future__ import annotations

import contextlib
import os
import threading

_LOCK = threading.Lock()


def configure_process() -> None:
    """Settings every rppg process wants before cv2 or mediapipe start work."""
    quiet_native_logs()


def quiet_native_logs() -> None:
    """Ask FFmpeg (through OpenCV), OpenCV, glog and TensorFlow to log only what is fatal."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def native_stderr_silenced():
    """Point file descriptor 2 at /dev/null for the duration (C code that prints anyway)."""
    with _LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
