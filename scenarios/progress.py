"""Progress of a long job on stderr: a bar on a terminal, a plain line every tenth otherwise.

A bar redraws itself with carriage returns, which fills a log file or a CI
log with noise; when stderr is not a terminal the job instead writes one
line per tenth of the work done.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm

STEPS = 10
"""Plain progress lines over the whole job (one every tenth)."""


class PlainProgress:
    """``tqdm``'s ``update`` and context manager, written as one line per :data:`STEPS`-th of the work."""

    def __init__(self, total: int, desc: str, unit: str, initial: int = 0, stream: TextIO | None = None):
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.step = initial * STEPS // total if total else STEPS
        self.postfix = ""

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        """Text added to each line (``tqdm``'s postfix): e.g. the best result so far."""
        self.postfix = text

    def update(self, n: int = 1) -> None:
        self.n += n
        if not self.total or self.n * STEPS // self.total <= self.step:
            return
        elapsed = time.monotonic() - self.started
        print(
            f"{self.desc}: {self.n / self.total:.0%} ({self.n:,}/{self.total:,} {self.unit}s, {elapsed:.0f} s)"
            + (f" {self.postfix}" if self.postfix else ""),
            file=self.stream,
            flush=True,
        )
        self.step = self.n * STEPS // self.total

    def close(self) -> None:
        """Nothing to close: plain lines are already written (``tqdm``'s ``close``)."""

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


def progress(total: int, desc: str, enabled: bool = True, unit: str = "run", initial: int = 0) -> Any:
    """A progress reporter with ``update(n)``: a tqdm bar on a terminal, plain lines otherwise, or silent."""
    if enabled and sys.stderr.isatty():
        return tqdm(total=total, initial=initial, desc=desc, unit=unit, leave=False, dynamic_ncols=True)
    if enabled:
        return PlainProgress(total, desc, unit, initial)
    return tqdm(total=total, disable=True)
