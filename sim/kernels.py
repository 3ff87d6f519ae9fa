"""Kernels: plain functions of the model that numba may also compile.

A function marked :func:`kernel` stays an ordinary Python function: the Mesa
agents, the model and the mean field call it as it is, on scalars or numpy
arrays. When the compiled engine (:mod:`sim.compiled`) is imported,
:func:`register` teaches numba to compile each kernel wherever compiled code
calls it, so the compiled run executes the very same source. Importing this
module does not import numba.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

KERNELS: list[Callable[..., Any]] = []
_registered: set[Callable[..., Any]] = set()


def kernel[F: Callable[..., Any]](fn: F) -> F:
    """Mark ``fn`` as a kernel: callable from Python as is, and from compiled code."""
    KERNELS.append(fn)
    return fn


def register() -> None:
    """Give every kernel a numba overload that compiles its own source (once per process)."""
    from numba.extending import overload

    for fn in KERNELS:
        if fn in _registered:
            continue

        @functools.wraps(fn)
        def typer(*args: Any, _fn: Callable[..., Any] = fn, **kwargs: Any) -> Callable[..., Any]:
            return _fn

        overload(fn)(typer)
        _registered.add(fn)


def source_stamp() -> str:
    """A hash of the model's source files.

    Numba's cache checks only the compiled function's own file; a change
    to a kernel in another module must invalidate it too.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Where compiled code is cached: per version of the source, under ``NUMBA_CACHE_DIR`` or the user cache."""
    base = os.environ.get("BLUELINE_CACHE_DIR") or os.environ.get("NUMBA_CACHE_DIR")
    root = (
        Path(base)
        if base
        else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "blueline-sim"
    )
    return root / f"numba-{source_stamp()}"
