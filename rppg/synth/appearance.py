"""How the synthetic person looks: the face photo with beard, glasses, hair colour, specular
highlights, skin-coloured clothing and wall, and the maps that say where the pulse is.

Everything here is in the photo's own pixels (before the head's motion and the frame's
lighting): :class:`Look` is what :class:`rppg.synth.scene.Renderer` warps into each frame.
The skin map is the ground truth a mask is taught or checked against, so it leaves out
everything that does not pulse: eyes, brows, lips (they move when people talk), hair,
beard, glasses and the share of a highlight that is mirror-like reflection.

    look = make_look(spec)           # photo (H, W, 3) BGR float, skin (H, W), ...
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from rppg.synth.spec import HAIR_COLOURS, SynthSpec

# Region of scikit-image's astronaut photo used (rows, cols), and where the parts of her face
# are in it (photo-crop pixels: centre x, centre y, half-width, half-height), read off the photo.
PHOTO_ROWS, PHOTO_COLS = slice(0, 300), slice(90, 360)
FACE = (135, 132, 46, 60)
HEAD = (136, 80, 76, 68)
EYES = ((113, 102, 11, 6), (159, 103, 11, 6))
BROWS = ((112, 90, 15, 5), (160, 90, 15, 5))
LIPS = (133, 145, 23, 10)
HIGHLIGHTS = ((136, 70, 11, 7), (133, 122, 4, 4), (164, 120, 6, 4), (104, 119, 5, 4))
"""Where light glints off skin: forehead, nose tip, both cheekbones."""
CLOTHES_FROM_ROW = 172
"""Below this row everything that is not face or skin-coloured neck is suit and helmet ring."""

NECK = (135, 178, 30, 26)
SHOULDERS_FROM_ROW = 190
"""Below this row (under her chin) the photo is her suit, from edge to edge: part of the person."""

BEARD_BGR = np.array([35, 45, 60], np.float32)
LIP_BGR = np.array([95, 90, 175], np.float32)
"""Lip colour relative to her skin's (BGR, at the skin's brightness): redder, more saturated."""
GLASSES_BGR = np.array([30, 30, 35], np.float32)


@dataclass
class Look:
    """The person in photo pixels, as float32 maps of one shape (H, W)."""

    photo: np.ndarray
    """BGR (H, W, 3), 0-255, before the pulse."""
    skin: np.ndarray
    """Where and how strongly the pulse shows, [0, 1]."""
    non_skin: np.ndarray
    """Areas next to the face that a distractor makes pulse at another rate (hair, wall,
    skin-coloured clothing), [0, 1]."""
    specular: np.ndarray
    """Mirror-like reflection added on top of the skin, BGR (H, W, 3) 0-255: it does not
    pulse and it flickers as the head turns."""
    figure: np.ndarray
    """The person against the wall (head, face, shoulders), [0, 1]: what a crowd scene cuts
    out of each person's picture (:mod:`rppg.synth.crowd`)."""


def _ellipse(shape: tuple[int, int], cx: float, cy: float, ax: float, ay: float) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 <= 1


def _soft(mask: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)


@lru_cache(maxsize=1)
def _base() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The photo crop (BGR float32) and its hard masks: face skin, hair, wall, clothes."""
    from skimage import data

    photo = np.ascontiguousarray(data.astronaut()[PHOTO_ROWS, PHOTO_COLS, ::-1])
    shape = photo.shape[:2]
    ycc = cv2.cvtColor(photo, cv2.COLOR_BGR2YCrCb).astype(int)
    sat = cv2.cvtColor(photo, cv2.COLOR_BGR2HSV)[..., 1].astype(int)
    value = photo.max(axis=2).astype(int)
    yy = np.mgrid[0 : shape[0], 0 : shape[1]][0]
    face, head = _ellipse(shape, *FACE), _ellipse(shape, *HEAD)
    cr, cb = ycc[..., 1], ycc[..., 2]
    skin_colour = (cr >= 135) & (cr <= 180) & (cb >= 80) & (cb <= 130) & (ycc[..., 0] > 70)
    parts = np.zeros(shape, bool)
    for e in (*EYES, *BROWS, LIPS):
        parts |= _ellipse(shape, *e)
    masks = {
        "skin": face & skin_colour & ~parts,
        "hair": head & ~face & (sat > 60) & (yy < 150),
        "wall": ~head & ~face & (sat < 45) & (value > 120) & (yy < 170),
        "clothes": (yy >= CLOTHES_FROM_ROW) & ~face & ~(skin_colour & (yy < 195)),
        "lower_face": face & (yy > LIPS[1] - LIPS[3] - 4) & ~_ellipse(shape, *LIPS),
        "figure": head | face | _ellipse(shape, *NECK) | (yy >= SHOULDERS_FROM_ROW),
    }
    return photo.astype(np.float32), masks


def make_look(spec: SynthSpec) -> Look:
    """The photo dressed as ``spec`` says, with its skin, distractor and highlight maps."""
    photo, m = _base()
    photo = photo.copy()
    shape = photo.shape[:2]
    skin = m["skin"].astype(np.float32)
    rng = np.random.default_rng(spec.seed + 3000)
    skin_bgr = photo[m["skin"]].mean(axis=0)

    tint = HAIR_COLOURS[spec.hair_colour]
    if tint is not None:
        level = photo[m["hair"]].mean() + 1e-6
        hair = _soft(m["hair"])[..., None]
        shade = photo.mean(axis=2, keepdims=True) / level
        photo = photo * (1 - hair) + hair * shade * np.array(tint, np.float32)
    if spec.beard > 0:
        # Stubble: dark hairs over a random share of the lower face; the skin between still pulses.
        hairs = (rng.random(shape) < spec.beard).astype(np.float32)
        density = cv2.GaussianBlur(hairs, (0, 0), 0.7) * min(1.0, 1.5 * spec.beard)
        cover = _soft(m["lower_face"], 2.0) * density
        texture = BEARD_BGR * (0.7 + 0.6 * rng.random((*shape, 1)).astype(np.float32))
        photo = photo * (1 - cover[..., None]) + texture * cover[..., None]
        skin *= 1 - cover
    if spec.mouth_closed:
        lips = _soft(_ellipse(shape, LIPS[0], LIPS[1], LIPS[2] - 2, LIPS[3] - 3), 1.5)[..., None]
        shade = 0.85 + 0.3 * rng.random((*shape, 1)).astype(np.float32) * 0.5
        colour = LIP_BGR * rng.uniform(0.8, 1.1, 3).astype(np.float32) * (skin_bgr.mean() / LIP_BGR.mean())
        photo = photo * (1 - lips) + lips * shade * colour
    if spec.glasses:
        frame = np.zeros(shape, np.uint8)
        for cx, cy, _, _ in EYES:
            cv2.ellipse(frame, (cx, cy), (17, 11), 0, 0, 360, 255, 3, cv2.LINE_AA)
        cv2.line(frame, (EYES[0][0] + 17, EYES[0][1] - 2), (EYES[1][0] - 17, EYES[1][1] - 2), 255, 3)
        rims = frame.astype(np.float32)[..., None] / 255
        photo = photo * (1 - rims) + GLASSES_BGR * rims
        skin *= 1 - rims[..., 0]
    if spec.skin_coloured_clothes:
        clothes = _soft(m["clothes"])[..., None]
        shade = photo.mean(axis=2, keepdims=True) / max(photo[m["clothes"]].mean(), 1e-6)
        photo = photo * (1 - clothes) + clothes * np.clip(0.9 * shade, 0.5, 1.3) * skin_bgr
    if spec.skin_coloured_wall:
        wall = _soft(m["wall"])[..., None]
        photo = photo * (1 - wall) + wall * 0.95 * skin_bgr
    glint = np.zeros(shape, np.float32)
    if spec.highlights > 0:
        for e in HIGHLIGHTS:
            glint = np.maximum(glint, _soft(_ellipse(shape, *e), 2.0))
        glint *= spec.highlights
        # A glint's light is mostly mirror-like: its share of the pixel carries no pulse.
        skin *= 1 - 0.7 * glint
    distract = m["hair"] | m["wall"] | (m["clothes"] if spec.skin_coloured_clothes else False)
    return Look(
        photo=photo.astype(np.float32),
        skin=np.clip(_soft(skin, 1.0), 0, 1),
        non_skin=_soft(distract, 1.0),
        specular=(glint[..., None] * np.float32(140)) * np.ones(3, np.float32),
        figure=_soft(m["figure"], 1.5),
    )
