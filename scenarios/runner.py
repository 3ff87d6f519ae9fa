"""Running plans over many seeds, in parallel local processes, in a fixed order.

:func:`run_one` is a top-level function so that ``multiprocessing`` and Dask
can ship it to workers. Results come back in (plan, seed) order whatever the
number of workers, so one seed gives the same numbers with 1 or 16 processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios.worker_pool import stop_pool, worker_pool
from sim.interventions import BudgetFit, Plan, expected_cost, fit_to_budget, scale_to_budget
from sim.organization import build_organization
from sim.params import ModelParams


@dataclass
class RunResult:
    """One simulated run.

    Attributes
    ----------
    summary : dict
        ``CultureModel.summary()``: tipped, weeks_to_tip, final values, totals.
    weekly : dict of str to list of float, or None
        The weekly columns (week 0 first), unless dropped to save memory.
    plan : str
        Name of the plan run.
    seed : int
        The run's seed.
    """

    summary: dict[str, Any]
    weekly: dict[str, list[float]] | None
    plan: str = ""
    seed: int = 0


def run_one(params: ModelParams, plan: Plan, seed: int, weeks: int, keep_weekly: bool = True) -> RunResult:
    """Simulate one plan for ``weeks`` weeks from one seed (vectorized engine)."""
    from sim.model import CultureModel  # Mesa and numba load with the first run, not with the CLI

    model = CultureModel(params, plan, rng=seed)
    model.run(weeks)
    weekly = model.weekly() if keep_weekly else None
    return RunResult(summary=model.summary(), weekly=weekly, plan=plan.name, seed=seed)


def costing_organization(params: ModelParams) -> Any:
    """The organization plans are costed on (seed 0: cost depends on head counts, not ties)."""
    return build_organization(params, np.random.default_rng(0))


def equal_budget(plans: dict[str, Plan], params: ModelParams, budget: float) -> dict[str, Plan]:
    """Every plan with waves scaled to spend ``budget`` (expected); plans without waves stay empty.

    A plan that cannot spend the budget even at full coverage is returned
    at full coverage; :func:`expected_spend` shows what it will spend.
    """
    org = costing_organization(params)
    return {
        name: scale_to_budget(plan, org, budget, params) if plan.waves else plan
        for name, plan in plans.items()
    }


def budget_fits(
    plans: dict[str, Plan], params: ModelParams, budget: float, weeks: int
) -> dict[str, BudgetFit]:
    """Every plan fitted to spend ``budget`` within ``weeks`` (see :func:`sim.fit_to_budget`).

    A plan without waves is kept as it is (it spends nothing, by design).
    """
    org = costing_organization(params)
    return {
        name: fit_to_budget(plan, org, budget, params, weeks) if plan.waves else BudgetFit(plan, 0.0, True)
        for name, plan in plans.items()
    }


def expected_spend(plans: dict[str, Plan], params: ModelParams) -> dict[str, float]:
    """Expected cost of each plan on the scenario's organization (currency)."""
    org = costing_organization(params)
    return {name: expected_cost(plan, org, params) for name, plan in plans.items()}


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_many(
    params: ModelParams,
    plans: dict[str, Plan],
    seeds: Iterable[int],
    weeks: int,
    workers: int | None = None,
    keep_weekly: bool = True,
    progress: Callable[[int], Any] | None = None,
) -> list[RunResult]:
    """Run every plan with every seed; results in (plan, seed) order.

    Parameters
    ----------
    workers : int, optional
        Local processes (default: CPU count). With 1 the runs happen in this
        process. The pool (see :mod:`scenarios.worker_pool`) gives the same
        numbers as running in-process, and its workers end with this process.
    progress : callable, optional
        Called with 1 after each finished run (e.g. ``tqdm.update``).
    """
    jobs = [(params, plan, int(seed), weeks, keep_weekly) for plan in plans.values() for seed in seeds]
    workers = default_workers() if workers is None else workers
    results: list[RunResult | None] = [None] * len(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for k, job in enumerate(jobs):
            results[k] = run_one(*job)
            if progress:
                progress(1)
    else:
        pool = worker_pool(min(workers, len(jobs)))
        try:
            futures = {pool.submit(run_one, *job): k for k, job in enumerate(jobs)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if progress:
                    progress(1)
        except BaseException:  # Ctrl-C, SIGTERM or a failed run: stop now, do not wait for queued runs
            stop_pool(pool)
            raise
        pool.shutdown()
    return [r for r in results if r is not None]
