"""One map over many recordings, serial or in worker processes, results as they finish.

    for item, result in run_all(work, items, workers=2, progress=progress_bar):
        ...

``work(item)`` must be a module-level function (worker processes import it) that turns any
failure of its own item into a result rather than raising: one broken recording never costs
the others. Used by batch ``process`` and ``evaluate``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_all(
    work: Callable[..., R], items: Iterable[T], workers: int = 1, progress: Callable | None = None, *args: Any
) -> Iterator[tuple[T, R]]:
    """(item, work(item, *args)) for every item, in the order they finish."""
    items = list(items)
    bar = progress(total=len(items)) if progress else None
    try:
        if workers <= 1:
            for item in items:
                yield item, work(item, *args)
                if bar:
                    bar.update(1)
            return
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(work, item, *args): item for item in items}
            for future in as_completed(futures):
                yield futures[future], future.result()
                if bar:
                    bar.update(1)
    finally:
        if bar:
            bar.close()


def progress_bar(total: int, unit: str = "rec"):
    """A tqdm bar on stderr, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, disable=None)
