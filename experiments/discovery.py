"""Scenario discovery: which parameter ranges make one plan match another.

Runs of the two plans at the same point and seed are paired. A pair
*matches* when the plan's outcome reaches the reference's minus a tolerance
(see :class:`experiments.definition.DiscoverSpec`). A shallow classification
tree (CART with the Gini criterion, written here: a few dozen lines, no extra
dependency) splits the varied parameters into boxes, and each leaf is printed
as a readable rule::

    silo_strength > 0.9 and cynicism_rate <= 0.002 -> pilot matches rocket in 80% of runs (n=120)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.definition import DiscoverSpec


@dataclass
class Node:
    """A tree node: a split ``feature <= threshold`` with two children, or a leaf."""

    runs: int
    matches: int
    feature: int = -1
    threshold: float = np.nan
    left: Node | None = None
    right: Node | None = None

    @property
    def rate(self) -> float:
        return self.matches / self.runs if self.runs else np.nan

    @property
    def leaf(self) -> bool:
        return self.left is None


def _gini(matches: np.ndarray, runs: np.ndarray) -> np.ndarray:
    p = np.divide(matches, runs, out=np.zeros_like(matches, dtype=float), where=runs > 0)
    return 2 * p * (1 - p)


def grow_tree(x: np.ndarray, y: np.ndarray, max_depth: int = 3, min_leaf: int = 10) -> Node:
    """Fit a CART classification tree (Gini impurity) to features ``x`` (runs x features) and 0/1 ``y``.

    A node splits only when the split lowers the weighted impurity and
    leaves at least ``min_leaf`` runs on each side. Ties between equally
    good splits go to the lowest feature index, then the lowest threshold,
    so the tree is deterministic.
    """
    y = np.asarray(y, dtype=int)
    node = Node(runs=len(y), matches=int(y.sum()))
    if max_depth == 0 or len(y) < 2 * min_leaf or node.matches in (0, node.runs):
        return node
    parent = _gini(np.array([node.matches]), np.array([node.runs]))[0] * node.runs
    best: tuple[float, int, float] | None = None
    for j in range(x.shape[1]):
        order = np.argsort(x[:, j], kind="stable")
        xs, ys = x[order, j], y[order]
        left_runs = np.arange(1, len(ys))
        left_matches = np.cumsum(ys)[:-1]
        right_runs = len(ys) - left_runs
        right_matches = node.matches - left_matches
        valid = (xs[1:] > xs[:-1]) & (left_runs >= min_leaf) & (right_runs >= min_leaf)
        if not valid.any():
            continue
        impurity = _gini(left_matches, left_runs) * left_runs + _gini(right_matches, right_runs) * right_runs
        impurity = np.where(valid, impurity, np.inf)
        k = int(np.argmin(impurity))
        if impurity[k] < parent - 1e-12 and (best is None or impurity[k] < best[0] - 1e-12):
            best = (float(impurity[k]), j, float(0.5 * (xs[k] + xs[k + 1])))
    if best is None:
        return node
    _, j, threshold = best
    mask = x[:, j] <= threshold
    node.feature, node.threshold = j, threshold
    node.left = grow_tree(x[mask], y[mask], max_depth - 1, min_leaf)
    node.right = grow_tree(x[~mask], y[~mask], max_depth - 1, min_leaf)
    return node


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def leaf_rules(tree: Node, names: list[str]) -> list[dict[str, object]]:
    """Each leaf as a rule: its conditions (bounds merged per parameter), runs, matches, rate."""
    out: list[dict[str, object]] = []

    def walk(node: Node, bounds: dict[str, tuple[float, float]]) -> None:
        if node.leaf:
            parts = []
            for name in names:
                if name in bounds:
                    lo, hi = bounds[name]
                    if np.isfinite(lo) and np.isfinite(hi):
                        parts.append(f"{_fmt(lo)} < {name} <= {_fmt(hi)}")
                    elif np.isfinite(lo):
                        parts.append(f"{name} > {_fmt(lo)}")
                    else:
                        parts.append(f"{name} <= {_fmt(hi)}")
            out.append(
                {
                    "conditions": " and ".join(parts) or "all runs",
                    "runs": node.runs,
                    "matches": node.matches,
                    "match_rate": node.rate,
                    **{f"{n}.low": bounds.get(n, (-np.inf, np.inf))[0] for n in names},
                    **{f"{n}.high": bounds.get(n, (-np.inf, np.inf))[1] for n in names},
                }
            )
            return
        name = names[node.feature]
        lo, hi = bounds.get(name, (-np.inf, np.inf))
        assert node.left is not None and node.right is not None
        walk(node.left, {**bounds, name: (lo, min(hi, node.threshold))})
        walk(node.right, {**bounds, name: (max(lo, node.threshold), hi)})

    walk(tree, {})
    return sorted(out, key=lambda r: (-float(r["match_rate"]), -int(r["runs"])))  # type: ignore[arg-type]


def match_pairs(rows: pd.DataFrame, spec: DiscoverSpec, varied: tuple[str, ...]) -> pd.DataFrame:
    """Pair the plan's and the reference's runs by point and seed; add the ``match`` column."""
    keep = ["point", "seed", *varied, spec.outcome, "tipped"]
    plan = rows[rows["plan"] == spec.plan][keep]
    ref = rows[rows["plan"] == spec.reference][["point", "seed", spec.outcome, "tipped"]]
    pairs = plan.merge(ref, on=["point", "seed"], suffixes=("", "_reference"))
    if spec.only_where_reference_tips:
        pairs = pairs[pairs["tipped_reference"].astype(bool)]
    a = pairs[spec.outcome].astype(float)
    b = pairs[f"{spec.outcome}_reference"].astype(float)
    pairs = pairs.assign(match=(a >= b - spec.tolerance))
    return pairs.sort_values(["point", "seed"]).reset_index(drop=True)


def rule_text(rule: dict[str, object], spec: DiscoverSpec) -> str:
    rate = float(rule["match_rate"])  # type: ignore[arg-type]
    return f"{rule['conditions']} -> {spec.plan} matches {spec.reference} in {rate:.0%} of runs (n={rule['runs']})"


def plot_discovery(
    pairs: pd.DataFrame,
    tree: Node,
    names: list[str],
    rules: list[dict[str, object]],
    spec: DiscoverSpec,
    path: Path,
    title: str,
) -> None:
    """Runs on the two parameters the tree leans on most, coloured by match, with the rules beside."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gain: dict[str, int] = {}

    def visit(node: Node | None, depth: int) -> None:
        if node is None or node.leaf:
            return
        gain[names[node.feature]] = gain.get(names[node.feature], 0) + node.runs
        visit(node.left, depth + 1)
        visit(node.right, depth + 1)

    visit(tree, 0)
    ranked = sorted(gain, key=lambda n: -gain[n]) + [n for n in names if n not in gain]
    fx, fy = (ranked + ranked)[:2] if len(ranked) == 1 else ranked[:2]
    fig, (ax, ax_text) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [1, 1.1]})
    match = pairs["match"].to_numpy(dtype=bool)
    ax.scatter(
        pairs.loc[~match, fx], pairs.loc[~match, fy], s=12, c="tab:red", alpha=0.6, label="does not match"
    )
    ax.scatter(pairs.loc[match, fx], pairs.loc[match, fy], s=12, c="tab:green", alpha=0.6, label="matches")
    for rule in rules[:3]:
        lo_x, hi_x = rule[f"{fx}.low"], rule[f"{fx}.high"]
        lo_y, hi_y = rule[f"{fy}.low"], rule[f"{fy}.high"]
        xs = pairs[fx]
        ys = pairs[fy]
        x0, x1 = max(float(lo_x), xs.min()), min(float(hi_x), xs.max())  # type: ignore[arg-type]
        y0, y1 = max(float(lo_y), ys.min()), min(float(hi_y), ys.max())  # type: ignore[arg-type]
        ax.add_patch(
            plt.Rectangle(
                (x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--", edgecolor="black", linewidth=0.8
            )
        )
    ax.set(
        xlabel=fx,
        ylabel=fy,
        title=f"{spec.plan} vs {spec.reference} ({spec.outcome}, tolerance {spec.tolerance:g}); boxes: top rules",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax_text.axis("off")
    lines = [
        f"{len(pairs)} run pairs, {pairs['match'].mean():.0%} match overall" if len(pairs) else "no run pairs"
    ]
    lines += [rule_text(r, spec) for r in rules]
    ax_text.text(0, 1, "\n\n".join(_wrap(line) for line in lines), va="top", fontsize=8, family="monospace")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _wrap(text: str, width: int = 80) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text
