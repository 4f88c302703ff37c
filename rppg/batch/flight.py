"""Bounded submission: the loop that both batch runners (the local pool of
:mod:`rppg.parallel` and Dask in :mod:`rppg.cluster`) feed their work through.

    for i, future in in_flight(submit, deque(range(n)), lambda: workers, {}):
        result = future.result()
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

Outcomes = Iterator[tuple[int, Any]]
"""(index of an item, its result), in the order the items finish."""

DIED = "its worker process ended while running it (out of memory? a crash in native code?)"
"""Why an item was lost, as a runner's ``lost`` callback is told."""


def in_flight(
    submit: Callable[[int], Future], queue: deque[int], width: Callable[[], int], running: dict[Future, int]
) -> Iterator[tuple[int, Future]]:
    """Submit the items of ``queue`` (indices), keeping at most ``width()`` in flight, and
    yield (index, future) as each completes. ``running`` (the caller's) holds the rest in
    flight. Never more items in flight than worker threads: a worker that dies then held
    only the one it was running, and Ctrl-C has little to cancel."""
    while queue or running:
        while queue and len(running) < max(1, width()):
            i = queue.popleft()
            running[submit(i)] = i
        ready, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in ready:
            yield running.pop(future), future
