"""Process-wide runtime settings: native libraries (FFmpeg, OpenCV, TFLite, absl) kept from
writing banners and warnings on stderr, which would break the promise that an error is one
line there, and from each starting a thread per core.

    configure_process()                     # once, at import of rppg
    with native_stderr_silenced():          # around calls that print regardless
        cap = cv2.VideoCapture(path)
    preload("scipy.linalg")                 # import in the background while frames decode
"""

from __future__ import annotations

import contextlib
import os
import threading

_LOCK = threading.Lock()


def configure_process() -> None:
    """Settings every rppg process wants before numpy, cv2 or mediapipe start work."""
    quiet_native_logs()
    one_thread_per_library()


def one_thread_per_library() -> None:
    """rppg runs its own threads (decoding, face-mesh fits, the chain); a BLAS or OpenCV pool
    of one thread per core on top of them oversubscribes a small machine: measured on 2 cores,
    OpenBLAS's spinning second thread cost 5 s of system time in a 13 s run. Takes effect
    only where numpy and cv2 are not loaded yet (the ``rppg`` command; ``import rppg`` first)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENCV_FOR_THREADS_NUM"):
        os.environ.setdefault(name, "1")


def preload(*modules: str) -> None:
    """Import ``modules`` in a background thread (they are needed later, e.g. after decoding)."""
    import importlib

    def run() -> None:
        for name in modules:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)

    threading.Thread(target=run, name="rppg-preload", daemon=True).start()


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
