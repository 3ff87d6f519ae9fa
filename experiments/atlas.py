"""Which plan wins where: a map over silo_strength x budget.

Each cell is judged by :mod:`scenarios.verdict`, the same rule as ``blueline
compare``: plans ranked by tipping probability then mean final share, every
pair tested seed by seed (exact McNemar on tipping, Wilcoxon signed-rank on
the final share), Holm's correction over every test of every cell, and a
minimum effect. The leader wins the cell when the verdict is clear;
otherwise the cell is marked "no clear winner".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.verdict import MIN_EFFECT, Evidence, decide, holm_corrected, paired_evidence, power_note

NO_WINNER = "no clear winner"


def cell_row(evidence: Evidence, min_effect: float = MIN_EFFECT) -> dict[str, object]:
    """One cell's verdict and each plan's numbers, from Holm-corrected evidence."""
    verdict = decide(evidence, min_effect=min_effect)
    out: dict[str, object] = {
        "winner": verdict.best if verdict.clear else NO_WINNER,
        "leader": evidence.ranking[0],
        "runner_up": verdict.runner_up or "",
        "basis": verdict.criterion,
        "p_holm": verdict.p_value,
        "difference": verdict.difference.estimate,
        "difference_lo": verdict.difference.lo,
        "difference_hi": verdict.difference.hi,
    }
    out.update({f"p_tip.{s.plan}": s.p_tip for s in evidence.standings})
    out.update({f"final_above_line.{s.plan}": s.final_above_line for s in evidence.standings})
    return out


def atlas_table(
    rows: pd.DataFrame, x: str = "silo_strength", y: str = "budget", min_effect: float = MIN_EFFECT
) -> pd.DataFrame:
    """One row per (x, y) cell: winner, the basis and Holm-adjusted p-value of the call, each plan's numbers.

    Holm's correction runs over every test of every cell: the more cells,
    the stronger a difference must be to be called.
    """
    plans = list(dict.fromkeys(rows["plan"]))
    keys, evidence = [], []
    for (xv, yv), cell in rows.groupby([x, y], sort=True):
        keys.append((xv, yv, len(cell)))
        evidence.append(
            paired_evidence(cell, [p for p in plans if p in set(cell["plan"])], ("point", "seed"))
        )
    cells = [
        {x: xv, y: yv, "runs": n, "holm_tests": e.family, **cell_row(e, min_effect)}
        for (xv, yv, n), e in zip(keys, holm_corrected(evidence), strict=True)
    ]
    table = pd.DataFrame(cells)
    first = [x, y, "winner", "leader", "runner_up", "basis", "p_holm", "difference", "runs"]
    return table[[c for c in first if c in table] + sorted(c for c in table if c not in first)]


def atlas_power(rows: pd.DataFrame, table: pd.DataFrame, min_effect: float = MIN_EFFECT) -> str:
    """The power note of an atlas: the fewest seeds a plan has in a cell, and every test of the family."""
    seeds = int(rows.groupby(["point", "plan"])["seed"].nunique().min()) if len(rows) else 0
    return power_note(seeds, int(table["holm_tests"].max()) if len(table) else 0, min_effect)


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
    tests = int(table["holm_tests"].max()) if "holm_tests" in table and len(table) else 0
    ax.set_title(
        f"{title}\ncell text: tipping probability of {' / '.join(plans)}; winner: paired verdict, "
        f"Holm over {tests} tests",
        fontsize=10,
    )
    handles = [Patch(facecolor=colours[p], label=p) for p in plans]
    handles.append(Patch(facecolor="whitesmoke", hatch="//", label=NO_WINNER))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), title="winner")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
