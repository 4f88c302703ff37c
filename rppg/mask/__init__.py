"""The seed network: a 3x3 convolution, tanh, a 1x1 "soft" convolution and a sigmoid, used
as a per-pixel skin weight over each face crop.

| module | what |
|---|---|
| ``net`` | the network evaluated with numpy (inference never imports torch), its weights files |
| ``net_torch`` | the same network in torch, for training only (kept equal to ``net`` by a test) |
| ``export`` | the network as an ONNX graph, normalisation inside (needs ``onnx``) |
| ``losses`` | training losses: against a reference pulse, and SiNC's label-free ones (torch) |

    from rppg.mask import load_mask_model, masked_rgb
    rgb, masks = masked_rgb(load_mask_model(), crops)    # (B, 3) RGB, (B, s, s) weights
"""

from rppg.mask.net import MaskNet, load_mask_model, mask_weights_path, masked_rgb

__all__ = ["MaskNet", "load_mask_model", "mask_weights_path", "masked_rgb"]
