"""The face stage: finding faces, following them, fitting the face mesh, and cropping each
frame's face with the region of its skin that counts.

| module | what |
|---|---|
| ``detect`` | detectors by name (blazeface, mediapipe, haar, none) behind one registry, the box |
| ``track`` | following one face from frame to frame (detect every few frames, smooth, hold) |
| ``tracks`` | every face, each with an id kept from frame to frame (optimal assignment, hold) |
| ``landmarks`` | the 468-point face mesh and the skin outline it gives (oval minus eyes, brows, lips) |
| ``crop`` | the square crop around a face box and its fast resize to the crop size |
| ``stage`` | the per-frame stage every use reads faces through: frames -> ``FaceCrop`` (box, crop, region) |
| ``multi`` | the stage for several faces: the tracks, and a face stage told where its face is, per face |

    from rppg.face import FaceStage
    with FaceStage.from_config(cfg.face) as stage:
        for fc in stage.crops(source): ...
"""

from rppg.face.detect import DETECTORS, Box, make_detector
from rppg.face.stage import FaceCrop, FaceStage

__all__ = ["DETECTORS", "Box", "FaceCrop", "FaceStage", "make_detector"]
