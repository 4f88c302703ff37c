"""Files shipped with rppg (installed as the ``rppg.data`` package): trained mask weights.

from rppg.data import shipped_file
shipped_file("mask_weights.pt")    # Path inside the installed package
"""

from importlib import resources
from pathlib import Path

MASK_WEIGHTS = "mask_weights.pt"


def shipped_file(name: str) -> Path:
    """Path of a file shipped in ``data/`` (it may not exist, e.g. before training)."""
    return Path(str(resources.files(__name__) / name))
