"""One map over many recordings, each result handed on as it finishes: in this process, in a
pool of local worker processes, or on a Dask cluster (:mod:`rppg.cluster`), as
:class:`~rppg.config.BatchConfig` says.

    results = run_all(evaluate_one, recs, (methods, cfg), cfg.batch, lost=died_rows, done=save)

``work(item, *args)`` must be a module-level function (workers import it) that turns any
failure of its own item into a result rather than raising: one broken recording never costs
the others. What it cannot turn into a result is its process dying (killed for memory, a
crash in a decoder): ``lost(item, reason)`` then stands in for that item's result, and the
rest go on in new workers. Ctrl-C (KeyboardInterrupt) cancels what has not started and ends
the workers at once; whatever finished was already passed to ``done``. Used by batch
``process``, ``evaluate`` and training's crop extraction.
"""

from __future__ import annotations

import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from multiprocessing import get_context
from typing import Any, TypeVar

from rppg.batch.flight import DIED, Outcomes, in_flight
from rppg.config import BatchConfig
from rppg.errors import RppgError
from rppg.registry import Registry

T = TypeVar("T")
R = TypeVar("R")

Runner = Callable[[Callable, Sequence, tuple, BatchConfig, Callable], Outcomes]
"""``runner(work, items, args, batch, lost)``: every item's outcome, each exactly once."""

RUNNERS: Registry[Runner] = Registry("batch runner")


def run_all(
    work: Callable[..., R],
    items: Sequence[T],
    args: tuple = (),
    batch: BatchConfig | None = None,
    *,
    lost: Callable[[T, str], R],
    done: Callable[[T, R], None] | None = None,
    progress: Callable | None = None,
) -> list[R]:
    """``work(item, *args)`` for every item, in the order of ``items``; ``done(item, result)``
    is called in this process as each one finishes."""
    batch = batch or BatchConfig()
    check_batch(batch)
    items = list(items)
    results: list[Any] = [None] * len(items)
    if not items:
        return []  # nothing to do: no pool or cluster started
    bar = progress(total=len(items)) if progress else None
    try:
        with closing(RUNNERS.get(runner_name(batch))(work, items, args, batch, lost)) as outcomes:
            for i, result in outcomes:
                results[i] = result
                if done:
                    done(items[i], result)
                if bar:
                    bar.update(1)
    finally:
        if bar:
            bar.close()
    return results


def runner_name(batch: BatchConfig) -> str:
    """Which of :data:`RUNNERS` the settings ask for."""
    if batch.cluster:
        return "dask"
    return "pool" if batch.workers > 1 else "serial"


def check_batch(batch: BatchConfig) -> None:
    """A one-line error for settings that cannot work, before any work starts."""
    if batch.workers < 1:
        raise RppgError(f"batch.workers (--workers) must be at least 1, got {batch.workers}")
    if batch.cluster:
        from rppg.batch.cluster import require_dask

        require_dask()


@RUNNERS.register("serial")
def _run_serial(work: Callable, items: Sequence, args: tuple, batch: BatchConfig, lost: Callable) -> Outcomes:
    for i, item in enumerate(items):
        yield i, work(item, *args)


@RUNNERS.register("dask")
def _run_dask(work: Callable, items: Sequence, args: tuple, batch: BatchConfig, lost: Callable) -> Outcomes:
    from rppg.batch.cluster import run_on_cluster  # dask loads only when a cluster is asked for

    return run_on_cluster(work, items, args, batch, lost)


# --------------------------------------------------------------------------- the local pool


@RUNNERS.register("pool")
def _run_pool(work: Callable, items: Sequence, args: tuple, batch: BatchConfig, lost: Callable) -> Outcomes:
    """Items in a pool of ``batch.workers`` processes. When a worker dies the pool is broken
    and every item in flight fails with it, the innocent with the guilty: those are run again
    each alone in a pool of one, and only one that kills its worker again is lost. The
    rest continue in a new pool."""
    queue = deque(range(len(items)))
    while queue:
        suspects = yield from _pool_pass(work, items, args, queue, batch.workers)
        for i in suspects:
            again = yield from _pool_pass(work, items, args, deque([i]), 1)
            if again:
                yield i, lost(items[i], DIED)


def _pool_pass(
    work: Callable, items: Sequence, args: tuple, queue: deque[int], workers: int
) -> Generator[tuple[int, Any], None, list[int]]:
    """Take items off ``queue`` into a new pool until the queue is empty (returns []) or a
    worker dies (returns the items that were in flight)."""
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_ignore_sigint)
    running: dict[Future, int] = {}
    finished = False
    try:
        submit = lambda i: pool.submit(work, items[i], *args)  # noqa: E731
        for i, future in in_flight(submit, queue, lambda: workers, running):
            if isinstance(future.exception(), BrokenProcessPool):
                return sorted([i, *running.values()])  # the pool ended them all
            yield i, future.result()
        finished = True
        return []
    finally:
        _end_pool(pool, finished)


def _ignore_sigint() -> None:
    """In workers: Ctrl-C at a terminal reaches the whole process group; the main process
    alone decides what stops (workers printing tracebacks of their own would be noise)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _end_pool(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut the pool down: politely when its work is done, else (Ctrl-C, a dead worker)
    cancelling what waits and ending the workers now rather than after their current item."""
    if finished:
        pool.shutdown(wait=True)
        return
    # ProcessPoolExecutor has no public way to end its workers before Python 3.14.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()
    for p in processes:
        p.join(timeout=1.0)
        if p.is_alive():
            p.kill()


def progress_bar(total: int, unit: str = "rec"):
    """A tqdm bar on stderr, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, disable=None)
