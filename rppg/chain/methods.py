"""Pulse methods by name: which RGB trace a method reads and how it projects it to a pulse.

    method = METHODS.get("pos")
    flat = project(trace.rgb[method.weighting], fs, method, cfg.signal)   # (N,), not band-passed

Adding a method is one ``register`` call; nothing else in the package lists names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rppg import signal
from rppg.config import SignalConfig
from rppg.registry import Registry

Projection = Callable[[np.ndarray, float, SignalConfig], np.ndarray]
"""(rgb (N, 3), fs Hz, signal settings) -> pulse (N,)."""


@dataclass(frozen=True)
class Method:
    """A named way from a face crop sequence to a pulse."""

    name: str
    projection: Projection
    """Maps the RGB trace to a pulse."""
    weighting: str = "uniform"
    """How the pixels of the face region are weighted into its colour sample (see
    :mod:`rppg.trace`): ``uniform``, or ``mask`` for the trained skin mask."""
    description: str = ""
    reference: str = ""
    """The paper it follows."""
    colour: bool = True
    """Whether the method needs the colour channels to differ (all but GREEN)."""


METHODS: Registry[Method] = Registry("method")


def register(method: Method) -> Method:
    METHODS.register(method.name)(method)
    return method


register(
    Method(
        "mask",
        signal.pos,
        "mask",
        "learned skin mask, then POS",
        "mask: Lin et al.'s 1x1 soft convolution; POS: Wang et al. 2017",
    )
)
register(Method("pos", signal.pos, description="plane orthogonal to skin", reference="Wang et al. 2017"))
register(Method("chrom", signal.chrom, description="chrominance", reference="de Haan & Jeanne 2013"))
register(
    Method(
        "green", signal.green, description="green channel", reference="Verkruysse et al. 2008", colour=False
    )
)
register(Method("ica", signal.ica, description="independent component analysis", reference="Poh et al. 2010"))
register(Method("lgi", signal.lgi, description="local group invariance", reference="Pilz et al. 2018"))
register(
    Method(
        "pbv", signal.pbv, description="blood-volume pulse signature", reference="de Haan & van Leest 2014"
    )
)
register(
    Method(
        "omit",
        signal.omit,
        description="orthogonal matrix image transform",
        reference="Casado & Bordallo Lopez 2023",
    )
)


def project(rgb: np.ndarray, fs: float, method: Method, cfg: SignalConfig) -> np.ndarray:
    """The method's projection of a uniformly sampled RGB trace (N, 3), detrended: (N,),
    before any band-pass (the heart rate, beats and breathing each take their own band)."""
    return signal.detrend(method.projection(rgb, fs, cfg), fs, cfg.detrend_s)
