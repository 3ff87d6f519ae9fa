"""Tipping probability against budget, per plan, and the critical budget at which it reaches 50%.

Each (plan, budget) cell's probability is the share of its seeds that tipped,
with a 95% Wilson score interval (:func:`scenarios.verdict.wilson_interval`:
sound at 0 and at n out of n, where the normal approximation collapses). The critical budget is where the curve
first crosses 50%, interpolated linearly between the two budgets around the
crossing.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.verdict import wilson_interval


def tipping_table(rows: pd.DataFrame, by: tuple[str, ...] = ("plan", "budget")) -> pd.DataFrame:
    """Tipping probability per cell: runs, tipped, probability, its 95% Wilson interval, mean final share.

    Parameters
    ----------
    rows : DataFrame
        Run summaries with the ``by`` columns, ``tipped`` and ``final_above_line``.
    """
    keys = list(by)
    grouped = rows.groupby(keys, sort=True)
    table = grouped.agg(
        runs=("tipped", "size"),
        tipped=("tipped", "sum"),
        final_above_line=("final_above_line", "mean"),
        final_culture_index=("final_culture_index", "mean"),
    ).reset_index()
    table["tipped"] = table["tipped"].astype(int)
    table["p_tip"] = table["tipped"] / table["runs"]
    bounds = [wilson_interval(int(k), int(n)) for k, n in zip(table["tipped"], table["runs"], strict=True)]
    table["ci_low"] = [b.lo for b in bounds]
    table["ci_high"] = [b.hi for b in bounds]
    return table


def critical_budget(budgets: np.ndarray | list[float], p_tip: np.ndarray | list[float]) -> tuple[float, str]:
    """Budget at which the tipping probability first reaches 50%.

    Returns
    -------
    budget : float
        Interpolated budget (NaN when never reached).
    status : str
        ``interpolated``; ``at or below lowest budget`` when the first
        budget already tips half the runs; ``not reached``.
    """
    b = np.asarray(budgets, dtype=float)
    p = np.asarray(p_tip, dtype=float)
    order = np.argsort(b, kind="stable")
    b, p = b[order], p[order]
    reached = np.flatnonzero(p >= 0.5)
    if not len(reached):
        return math.nan, "not reached"
    i = int(reached[0])
    if i == 0:
        return float(b[0]), "at or below lowest budget"
    b0, b1, p0, p1 = b[i - 1], b[i], p[i - 1], p[i]
    return float(b0 + (0.5 - p0) * (b1 - b0) / (p1 - p0)), "interpolated"


def critical_table(table: pd.DataFrame) -> pd.DataFrame:
    """The critical budget of each plan from a :func:`tipping_table`."""
    out = []
    for plan, cells in table.groupby("plan", sort=False):
        budget, status = critical_budget(cells["budget"].to_numpy(), cells["p_tip"].to_numpy())
        out.append({"plan": plan, "critical_budget": budget, "status": status})
    return pd.DataFrame(out, columns=["plan", "critical_budget", "status"])


def plot_tipping(table: pd.DataFrame, critical: pd.DataFrame, path: Path, title: str) -> None:
    """S-curves of tipping probability against budget, one per plan, with Wilson bands and 50% marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for plan, cells in table.groupby("plan", sort=False):
        cells = cells.sort_values("budget")
        line = ax.plot(cells["budget"], cells["p_tip"], marker="o", label=str(plan))[0]
        ax.fill_between(
            cells["budget"], cells["ci_low"], cells["ci_high"], color=line.get_color(), alpha=0.15
        )
        found = critical[critical["plan"] == plan]
        if len(found) and np.isfinite(found["critical_budget"].iloc[0]):
            ax.axvline(found["critical_budget"].iloc[0], color=line.get_color(), linestyle=":", linewidth=1)
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    runs = int(table["runs"].min()) if len(table) else 0
    ax.set(
        xlabel="equal budget per plan (currency)",
        ylabel="tipping probability",
        ylim=(-0.03, 1.03),
        title=f"{title}\nshare of seeds that tipped (>= {runs} per point), 95% Wilson bands; dotted: 50% budget",
    )
    ax.legend(title="plan")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
