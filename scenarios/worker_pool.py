"""Local worker processes that never outlive the command that started them.

Pool workers are forked from a forkserver, not from the command itself,
so ``PR_SET_PDEATHSIG`` would watch the wrong parent. Instead each worker
starts a thread that waits on a pidfd of the command's process (or polls
its pid where pidfds do not exist) and ends the worker the moment the
command dies, even by SIGKILL. With the workers gone, the forkserver and
the resource tracker see their last pipes close and exit too.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor

POLL_SECONDS = 0.5
"""How often a worker checks its command's pid where pidfds do not exist."""


def worker_pool(workers: int, preload: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (``forkserver`` where it exists, else ``spawn``).

    Parameters
    ----------
    preload : tuple of str
        Modules the forkserver imports once, so each worker starts without
        importing them again.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if preload and context.get_start_method() == "forkserver":
        context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=follow_parent, initargs=(os.getpid(),)
    )


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop now: drop queued work and end the running workers (Ctrl-C, SIGTERM or a failed run)."""
    running = list((getattr(pool, "_processes", None) or {}).values())  # no public way before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for process in running:
        process.terminate()
    for process in running:
        process.join(timeout=5)


def follow_parent(parent: int) -> None:
    """Worker initializer: exit this process as soon as process ``parent`` ends."""
    threading.Thread(target=_exit_with, args=(parent,), name="follow-parent", daemon=True).start()


def _exit_with(parent: int) -> None:
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfds here: poll
        while _alive(parent):
            time.sleep(POLL_SECONDS)
        os._exit(1)
    select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
