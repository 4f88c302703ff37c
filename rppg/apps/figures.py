"""The figure helpers every picture of rppg uses: a matplotlib figure outside pyplot, its
saving, the quality labels' colours and the legend's place.

    fig, axes = new_figure(rows=2); ...; save_figure(fig, out / "f.png")
"""

from __future__ import annotations

import os
from pathlib import Path


def new_figure(rows: int = 1, cols: int = 1, size=(12, 4.5), dpi: int = 100, **kw):
    """A matplotlib Figure and its axes, outside pyplot (no global state, no display):
    ``fig, axes = new_figure(rows=2)``; then :func:`save_figure`. 12 inches at 100 dpi:
    1200 px wide unless a caller asks otherwise."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    return fig, fig.subplots(rows, cols, **kw)


def save_figure(fig, path: str | os.PathLike) -> Path:
    fig.savefig(path)
    return Path(path)


QUALITY_COLOURS = {"good": "tab:green", "fair": "tab:orange", "poor": "tab:red", "none": "tab:gray"}
"""Each label's colour in the matplotlib figures."""
QUALITY_BGR = {"good": (60, 200, 60), "fair": (0, 200, 230), "poor": (40, 40, 230), "none": (128, 128, 128)}
"""Each label's colour in OpenCV pictures and the live views (BGR)."""
OUTSIDE = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize="small")
"""Legend placement beside the axes: a legend never covers data."""
