"""The comparison's figures: each a PNG plus the CSV of exactly what it draws.

All figures read the tidy weekly table (one row per plan, seed and week).
Bands are the 10-90% range over seeds; lines are medians, except the
stacked rung shares and department lines, which are means (means of
shares still add up to one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import StrMethodFormatter  # noqa: E402

from sim import RUNG_NAMES  # noqa: E402

RUNG_COLOURS = {"blame": "#c0392b", "shame": "#e67e22", "justify": "#bdc3c7", "own": "#1f5fbf"}
MAIN_FIGURE = "above_line.png"
PAIRS_FIGURE = "pairs.png"


def _colours(plans: list[str]) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {p: cycle[k % len(cycle)] for k, p in enumerate(plans)}


def _bands(weekly: pd.DataFrame, column: str) -> pd.DataFrame:
    """Median and 10-90% band over seeds of one column, per plan and week."""
    g = weekly.groupby(["plan", "week"], sort=False)[column]
    out = pd.DataFrame({"median": g.median(), "p10": g.quantile(0.1), "p90": g.quantile(0.9)}).reset_index()
    out.insert(2, "column", column)
    return out


def _band_axes(ax: plt.Axes, bands: pd.DataFrame, plans: list[str], labels: dict[str, str]) -> None:
    colours = _colours(plans)
    for plan in plans:
        b = bands[bands["plan"] == plan]
        ax.fill_between(b["week"], b["p10"], b["p90"], color=colours[plan], alpha=0.2, linewidth=0)
        ax.plot(b["week"], b["median"], color=colours[plan], lw=2, label=labels.get(plan, plan))


def above_line_figure(
    weekly: pd.DataFrame, plans: list[str], tip_level: float, title: str, labels: dict[str, str], out: Path
) -> pd.DataFrame:
    """Share above the line over time per plan, median and 10-90% band, tip level drawn."""
    bands = _bands(weekly, "above_line")
    fig, ax = plt.subplots(figsize=(9, 5.2), layout="constrained")
    _band_axes(ax, bands, plans, labels)
    ax.axhline(tip_level, color="black", ls="--", lw=1)
    ax.annotate(
        f"tip level {tip_level:g}",
        (0.005, tip_level),
        xycoords=("axes fraction", "data"),
        xytext=(0, 4),
        textcoords="offset points",
        fontsize=9,
    )
    ax.set(xlabel="week", ylabel="share of staff above the line (OWN)", ylim=(0, 1), title=title)
    ax.set_xlim(0, weekly["week"].max())
    ax.grid(alpha=0.3)
    ax.legend(loc="center right", frameon=True, title="plan (median, 10–90% band over seeds)")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return bands


def _panel_per_plan(plans: list[str]) -> tuple[Any, list[Any]]:
    """One panel per plan, side by side, sharing the y axis."""
    fig, axes = plt.subplots(
        1, len(plans), figsize=(4.2 * len(plans), 3.8), sharey=True, layout="constrained"
    )
    return fig, [axes] if len(plans) == 1 else list(axes)


def rungs_figure(weekly: pd.DataFrame, plans: list[str], title: str, out: Path) -> pd.DataFrame:
    """Mean share on each rung over time, stacked, one panel per plan."""
    cols = [f"share_{r}" for r in RUNG_NAMES]
    means = weekly.groupby(["plan", "week"], sort=False)[cols].mean().reset_index()
    fig, axes = _panel_per_plan(plans)
    for ax, plan in zip(axes, plans, strict=True):
        m = means[means["plan"] == plan]
        ax.stackplot(
            m["week"],
            *[m[c] for c in cols],
            labels=RUNG_NAMES,
            colors=[RUNG_COLOURS[r] for r in RUNG_NAMES],
        )
        ax.set(title=plan, xlabel="week", ylim=(0, 1), xlim=(0, m["week"].max()))
    axes[0].set_ylabel("mean share of staff")
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="rung", reverse=True)
    fig.suptitle(title)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return means.melt(id_vars=["plan", "week"], var_name="column", value_name="mean")


def departments_figure(
    weekly: pd.DataFrame,
    plans: list[str],
    departments: tuple[str, ...],
    tip_level: float,
    title: str,
    out: Path,
) -> pd.DataFrame:
    """Mean above-the-line share of each department (and the executives) over time, one panel per plan."""
    cols = [f"above_line.{d}" for d in (*departments, "executives")]
    means = weekly.groupby(["plan", "week"], sort=False)[cols].mean().reset_index()
    fig, axes = _panel_per_plan(plans)
    for ax, plan in zip(axes, plans, strict=True):
        m = means[means["plan"] == plan]
        for c in cols:
            ax.plot(
                m["week"], m[c], lw=1.5, ls="--" if c.endswith(".executives") else "-", label=c.split(".")[1]
            )
        ax.axhline(tip_level, color="black", ls=":", lw=1)
        ax.set(title=plan, xlabel="week", ylim=(0, 1), xlim=(0, m["week"].max()))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean share above the line")
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="group")
    fig.suptitle(title)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return means.melt(id_vars=["plan", "week"], var_name="column", value_name="mean")


def customers_figure(
    weekly: pd.DataFrame, plans: list[str], title: str, labels: dict[str, str], out: Path
) -> pd.DataFrame:
    """Customer loyalty and weekly revenue over time per plan (median, 10-90% band)."""
    loyalty, revenue = _bands(weekly, "loyalty"), _bands(weekly, "revenue")
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
    _band_axes(a, loyalty, plans, labels)
    a.set(xlabel="week", ylabel="mean loyalty of active customers", title="customer loyalty")
    _band_axes(b, revenue, plans, labels)
    b.set(xlabel="week", ylabel="revenue per week (currency)", title="revenue")
    b.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.set_xlim(0, weekly["week"].max())
    b.legend(loc="upper left", title="plan")
    fig.suptitle(title)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return pd.concat([loyalty, revenue], ignore_index=True)


def pairs_figure(pairs: pd.DataFrame, min_effect: float, alpha: float, title: str, out: Path) -> None:
    """Each pair's paired difference in P(tip) with its 95% interval; the minimum effect shaded.

    ``pairs`` is :meth:`scenarios.comparison.Comparison.pairs_table`; a pair
    is drawn solid when its Holm-adjusted McNemar p is below ``alpha`` and
    the difference reaches ``min_effect``, hollow otherwise.
    """
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(pairs) + 1.8), layout="constrained")
    ax.axvspan(-100 * min_effect, 100 * min_effect, color="lightgrey", alpha=0.5, lw=0)
    ax.axvline(0, color="black", lw=0.8)
    for k, r in enumerate(pairs.itertuples()):
        est, lo, hi = (100 * v for v in (r.p_tip_difference, r.p_tip_difference_lo, r.p_tip_difference_hi))
        clear = r.mcnemar_p_holm < alpha and abs(r.p_tip_difference) >= min_effect
        ax.errorbar(
            est,
            k,
            xerr=[[est - lo], [hi - est]],
            fmt="o",
            color="#1f5fbf",
            mfc="#1f5fbf" if clear else "white",
            capsize=3,
        )
        ax.annotate(
            f"Holm p = {r.mcnemar_p_holm:.2g}",
            (hi, k),
            xytext=(6, -3),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_yticks(range(len(pairs)), [f"{r.plan} − {r.versus}" for r in pairs.itertuples()])
    ax.invert_yaxis()
    ax.set_xlim(-105, 125)
    ax.set(
        xlabel="difference in P(tip), percentage points (paired by seed, 95% bootstrap interval)",
        title=f"{title}\nfilled: Holm-adjusted McNemar p < {alpha:g} and beyond the minimum effect (grey band)",
    )
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def write_figures(
    weekly: pd.DataFrame,
    plans: list[str],
    departments: tuple[str, ...],
    tip_level: float,
    title: str,
    labels: dict[str, str],
    folder: Path,
) -> dict[str, str]:
    """Draw every figure into ``folder`` (PNG + CSV each); returns file name -> caption, main figure first."""
    captions = {
        MAIN_FIGURE: "Share above the line per plan: median and 10–90% band over seeds; dashed: tip level",
        "rungs.png": "Mean share of staff on each rung, per plan",
        "departments.png": "Mean above-the-line share by department (dashed: executives), per plan",
        "customers.png": "Customer loyalty and weekly revenue per plan: median and 10–90% band",
    }
    tables = {
        MAIN_FIGURE: above_line_figure(weekly, plans, tip_level, title, labels, folder / MAIN_FIGURE),
        "rungs.png": rungs_figure(weekly, plans, title, folder / "rungs.png"),
        "departments.png": departments_figure(
            weekly, plans, departments, tip_level, title, folder / "departments.png"
        ),
        "customers.png": customers_figure(weekly, plans, title, labels, folder / "customers.png"),
    }
    for name, table in tables.items():
        table.to_csv(folder / name.replace(".png", ".csv"), index=False)
    return captions
