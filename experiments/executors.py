"""Where chunks of runs are executed: local processes or a Dask distributed cluster.

Every executor yields :class:`~experiments.runs.ChunkResult` objects as chunks
finish, in whatever order they finish; the store sorts rows by run id, so the
results do not depend on the executor, the worker count or the timing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from typing import Any

from experiments.runs import ChunkResult, RunSpec, run_chunk
from scenarios.cli import RunFailed
from scenarios.inputs import InputError
from scenarios.runner import default_workers
from scenarios.worker_pool import stop_pool, worker_pool

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a Dask scheduler before giving up."""


QUIETED_LOGGERS = ("distributed", "distributed.client", "distributed.comm", "distributed.core", "tornado")
"""Loggers silenced while a sweep runs on a scheduler: a lost scheduler is reported in one line instead."""


class LocalExecutor:
    """Chunks run in ``workers`` local processes (in this process when ``workers`` is 1).

    The pool (see :mod:`scenarios.worker_pool`) is safe with the progress
    bar's thread, and its workers end with this process, even when it is killed.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        if self.workers < 1:
            raise InputError(f"--workers={self.workers}: must be a whole number >= 1")
        self._entered = False
        self._pool: Any = None

    @property
    def label(self) -> str:
        return f"{self.workers} local process{'es' if self.workers > 1 else ''}"

    def __enter__(self) -> LocalExecutor:
        self._entered = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self._entered = False
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def slots(self) -> int:
        """Runs that can go on at once."""
        return self.workers

    def map_chunks(self, chunks: list[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Yield chunks as they finish.

        Inside ``with executor:`` the worker processes are kept from one call
        to the next (a search calls this once per round), and end with the block.
        """
        if self.workers == 1 or len(chunks) <= 1:
            for chunk in chunks:
                yield run_chunk(chunk)
            return
        preload = ("experiments.runs", "scenarios.warm_engine")  # workers fork from a warm forkserver
        if self._entered and self._pool is None:
            self._pool = worker_pool(self.workers, preload=preload)
        kept = self._pool is not None
        pool = self._pool if kept else worker_pool(min(self.workers, len(chunks)), preload=preload)
        try:
            # Keep a few chunks queued per worker, not the whole sweep: an interrupted
            # sweep then stops promptly.
            pending: set[Future[ChunkResult]] = set()
            queue = iter(chunks)
            for chunk in queue:
                pending.add(pool.submit(run_chunk, chunk))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.add(pool.submit(run_chunk, nxt))
        except BaseException:  # Ctrl-C, SIGTERM or a failed chunk: do not wait for the chunks in flight
            stop_pool(pool)
            self._pool = None
            raise
        finally:
            if not kept:
                pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Chunks run on a Dask distributed cluster: an existing one, or a LocalCluster started here.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``) of a running cluster. Its
        workers need this package installed (the same version).
    local_workers : int, optional
        Start a ``LocalCluster`` with this many worker processes, one thread each.
    timeout : float
        Seconds to wait for the scheduler.
    """

    def __init__(
        self, address: str | None = None, local_workers: int | None = None, timeout: float = CONNECT_TIMEOUT
    ) -> None:
        if (address is None) == (local_workers is None):
            raise InputError("give either a scheduler address or a local cluster size")
        if local_workers is not None and local_workers < 1:
            raise InputError(f"--local-cluster={local_workers}: must be a whole number >= 1")
        self.address = address
        self.local_workers = local_workers
        self.timeout = timeout
        self.client: Any = None
        self.cluster: Any = None
        self._log_levels: dict[str, int] = {}

    @property
    def label(self) -> str:
        if self.local_workers is not None:
            return f"a Dask LocalCluster of {self.local_workers} workers"
        return f"the Dask cluster at {self.address}"

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(
                "Dask is not installed; install the cluster extra: pip install 'blueline-sim[cluster]'"
            ) from None
        if self.local_workers is not None:
            self.cluster = LocalCluster(
                n_workers=self.local_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
            return self._connected()
        address = str(self.address)
        if "://" not in address and ":" not in address:
            raise InputError(f"--scheduler={address!r}: not an address; expected tcp://HOST:PORT")
        identity = _probe_scheduler(address, self.timeout)
        if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
            raise InputError(f"--scheduler={address}: answered, but is not a Dask scheduler")
        try:
            self.client = Client(address, timeout=f"{self.timeout}s")
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(
                f"cannot connect to the Dask scheduler at {address}: {_first_line(err)}"
            ) from None
        try:
            self.client.wait_for_workers(1, timeout=self.timeout)
        except (TimeoutError, OSError):
            self.client.close()
            raise InputError(
                f"the Dask scheduler at {address} has no workers after {self.timeout:g} s; start some with: dask worker {address}"
            ) from None
        return self._connected()

    def _connected(self) -> DaskExecutor:
        """Leave a lost scheduler to :meth:`map_chunks`, which says so in one line.

        Dask and tornado log the lost connection too (a traceback from the
        comm layer, a reconnect line from the client); they are silenced
        while the sweep runs and restored after.
        """
        self._log_levels = {name: logging.getLogger(name).level for name in QUIETED_LOGGERS}
        for name in QUIETED_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None:
            self.client.close(timeout=self.timeout)
        if self.cluster is not None:
            self.cluster.close(timeout=self.timeout)
        for name, level in self._log_levels.items():
            logging.getLogger(name).setLevel(level)

    def slots(self) -> int:
        threads = self.client.nthreads() if self.client is not None else {}
        return max(1, sum(threads.values()))

    def map_chunks(self, chunks: list[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Yield chunks as they finish.

        Raises
        ------
        RunFailed
            The scheduler went away (or workers kept dying); the chunks
            already yielded are kept, and the same command resumes.
        """
        from distributed import KilledWorker, as_completed
        from distributed.comm.core import CommClosedError

        futures = [self.client.submit(run_chunk, chunk, pure=False) for chunk in chunks]
        try:
            for future in as_completed(futures):
                result = future.result()
                future.release()
                yield result
        except (CancelledError, OSError, TimeoutError) as err:
            # a closed connection to the scheduler is a lost scheduler, even before the
            # client has noticed it (its status still "running")
            if self.client.status == "running" and not isinstance(err, (CancelledError, CommClosedError)):
                raise
            raise RunFailed(
                f"lost the Dask scheduler at {self._where()} ({_first_line(err)}); finished chunks are saved",
                resumable=True,
            ) from None
        except KilledWorker as err:
            raise RunFailed(
                f"Dask workers of {self._where()} kept dying on one chunk ({_first_line(err)}); "
                "finished chunks are saved",
                resumable=True,
            ) from None
        finally:
            if self.client.status == "running":
                self.client.cancel(futures)

    def _where(self) -> str:
        return str(self.address) if self.address is not None else "the LocalCluster"


def make_executor(
    workers: int | None = None, scheduler: str | None = None, local_cluster: int | None = None
) -> LocalExecutor | DaskExecutor:
    """The executor the command line asked for (local processes by default)."""
    chosen = [x is not None for x in (workers, scheduler, local_cluster)]
    if sum(chosen) > 1:
        raise InputError("--workers, --scheduler and --local-cluster: give at most one of them")
    if scheduler is not None:
        return DaskExecutor(address=scheduler)
    if local_cluster is not None:
        return DaskExecutor(local_workers=local_cluster)
    return LocalExecutor(workers)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _probe_scheduler(address: str, timeout: float) -> Any:
    """Ask ``address`` who it is, giving up after ``timeout`` seconds in all cases.

    ``distributed.Client`` can wait far longer than its timeout when something
    other than a scheduler listens at the address; this bounded handshake
    fails fast instead.
    """
    import asyncio

    from distributed.comm import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        return asyncio.run(asyncio.wait_for(ask(), timeout))
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
    except (OSError, ValueError, TypeError, MemoryError) as err:
        reason = _first_line(err)
    raise InputError(f"cannot reach the Dask scheduler at {address} ({reason}); is it running?")
