"""Keeping native libraries (FFmpeg, OpenCV, TFLite, absl) from writing on our stderr.

Their banners and warnings would break the promise that an error is one line on stderr.

    quiet_native_logs()                     # once, before cv2/mediapipe do any work
    with native_stderr_silenced():          # around calls that print regardless
        cap = cv2.VideoCapture(path)
"""

from __future__ import annotations

import contextlib
import os
import threading

_LOCK = threading.Lock()


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
