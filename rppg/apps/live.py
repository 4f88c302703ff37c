"""The live heart-rate display: the window, its keys and the session recorder, around the
streaming estimator (:mod:`rppg.streaming`), which computes every number shown.

    run_live(CameraSource(0), cfg, LiveOptions())                          # a window
    run_live(VideoFileSource("face.avi"), cfg, LiveOptions(headless=True))   # JSON lines
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from rppg.apps.figures import QUALITY_BGR
from rppg.apps.mask_pictures import picture_net, whole_mask
from rppg.chain.streaming import LiveReading, StreamingEstimator
from rppg.config import Config
from rppg.errors import RppgError
from rppg.files import CsvWriter, json_number
from rppg.io.frames import Frame, FrameSource
from rppg.mask.net import MaskNet

# --------------------------------------------------------------------------- pacing and recording


def paced(source: FrameSource, realtime: bool):
    """Frames of ``source``, delivered no faster than their timestamps when ``realtime``."""
    start = time.monotonic()
    for frame in source:
        if realtime:
            delay = frame.t_s - (time.monotonic() - start)
            if delay > 0:
                time.sleep(delay)
        yield frame


class SessionRecorder:
    """Saves a live session: ``video.avi`` (MJPG), ``frames_timestamp.csv`` (frame, s),
    ``hr.csv`` (t_s, hr_bpm, snr_db, quality) and ``pulse.csv`` (t_s, pulse_au: each reading's
    newest samples); files are flushed as the session goes."""

    def __init__(self, folder: str | os.PathLike, fps: float) -> None:
        self.folder = Path(folder)
        self.fps = fps
        self._writer = None
        self._stamps = CsvWriter(self.folder / "frames_timestamp.csv", ["frame", "timestamp"])
        self._hr = CsvWriter(self.folder / "hr.csv", ["t_s", "hr_bpm", "snr_db", "quality"])
        self._pulse = CsvWriter(self.folder / "pulse.csv", ["t_s", "pulse_au"])
        self._pulse_until = -np.inf
        self._n = 0

    def frame(self, frame: Frame) -> None:
        if self._writer is None:
            h, w = frame.image.shape[:2]
            path = str(self.folder / "video.avi")
            self._writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), self.fps, (w, h))
            if not self._writer.isOpened():
                raise RppgError(f"{path}: cannot write video")
        self._writer.write(frame.image)
        self._stamps.row([self._n, frame.t_s])
        self._n += 1

    def reading(self, r: LiveReading) -> None:
        self._hr.row([r.t_s, r.hr_bpm, r.snr_db, r.quality.label])
        for t, value in zip(r.pulse_t_s, r.pulse, strict=True):
            if t > self._pulse_until:
                self._pulse.row([t, value])
        if len(r.pulse_t_s):
            self._pulse_until = max(self._pulse_until, float(r.pulse_t_s[-1]))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
        for log in (self._stamps, self._hr, self._pulse):
            log.close()


# --------------------------------------------------------------------------- drawing


@dataclass
class DisplayState:
    show_mask: bool = False
    net: MaskNet | None = None
    """The mask network, to overlay its weights over the whole crop (None: the chain's own
    mask, inside the region)."""
    wave_s: float = 6.0
    """Seconds of pulse shown in the scrolling waveform."""


HR_TEXT_ORIGIN = (16, 64)
WAVE_HEIGHT = 90


def render_overlay(
    image: np.ndarray, reading: LiveReading, state: DisplayState, faces: dict[int, LiveReading] | None = None
) -> np.ndarray:
    """The live view drawn onto a copy of ``image`` (BGR uint8): face box, heart rate (or
    "measuring..."), a quality bar, the scrolling pulse and the frame rate. ``faces``
    (several faces): every face's box with its number and rate; the panel is the main
    face's (``reading``)."""
    view = image.copy()
    h, w = view.shape[:2]
    box = reading.sample.face.box
    for r in (faces or {1: reading}).values():
        if state.show_mask and r.sample.mask is not None and r.sample.face.rect is not None:
            _draw_mask(view, r, state.net)
    if box is not None and not faces:
        cv2.rectangle(
            view, (int(box.x), int(box.y)), (int(box.x + box.w), int(box.y + box.h)), (0, 255, 0), 2
        )
    text = "measuring..." if reading.hr_bpm is None else f"{reading.hr_bpm:.0f} bpm"
    scale = 1.0 if reading.hr_bpm is None else 1.6
    cv2.rectangle(view, (0, 0), (min(w, 330), 110), (0, 0, 0), -1)
    cv2.putText(view, text, HR_TEXT_ORIGIN, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 3, cv2.LINE_AA)
    label = reading.quality.label
    snr = "" if reading.snr_db is None else f" ({reading.snr_db:.1f} dB)"
    cv2.putText(
        view,
        f"quality: {label}{snr}",
        (16, 92),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.5,
        QUALITY_BGR[label],
        1,
        cv2.LINE_AA,
    )
    cv2.putText(
        view, f"{reading.fps:.0f} fps", (w - 90, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2
    )
    if box is None:
        cv2.putText(view, "no face", (w // 2 - 50, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (40, 40, 230), 2)
    _draw_wave(view, reading.pulse, reading.fps, state.wave_s)
    hint = "q quit  m mask  s snapshot"
    cv2.putText(
        view, hint, (w - 230, h - WAVE_HEIGHT - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1
    )
    for face_id, r in (faces or {}).items():  # on top of the panel: a face under it stays tagged
        _draw_face(view, face_id, r)
    return view


def _draw_face(view: np.ndarray, face_id: int, r: LiveReading) -> None:
    """One of several faces: its box and a tag with its number and rate, in its quality's colour."""
    box = r.sample.face.box
    if box is None:
        return
    colour = QUALITY_BGR[r.quality.label]
    x0, y0, x1, y1 = int(box.x), int(box.y), int(box.x + box.w), int(box.y + box.h)
    cv2.rectangle(view, (x0, y0), (x1, y1), colour, 2)
    tag = f"{face_id}: " + ("..." if r.hr_bpm is None else f"{r.hr_bpm:.0f} bpm")
    (tw, th), base = cv2.getTextSize(tag, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)
    top = max(y0 - th - base - 4, 0)
    cv2.rectangle(view, (x0, top), (x0 + tw + 6, top + th + base + 4), colour, -1)
    cv2.putText(
        view, tag, (x0 + 3, top + th + 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA
    )


def _draw_wave(view: np.ndarray, pulse: np.ndarray, fps: float, seconds: float) -> None:
    h, w = view.shape[:2]
    top = h - WAVE_HEIGHT
    cv2.rectangle(view, (0, top), (w, h), (20, 20, 20), -1)
    n = int(seconds * max(fps, 1.0))
    wave = pulse[-n:] if len(pulse) else pulse
    if len(wave) < 2 or not np.isfinite(wave).all() or np.ptp(wave) == 0:
        return
    y = (wave - wave.min()) / np.ptp(wave)
    xs = np.linspace(4, w - 4, len(wave))
    ys = h - 8 - y * (WAVE_HEIGHT - 16)
    points = np.column_stack([xs, ys]).astype(np.int32)
    cv2.polylines(view, [points], False, (80, 80, 255), 2, cv2.LINE_AA)


def _draw_mask(view: np.ndarray, reading: LiveReading, net: MaskNet | None) -> None:
    """The mask as a heat map over the crop rectangle it was computed on: over the whole crop
    with ``net``, else the chain's own (inside the region)."""
    x0, y0, x1, y1 = reading.sample.face.rect
    mask = reading.sample.mask
    if net is not None and reading.sample.face.crop is not None:
        mask = whole_mask(net, reading.sample.face, mask.shape[0])
    heat = cv2.applyColorMap((np.clip(mask, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)
    heat = cv2.resize(heat, (x1 - x0, y1 - y0))
    view[y0:y1, x0:x1] = cv2.addWeighted(view[y0:y1, x0:x1], 0.5, heat, 0.5, 0)


# --------------------------------------------------------------------------- the session


@dataclass
class LiveOptions:
    headless: bool = False
    realtime: bool = True
    record: Path | None = None
    snapshot_dir: Path = Path(".")
    window: str = "rppg live"


def run_live(source: FrameSource, cfg: Config, opts: LiveOptions, out=sys.stdout) -> int:
    """Run the live loop until the source ends, q is pressed or the camera disconnects.

    Headless: one JSON line per second of video time on ``out``, nothing else."""
    est = StreamingEstimator.from_config(cfg)
    several = cfg.face.max_faces != 1
    recorder = SessionRecorder(opts.record, source.nominal_fps or 30.0) if opts.record else None
    state = DisplayState(show_mask=False, net=None if opts.headless else picture_net(cfg))
    next_report = None
    try:
        for frame in paced(source, opts.realtime):
            reading = est.push(frame)
            if recorder:
                recorder.frame(frame)
                if reading.updated:
                    recorder.reading(reading)
            if opts.headless:
                next_report = frame.t_s if next_report is None else next_report
                if frame.t_s >= next_report - 1e-6:
                    out.write(json.dumps(headless_record(reading, est.readings if several else None)) + "\n")
                    out.flush()
                    next_report += 1.0
                continue
            shown = render_overlay(frame.image, reading, state, est.readings if several else None)
            cv2.imshow(opts.window, shown)
            key = cv2.waitKey(1) & 0xFF
            if key == ord("q"):
                break
            if key == ord("m"):
                state.show_mask = not state.show_mask
            if key == ord("s"):
                path = opts.snapshot_dir / f"rppg_snapshot_{frame.index:06d}.png"
                cv2.imwrite(str(path), shown)
                print(f"rppg: snapshot saved to {path}", file=sys.stderr)
    finally:
        est.close()
        if recorder:
            recorder.close()
        if not opts.headless:
            cv2.destroyAllWindows()
    if getattr(source, "disconnected", False):
        kept = f"; recording kept in {opts.record}" if opts.record else ""
        print(f"rppg: {source.name} disconnected{kept}", file=sys.stderr)
    return 0


def headless_record(r: LiveReading, faces: dict[int, LiveReading] | None = None) -> dict:
    """The headless JSON line: t_s, hr_bpm (null while measuring), snr_db, fps, quality; with
    several faces (``faces``: each face's reading) also ``faces``: [{id, box, hr_bpm, snr_db,
    quality}] of the faces followed now, the top-level fields being the main face's."""
    record = {
        "t_s": round(r.t_s, 3),
        "hr_bpm": json_number(r.hr_bpm),
        "snr_db": json_number(r.snr_db),
        "fps": round(r.fps, 2),
        "quality": r.quality.label,
    }
    if faces is not None:
        record["faces"] = [face_record(i, f) for i, f in faces.items()]
    return record


def face_record(face_id: int, r: LiveReading) -> dict:
    """One face of the live ``faces`` list: id, box [x, y, w, h] (frame pixels; null while
    its face is missed), hr_bpm, snr_db, quality."""
    box = r.sample.face.box
    return {
        "id": face_id,
        "box": None if box is None else [round(v, 1) for v in (box.x, box.y, box.w, box.h)],
        "hr_bpm": json_number(r.hr_bpm),
        "snr_db": json_number(r.snr_db),
        "quality": r.quality.label,
    }
