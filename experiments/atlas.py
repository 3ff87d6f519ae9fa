"""Which plan wins where: a map over silo_strength x budget.

In each cell the plans are ranked by tipping probability, then by mean final
above-the-line share. The leader wins the cell when it beats the runner-up
significantly (5% level): on tipping (Fisher's exact test) or, failing that,
on the final above-the-line share (Mann-Whitney U). Otherwise the cell is
marked "no clear winner": with few seeds a small difference is noise.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

NO_WINNER = "no clear winner"
ALPHA = 0.05


def _fisher(k1: int, n1: int, k2: int, n2: int) -> float:
    if k1 * n2 == k2 * n1:
        return 1.0
    return float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


def _mann_whitney(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(b) == 0 or np.ptp(np.r_[a, b]) == 0:
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def cell_winner(cell: pd.DataFrame, alpha: float = ALPHA) -> dict[str, object]:
    """The winner of one cell from its run rows (columns plan, tipped, final_above_line)."""
    ranked = []
    for plan, runs in cell.groupby("plan", sort=False):
        tipped = runs["tipped"].to_numpy(dtype=bool)
        above = runs["final_above_line"].to_numpy(dtype=float)
        ranked.append((tipped.mean(), above.mean(), str(plan), tipped, above))
    ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
    out: dict[str, object] = {"leader": ranked[0][2] if ranked else ""}
    out.update({f"p_tip.{r[2]}": r[0] for r in ranked})
    out.update({f"final_above_line.{r[2]}": r[1] for r in ranked})
    if len(ranked) < 2:
        return {
            **out,
            "winner": ranked[0][2] if ranked else NO_WINNER,
            "basis": "only plan",
            "p_value": np.nan,
        }
    best, second = ranked[0], ranked[1]
    p_tip = _fisher(int(best[3].sum()), len(best[3]), int(second[3].sum()), len(second[3]))
    if best[0] > second[0] and p_tip < alpha:
        return {**out, "winner": best[2], "runner_up": second[2], "basis": "tipping", "p_value": p_tip}
    p_above = _mann_whitney(best[4], second[4])
    if best[1] > second[1] and p_above < alpha:
        return {
            **out,
            "winner": best[2],
            "runner_up": second[2],
            "basis": "final_above_line",
            "p_value": p_above,
        }
    return {
        **out,
        "winner": NO_WINNER,
        "runner_up": second[2],
        "basis": "not significant",
        "p_value": min(p_tip, p_above),
    }


def atlas_table(rows: pd.DataFrame, x: str = "silo_strength", y: str = "budget") -> pd.DataFrame:
    """One row per (x, y) cell: winner, the basis and p-value of the call, each plan's numbers."""
    cells = []
    for (xv, yv), cell in rows.groupby([x, y], sort=True):
        cells.append({x: xv, y: yv, "runs": len(cell), **cell_winner(cell)})
    table = pd.DataFrame(cells)
    first = [x, y, "winner", "leader", "runner_up", "basis", "p_value", "runs"]
    return table[[c for c in first if c in table] + sorted(c for c in table if c not in first)]


def plot_atlas(
    table: pd.DataFrame, plans: list[str], path: Path, title: str, x: str = "silo_strength", y: str = "budget"
) -> None:
    """The map: one coloured square per cell (hatched grey where no plan clearly wins)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    xs = sorted(table[x].unique())
    ys = sorted(table[y].unique())
    colours = dict(zip(plans, plt.get_cmap("tab10").colors, strict=False))
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for _, row in table.iterrows():
        i, j = xs.index(row[x]), ys.index(row[y])
        winner = row["winner"]
        clear = winner != NO_WINNER
        ax.add_patch(
            plt.Rectangle(
                (i - 0.5, j - 0.5),
                1,
                1,
                facecolor=colours.get(winner, "lightgrey") if clear else "whitesmoke",
                edgecolor="white",
                hatch=None if clear else "//",
            )
        )
        label = f"{winner}\n" if clear else ""
        tips = " / ".join(f"{row.get(f'p_tip.{p}', np.nan):.2f}" for p in plans)
        ax.text(i, j, f"{label}{tips}", ha="center", va="center", fontsize=7)
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_ylim(-0.5, len(ys) - 0.5)
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:,.0f}" for v in ys])
    ax.set(xlabel=x, ylabel=f"{y} (equal, per plan)")
    ax.set_title(f"{title}\ncell text: tipping probability of {' / '.join(plans)}", fontsize=10)
    handles = [Patch(facecolor=colours[p], label=p) for p in plans]
    handles.append(Patch(facecolor="whitesmoke", hatch="//", label=NO_WINNER))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), title="winner")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
