"""What is measured each week, and the per-run summary.

Column names: ``share_<rung>`` overall, ``share_<rung>.<group>`` by
department or role, ``above_line`` (share at OWN) likewise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.kernels import kernel
from sim.ladder import RUNG_NAMES, Rung
from sim.organization import Organization
from sim.params import ModelParams

TALLY_FIELDS = (
    "contacts",
    "failures",
    "satisfaction",
    "churned",
    "arrived",
    "churned_revenue",
    "arrived_revenue",
    "leavers",
    "top_performers",
    "top_performer_leavers",
    "reached",
    "cost_people",
    "cost_coaching",
    "cost_mechanisms",
    "revenue",
)
"""What the weekly processes leave behind for the metrics: a tally is a float array in this order."""

(
    CONTACTS,
    FAILURES,
    SATISFACTION,
    CHURNED,
    ARRIVED,
    CHURNED_REVENUE,
    ARRIVED_REVENUE,
    LEAVERS,
    TOP_PERFORMERS,
    TOP_PERFORMER_LEAVERS,
    REACHED,
    COST_PEOPLE,
    COST_COACHING,
    COST_MECHANISMS,
    REVENUE,
) = range(len(TALLY_FIELDS))


OWN, BLAME = int(Rung.OWN), int(Rung.BLAME)


def new_tally() -> np.ndarray:
    """An empty week's tally (satisfaction NaN until someone is served)."""
    tally = np.zeros(len(TALLY_FIELDS))
    tally[SATISFACTION] = np.nan
    return tally


def _group_columns(org: Organization) -> list[str]:
    groups = [*org.department_names, "frontline", "managers", "executives"]
    return [c for g in groups for c in (f"above_line.{g}", *(f"share_{r}.{g}" for r in RUNG_NAMES))]


def metric_names(org: Organization) -> list[str]:
    """All weekly columns, in order."""
    names = ["above_line", "culture_index", *(f"share_{r}" for r in RUNG_NAMES), *_group_columns(org)]
    names += [
        "education",
        "mechanisms",
        "cross_silo_blame",
        "contacts",
        "failures",
        "satisfaction",
        "loyalty",
        "customers",
        "churned",
        "new_customers",
        "churned_revenue",
        "new_revenue",
        "revenue",
        "attrition",
        "high_performer_attrition",
        "attrition_rate_top_performers",
        "attrition_rate_others",
        "reached",
        "cost_people",
        "cost_coaching",
        "cost_mechanisms",
        "cost",
        "cumulative_cost",
    ]
    return names


@kernel
def measure(
    department: np.ndarray,
    role: np.ndarray,
    n_departments: int,
    cross_degree: np.ndarray,
    rung: np.ndarray,
    education: np.ndarray,
    mechanisms: np.ndarray,
    loyalty: np.ndarray,
    active: np.ndarray,
    tally: np.ndarray,
    cumulative_cost: float,
    out: np.ndarray,
) -> None:
    """Write this week's numbers, in :func:`metric_names` order, into ``out``.

    Departments count their frontline and managers; executives are
    reported by role. Sums run in slot order.
    """
    n = len(rung)
    n_groups = n_departments + 3
    counts = np.zeros((n_groups, 4))
    height = 0.0
    blame_ties = 0.0
    for i in range(n):
        r = rung[i]
        height += r
        if department[i] < n_departments:
            counts[department[i], r] += 1
        counts[n_departments + role[i], r] += 1
        if r == BLAME:
            blame_ties += cross_degree[i]
    overall = counts[n_departments:].sum(axis=0)
    out[0] = overall[OWN] / n
    out[1] = height / n / OWN
    for r in range(4):
        out[2 + r] = overall[r] / n
    k = 6
    for g in range(n_groups):
        size = max(counts[g].sum(), 1.0)
        out[k] = counts[g, OWN] / size
        for r in range(4):
            out[k + 1 + r] = counts[g, r] / size
        k += 5
    n_active = 0
    total_loyalty = 0.0
    for c in np.flatnonzero(active):
        n_active += 1
        total_loyalty += loyalty[c]
    others = n - tally[TOP_PERFORMERS]
    out[k] = education.sum() / n
    out[k + 1] = mechanisms.sum() / n
    out[k + 2] = blame_ties
    out[k + 3] = tally[CONTACTS]
    out[k + 4] = tally[FAILURES]
    out[k + 5] = tally[SATISFACTION]
    out[k + 6] = total_loyalty / n_active if n_active else np.nan
    out[k + 7] = n_active
    out[k + 8] = tally[CHURNED]
    out[k + 9] = tally[ARRIVED]
    out[k + 10] = tally[CHURNED_REVENUE]
    out[k + 11] = tally[ARRIVED_REVENUE]
    out[k + 12] = tally[REVENUE]
    out[k + 13] = tally[LEAVERS]
    out[k + 14] = tally[TOP_PERFORMER_LEAVERS]
    out[k + 15] = tally[TOP_PERFORMER_LEAVERS] / max(tally[TOP_PERFORMERS], 1.0)
    out[k + 16] = (tally[LEAVERS] - tally[TOP_PERFORMER_LEAVERS]) / max(others, 1.0)
    out[k + 17] = tally[REACHED]
    out[k + 18] = tally[COST_PEOPLE]
    out[k + 19] = tally[COST_COACHING]
    out[k + 20] = tally[COST_MECHANISMS]
    out[k + 21] = tally[COST_PEOPLE] + tally[COST_COACHING] + tally[COST_MECHANISMS]
    out[k + 22] = cumulative_cost


def tipping(above_line: Sequence[float] | np.ndarray, p: ModelParams) -> tuple[bool, float]:
    """Did the culture tip, and in which week did its final stay above ``tip_level`` begin?

    A run has tipped when the above-the-line share held at or above
    ``tip_level`` through each of its last ``tip_hold`` weeks. Week 0 is the
    initial state.

    Returns
    -------
    tipped : bool
    weeks_to_tip : float
        Start week of the final streak at or above ``tip_level`` (NaN if not tipped).
    """
    a = np.asarray(above_line, dtype=float)
    if len(a) < p.tip_hold + 1:
        return False, float("nan")
    below = np.flatnonzero(a < p.tip_level)
    streak_start = int(below[-1]) + 1 if len(below) else 0
    tipped = streak_start <= len(a) - p.tip_hold
    return bool(tipped), float(streak_start) if tipped else float("nan")


def summarize(weekly: Mapping[str, Sequence[float]], p: ModelParams, last_wave_end: int) -> dict[str, Any]:
    """One row per run: tipping, final values and totals.

    Parameters
    ----------
    weekly : mapping of column name to sequence
        The model's weekly columns, week 0 first.
    last_wave_end : int
        First week with no wave running.
    """
    above = np.asarray(weekly["above_line"], dtype=float)
    tipped, weeks_to_tip = tipping(above, p)
    weeks = len(above) - 1
    last_year = slice(max(1, len(above) - 52), None)
    col = {k: np.asarray(v, dtype=float) for k, v in weekly.items()}
    customers_ever = col["customers"][0] + col["new_customers"][1:].sum()
    revenue_ever = col["revenue"][0] + col["new_revenue"][1:].sum()
    return {
        "weeks": weeks,
        "tipped": tipped,
        "weeks_to_tip": weeks_to_tip,
        "sustained_after_waves": bool(tipped and last_wave_end <= weeks - p.tip_hold),
        "final_above_line": float(above[-1]),
        "peak_above_line": float(above.max()),
        "final_culture_index": float(col["culture_index"][-1]),
        "final_loyalty": float(col["loyalty"][-1]),
        "final_customers": float(col["customers"][-1]),
        "mean_satisfaction": float(np.nanmean(col["satisfaction"][1:])) if weeks else float("nan"),
        "revenue_last_year": float(col["revenue"][last_year].sum()),
        "total_revenue": float(col["revenue"][1:].sum()),
        "total_attrition": float(col["attrition"][1:].sum()),
        "high_performer_attrition": float(col["high_performer_attrition"][1:].sum()),
        "attrition_rate_top_performers": float(np.mean(col["attrition_rate_top_performers"][1:]))
        if weeks
        else float("nan"),
        "attrition_rate_others": float(np.mean(col["attrition_rate_others"][1:])) if weeks else float("nan"),
        "total_churn": float(col["churned"][1:].sum()),
        "customers_lost_share": float(col["churned"][1:].sum() / customers_ever) if customers_ever else 0.0,
        "revenue_lost_share": float(col["churned_revenue"][1:].sum() / revenue_ever) if revenue_ever else 0.0,
        "cost_people": float(col["cost_people"][1:].sum()),
        "cost_coaching": float(col["cost_coaching"][1:].sum()),
        "cost_mechanisms": float(col["cost_mechanisms"][1:].sum()),
        "total_cost": float(col["cumulative_cost"][-1]),
        "last_wave_end": last_wave_end,
    }
