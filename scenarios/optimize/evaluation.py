"""How often a plan tips over the evaluation seeds, run through the sweep executors.

Candidates are run together, one round of seeds at a time (``round_size``
seeds per candidate per round, in seed order), through
:func:`experiments.runs.run_chunk` on any executor. After each round a
candidate that can no longer reach the target — even if every remaining
seed tipped, the Wilson lower bound would stay below it — stops: its
estimate is then over the seeds it ran. The rounds and the stopping rule
depend on the counts only, never on timing, so one seed gives the same
numbers whatever the executor or the number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from experiments.runs import RunSpec
from experiments.sweep import chunked
from scenarios.verdict import Interval, wilson_interval
from sim import ModelParams, Plan

ROUND_SIZE = 20
"""Seeds per candidate per round: a candidate that cannot reach the target stops after a round."""


@dataclass(frozen=True)
class Evaluation:
    """A plan's runs over the evaluation seeds.

    Attributes
    ----------
    runs : int
        Seeds run (fewer than asked when it stopped early).
    tipped : int
        Runs that tipped.
    final_above_line : float
        Mean final share above the line over the runs.
    stopped_early : bool
        It stopped once it could no longer reach the target.
    """

    runs: int
    tipped: int
    final_above_line: float
    stopped_early: bool = False

    @property
    def p_tip(self) -> Interval:
        """P(tip) with its 95% Wilson interval."""
        return wilson_interval(self.tipped, self.runs)

    @property
    def lower(self) -> float:
        """The 95% Wilson lower bound of P(tip) (0 with no runs)."""
        return self.p_tip.lo if self.runs else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "tipped": self.tipped,
            "final_above_line": self.final_above_line,
            "stopped_early": self.stopped_early,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        return cls(
            int(data["runs"]),
            int(data["tipped"]),
            float(data["final_above_line"]),
            bool(data["stopped_early"]),
        )


def can_still_reach(tipped: int, runs: int, total: int, target: float) -> bool:
    """Whether ``tipped`` of ``runs``, with every one of the remaining ``total - runs`` tipping, reaches ``target``."""
    return wilson_interval(tipped + total - runs, total).lo >= target


def most_reachable(n_seeds: int) -> float:
    """The highest Wilson lower bound ``n_seeds`` seeds can give (all of them tipping)."""
    return wilson_interval(n_seeds, n_seeds).lo


def seeds_for(target: float) -> int:
    """The fewest seeds whose Wilson lower bound can reach ``target`` (all tipping: n / (n + z^2))."""
    z2 = 1.959963984540054**2
    n = max(1, math.ceil(z2 * target / (1 - target)) - 1)
    while most_reachable(n) < target:
        n += 1
    return n


@dataclass
class _Tally:
    outcomes: dict[int, tuple[bool, float]] = field(default_factory=dict)
    stopped: bool = False

    @property
    def runs(self) -> int:
        return len(self.outcomes)

    @property
    def tipped(self) -> int:
        return sum(tip for tip, _ in self.outcomes.values())

    def evaluation(self, seeds: Sequence[int]) -> Evaluation:
        shares = [
            self.outcomes[s][1] for s in seeds if s in self.outcomes
        ]  # seed order: the same sum anywhere
        mean = math.fsum(shares) / len(shares) if shares else math.nan
        return Evaluation(self.runs, self.tipped, mean, self.stopped)


def evaluate(
    plans: Sequence[Plan],
    params: ModelParams,
    seeds: Sequence[int],
    weeks: int,
    target: float,
    executor: Any,
    round_size: int = ROUND_SIZE,
    label: str = "optimize",
    on_runs: Callable[[int], Any] | None = None,
) -> list[Evaluation]:
    """Run every plan over ``seeds`` (as they are: not scaled to a budget), stopping hopeless ones early.

    Parameters
    ----------
    plans : sequence of Plan
        The candidates, run together round by round.
    seeds : sequence of int
        The evaluation seeds, in the order they are run.
    target : float
        The P(tip) the Wilson lower bound must reach; a candidate that cannot stops.
        With ``target`` 0 every candidate runs every seed.
    executor : LocalExecutor or DaskExecutor
        Where the runs go (already entered).
    round_size : int
        Seeds per candidate per round.
    on_runs : callable, optional
        Called with the number of runs after each finished chunk (progress).
    """
    tallies = [_Tally() for _ in plans]
    total = len(seeds)
    for first in range(0, total, max(1, round_size)):
        block = list(seeds[first : first + round_size])
        live = {k: plan for k, plan in enumerate(plans) if not tallies[k].stopped}
        if not live:
            break
        for row in run_rows(live, params, block, weeks, executor, label, on_runs):
            tallies[int(row["point"])].outcomes[int(row["seed"])] = (
                bool(row["tipped"]),
                float(row["final_above_line"]),
            )
        for tally in tallies:
            if not tally.stopped and tally.runs < total:
                tally.stopped = not can_still_reach(tally.tipped, tally.runs, total, target)
    return [t.evaluation(seeds) for t in tallies]


def run_rows(
    plans: Mapping[int, Plan],
    params: ModelParams,
    seeds: Sequence[int],
    weeks: int,
    executor: Any,
    label: str = "optimize",
    on_runs: Callable[[int], Any] | None = None,
) -> list[dict[str, Any]]:
    """Every plan (keyed by its ``point``) with every seed, as the sweep's summary rows, in any order."""
    specs = [
        RunSpec(
            experiment=label,
            point=k,
            values={},
            plan_name=plan.name,
            plan=plan,
            budget=None,
            params=params,
            seed=int(seed),
            weeks=weeks,
            keep_weekly=False,
        )
        for k, plan in plans.items()
        for seed in seeds
    ]
    rows: list[dict[str, Any]] = []
    for result in executor.map_chunks(chunked(specs, executor.slots())):
        rows += result.summaries
        if on_runs is not None:
            on_runs(len(result.summaries))
    return rows
