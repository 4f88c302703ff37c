"""The live page, ``rppg live --browser``: a local web server (aiohttp, the optional extra
``rppg[web]``) around the same streaming estimator as every live use.

    rppg live --browser                       # the camera, seen by the page; opens the browser
    rppg live --browser --no-open --source face.mp4   # a file instead of the camera

The page takes each camera frame with its own capture time, scales it to 320x240 and sends
its raw pixels over one WebSocket; the server pushes them through a
:class:`rppg.chain.streaming.StreamingEstimator` (one per page: a new tab is a new session)
and sends back the face box and region outline as they come and, once a second of video, the
reading (rate, or none while measuring; SNR, quality and its reasons, the last seconds of
pulse: what ``live --headless`` prints, and more). With ``--source`` the server
reads the file itself and sends the page its frames as JPEG to show. Nothing else is served.

Closed by default: the server listens on 127.0.0.1 only; the page and the WebSocket need the
random token of the printed URL (403 without it); the WebSocket refuses another page's
``Origin`` (another site open in the same browser must not read a heart rate or send frames);
only the page's own three files are served (404 for any other path, ``..`` included); a
message larger than a 640x480 frame, a frame whose size does not add up, or a malformed
message closes that one connection. Frames stay in memory for the moment they are processed
and are written only while the user records.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import struct
import sys
import time
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from rppg.apps.live import SessionRecorder, face_record, headless_record
from rppg.apps.mask_pictures import picture_net, whole_mask
from rppg.chain.streaming import LiveReading, StreamingEstimator
from rppg.config import Config
from rppg.errors import RppgError
from rppg.face.landmarks import OUTLINE_PARTS
from rppg.io.frames import Frame
from rppg.io.video import VideoFileSource
from rppg.mask.net import MaskNet

PAGE = Path(__file__).with_name("page")
FILES = {"/app.js": ("app.js", "text/javascript"), "/style.css": ("style.css", "text/css")}
"""The page's own files besides the page itself (``/``, which needs the token)."""
HEADER = struct.Struct("<IId")
"""A frame message from the page: width, height (px) and capture time (s), then the RGBA
pixels, row by row."""
MAX_SIDE = (640, 480)
"""The largest frame a page may send (the page sends 320x240)."""
MAX_MESSAGE = HEADER.size + MAX_SIDE[0] * MAX_SIDE[1] * 4
"""Any larger message closes its connection."""
FACE_EVERY = 2
"""The face box and outline are sent with every this many frames."""
MASK_EVERY = 5
"""The mask overlay, when shown, with every this many frames."""
PULSE_S = 6.0
"""Seconds of pulse sent with each reading, for the scrolling wave."""
SHOW_PIXELS = 320 * 240
"""Frames of a ``--source`` file are shown with this many pixels (JPEG; a wide frame of
several faces is as sharp as a 4:3 one), never enlarged."""
INSTALL_HINT = "rppg live --browser needs aiohttp: pip install 'rppg[web]'"


@dataclass
class BrowserOptions:
    """How ``rppg live --browser`` serves."""

    host: str = "127.0.0.1"
    port: int = 0
    """0: a free port."""
    open_page: bool = True
    """Open the page in the default browser (``webbrowser``)."""
    source: Path | None = None
    """Play this file instead of the page's camera."""
    realtime: bool = True
    """``--source``: at the file's own pace (False: as fast as the chain goes)."""
    record_dir: Path = Path("rppg-recordings")
    """Where the record button saves each session (a folder each, as ``live --record``)."""


class BadMessage(Exception):
    """A message the page would never send: its connection is closed."""


def decode_frame(data: bytes) -> tuple[np.ndarray, float]:
    """A frame message -> (BGR image (H, W, 3) uint8, capture time in s)."""
    if len(data) < HEADER.size:
        raise BadMessage("frame header cut short")
    width, height, t_s = HEADER.unpack_from(data)
    if (
        not (0 < width <= MAX_SIDE[0] and 0 < height <= MAX_SIDE[1])
        or len(data) != HEADER.size + width * height * 4
    ):
        raise BadMessage(f"frame of {width}x{height} px does not match its {len(data)} bytes")
    if not np.isfinite(t_s):
        raise BadMessage("frame time is not a number")
    rgba = np.frombuffer(data, np.uint8, offset=HEADER.size).reshape(height, width, 4)
    return cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR), float(t_s)


def decode_command(text: str) -> dict:
    """A control message from the page: ``{"type": "record" | "mask", "on": bool}``."""
    try:
        command = json.loads(text)
    except ValueError:
        raise BadMessage("not JSON") from None
    if (
        not isinstance(command, dict)
        or command.get("type") not in ("record", "mask")
        or not isinstance(command.get("on"), bool)
    ):
        raise BadMessage("unknown command")
    return command


def face_message(
    reading: LiveReading, size: tuple[int, int], faces: dict[int, LiveReading] | None = None
) -> dict:
    """The face as the page draws it: box and crop rectangle, the region's outline (the oval,
    then each hole: eyes, brows, lips), the turn of the frame it was found in and that
    frame's ``size`` (width, height px, as turned: what the coordinates are pixels of); with
    several faces also ``faces`` (each face's id, box and rate: the live ``faces`` list)."""
    fc = reading.sample.face
    box = None if fc.box is None else [round(v, 1) for v in (fc.box.x, fc.box.y, fc.box.w, fc.box.h)]
    outline = (
        None if fc.outline is None else [np.round(fc.outline[a:b], 1).tolist() for a, b in OUTLINE_PARTS]
    )
    return {
        "type": "face",
        "t_s": round(reading.t_s, 3),
        "box": box,
        "rect": fc.rect,
        "outline": outline,
        "turn": fc.turn,
        "size": list(size[::-1]) if fc.turn in (90, 270) else list(size),
    } | ({} if faces is None else {"faces": [face_record(i, r) for i, r in faces.items()]})


def mask_message(reading: LiveReading, net: MaskNet | None = None) -> dict | None:
    """The skin mask over the crop rectangle, 8-bit values row by row (over the whole crop
    with ``net``, else the chain's own inside the region); None without one."""
    mask, rect = reading.sample.mask, reading.sample.face.rect
    if mask is None or rect is None:
        return None
    if net is not None and reading.sample.face.crop is not None:
        mask = whole_mask(net, reading.sample.face, mask.shape[0])
    values = (np.clip(mask, 0, 1) * 255).astype(np.uint8)
    return {"type": "mask", "rect": rect, "size": values.shape[0], "values": values.ravel().tolist()}


def reading_message(reading: LiveReading, faces: dict[int, LiveReading] | None = None) -> dict:
    """The once-a-second reading: the headless line (with several faces, their ``faces``
    list), the reasons, the last seconds of pulse."""
    n = int(PULSE_S * max(reading.fps, 1.0))
    pulse = reading.pulse[-n:]
    scale = float(np.max(np.abs(pulse))) if len(pulse) else 0.0
    wave = (pulse / scale if scale > 0 else pulse).round(3).tolist()
    record = headless_record(reading, faces)
    return {"type": "reading", **record, "reasons": reading.quality.reasons, "pulse": wave}


class Session:
    """One page's session: its own estimator (in a thread of its own, so the server stays
    responsive), what the page asked for (mask overlay, recording) and the recorder."""

    def __init__(self, ws, cfg: Config, opts: BrowserOptions) -> None:
        self.ws = ws
        self.cfg = cfg
        self.opts = opts
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="rppg-session")
        self.estimator: StreamingEstimator | None = None
        self.show_mask = False
        self.net = picture_net(cfg)
        """The mask network, for the overlay over the whole crop."""
        self.recorder: SessionRecorder | None = None
        self.frames = 0
        self.last_t = -np.inf
        self.next_reading: float | None = None
        self.several = cfg.face.max_faces != 1

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.estimator = await loop.run_in_executor(self.worker, StreamingEstimator.from_config, self.cfg)
        mode = "file" if self.opts.source else "camera"
        await self.ws.send_json({"type": "hello", "mode": mode, "window_s": self.cfg.signal.window_s})

    async def frame(self, image: np.ndarray, t_s: float) -> LiveReading | None:
        """Push one frame through the chain and send the page what it draws; frames whose
        time does not increase are skipped (a page's clock can repeat a frame)."""
        if t_s <= self.last_t:
            return None
        self.last_t = t_s
        frame = Frame(self.frames, t_s, image)
        self.frames += 1
        reading = await asyncio.get_running_loop().run_in_executor(self.worker, self.estimator.push, frame)
        if self.recorder is not None:
            self.recorder.frame(frame)
            if reading.updated:
                self.recorder.reading(reading)
        faces = self.estimator.readings if self.several else None
        if self.frames % FACE_EVERY == 0 or reading.updated:
            size = (image.shape[1], image.shape[0])
            await self.ws.send_json(face_message(reading, size, faces))
        if self.show_mask and self.frames % MASK_EVERY == 0:
            mask = mask_message(reading, self.net)
            if mask is not None:
                await self.ws.send_json(mask)
        self.next_reading = t_s if self.next_reading is None else self.next_reading
        if t_s >= self.next_reading - 1e-6:  # once a second of video, as live --headless
            await self.ws.send_json(reading_message(reading, faces))
            self.next_reading += 1.0
        return reading

    async def command(self, command: dict) -> None:
        if command["type"] == "mask":
            self.show_mask = command["on"]
        elif command["on"] and self.recorder is None:
            folder = self.opts.record_dir / datetime.now().strftime("session-%Y%m%d-%H%M%S")
            folder.mkdir(parents=True, exist_ok=True)
            self.recorder = SessionRecorder(folder, 30.0)
            await self.ws.send_json({"type": "recording", "on": True, "folder": str(folder)})
        elif not command["on"] and self.recorder is not None:
            folder = self.recorder.folder
            self.recorder.close()
            self.recorder = None
            await self.ws.send_json({"type": "recording", "on": False, "folder": str(folder)})

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
        if self.estimator is not None:
            self.worker.submit(self.estimator.close)
        self.worker.shutdown(wait=False)


async def receive(session: Session) -> None:
    """The page's messages until it goes: frames (camera mode) and commands."""
    from aiohttp import WSMsgType

    async for msg in session.ws:
        if msg.type == WSMsgType.BINARY and not session.opts.source:
            await session.frame(*decode_frame(msg.data))
        elif msg.type == WSMsgType.TEXT:
            await session.command(decode_command(msg.data))
        elif msg.type in (WSMsgType.BINARY, WSMsgType.TEXT):
            raise BadMessage("frames come from the file in --source mode")


async def play(session: Session, path: Path) -> None:
    """``--source``: the file's frames through the chain, at its own pace, each shown to the
    page as a JPEG (binary message) before what is drawn over it."""
    loop = asyncio.get_running_loop()
    with VideoFileSource(path) as source:
        frames = iter(source)
        start = time.monotonic()
        while (frame := await loop.run_in_executor(session.worker, next, frames, None)) is not None:
            if session.opts.realtime and (delay := frame.t_s - (time.monotonic() - start)) > 0:
                await asyncio.sleep(delay)
            reading = await session.frame(frame.image, frame.t_s)
            if reading is not None:
                await session.ws.send_bytes(shown(frame.image, reading.sample.face.turn))
    await session.ws.send_json({"type": "end"})


def shown(image: np.ndarray, turn: int) -> bytes:
    """A frame as the page shows it: turned as the face was found, SHOW_PIXELS large, JPEG."""
    from rppg.io.video import turned

    image = turned(image, turn)
    h, w = image.shape[:2]
    scale = min(1.0, float(np.sqrt(SHOW_PIXELS / (w * h))))
    small = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


async def run_session(session: Session, opts: BrowserOptions) -> None:
    """One page's session until it ends: the page's frames, or the played file's (with the
    page's messages read alongside)."""
    await session.start()
    if not opts.source:
        await receive(session)
        return
    # Both at once; a failure of either ends the session (not left waiting on the other).
    tasks = {asyncio.create_task(play(session, opts.source)), asyncio.create_task(receive(session))}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()


def make_app(cfg: Config, opts: BrowserOptions, token: str):
    """The aiohttp application: the page, its two files and its WebSocket; nothing else."""
    from aiohttp import WSCloseCode, web

    def authorised(request) -> bool:
        return hmac.compare_digest(request.query.get("token", ""), token)

    @web.middleware
    async def only_plain_paths(request, handler):
        # aiohttp resolves "..", but a path that needed resolving is none of the page's.
        raw = request.raw_path.split("?")[0]
        if ".." in raw or "%" in raw or "\\" in raw or "//" in raw:
            raise web.HTTPNotFound()
        return await handler(request)

    async def page(request):
        if not authorised(request):
            raise web.HTTPForbidden(text="this page needs the token of the URL rppg printed\n")
        return web.FileResponse(PAGE / "index.html", headers={"Cache-Control": "no-store"})

    async def asset(request):
        name, kind = FILES[request.path]
        return web.FileResponse(PAGE / name, headers={"Content-Type": kind})

    async def websocket(request):
        if not authorised(request):
            raise web.HTTPForbidden(text="this socket needs the token of the URL rppg printed\n")
        if request.headers.get("Origin") != f"http://{request.host}":
            raise web.HTTPForbidden(text="this socket serves only its own page\n")
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        session = Session(ws, cfg, opts)
        try:
            await run_session(session, opts)
        except BadMessage as exc:
            await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=str(exc)[:120].encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a bug ends this page's session, not the server
            print(f"rppg: error in a page's session: {type(exc).__name__}: {exc}", file=sys.stderr)
            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"rppg failed on this session")
        finally:
            session.close()
        return ws

    app = web.Application(middlewares=[only_plain_paths], client_max_size=64 * 1024)
    app.router.add_get("/", page)
    for path in FILES:
        app.router.add_get(path, asset)
    app.router.add_get("/ws", websocket)
    return app


def serve(cfg: Config, opts: BrowserOptions, out=sys.stdout, err=sys.stderr) -> int:
    """Serve the page until Ctrl-C (KeyboardInterrupt: the command exits 130)."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise RppgError(INSTALL_HINT) from None
    if opts.source is not None:
        VideoFileSource(opts.source).close()  # a bad file fails now, in one line
    if opts.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"rppg: warning: serving on {opts.host}: anyone who can reach it and has the URL sees the "
            "page; browsers allow the camera only on 127.0.0.1 or https",
            file=err,
        )
    asyncio.run(_serve(cfg, opts, out))
    return 0


async def _serve(cfg: Config, opts: BrowserOptions, out) -> None:
    from aiohttp import web

    token = secrets.token_urlsafe(16)
    runner = web.AppRunner(make_app(cfg, opts, token), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, opts.host, opts.port)
        try:
            await site.start()
        except OSError as exc:
            raise RppgError(f"cannot listen on {opts.host}:{opts.port} ({exc.strerror})") from None
        port = runner.addresses[0][1]
        host = f"[{opts.host}]" if ":" in opts.host else opts.host
        url = f"http://{host}:{port}/?token={token}"
        print(url, file=out, flush=True)
        if opts.open_page:
            webbrowser.open(url)
        await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await runner.cleanup()
