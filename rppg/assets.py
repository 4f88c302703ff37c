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

_PACKAGE = Path(__file__).resolve().parent
_FOLDERS = (_PACKAGE / "data", _PACKAGE.parent / "data")  # installed wheel, then checkout


def asset_path(name: str) -> Path:
    """Where the shipped file ``name`` is; the checkout's ``data/`` path when it is nowhere."""
    for folder in _FOLDERS:
        if (folder / name).is_file():
            return folder / name
    return _FOLDERS[-1] / name
