"""The landmark skin region as the mask's teacher on whole box crops (``train.teacher_weight``).

The face mesh knows where the skin is (the oval without eyes, brows and lips); the detector
box, enlarged, also holds hair, background, neck and clothes. Run both stages over the same
frames and the mesh's region, drawn into the box crop, is a per-pixel target for the mask on
that crop: real faces teach it skin from non-skin, no pulse label needed. Numpy only; the
loss is :func:`rppg.mask.losses.region_loss`.

    arrays = extract_taught_crops(rec, cfg)      # box crops (N, s, s, 3) + teacher (N, s, s)
    crops, teacher = sample_taught_frames(sets, 64, rng)
    region_iou(masks, teacher)                   # agreement of mask > 0.5 with region > 0.5
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

import cv2
import numpy as np

from rppg.config import Config, TrainConfig
from rppg.errors import RppgError
from rppg.face.landmarks import rasterize
from rppg.face.stage import FaceCrop, FaceStage
from rppg.io import Recording
from rppg.mask.align import stacked_points
from rppg.mask.net import MaskNet, downscale, masked_rgb

AGREE_AT = 0.5
"""A pixel counts as skin for the agreement figure where the mask (or region) exceeds this."""


def taught_pair(box: FaceCrop, mesh: FaceCrop, size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """One frame's box crop (size, size, 3) BGR uint8 (zeros without a face) and the mesh's
    skin region over it (size, size) in [0, 1]; None where the mesh found no face."""
    if not box.found:
        return np.zeros((size, size, 3), np.uint8), None
    crop = downscale(box.crop[None], size)[0]
    if mesh.outline is None or mesh.turn != box.turn:
        return crop, None
    return crop, rasterize(mesh.outline, box.rect, size)


def extract_taught_crops(rec: Recording, cfg: Config) -> dict[str, np.ndarray]:
    """The face stage of ``cfg.face.region`` and the landmark stage over the same frames:
    times (N,), face flags (N,), crops (N, s, s, 3), their regions (N, s, s) uint8 (as the
    chain weights them), the teacher (N, s, s) uint8 (the landmark region over each crop),
    whether there is one, ``taught`` (N,), and the detector's keypoints (N, 6, 2) in units
    of the crop's side (NaN unknown)."""
    size = cfg.model.input_size
    keys = ("t_s", "face", "crops", "regions", "teacher", "taught", "points")
    rows: dict[str, list] = {k: [] for k in keys}
    waiting: deque[FaceCrop] = deque()  # the crops whose mesh fit is still computing

    def add(mesh_crops: list[FaceCrop]) -> None:
        for mesh in mesh_crops:
            box = waiting.popleft()
            crop, taught = taught_pair(box, mesh, size)
            region = box.region if box.found else np.zeros((size, size), np.float32)
            rows["t_s"].append(box.t_s)
            rows["face"].append(box.found)
            rows["crops"].append(crop)
            rows["regions"].append(cv2.resize(region, (size, size), interpolation=cv2.INTER_AREA))
            rows["teacher"].append(np.zeros((size, size), np.float32) if taught is None else taught)
            rows["taught"].append(taught is not None)
            rows["points"].append(box.points)

    mesh_cfg = replace(cfg.face, region="landmarks", fallback=False)  # the mesh's region or none
    with rec.frames() as source, FaceStage.from_config(cfg.face) as boxes, FaceStage(mesh_cfg) as mesh:
        for frame in source:
            waiting.append(boxes.push(frame))
            add(mesh.feed(frame))
        add(mesh.drain())
    if not rows["crops"]:
        raise RppgError(f"{rec.video}: no frames could be decoded")
    to_u8 = lambda maps: (np.stack(maps) * 255 + 0.5).astype(np.uint8)  # noqa: E731
    return {
        "t_s": np.asarray(rows["t_s"]),
        "face": np.asarray(rows["face"]),
        "crops": np.stack(rows["crops"]),
        "regions": to_u8(rows["regions"]),
        "teacher": to_u8(rows["teacher"]),
        "taught": np.asarray(rows["taught"]),
        "points": stacked_points(rows["points"]),
    }


def sample_taught_frames(
    sets: list, count: int, rng: np.random.Generator, video_share: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random frames with a teacher from crop sets (:class:`rppg.apps.train_data.CropSet`
    with ``teacher``): crops (count, s, s, 3) BGR uint8 and teacher (count, s, s) uint8.

    Each frame comes from a random set: every set alike, or, with ``video_share``, that share
    of the frames from the teacher-only sets (``teacher_only``, real faces) and the rest from
    the others (where both kinds are there)."""
    where = [np.flatnonzero(s.taught) if s.teacher is not None else np.empty(0, int) for s in sets]
    usable = [i for i, w in enumerate(where) if len(w)]
    if not usable:
        raise RppgError("no training frame has a landmark region to teach the mask (train.teacher_weight)")
    videos = [i for i in usable if sets[i].teacher_only]
    others = [i for i in usable if not sets[i].teacher_only]
    split = video_share is not None and videos and others
    picks = []
    for _ in range(count):
        pool = (videos if rng.random() < video_share else others) if split else usable
        i = pool[rng.integers(len(pool))]
        picks.append((i, int(where[i][rng.integers(len(where[i]))])))
    crops = np.stack([sets[i].crops[k] for i, k in picks])
    return crops, np.stack([sets[i].teacher[k] for i, k in picks])


def taught_batch(sets: list, tc: TrainConfig, rng: np.random.Generator) -> tuple | None:
    """The teacher's frames for one training step (``train.teacher_frames``, drawn as
    ``train.teacher_video_share`` says); None where the teacher is off (``teacher_weight`` 0)."""
    if tc.teacher_weight <= 0:
        return None
    return sample_taught_frames(sets, tc.teacher_frames, rng, tc.teacher_video_share)


def region_iou(masks: np.ndarray, regions: np.ndarray, at: float = AGREE_AT) -> np.ndarray:
    """Per frame, the intersection over union of (mask > ``at``) and (region > ``at``):
    masks and regions (N, H, W) in [0, 1] -> (N,); 1 where both are empty."""
    m, r = masks > at, regions > at
    inter = (m & r).sum(axis=(1, 2))
    union = (m | r).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def mask_agreement(
    net: MaskNet, crops: np.ndarray, teacher: np.ndarray, points: np.ndarray | None = None
) -> np.ndarray:
    """Per frame, :func:`region_iou` of the mask over whole crops (N, s, s, 3) BGR uint8
    against their teacher regions (N, s, s) uint8: (N,); ``points`` (N, 6, 2): the faces'
    keypoints, where the mask's prior is placed."""
    batch = lambda a, i: None if a is None else a[i : i + 256]  # noqa: E731
    at = range(0, len(crops), 256)
    masks = np.concatenate([masked_rgb(net, crops[i : i + 256], points=batch(points, i))[1] for i in at])
    return region_iou(masks, teacher.astype(np.float32) / 255)


def sets_agreement(net: MaskNet, sets: list, every: int = 5) -> float:
    """Mean :func:`mask_agreement` over every ``every``-th taught frame of crop sets (with a
    teacher); NaN where none has one."""
    scores = [
        mask_agreement(net, s.crops[s.taught][::every], s.teacher[s.taught][::every])
        for s in sets
        if s.teacher is not None and s.taught.any()
    ]
    return float(np.mean(np.concatenate(scores))) if scores else float("nan")
