"""Batch work on a Dask cluster (optional: ``pip install 'rppg[cluster]'``), as
:mod:`rppg.parallel` asks for it with ``batch.cluster`` set.

    rppg evaluate ... --cluster local --workers 4        # a LocalCluster on this machine
    rppg evaluate ... --cluster tcp://10.0.0.5:8786      # a running scheduler and its workers

Each recording is one task, submitted through Dask's ``concurrent.futures`` executor
(``client.get_executor``) into the same loop as the local pool's: no more in flight than the
cluster has worker threads, so that Dask's scheduler never queues a second recording on a
worker (Dask only holds back tasks of large groups submitted at once; ``client.submit`` one
by one would hand every worker several). Dask does the scheduling and the recovery: a worker
that dies is restarted by its nanny, and a task whose worker died under it more than
``batch.allowed_failures`` times ends as ``KilledWorker``, which becomes that recording's
``lost`` result; the others go on. Before any work, every worker must run the versions this
machine runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from typing import TYPE_CHECKING

from rppg.batch.flight import DIED, Outcomes, in_flight
from rppg.config import BatchConfig
from rppg.errors import RppgError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

INSTALL_HINT = "pip install 'rppg[cluster]'"

CHECKED_PACKAGES = ["rppg", "numpy", "scipy", "opencv-contrib-python"]
"""Compared between this machine and every worker, besides Python and Dask's own packages."""


def require_dask() -> None:
    """A one-line error (exit 2 from the command) where dask.distributed is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise RppgError(f"--cluster needs dask.distributed: {INSTALL_HINT}") from None


def run_on_cluster(
    work: Callable, items: Sequence, args: tuple, batch: BatchConfig, lost: Callable
) -> Outcomes:
    """Every item as one task on the cluster of ``batch.cluster``, outcomes as they complete."""
    from distributed import KilledWorker

    with connect(batch) as client:
        executor = client.get_executor(pure=False)
        submit = lambda i: executor.submit(work, items[i], *args)  # noqa: E731
        threads = lambda: sum(client.nthreads().values())  # noqa: E731  (workers come and go)
        try:
            for i, future in in_flight(submit, deque(range(len(items))), threads, {}):
                error = future.exception()
                if isinstance(error, KilledWorker):
                    yield i, lost(items[i], f"{DIED}, on {error.last_worker.address}")
                else:
                    yield i, future.result()
        finally:
            executor.shutdown(wait=False)  # Ctrl-C or an error: what is in flight is cancelled


@contextmanager
def connect(batch: BatchConfig) -> Iterator[Client]:
    """A client of a new LocalCluster (``local``) or of the scheduler at ``batch.cluster``,
    its workers' versions checked; closed (the LocalCluster too) on leaving."""
    import dask

    settings = {
        "distributed.scheduler.allowed-failures": batch.allowed_failures,
        # No task queued on a worker behind the one it runs (the client already keeps no more
        # in flight than there are threads; this keeps Dask's scheduler to the same).
        "distributed.scheduler.worker-saturation": 1.0,
        # Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off
        # glibc's adaptive mmap threshold: every decoded frame (0.9 MB at 640x480) is then
        # mapped and unmapped afresh. Measured: a 30 s clip 3.2 s -> 3.8 s. None unsets it.
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    with dask.config.set(settings), ExitStack() as stack:
        stack.enter_context(_quiet_logger("distributed"))
        if batch.cluster == "local":
            client = stack.enter_context(_local_client(batch))
        else:
            client = stack.enter_context(_remote_client(batch))
        check_versions(client, batch.cluster)
        yield client


@contextmanager
def _local_client(batch: BatchConfig) -> Iterator[Client]:
    from dask.utils import parse_bytes
    from distributed import Client

    if batch.memory_limit != "auto":
        try:
            parse_bytes(batch.memory_limit)
        except ValueError:
            limit = batch.memory_limit
            raise RppgError(f"batch.memory_limit must be a size (2GiB) or auto, not {limit!r}") from None
    try:
        cluster = _start_local_cluster(batch)
    except RuntimeError as exc:  # its workers could not start
        raise RppgError(
            f"a Dask LocalCluster could not start its workers ({exc}); from a Python script, "
            "call rppg under if __name__ == '__main__': (workers import the main module)"
        ) from None
    with cluster, Client(cluster) as client:
        try:
            yield client
        except BaseException:  # Ctrl-C or an error: not a moment longer
            _end_workers_now(cluster)
            raise


def _start_local_cluster(batch: BatchConfig) -> LocalCluster:
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=batch.workers,
        threads_per_worker=1,  # rppg runs its own threads inside one recording
        processes=True,
        memory_limit=batch.memory_limit,
        dashboard_address=None,  # needs bokeh; a remote scheduler can serve one
        silence_logs=logging.CRITICAL,  # in the workers; see _quiet_logger
        preload=[__name__],  # dask_setup below, in each worker process as it starts
    )


def _end_workers_now(cluster: LocalCluster) -> None:
    """End a LocalCluster's worker processes at once: closing it would wait up to 4 s for
    each to finish the recording it is on. Each nanny is told first not to restart its
    worker. Cache entries and kept results are written atomically, so nothing is left
    half-written."""
    for nanny in list(cluster.workers.values()):
        nanny.close_gracefully(reason="rppg stopped")
        if nanny.pid:
            with suppress(ProcessLookupError):
                os.kill(nanny.pid, signal.SIGKILL)


@contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Dask logs each worker death, each task it gives up on and each connection a stopped
    cluster drops, some with tracebacks; rppg reports what matters as rows whose status says
    ``worker died``, and stderr keeps its one line per problem."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def dask_setup(worker: object) -> None:
    """Run by Dask in every LocalCluster worker process as it starts (a preload). Ctrl-C at a
    terminal reaches the whole process group, workers included: this process alone decides
    what stops, and a worker's own KeyboardInterrupt would print a traceback of its event
    loop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _remote_client(batch: BatchConfig) -> Iterator[Client]:
    from distributed import Client

    address = batch.cluster
    try:
        client = Client(address, timeout=batch.connect_timeout_s)
    except (OSError, TimeoutError, asyncio.TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RppgError(f"{address}: cannot reach the Dask scheduler ({reason})") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=batch.connect_timeout_s)
        except (OSError, TimeoutError, asyncio.TimeoutError):  # distinct before Python 3.11
            raise RppgError(
                f"{address}: no Dask worker joined within {batch.connect_timeout_s:g} s "
                "(start one: dask worker ADDRESS --nthreads 1)"
            ) from None
        yield client


def check_versions(client: Client, where: str) -> None:
    """Refuse a cluster whose scheduler or workers run other versions of Python, Dask, rppg
    or its numeric libraries than this machine: results would differ, or not unpickle."""
    with warnings.catch_warnings():
        # Dask warns with a table of what differs (some versions raise ValueError); the same
        # comparison is made below to say it in one line.
        warnings.simplefilter("ignore")
        try:
            versions = client.get_versions(check=True, packages=CHECKED_PACKAGES)
        except ValueError:
            versions = client.get_versions(packages=CHECKED_PACKAGES)
    here = versions["client"]["packages"]
    differ = []
    for node, info in ({"scheduler": versions["scheduler"]} | versions["workers"]).items():
        theirs = (info or {}).get("packages", {})
        differ += [
            f"{pkg} {version} here, {theirs.get(pkg)} on {node}"
            for pkg, version in here.items()
            if theirs.get(pkg) != version and _matters(pkg, node)
        ]
    if differ:
        more = f" (and {len(differ) - 1} more)" if len(differ) > 1 else ""
        raise RppgError(f"{where}: the cluster runs other versions than this machine: {differ[0]}{more}")


def _matters(package: str, node: str) -> bool:
    """The scheduler only schedules: it needs Dask's and Python's versions, not rppg's."""
    from distributed.versions import scheduler_relevant_packages

    return node != "scheduler" or package in scheduler_relevant_packages
