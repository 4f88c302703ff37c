"""`rppg export-mask`: the mask network as ONNX, checked in onnxruntime against numpy."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rppg.mask.net import load_mask_model, masked_rgb

onnx = pytest.importorskip("onnx", reason="the ONNX export needs 'rppg[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the export's round trip runs in onnxruntime (dev extra)")


def run_onnx(path, crops: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"crops": crops})
    return out


def face_crops(video) -> np.ndarray:
    """Three crops (3, 96, 96, 3) BGR uint8 of a synthetic face: face, dark corner, bright
    patch (the brightness clip at both ends)."""
    ok, frame = cv2.VideoCapture(str(video)).read()
    assert ok
    face = cv2.resize(frame[20:220, 60:260], (96, 96), interpolation=cv2.INTER_AREA)
    dark = face.copy()
    dark[:48, :48] = 0
    bright = face.copy()
    bright[48:, 48:] = 255
    return np.stack([face, dark, bright])


def test_onnx_export_matches_the_numpy_mask_within_1e5(cli, tmp_path, short_video):
    out = tmp_path / "mask.onnx"
    run = cli("export-mask", out)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(out)
    model = onnx.load(str(out))
    assert [i.name for i in model.graph.input] == ["crops"]
    assert [o.name for o in model.graph.output] == ["mask"]

    net = load_mask_model()
    rng = np.random.default_rng(0)
    for crops in (face_crops(short_video), rng.integers(0, 256, (2, 37, 53, 3), dtype=np.uint8)):
        got = run_onnx(out, crops)
        want = masked_rgb(net, crops)[1]
        assert got.shape == crops.shape[:3] and got.dtype == np.float32
        assert np.abs(got - want).max() <= 1e-5
    assert np.ptp(want) > 0.3  # the comparison covers weights across the range, not one value


def test_onnx_export_of_other_weights_and_bad_input(cli, tmp_path, short_video):
    from rppg.mask.net import WEIGHT_SHAPES

    rng = np.random.default_rng(1)
    arrays = {name: rng.normal(0, 0.5, shape).astype(np.float32) for name, shape in WEIGHT_SHAPES.items()}
    weights = tmp_path / "other.npz"
    np.savez(weights, input_version=np.array(2), **arrays)
    out = tmp_path / "other.onnx"
    assert cli("export-mask", out, "--weights", weights).returncode == 0
    crops = face_crops(short_video)
    from rppg.mask.net import MaskNet

    want = masked_rgb(MaskNet.from_arrays(arrays), crops)[1]
    assert np.abs(run_onnx(out, crops) - want).max() <= 1e-5
    assert np.abs(want - masked_rgb(load_mask_model(), crops)[1]).max() > 0.1  # not the shipped mask

    wrong = cli("export-mask", tmp_path / "x.onnx", "--weights", tmp_path / "missing.npz")
    assert wrong.returncode == 2 and "missing.npz: mask weights not found" in wrong.stderr
    wrong = cli("export-mask", tmp_path / "x.pt")
    assert wrong.returncode == 2 and "must end in .onnx" in wrong.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_onnx_export_of_the_box_mask_keeps_its_prior(cli, tmp_path, short_video):
    out = tmp_path / "box.onnx"
    run = cli("export-mask", out, "--region", "box")
    assert run.returncode == 0, run.stderr
    crops = cv2.resize(face_crops(short_video)[0], (36, 36), interpolation=cv2.INTER_AREA)[None]
    crops = np.concatenate([crops, np.random.default_rng(4).integers(0, 256, (2, 36, 36, 3), dtype=np.uint8)])
    want = masked_rgb(load_mask_model(None, "box"), crops)[1]
    got = run_onnx(out, crops)
    assert np.abs(got - want).max() <= 1e-5
    assert want[:, 0].max() < 0.2 < want.max()  # the prior darkens the crop's top row
