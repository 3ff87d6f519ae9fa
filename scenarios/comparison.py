"""Comparing plans over seeds: tipping probability, outcomes with 95% intervals, and a verdict.

Intervals (all 95%):

- tipping probability: Wilson score interval (good at 0 and 1, unlike the
  normal approximation);
- every other outcome: the mean over seeds (median for weeks to tip, over
  the runs that tipped) with a percentile bootstrap interval, 2000 resamples
  drawn from a generator seeded with 0, so a report is reproducible.

The verdict ranks plans by tipping probability, then by mean final
above-the-line share, and tests the leader against the runner-up: Fisher's
exact test on tipping counts when they differ, otherwise a Mann-Whitney U
test on the final above-the-line share (both two-sided; both p-values are
reported). No plan is favoured by name: the numbers decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
Z95 = 1.959963984540054

OUTCOMES = (
    ("final_above_line", "final above the line", "share"),
    ("final_loyalty", "final loyalty", "share"),
    ("total_revenue", "total revenue", "money"),
    ("total_attrition", "total attrition", "people"),
    ("total_cost", "realised spend", "money"),
)
"""Per-run summary columns compared with a mean and bootstrap interval: (column, label, kind)."""


@dataclass(frozen=True)
class Interval:
    """An estimate with a 95% interval."""

    estimate: float
    lo: float
    hi: float


@dataclass(frozen=True)
class PlanStats:
    """One plan's outcomes over its seeds."""

    plan: str
    n: int
    tipped: int
    p_tip: Interval
    weeks_to_tip: Interval
    outcomes: dict[str, Interval]
    expected_spend: float


@dataclass(frozen=True)
class Verdict:
    """Which plan is better, by how much, and whether it is significant."""

    best: str
    runner_up: str | None
    criterion: str
    fisher_p: float
    mannwhitney_p: float
    significant: bool
    text: str


@dataclass(frozen=True)
class Comparison:
    """Plan statistics in ranked order plus the verdict and each plan's tests against the best."""

    stats: list[PlanStats]
    ranking: list[str]
    verdict: Verdict
    versus_best: list[dict[str, Any]] = field(default_factory=list)
    ranks: dict[str, int] = field(default_factory=dict)
    """1 + the number of plans strictly ahead (tied plans share a rank)."""

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
            rows.append(row)
        return pd.DataFrame(rows)


def wilson_interval(successes: int, n: int) -> Interval:
    """Proportion with its 95% Wilson score interval."""
    if n == 0:
        return Interval(math.nan, 0.0, 1.0)
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_interval(values: np.ndarray, statistic: str = "mean") -> Interval:
    """Mean (or median) with a 95% percentile bootstrap interval (fixed seed)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return Interval(math.nan, math.nan, math.nan)
    func = np.mean if statistic == "mean" else np.median
    estimate = float(func(x))
    if len(x) == 1:
        return Interval(estimate, estimate, estimate)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    resampled = func(x[rng.integers(0, len(x), size=(BOOTSTRAP_RESAMPLES, len(x)))], axis=1)
    lo, hi = np.percentile(resampled, [2.5, 97.5])
    return Interval(estimate, float(lo), float(hi))


def fisher_p(tipped_a: int, n_a: int, tipped_b: int, n_b: int) -> float:
    """Two-sided Fisher's exact test on two tipping counts."""
    table = [[tipped_a, n_a - tipped_a], [tipped_b, n_b - tipped_b]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def mannwhitney_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Mann-Whitney U test; 1.0 when the samples cannot differ (all values equal)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) == 0 or len(b) == 0 or np.ptp(np.r_[a, b]) == 0:
        return 1.0
    p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return 1.0 if math.isnan(p) else p


def plan_stats(runs: pd.DataFrame, plan: str, expected_spend: float) -> PlanStats:
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
    )


def compare(runs: pd.DataFrame, plans: list[str], expected: dict[str, float]) -> Comparison:
    """Rank the plans and test the leader against the runner-up.

    Parameters
    ----------
    runs : DataFrame
        Per-run summaries with columns ``plan``, ``seed``, ``tipped``,
        ``weeks_to_tip`` and the :data:`OUTCOMES` columns.
    plans : list of str
        Plans in scenario order.
    expected : dict of str to float
        Each plan's expected spend.
    """
    all_stats = [plan_stats(runs, p, expected.get(p, math.nan)) for p in plans]
    by_name = {s.plan: s for s in all_stats}

    def key(s: PlanStats) -> tuple[float, float]:
        share = s.outcomes["final_above_line"].estimate
        return (s.p_tip.estimate, -math.inf if math.isnan(share) else share)

    ranking = [s.plan for s in sorted(all_stats, key=key, reverse=True)]
    ranks = {s.plan: 1 + sum(key(o) > key(s) for o in all_stats) for s in all_stats}
    finals = {p: runs.loc[runs["plan"] == p, "final_above_line"].to_numpy(dtype=float) for p in plans}
    best = by_name[ranking[0]]
    versus = []
    for name in ranking[1:]:
        other = by_name[name]
        versus.append(
            {
                "plan": name,
                "versus": best.plan,
                "fisher_p_tipping": fisher_p(best.tipped, best.n, other.tipped, other.n),
                "mannwhitney_p_final_above_line": mannwhitney_p(finals[best.plan], finals[name]),
            }
        )
    return Comparison(all_stats, ranking, _verdict(best, by_name, ranking, versus, ranks), versus, ranks)


def _verdict(
    best: PlanStats,
    by_name: dict[str, PlanStats],
    ranking: list[str],
    versus: list[dict[str, Any]],
    ranks: dict[str, int],
) -> Verdict:
    if len(ranking) == 1:
        text = f"Verdict: only one plan ({best.plan}); nothing to compare."
        return Verdict(best.plan, None, "none", math.nan, math.nan, False, text)
    second = by_name[ranking[1]]
    fp, mp = versus[0]["fisher_p_tipping"], versus[0]["mannwhitney_p_final_above_line"]
    tips = f"tipping {_pct(best)} vs {_pct(second)} (Fisher's exact p = {_p(fp)})"
    shares = (
        f"final above the line {best.outcomes['final_above_line'].estimate:.2f} vs "
        f"{second.outcomes['final_above_line'].estimate:.2f} (Mann-Whitney p = {_p(mp)})"
    )
    if best.p_tip.estimate == second.p_tip.estimate and best.outcomes["final_above_line"].estimate == (
        second.outcomes["final_above_line"].estimate
    ):
        text = f"Verdict: no plan is better: {best.plan} and {second.plan} tie: {tips}; {shares}."
        return Verdict(best.plan, second.plan, "tie", fp, mp, False, text)
    if best.tipped * second.n != second.tipped * best.n:
        criterion, p, first, then = "tipping probability", fp, tips, shares
    else:
        criterion, p, first, then = "final above-the-line share", mp, shares, tips
    significant = p < ALPHA
    tied = [name for name in ranking[1:] if ranks[name] == ranks[second.plan]]
    others = second.plan if len(tied) == 1 else f"{', '.join(tied[:-1])} and {tied[-1]} (tied)"
    if significant:
        text = (
            f"Verdict: {best.plan} is better than {others} on {criterion}, significant at the 5% level: "
            f"{first}; {then}."
        )
    else:
        text = (
            f"Verdict: {best.plan} leads {second.plan} on {criterion}, but the difference is NOT significant "
            f"at the 5% level: {first}; {then}. More seeds (--n-seeds) may tell them apart."
        )
    return Verdict(best.plan, second.plan, criterion, fp, mp, significant, text)


def _pct(s: PlanStats) -> str:
    return f"{s.tipped}/{s.n} = {100 * s.p_tip.estimate:.0f}%"


def _p(p: float) -> str:
    return "n/a" if math.isnan(p) else f"{p:.2g}"
