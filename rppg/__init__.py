"""rppg: heart rate from face video (remote photoplethysmography).

import rppg
result = rppg.process_video("face.avi")          # method from the config (default: see config)
print(result.hr_bpm, result.snr_db)
"""

from rppg.runtime import configure_process

configure_process()  # before cv2 or mediapipe start logging or allocating

from rppg.config import Config, load_config  # noqa: E402
from rppg.errors import RppgError  # noqa: E402
from rppg.pipeline import ProcessResult, process_video  # noqa: E402

__all__ = ["Config", "ProcessResult", "RppgError", "load_config", "process_video"]
__version__ = "0.1.0"
