"""The mask network as an ONNX graph, for other runtimes (a browser, a phone, C++).

The graph is built from the numpy weights (no torch) and holds the input normalisation, so
a user feeds crops exactly as the chain makes them:

    input  "crops": uint8 BGR, shape (N, H, W, 3) (any N, H, W; with a prior, H and W
                    are the prior's: the box mask's 36 x 36)
    output "mask":  float32 in (0, 1), shape (N, H, W)

The box mask's prior is in the graph as it was learned, in the frame of the canonical
keypoints (:mod:`rppg.mask.align`): the chain places it on each face's keypoints, the graph
does not. To get the chain's mask, warp each crop onto the canonical keypoints first
(:func:`rppg.mask.align.to_canonical`), or take the prior unplaced on crops as they come.

It computes what :func:`rppg.mask.net.normalise` and :class:`rppg.mask.net.MaskNet` do
(without keypoints), operation for operation (a test runs it in onnxruntime against the numpy pass). Needs the
``onnx`` package (``pip install 'rppg[onnx]'``), imported only here.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from rppg.errors import RppgError
from rppg.files import atomic_write
from rppg.mask.net import DARK, INPUT_VERSION, LEVEL_CLIP, PRIOR, load_arrays, mask_weights_path

OPSET = 17
"""ONNX opset of the graph: 17 has ReduceMean with axes as an attribute and is read by every
current runtime (onnxruntime, onnxruntime-web, TensorRT, OpenCV's dnn)."""
INPUT_NAME = "crops"
OUTPUT_NAME = "mask"


def _onnx():
    try:
        import onnx
    except ImportError:
        raise RppgError("export-mask needs the onnx package: pip install 'rppg[onnx]'") from None
    return onnx


def _constants(arrays: dict[str, np.ndarray]) -> list:
    """The graph's initialisers: the normalisation's constants and the network's weights."""
    from onnx import numpy_helper

    def const(name: str, value, dtype=np.float32):
        return numpy_helper.from_array(np.asarray(value, dtype), name)

    return [
        const("inv255", 1 / 255),
        const("dark", DARK),
        const("six", 6.0),
        const("third", 1 / 3),
        const("inv_ln2", 1 / math.log(2)),
        const("lo", -LEVEL_CLIP),
        const("hi", LEVEL_CLIP),
        const("red_blue", [2, 0], np.int64),  # BGR -> R, B
        const("channel_last", [3], np.int64),
        const("channel_axis", [1], np.int64),
        const("conv_w", arrays["conv.weight"]),
        const("conv_b", arrays["conv.bias"]),
        const("soft_w", arrays["softconv.weight"]),
        const("soft_b", arrays["softconv.bias"]),
    ] + ([const("prior_logit", arrays[PRIOR][None])] if PRIOR in arrays else [])


def _nodes(prior: bool) -> list:
    """The operations, input ``crops`` to output ``mask``, each named for its output; with
    ``prior``, the network's output times the prior's sigmoid."""
    from onnx import TensorProto, helper

    def node(op: str, inputs: list[str], output: str, **attrs):
        return helper.make_node(op, inputs, [output], name=output, **attrs)

    return [
        node("Cast", [INPUT_NAME], "x_u8f", to=TensorProto.FLOAT),
        node("Mul", ["x_u8f", "inv255"], "x"),  # (N, H, W, 3) BGR in [0, 1]
        # normalise(): chromaticity of red and blue, and log2 brightness relative to the crop's
        node("ReduceSum", ["x", "channel_last"], "sum3", keepdims=1),
        node("Add", ["sum3", "dark"], "total"),  # (N, H, W, 1)
        node("Gather", ["x", "red_blue"], "rb", axis=3),
        node("Div", ["rb", "total"], "rb_rel"),
        node("Sub", ["rb_rel", "third"], "rb_centred"),
        node("Mul", ["rb_centred", "six"], "chroma"),  # (N, H, W, 2)
        # the crop's mean in float64: a float32 sum over 10^4 pixels drifts by 1e-5 (numpy's
        # pairwise float32 sum does not), which is the whole tolerance
        node("Cast", ["total"], "total64", to=TensorProto.DOUBLE),
        node("ReduceMean", ["total64"], "mean64", axes=[1, 2], keepdims=1),
        node("Cast", ["mean64"], "mean_total", to=TensorProto.FLOAT),
        node("Div", ["total", "mean_total"], "rel"),
        node("Log", ["rel"], "ln_rel"),
        node("Mul", ["ln_rel", "inv_ln2"], "log2_rel"),
        node("Clip", ["log2_rel", "lo", "hi"], "level"),  # (N, H, W, 1)
        node("Concat", ["chroma", "level"], "features", axis=3),
        node("Transpose", ["features"], "nchw", perm=[0, 3, 1, 2]),
        # the network: 3x3 conv -> tanh -> 1x1 conv -> sigmoid
        node("Conv", ["nchw", "conv_w", "conv_b"], "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        node("Tanh", ["conv"], "hidden"),
        node("Conv", ["hidden", "soft_w", "soft_b"], "logit", kernel_shape=[1, 1]),
        node("Sigmoid", ["logit"], "mask_n1hw"),
        node("Squeeze", ["mask_n1hw", "channel_axis"], "net_mask" if prior else OUTPUT_NAME),
    ] + (
        [node("Sigmoid", ["prior_logit"], "prior"), node("Mul", ["net_mask", "prior"], OUTPUT_NAME)]
        if prior
        else []
    )


def mask_graph(arrays: dict[str, np.ndarray], doc: str = ""):
    """The ONNX model (an ``onnx.ModelProto``) of the mask network with weights ``arrays``
    (named and shaped as :data:`rppg.mask.net.WEIGHT_SHAPES`, with or without a
    :data:`rppg.mask.net.PRIOR`), checked."""
    onnx = _onnx()
    from onnx import TensorProto, helper

    prior = PRIOR in arrays
    dims = ["N", *(arrays[PRIOR].shape if prior else ("H", "W"))]  # a prior fixes the crop size
    graph = helper.make_graph(
        _nodes(prior),
        "rppg_mask",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.UINT8, [*dims, 3])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, dims)],
        _constants(arrays),
    )
    model = helper.make_model(
        graph, producer_name="rppg", doc_string=doc, opset_imports=[helper.make_opsetid("", OPSET)]
    )
    model.ir_version = 8  # what opset 17 needs; newer IRs are refused by older runtimes
    helper.set_model_props(model, {"rppg_input_version": str(INPUT_VERSION)})
    onnx.checker.check_model(model, full_check=True)
    return model


def export_mask(
    out: str | os.PathLike, weights: str | os.PathLike | None = None, region: str = "landmarks"
) -> Path:
    """Write the mask network with ``weights`` (default: those shipped for the face region
    ``region``) as ONNX to ``out``; returns the path written."""
    source = mask_weights_path(weights, region)
    model = mask_graph(
        load_arrays(source),
        doc=f"rppg skin mask from {source.name}: uint8 BGR crops (N, H, W, 3) -> weights (N, H, W) in (0, 1)",
    )
    data = model.SerializeToString()
    return atomic_write(out, lambda f: f.write(data))
