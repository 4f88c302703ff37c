"""Files shipped with rppg: the trained mask weights (and the face models), kept in the
project's top-level ``data/`` folder.

    from rppg.assets import asset_path
    asset_path(MASK_WEIGHTS)        # Path; may not exist (e.g. before the first training)

In a source checkout or an editable install the files are read from ``data/`` beside the
package; a built wheel carries the same files as ``rppg/data/`` (the ``package-dir`` mapping
in ``pyproject.toml``). ``data/`` holds files only: nothing imports it as a module.
"""

from __future__ import annotations

from pathlib import Path

MASK_WEIGHTS = "mask_weights.npz"
"""The trained skin-mask weights (numpy arrays named as the torch state dict)."""
BOX_MASK_WEIGHTS = "mask_weights_box.npz"
"""The mask for whole detector-box crops (hair, background, neck and clothes in view), taught
by the landmark skin region (``configs/train_box.yaml``)."""
SHIPPED_MASKS = {"landmarks": MASK_WEIGHTS, "skin": MASK_WEIGHTS, "box": BOX_MASK_WEIGHTS}
"""The shipped weights for each face region (``face.region``): inside the landmark region the
mask only has to rank skin against skin, in the box it must also find the skin."""

_PACKAGE = Path(__file__).resolve().parent
_FOLDERS = (_PACKAGE / "data", _PACKAGE.parent / "data")  # installed wheel, then checkout


def asset_path(name: str) -> Path:
    """Where the shipped file ``name`` is; the checkout's ``data/`` path when it is nowhere."""
    for folder in _FOLDERS:
        if (folder / name).is_file():
            return folder / name
    return _FOLDERS[-1] / name
