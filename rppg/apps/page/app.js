"use strict";
// rppg live: the camera (or the file the server plays) on one WebSocket to the rppg process
// that served this page. Every number shown is the server's: this page only captures,
// draws and asks (record, mask overlay).

const token = new URLSearchParams(location.search).get("token") || "";
const SIDE = [320, 240]; // frames are sent at most this size: plenty for the face stage
const MAX_BUFFERED = 2 * SIDE[0] * SIDE[1] * 4; // the server is behind: skip frames
const TREND_S = 600; // the rate-over-time chart keeps the last ten minutes
const COLOURS = { good: "#2e9e44", fair: "#d08a00", poor: "#c8323c", none: "#808080" };

const $ = (id) => document.getElementById(id);
const view = $("view");
const ctx = view.getContext("2d");
const grab = document.createElement("canvas");
const grabCtx = grab.getContext("2d", { willReadFrequently: true });
const maskCanvas = document.createElement("canvas");

// Everything the page knows; window.rppg for tests and the curious.
const state = { mode: null, face: null, mask: null, showMask: false, recording: false, readings: [], t0: null };
window.rppg = state;

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (event) => (typeof event.data === "string" ? onMessage(ws, JSON.parse(event.data)) : onImage(event.data));
  ws.onclose = (event) => status(`connection closed${event.reason ? ": " + event.reason : ""} (reload the page for a new session)`, true);
  ws.onerror = () => status("cannot reach the rppg process (is it still running?)", true);
  $("record").onclick = () => send(ws, { type: "record", on: !state.recording });
  $("mask").onchange = (event) => {
    state.showMask = event.target.checked;
    send(ws, { type: "mask", on: state.showMask });
  };
  $("snapshot").onclick = snapshot;
  return ws;
}

function send(ws, command) {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(command));
}

function onMessage(ws, msg) {
  if (msg.type === "hello") {
    state.mode = msg.mode;
    if (msg.mode === "camera") startCamera(ws);
    else status("playing the file rppg was given");
  } else if (msg.type === "face") {
    state.face = msg;
    if (state.mode === "camera") status(liveStatus());
  } else if (msg.type === "mask") {
    state.mask = msg;
  } else if (msg.type === "reading") {
    showReading(msg);
  } else if (msg.type === "recording") {
    state.recording = msg.on;
    $("record").classList.toggle("on", msg.on);
    $("record").textContent = msg.on ? "stop recording" : "record";
    status(msg.on ? `recording into ${msg.folder}` : `recorded into ${msg.folder}`);
  } else if (msg.type === "end") {
    status("the file has ended");
  }
}

// --------------------------------------------------------------------------- the camera

async function startCamera(ws) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (err) {
    status(cameraError(err), true);
    return;
  }
  const video = $("camera");
  video.srcObject = stream;
  await video.play();
  status(liveStatus());
  const onFrame = (now, metadata) => {
    capture(ws, video, metadata);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

function liveStatus() {
  if (state.face && !state.face.box) return "no face: look at the camera";
  return state.measuring === false ? "live" : "measuring: keep still, in even light (a rate after one window)";
}

function cameraError(err) {
  if (err.name === "NotAllowedError") return "camera access was denied: allow it for this page in the browser's site settings, then reload";
  if (err.name === "NotFoundError" || err.name === "OverconstrainedError") return "no camera found";
  if (err.name === "NotReadableError") return "the camera is in use by another program";
  return `the camera cannot be opened (${err.name})`;
}

function capture(ws, video, metadata) {
  // The frame's own capture time where the browser gives it (ms on the page's clock).
  const when = metadata.captureTime ?? metadata.expectedDisplayTime ?? performance.now();
  if (state.t0 === null) state.t0 = when;
  const scale = Math.min(SIDE[0] / video.videoWidth, SIDE[1] / video.videoHeight, 1);
  const w = Math.round(video.videoWidth * scale);
  const h = Math.round(video.videoHeight * scale);
  if (grab.width !== w || grab.height !== h) {
    grab.width = w;
    grab.height = h;
  }
  grabCtx.drawImage(video, 0, 0, w, h);
  draw(grab);
  if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED) return;
  const pixels = grabCtx.getImageData(0, 0, w, h).data;
  const message = new ArrayBuffer(16 + pixels.length);
  const header = new DataView(message);
  header.setUint32(0, w, true);
  header.setUint32(4, h, true);
  header.setFloat64(8, (when - state.t0) / 1000, true);
  new Uint8Array(message, 16).set(pixels);
  ws.send(message);
}

async function onImage(data) {
  // --source: the server's frame, already turned as the face was found.
  draw(await createImageBitmap(new Blob([data], { type: "image/jpeg" })), false);
}

// --------------------------------------------------------------------------- drawing

function draw(image, mayTurn = true) {
  const turn = mayTurn && state.face ? state.face.turn : 0;
  const sideways = turn === 90 || turn === 270;
  const w = sideways ? image.height : image.width;
  const h = sideways ? image.width : image.height;
  if (view.width !== w || view.height !== h) {
    view.width = w;
    view.height = h;
  }
  ctx.save();
  ctx.translate(w / 2, h / 2);
  ctx.rotate((turn * Math.PI) / 180);
  ctx.drawImage(image, -image.width / 2, -image.height / 2);
  ctx.restore();
  overlay();
}

function overlay() {
  const face = state.face;
  if (!face) return;
  // The server's coordinates are pixels of the frame it read (a played file: full size).
  const k = face.size ? view.width / face.size[0] : 1;
  ctx.save();
  ctx.scale(k, k);
  if (face.faces) face.faces.forEach((f) => drawTag(f, 1 / k));
  if (face.box) drawFace(face, 1 / k);
  ctx.restore();
}

function drawFace(face, px) {
  if (state.showMask && state.mask) drawMask(state.mask);
  ctx.lineWidth = 2 * px;
  ctx.strokeStyle = "#3cdc3c";
  const [x, y, w, h] = face.box;
  if (!face.faces) ctx.strokeRect(x, y, w, h);
  ctx.strokeStyle = "rgba(255, 255, 255, 0.8)";
  ctx.lineWidth = px;
  for (const part of face.outline || []) {
    ctx.beginPath();
    part.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.closePath();
    ctx.stroke();
  }
}

// --faces: every face's box in its quality's colour, tagged with its number and rate;
// px: one screen pixel in the frame's pixels, so that tags read the same at any scale.
function drawTag(f, px) {
  if (!f.box) return;
  const [x, y, w, h] = f.box;
  const colour = COLOURS[f.quality] || COLOURS.none;
  ctx.lineWidth = 2 * px;
  ctx.strokeStyle = colour;
  ctx.strokeRect(x, y, w, h);
  const tag = `${f.id}: ${f.hr_bpm === null ? "..." : f.hr_bpm.toFixed(0) + " bpm"}`;
  ctx.font = `bold ${13 * px}px sans-serif`;
  const width = ctx.measureText(tag).width + 8 * px;
  const top = Math.max(y - 18 * px, 0);
  ctx.fillStyle = colour;
  ctx.fillRect(x, top, width, 18 * px);
  ctx.fillStyle = "#fff";
  ctx.fillText(tag, x + 4 * px, top + 14 * px);
}

function drawMask(mask) {
  const [x0, y0, x1, y1] = mask.rect;
  maskCanvas.width = maskCanvas.height = mask.size;
  const mctx = maskCanvas.getContext("2d");
  const pixels = mctx.createImageData(mask.size, mask.size);
  mask.values.forEach((v, i) => {
    pixels.data.set([v, 60, 255 - v, 120], 4 * i); // red: counts, blue: ignored
  });
  mctx.putImageData(pixels, 0, 0);
  ctx.drawImage(maskCanvas, x0, y0, x1 - x0, y1 - y0);
}

function showReading(r) {
  state.readings.push(r);
  state.measuring = r.hr_bpm === null;
  if (state.mode === "camera") status(liveStatus());
  while (state.readings.length && r.t_s - state.readings[0].t_s > TREND_S) state.readings.shift();
  const hr = $("hr");
  hr.textContent = r.hr_bpm === null ? "measuring..." : r.hr_bpm.toFixed(1);
  hr.className = r.hr_bpm === null ? "none" : r.quality;
  $("quality").textContent = r.quality;
  $("quality").className = r.quality;
  $("snr").textContent = r.snr_db === null ? "" : `SNR ${r.snr_db.toFixed(1)} dB`;
  $("fps").textContent = `${r.fps.toFixed(0)} fps`;
  const reasons = r.quality === "good" ? [] : r.reasons;
  $("reasons").replaceChildren(...reasons.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  $("faces").replaceChildren(...(r.faces || []).map(faceItem));
  drawWave(r.pulse);
  drawTrend();
}

function faceItem(f) {
  const rate = f.hr_bpm === null ? "measuring..." : `${f.hr_bpm.toFixed(1)} bpm`;
  const item = Object.assign(document.createElement("li"), { textContent: `face ${f.id}: ${rate} (${f.quality})` });
  item.className = f.quality;
  return item;
}

function drawWave(pulse) {
  const canvas = $("wave");
  const c = canvas.getContext("2d");
  c.clearRect(0, 0, canvas.width, canvas.height);
  if (pulse.length < 2) return;
  c.strokeStyle = "#ff6a6a";
  c.lineWidth = 2;
  c.beginPath();
  pulse.forEach((v, i) => {
    const px = (i / (pulse.length - 1)) * (canvas.width - 8) + 4;
    const py = canvas.height / 2 - v * (canvas.height / 2 - 6);
    i ? c.lineTo(px, py) : c.moveTo(px, py);
  });
  c.stroke();
}

function drawTrend() {
  const canvas = $("trend");
  const c = canvas.getContext("2d");
  c.clearRect(0, 0, canvas.width, canvas.height);
  const points = state.readings.filter((r) => r.hr_bpm !== null);
  if (!points.length) return;
  const rates = points.map((r) => r.hr_bpm);
  const lo = Math.min(...rates) - 5;
  const hi = Math.max(...rates) + 5;
  const t0 = points[0].t_s;
  const span = Math.max(points[points.length - 1].t_s - t0, 30);
  c.fillStyle = "#888";
  c.font = "11px system-ui, sans-serif";
  c.fillText(`${hi.toFixed(0)} bpm`, 4, 12);
  c.fillText(`${lo.toFixed(0)} bpm`, 4, canvas.height - 4);
  for (const r of points) {
    c.fillStyle = COLOURS[r.quality];
    const px = 50 + ((r.t_s - t0) / span) * (canvas.width - 60);
    const py = canvas.height - ((r.hr_bpm - lo) / (hi - lo)) * canvas.height;
    c.fillRect(px - 2, py - 2, 4, 4);
  }
}

function snapshot() {
  view.toBlob((blob) => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `rppg_snapshot_${new Date().toISOString().replace(/[:.]/g, "-")}.png`;
    link.click();
    URL.revokeObjectURL(link.href);
  });
}

connect();
