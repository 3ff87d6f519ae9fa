"""The optimizer's luck is not the answer: the chosen plan and the best written plan on fresh seeds.

The search picks the cheapest plan whose lower bound reached the target on
the evaluation seeds; among many trials, some get there by luck. So the
chosen plan is run again on seeds the search never used, next to the best
written plan at its own cheapest budget and at the chosen plan's cost
(equal spend), every plan on the same fresh seeds (paired). The table has
each plan's P(tip) with its 95% Wilson interval and the mean final share
above the line with a bootstrap interval, and the paired verdict of
:mod:`scenarios.comparison`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from scenarios.comparison import Comparison, compare
from scenarios.optimize.evaluation import run_rows
from scenarios.report import markdown_table
from scenarios.verdict import MIN_EFFECT
from sim import ModelParams, Plan

MIN_VERIFY_SEEDS = 100
"""Fresh seeds the command line asks for at the least."""


@dataclass(frozen=True)
class Verification:
    """The plans re-run on fresh seeds.

    Attributes
    ----------
    seeds : tuple of int
        The fresh seeds.
    plans : dict of str to Plan
        The plans as run (named for the table).
    costs : dict of str to float
        Each plan's expected cost (currency).
    runs : DataFrame
        One row per plan and seed.
    comparison : Comparison
        Each plan's outcomes with intervals, the paired tests and the verdict.
    target : float
    """

    seeds: tuple[int, ...]
    plans: dict[str, Plan]
    costs: dict[str, float]
    runs: pd.DataFrame
    comparison: Comparison
    target: float

    def table(self) -> pd.DataFrame:
        """One row per plan: cost, runs, tipped, P(tip) and interval, whether the lower bound reaches the target."""
        rows = []
        for s in self.comparison.stats:
            share = s.outcomes["final_above_line"]
            rows.append(
                {
                    "plan": s.plan,
                    "expected_cost": self.costs[s.plan],
                    "runs": s.n,
                    "tipped": s.tipped,
                    "p_tip": s.p_tip.estimate,
                    "p_tip_lo": s.p_tip.lo,
                    "p_tip_hi": s.p_tip.hi,
                    "reaches_target": bool(s.p_tip.lo >= self.target),
                    "mean_final_above_line": share.estimate,
                    "mean_final_above_line_lo": share.lo,
                    "mean_final_above_line_hi": share.hi,
                    "mean_realised_spend": s.outcomes["total_cost"].estimate,
                }
            )
        return pd.DataFrame(rows)

    def markdown(self) -> str:
        """The table for people: P(tip) as a percentage with its interval, money rounded."""
        rows = []
        for r in self.table().to_dict(orient="records"):
            rows.append(
                [
                    str(r["plan"]),
                    f"{r['expected_cost']:,.0f}",
                    f"{r['tipped']}/{r['runs']}",
                    f"{100 * r['p_tip']:.1f}% ({100 * r['p_tip_lo']:.1f}–{100 * r['p_tip_hi']:.1f})",
                    "yes" if r["reaches_target"] else "no",
                    f"{r['mean_final_above_line']:.2f} ({r['mean_final_above_line_lo']:.2f}–{r['mean_final_above_line_hi']:.2f})",
                ]
            )
        head = [
            "plan",
            "expected cost",
            "tipped",
            "P(tip) (95% interval)",
            f"lower bound >= {self.target:g}",
            "final share above the line",
        ]
        return markdown_table(head, rows)


def fresh_seeds(used: Sequence[int], n: int) -> tuple[int, ...]:
    """``n`` seeds after the largest seed the search used: never one it saw."""
    start = max(used, default=-1) + 1
    return tuple(range(start, start + n))


def verify(
    plans: dict[str, Plan],
    costs: dict[str, float],
    params: ModelParams,
    seeds: Sequence[int],
    weeks: int,
    target: float,
    executor: Any,
    min_effect: float = MIN_EFFECT,
    on_runs: Callable[[int], Any] | None = None,
) -> Verification:
    """Run every plan (as it is) on every fresh seed and compare them seed by seed."""
    names = list(plans)
    rows = run_rows(dict(enumerate(plans.values())), params, seeds, weeks, executor, "verify", on_runs)
    runs = pd.DataFrame(rows)
    runs["plan"] = [names[int(k)] for k in runs["point"]]
    runs = runs.rename(columns=lambda c: c.removesuffix("_currency"))
    runs = runs.sort_values(["plan", "seed"], key=lambda c: c.map(names.index) if c.name == "plan" else c)
    columns = ["plan", "seed", "tipped", "weeks_to_tip", "final_above_line", "final_loyalty"]
    columns += ["total_revenue", "total_attrition", "total_cost"]
    runs = runs[columns].reset_index(drop=True)
    comparison = compare(runs, names, costs, min_effect=min_effect)
    return Verification(tuple(int(s) for s in seeds), dict(plans), dict(costs), runs, comparison, target)
