"""What a run or sweep would cost, weighed before any work starts.

:func:`estimate` turns an organization, a run count and a horizon into
people, colleague ties, memory per run and an estimated time;
:func:`refuse_if_too_big` stops a job that cannot fit in this machine's
memory or exceeds :data:`MAX_RUNS`, and one estimated to take longer than
:data:`LONG_SECONDS` unless allowed. The time coefficients were measured on
the compiled engine (one core, a loaded machine: the default organization at
about 0.07 s a run, 100,000 staff at about 8 s) and are rough on purpose:
they tell a ten-minute job from a ten-day one, not a minute from two.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass

from sim import ModelParams

MAX_RUNS = 2_000_000
"""Most runs one command may start (a sweep's results table stays a few GB at most)."""

LONG_SECONDS = 3600.0
"""Jobs estimated longer than this need ``--allow-long``."""

NOTE_SECONDS = 120.0
"""Jobs estimated longer than this are announced with their estimate before they start."""

BYTES_BASE = 5e6
BYTES_PER_PERSON = 2_000.0
BYTES_PER_TIE = 110.0
"""Peak bytes while the colleague network is built (two sparse copies plus the sampling scratch)."""
BYTES_PER_CUSTOMER = 400.0

SECONDS_PER_WEEK = 1e-4
SECONDS_PER_TIE_WEEK = 4e-9
SECONDS_PER_PERSON_WEEK = 1e-7
SECONDS_PER_CUSTOMER_WEEK = 3e-8


@dataclass(frozen=True)
class Cost:
    """The size of a job.

    Attributes
    ----------
    people : int
        Staff in one run's organization (frontline, managers, executives).
    ties : float
        Expected colleague ties in one run's network.
    customers : int
        Customers at the start of one run.
    memory_bytes : float
        Peak memory of one run (bytes).
    runs : int
        Runs the job starts.
    seconds : float
        Estimated wall time on ``workers`` processes (s).
    workers : int
        Processes the runs share.
    """

    people: int
    ties: float
    customers: int
    memory_bytes: float
    runs: int
    seconds: float
    workers: int

    def describe(self) -> str:
        return (
            f"{self.runs:,} runs of {self.people:,} people, ~{self.ties:,.0f} ties and {self.customers:,} "
            f"customers; ~{_bytes(self.memory_bytes)} per run, {_bytes(self.memory_bytes * self.concurrent)} "
            f"on {self.concurrent} process(es); ~{_duration(self.seconds)}"
        )

    @property
    def concurrent(self) -> int:
        return max(1, min(self.workers, self.runs))


def people(params: ModelParams) -> int:
    """Staff of the organization: frontline, one manager per ``span`` in each department, executives."""
    return (
        sum(d.frontline + math.ceil(d.frontline / params.span) for d in params.departments)
        + params.executives
    )


def expected_ties(params: ModelParams) -> float:
    """Expected colleague ties: ``p_within`` inside departments, ``p_across`` between them."""
    sizes = [d.frontline + math.ceil(d.frontline / params.span) for d in params.departments]
    inside = sum(n * (n - 1) / 2 for n in sizes)
    total = sum(sizes)
    across = (total * total - sum(n * n for n in sizes)) / 2
    return params.p_within * inside + params.p_across * across


def estimate(params: ModelParams, runs: int, weeks: int, workers: int) -> Cost:
    """The cost of ``runs`` runs of ``weeks`` weeks of this organization on ``workers`` processes."""
    n, ties, customers = people(params), expected_ties(params), params.n_customers
    memory = BYTES_BASE + BYTES_PER_PERSON * n + BYTES_PER_TIE * ties + BYTES_PER_CUSTOMER * customers
    per_week = (
        SECONDS_PER_WEEK
        + SECONDS_PER_PERSON_WEEK * n
        + SECONDS_PER_TIE_WEEK * ties
        + SECONDS_PER_CUSTOMER_WEEK * customers
    )
    concurrent = max(1, min(workers, runs))
    return Cost(n, ties, customers, memory, runs, runs * weeks * per_week / concurrent, workers)


def available_memory() -> float:
    """Bytes this machine can still give (MemAvailable on Linux, else physical memory)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def refuse_if_too_big(cost: Cost, where: str, allow_long: bool = False, memory: float | None = None) -> None:
    """Raise a one-line :class:`InputError` if the job cannot fit, or is long and not allowed.

    A job that will run but takes minutes is announced on stderr with its estimate.
    """
    from scenarios.inputs import InputError

    memory = available_memory() if memory is None else memory
    if cost.runs > MAX_RUNS:
        raise InputError(f"{where}: {cost.describe()}: more than the limit of {MAX_RUNS:,} runs per command")
    if cost.memory_bytes > memory:
        raise InputError(
            f"{where}: {cost.describe()}: one run needs more than the {_bytes(memory)} of memory available"
        )
    if cost.memory_bytes * cost.concurrent > memory:
        fit = max(1, int(memory // cost.memory_bytes))
        raise InputError(
            f"{where}: {cost.describe()}: more than the {_bytes(memory)} available; use --workers {fit}"
        )
    if cost.seconds > LONG_SECONDS and not allow_long:
        raise InputError(
            f"{where}: {cost.describe()}: longer than {_duration(LONG_SECONDS)}; add --allow-long to run it anyway"
        )
    if cost.seconds > NOTE_SECONDS:
        print(f"estimate: {cost.describe()}", file=sys.stderr)


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.0f} s"
