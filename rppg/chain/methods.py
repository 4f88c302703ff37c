"""Pulse methods by name: which RGB trace a method reads and how it projects it to pulses.

    method = METHODS.get("mask")
    flats = project(trace.rgb[method.weighting], fs, method, cfg.signal)   # one (N,) per projection

A method may project its trace more than one way: its heart rate is then read where the
projections agree (:mod:`rppg.signal.tracking`), and the first projection is the pulse shown,
exported and searched for beats. Adding a method is one ``register`` call; nothing else in
the package lists names.
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
    projections: tuple[Projection, ...]
    """Map the RGB trace to pulses; the first is the method's pulse, all count for its rate."""
    weighting: str = "uniform"
    """How the pixels of the face region are weighted into its colour sample (see
    :mod:`rppg.chain.trace`): ``uniform``, or ``mask`` for the trained skin mask."""
    description: str = ""
    reference: str = ""
    """The paper it follows."""
    colour: bool = True
    """Whether the method needs the colour channels to differ (all but GREEN)."""


METHODS: Registry[Method] = Registry("method")


def register(
    name: str, *projections: Projection, description: str, reference: str, weighting: str = "uniform", **kw
) -> Method:
    method = Method(name, projections, weighting, description, reference, **kw)
    METHODS.register(name)(method)
    return method


# POS and PBV together: measured on real compressed webcam video (README, accuracy), PBV's
# blood-volume signature rejects colour noise POS lets through, and a rate both agree on is
# the pulse far more often than either's strongest peak.
register(
    "mask",
    signal.pos,
    signal.pbv,
    weighting="mask",
    description="learned skin mask, then POS and PBV agreeing",
    reference="mask: Lin et al.'s 1x1 soft convolution; POS: Wang et al. 2017; PBV: de Haan & van Leest 2014",
)
register(
    "agree",
    signal.pos,
    signal.pbv,
    description="POS and PBV agreeing: the mask method's twin, every pixel alike",
    reference="POS: Wang et al. 2017; PBV: de Haan & van Leest 2014",
)
register("pos", signal.pos, description="plane orthogonal to skin", reference="Wang et al. 2017")
register("chrom", signal.chrom, description="chrominance", reference="de Haan & Jeanne 2013")
register("green", signal.green, description="green channel", reference="Verkruysse et al. 2008", colour=False)
register("ica", signal.ica, description="independent component analysis", reference="Poh et al. 2010")
register("lgi", signal.lgi, description="local group invariance", reference="Pilz et al. 2018")
register("pbv", signal.pbv, description="blood-volume pulse signature", reference="de Haan & van Leest 2014")
register(
    "omit",
    signal.omit,
    description="orthogonal matrix image transform",
    reference="Casado & Bordallo Lopez 2023",
)


def project(rgb: np.ndarray, fs: float, method: Method, cfg: SignalConfig) -> list[np.ndarray]:
    """The method's projections of a uniformly sampled RGB trace (N, 3), each detrended:
    (N,) each, before any band-pass (the heart rate, beats and breathing each take their own
    band)."""
    return [signal.detrend(p(rgb, fs, cfg), fs, cfg.detrend_s) for p in method.projections]
