"""Comparing plans over seeds: each plan's outcomes with 95% intervals, and the paired verdict.

Intervals (all 95%, from :mod:`scenarios.verdict`): Wilson for the tipping
probability; a seeded percentile bootstrap for the mean (median for weeks to
tip, over the runs that tipped) of every other outcome. The verdict, the
paired tests of every pair of plans and their Holm correction are
:mod:`scenarios.verdict`'s; no plan is favoured by name: the numbers decide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from scenarios.verdict import (
    MIN_EFFECT,
    Evidence,
    Interval,
    Verdict,
    bootstrap_interval,
    decide,
    holm_corrected,
    paired_evidence,
    power_note,
    wilson_interval,
)

SPEND_TOLERANCE = 0.01
"""Mean realised spend this far from the budget (relative) gets a note: equal budgets should be equal spend."""

OUTCOMES = (
    ("final_above_line", "final above the line", "share"),
    ("final_loyalty", "final loyalty", "share"),
    ("total_revenue", "total revenue", "money"),
    ("total_attrition", "total attrition", "people"),
    ("total_cost", "realised spend", "money"),
)
"""Per-run summary columns compared with a mean and bootstrap interval: (column, label, kind)."""


@dataclass(frozen=True)
class PlanStats:
    """One plan's outcomes over its seeds, and what it was expected to spend."""

    plan: str
    n: int
    tipped: int
    p_tip: Interval
    weeks_to_tip: Interval
    outcomes: dict[str, Interval]
    expected_spend: float
    can_spend: bool = True


@dataclass(frozen=True)
class Comparison:
    """Plan statistics, the Holm-corrected paired evidence and the verdict.

    Attributes
    ----------
    stats : list of PlanStats
        In scenario order.
    evidence : Evidence
        Ranking and every pair of plans tested seed by seed, Holm-corrected.
    verdict : Verdict
        Leader against runner-up.
    budget : float
        What each plan was scaled to spend (NaN when not given).
    min_effect : float
        Smallest difference in P(tip) (and final share) worth a verdict.
    power : str
        The smallest difference in P(tip) the seeds can detect, as a sentence.
    """

    stats: list[PlanStats]
    evidence: Evidence
    verdict: Verdict
    budget: float = math.nan
    min_effect: float = MIN_EFFECT
    power: str = ""

    @property
    def ranking(self) -> list[str]:
        return self.evidence.ranking

    @property
    def ranks(self) -> Mapping[str, int]:
        """1 + the number of plans strictly ahead (tied plans share a rank)."""
        return self.evidence.ranks

    def table(self) -> pd.DataFrame:
        """The comparison as a numeric table, one row per plan in scenario order."""
        rows = []
        for s in self.stats:
            row: dict[str, Any] = {
                "plan": s.plan,
                "rank": self.ranks[s.plan],
                "runs": s.n,
                "tipped": s.tipped,
                "p_tip": s.p_tip.estimate,
                "p_tip_lo": s.p_tip.lo,
                "p_tip_hi": s.p_tip.hi,
                "median_weeks_to_tip": s.weeks_to_tip.estimate,
                "median_weeks_to_tip_lo": s.weeks_to_tip.lo,
                "median_weeks_to_tip_hi": s.weeks_to_tip.hi,
            }
            for col, _, _ in OUTCOMES:
                iv = s.outcomes[col]
                row.update({f"mean_{col}": iv.estimate, f"mean_{col}_lo": iv.lo, f"mean_{col}_hi": iv.hi})
            row["expected_spend"] = s.expected_spend
            row["spend_vs_budget"] = spend_vs_budget(s, self.budget)
            row["can_spend"] = s.can_spend
            rows.append(row)
        return pd.DataFrame(rows)

    def spend_notes(self) -> list[str]:
        """A note for each plan whose mean realised spend is more than :data:`SPEND_TOLERANCE` off the budget."""
        return [f"note: {note}" for s in self.stats if (note := _spent_off(s, self.budget))]

    def pairs_table(self) -> pd.DataFrame:
        """Every pair of plans tested seed by seed, leader-first in ranking order (numbers)."""
        order = {p: k for k, p in enumerate(self.ranking)}
        rows = []
        for t in self.evidence.pairs:
            t = t.oriented(min((t.first, t.second), key=order.__getitem__))
            rows.append(
                {
                    "plan": t.first,
                    "versus": t.second,
                    "paired_seeds": t.pairs,
                    "p_tip_difference": t.tip_difference.estimate,
                    "p_tip_difference_lo": t.tip_difference.lo,
                    "p_tip_difference_hi": t.tip_difference.hi,
                    "only_plan_tipped": t.mcnemar.only_first,
                    "only_versus_tipped": t.mcnemar.only_second,
                    "mcnemar_p": t.mcnemar.p,
                    "mcnemar_p_holm": t.mcnemar_p_holm,
                    "final_above_line_difference": t.share_difference.estimate,
                    "final_above_line_difference_lo": t.share_difference.lo,
                    "final_above_line_difference_hi": t.share_difference.hi,
                    "wilcoxon_p": t.wilcoxon_p,
                    "wilcoxon_p_holm": t.wilcoxon_p_holm,
                }
            )
        table = pd.DataFrame(rows)
        if len(table):
            table = table.sort_values(["plan", "versus"], key=lambda c: c.map(order)).reset_index(drop=True)
        return table


def spend_vs_budget(s: PlanStats, budget: float) -> float:
    """Mean realised spend relative to the budget (0.0 is exactly on budget); NaN without waves or budget."""
    realised = s.outcomes["total_cost"].estimate
    if not budget or math.isnan(budget) or math.isnan(realised) or s.expected_spend == 0:
        return math.nan
    return realised / budget - 1


def _spent_off(s: PlanStats, budget: float) -> str:
    """Why a plan that could spend the budget is more than :data:`SPEND_TOLERANCE` off it ("" when it is not)."""
    gap = spend_vs_budget(s, budget)
    if not s.can_spend or not abs(gap) > SPEND_TOLERANCE:
        return ""
    return (
        f"{s.plan} spent {100 * gap:+.1f}% against the budget on average over its runs "
        f"(more than {100 * SPEND_TOLERANCE:.0f}% off; expected spend {s.expected_spend:,.0f})"
    )


def plan_stats(runs: pd.DataFrame, plan: str, expected_spend: float, can_spend: bool = True) -> PlanStats:
    """Statistics of one plan's runs (rows of the per-run summary table)."""
    r = runs[runs["plan"] == plan]
    tipped = int(r["tipped"].astype(bool).sum())
    weeks = r.loc[r["tipped"].astype(bool), "weeks_to_tip"].to_numpy(dtype=float)
    return PlanStats(
        plan=plan,
        n=len(r),
        tipped=tipped,
        p_tip=wilson_interval(tipped, len(r)),
        weeks_to_tip=bootstrap_interval(weeks, "median"),
        outcomes={col: bootstrap_interval(r[col].to_numpy(dtype=float)) for col, _, _ in OUTCOMES},
        expected_spend=expected_spend,
        can_spend=can_spend,
    )


def compare(
    runs: pd.DataFrame,
    plans: list[str],
    expected: Mapping[str, float],
    budget: float = math.nan,
    cannot_spend: Mapping[str, str] | None = None,
    min_effect: float = MIN_EFFECT,
) -> Comparison:
    """Describe every plan, test every pair seed by seed (Holm-corrected), and decide.

    Parameters
    ----------
    runs : DataFrame
        Per-run summaries with columns ``plan``, ``seed``, ``tipped``,
        ``weeks_to_tip`` and the :data:`OUTCOMES` columns.
    plans : list of str
        Plans in scenario order.
    expected : mapping of str to float
        Each plan's expected spend (currency).
    budget : float
        What each plan was scaled to spend (currency).
    cannot_spend : mapping of str to str, optional
        Plans that cannot spend the budget, each with a note for the verdict.
    min_effect : float
        Smallest difference in P(tip), or in the final share above the line, worth a verdict.
    """
    cannot_spend = dict(cannot_spend or {})
    all_stats = [plan_stats(runs, p, expected.get(p, math.nan), p not in cannot_spend) for p in plans]
    evidence = holm_corrected([paired_evidence(runs, plans)])[0]
    spend_notes = {**{s.plan: note for s in all_stats if (note := _spent_off(s, budget))}, **cannot_spend}
    verdict = decide(evidence, min_effect=min_effect, spend_notes=spend_notes)
    pairs = min((t.pairs for t in evidence.pairs), default=0)
    power = power_note(pairs, evidence.family, min_effect) if evidence.pairs else ""
    return Comparison(all_stats, evidence, verdict, budget, min_effect, power)
