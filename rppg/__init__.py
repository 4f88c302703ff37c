"""rppg: heart rate from face video (remote photoplethysmography).

    import rppg
    result = rppg.process_video("face.avi")          # method from the config (default: mask)
    print(result.hr_bpm, result.quality, result.warnings)
    crowd = rppg.process_faces("meeting.mp4")        # every face: crowd.faces, the main one on top

The names below load on first use, so that ``rppg --help`` starts without numpy or OpenCV.
"""

from rppg.runtime import configure_process

configure_process()  # before numpy, cv2 or mediapipe load, start threads or log

__all__ = [
    "Config",
    "ProcessResult",
    "RppgError",
    "StreamingEstimator",
    "load_config",
    "process_faces",
    "process_video",
]
__version__ = "0.2.0"

_HOMES = {
    "Config": "rppg.config",
    "load_config": "rppg.config",
    "RppgError": "rppg.errors",
    "ProcessResult": "rppg.chain.process",
    "process_video": "rppg.chain.process",
    "process_faces": "rppg.chain.process",
    "StreamingEstimator": "rppg.chain.streaming",
}


def __getattr__(name: str):
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'rppg' has no attribute {name!r}")
