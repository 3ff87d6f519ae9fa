"""Global sensitivity of tipping and final culture: Morris screening and Sobol indices (SALib).

Each design point is run with every seed; its outputs are the tipping
probability (share of seeds that tipped) and the mean final culture index.
Morris elementary effects rank the parameters cheaply (mu* = mean absolute
effect, sigma = its spread: interactions or non-linearity). Sobol first-order
(S1) and total (ST) indices split the outputs' variance; with a stochastic
model part of the variance is seed noise, so S1 sums to less than 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.sampling import Design

OUTPUTS = {"p_tip": "tipping probability", "culture": "final culture index"}


def point_outputs(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (plan, point): tipping probability and mean final culture index over seeds."""
    return (
        rows.groupby(["plan", "point"], sort=True)
        .agg(p_tip=("tipped", "mean"), culture=("final_culture_index", "mean"), seeds=("seed", "size"))
        .reset_index()
    )


def _constant(y: np.ndarray) -> bool:
    return bool(np.nanmax(y) - np.nanmin(y) == 0)


def morris_indices(rows: pd.DataFrame, design: Design, seed: int = 1) -> pd.DataFrame:
    """mu*, its 95% confidence, mu and sigma per plan, output and parameter."""
    from SALib.analyze import morris

    assert design.matrix is not None and design.problem is not None
    matrix, problem = design.matrix, design.problem

    def analyze(y: np.ndarray) -> dict[str, Any]:
        return morris.analyze(problem, matrix, y, num_levels=4, seed=seed)

    return _indices("morris", ("mu_star", "mu_star_conf", "mu", "sigma"), 0.0, analyze, rows, design)


def sobol_indices(rows: pd.DataFrame, design: Design, seed: int = 1) -> pd.DataFrame:
    """S1, ST and their 95% confidence per plan, output and parameter."""
    from SALib.analyze import sobol

    assert design.problem is not None
    problem = design.problem

    def analyze(y: np.ndarray) -> dict[str, Any]:
        return sobol.analyze(problem, y, calc_second_order=False, seed=seed)

    return _indices("sobol", ("S1", "S1_conf", "ST", "ST_conf"), np.nan, analyze, rows, design)


def _indices(
    method: str,
    columns: tuple[str, ...],
    if_constant: float,
    analyze: Callable[[np.ndarray], dict[str, Any]],
    rows: pd.DataFrame,
    design: Design,
) -> pd.DataFrame:
    """One row per plan, output and parameter; a constant output gets ``if_constant`` and a note."""
    assert design.problem is not None
    names = design.problem["names"]
    out = []
    for (plan, name), y in _outputs_by_point(rows, len(design.points)):
        key = {"method": method, "plan": plan, "output": name}
        if _constant(y):
            out += [
                {**key, "parameter": p, **dict.fromkeys(columns, if_constant), "note": "output constant"}
                for p in names
            ]
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = analyze(y)
        out += [
            {**key, "parameter": p, **{c: float(res[c][k]) for c in columns}, "note": ""}
            for k, p in enumerate(names)
        ]
    return pd.DataFrame(out)


def _outputs_by_point(rows: pd.DataFrame, n_points: int) -> list[tuple[tuple[str, str], np.ndarray]]:
    per_point = point_outputs(rows)
    out = []
    for plan, cells in per_point.groupby("plan", sort=False):
        cells = cells.set_index("point").reindex(range(n_points))
        if cells["seeds"].isna().any():
            missing = int(cells["seeds"].isna().sum())
            raise ValueError(f"plan {plan}: {missing} design points have no runs; finish the sweep first")
        for name in OUTPUTS:
            out.append(((str(plan), name), cells[name].to_numpy(dtype=float)))
    return out


def plot_sensitivity(table: pd.DataFrame, path: Path, title: str) -> None:
    """Morris mu*-sigma scatter and/or Sobol S1/ST bars, one panel per plan and output."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(table.groupby(["method", "plan", "output"], sort=False))
    cols = 2
    rows_n = max(1, (len(panels) + cols - 1) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(12, 4 * rows_n), squeeze=False)
    for ax, ((method, plan, output), cells) in zip(axes.flat, panels, strict=False):
        label = OUTPUTS.get(str(output), str(output))
        if method == "morris":
            ax.errorbar(cells["mu_star"], cells["sigma"], xerr=cells["mu_star_conf"], fmt="o", capsize=2)
            for _, r in cells.iterrows():
                ax.annotate(
                    r["parameter"],
                    (r["mu_star"], r["sigma"]),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
            ax.set(xlabel="mu* (mean |elementary effect|)", ylabel="sigma (interactions, non-linearity)")
            ax.set_title(f"Morris, {plan}: {label}", fontsize=10)
        else:
            cells = cells.sort_values("ST", ascending=False)
            x = np.arange(len(cells))
            ax.bar(x - 0.2, cells["S1"], 0.4, yerr=cells["S1_conf"], label="S1 (first order)", capsize=2)
            ax.bar(x + 0.2, cells["ST"], 0.4, yerr=cells["ST_conf"], label="ST (total)", capsize=2)
            ax.set_xticks(x, cells["parameter"], rotation=45, ha="right", fontsize=7)
            ax.set(ylabel="Sobol index")
            ax.set_title(f"Sobol, {plan}: {label}", fontsize=10)
            ax.legend(fontsize=7)
        if (cells["note"] == "output constant").all():
            ax.text(
                0.5, 0.5, "output constant over the sample", transform=ax.transAxes, ha="center", color="grey"
            )
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
