"""Copy the face models rppg ships in data/ from an installed mediapipe 0.10.21 wheel (the
last release that carries them; Apache-2.0, see data/README.md), unchanged.

    pip install mediapipe==0.10.21 && python scripts/build_face_models.py

- data/face_detection_short_range.tflite: BlazeFace short range (read by mediapipe's Tasks
  FaceDetector, any mediapipe release).
- data/face_landmark.tflite: the 468-point face mesh (read by OpenCV's DNN module).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = ("face_detection/face_detection_short_range.tflite", "face_landmark/face_landmark.tflite")


def main() -> None:
    import mediapipe

    modules = Path(mediapipe.__file__).parent / "modules"
    for name in FILES:
        src = modules / name
        if not src.is_file():
            raise SystemExit(f"{src}: missing; install mediapipe==0.10.21, which ships it")
        dst = DATA / src.name
        shutil.copyfile(src, dst)
        sha = hashlib.sha256(dst.read_bytes()).hexdigest()
        print(f"{dst.relative_to(DATA.parent)}  {dst.stat().st_size} bytes  sha256 {sha}")


if __name__ == "__main__":
    main()
