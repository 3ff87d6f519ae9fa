"""What is measured each week, and the per-run summary.

Column names: ``share_<rung>`` overall, ``share_<rung>.<group>`` by
department or role, ``above_line`` (share at OWN) likewise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.ladder import RUNG_NAMES, Rung
from sim.organization import Organization
from sim.params import ModelParams


@dataclass
class WeekTally:
    """Counts the weekly processes leave behind for the metrics (reset each week)."""

    contacts: int = 0
    failures: int = 0
    satisfaction: float = float("nan")
    churned: int = 0
    arrived: int = 0
    churned_revenue: float = 0.0
    arrived_revenue: float = 0.0
    leavers: int = 0
    top_performers: int = 0
    top_performer_leavers: int = 0
    reached: int = 0
    cost_people: float = 0.0
    cost_coaching: float = 0.0
    cost_mechanisms: float = 0.0
    revenue: float = 0.0

    @property
    def cost(self) -> float:
        return self.cost_people + self.cost_coaching + self.cost_mechanisms


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


def weekly_metrics(
    org: Organization,
    rung: np.ndarray,
    education: np.ndarray,
    mechanisms: np.ndarray,
    loyalty: np.ndarray,
    active: np.ndarray,
    tally: WeekTally,
    cumulative_cost: float,
) -> dict[str, float]:
    """This week's numbers from the state arrays and the week's tally."""
    n = len(rung)
    overall = np.bincount(rung, minlength=4) / n
    out: dict[str, float] = {
        "above_line": float(overall[Rung.OWN]),
        "culture_index": float(rung.mean() / Rung.OWN),
    }
    out.update(zip((f"share_{r}" for r in RUNG_NAMES), overall.tolist(), strict=True))
    n_groups = org.n_departments + 1
    by_dept = np.bincount(org.department * 4 + rung, minlength=4 * n_groups).reshape(n_groups, 4)
    by_role = np.bincount(org.role.astype(np.int64) * 4 + rung, minlength=12).reshape(3, 4)
    # departments count their frontline and managers; executives are reported by role
    counts = np.vstack([by_dept[:-1], by_role])
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    table = np.hstack([shares[:, 3:], shares])
    out.update(zip(_group_columns(org), table.ravel().tolist(), strict=True))
    n_active = int(active.sum())
    others = n - tally.top_performers
    out.update(
        education=float(education.mean()),
        mechanisms=float(mechanisms.mean()),
        cross_silo_blame=float(org.cross_degree[rung == Rung.BLAME].sum()),
        contacts=float(tally.contacts),
        failures=float(tally.failures),
        satisfaction=tally.satisfaction,
        loyalty=float(loyalty[active].mean()) if n_active else float("nan"),
        customers=float(n_active),
        churned=float(tally.churned),
        new_customers=float(tally.arrived),
        churned_revenue=tally.churned_revenue,
        new_revenue=tally.arrived_revenue,
        revenue=tally.revenue,
        attrition=float(tally.leavers),
        high_performer_attrition=float(tally.top_performer_leavers),
        attrition_rate_top_performers=tally.top_performer_leavers / max(tally.top_performers, 1),
        attrition_rate_others=(tally.leavers - tally.top_performer_leavers) / max(others, 1),
        reached=float(tally.reached),
        cost_people=tally.cost_people,
        cost_coaching=tally.cost_coaching,
        cost_mechanisms=tally.cost_mechanisms,
        cost=tally.cost,
        cumulative_cost=cumulative_cost,
    )
    return out


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
