"""Scenario discovery: which parameter ranges make one plan match another.

Runs of the two plans at the same point and seed are paired. A pair
*matches* when the plan's outcome reaches the reference's minus a tolerance
(see :class:`DiscoverSpec`). A shallow classification
tree (CART with the Gini criterion, written here: a few dozen lines, no extra
dependency) splits the varied parameters into boxes, and each leaf is printed
as a readable rule; with the optional ``prim`` package (extra ``discovery``)
PRIM boxes, found by peeling, are printed and drawn beside them::

    silo_strength > 0.9 and cynicism_rate <= 0.002 -> pilot matches rocket in 80% of runs (n=120)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments.experiment_file import Section, section

OUTCOMES = ("final_above_line", "final_culture_index", "tipped")


@section("discover")
class DiscoverSpec(Section):
    """``[discover]``: which plan is held against which in scenario discovery.

    A run pair (same point, same seed) *matches* when ``plan``'s ``outcome``
    reaches the ``reference``'s minus ``tolerance``. With
    ``only_where_reference_tips`` only the pairs where the reference tipped
    count: "where the rocket works, does the pilot work too?".
    """

    plan_fields = ("plan", "reference")

    plan: str = Field(description="the plan tested")
    reference: str = Field(description="the plan it is held against")
    outcome: Literal[OUTCOMES] = Field("final_above_line", description="what is compared")  # type: ignore[valid-type]
    tolerance: float = Field(
        0.1, ge=0, le=1, description="a match reaches the reference's outcome minus this"
    )
    only_where_reference_tips: bool = Field(True, description="count only pairs where the reference tipped")
    max_depth: int = Field(3, ge=1, le=6, description="depth of the CART tree")
    min_leaf: int = Field(10, ge=1, le=100_000, description="fewest run pairs in a leaf")
    prim_density: float = Field(
        0.8, ge=0, le=1, description="PRIM (optional extra 'discovery'): least match rate inside a box"
    )

    @model_validator(mode="after")
    def _two_plans(self) -> DiscoverSpec:
        if self.plan == self.reference:
            raise ValueError("reference: must differ from discover.plan")
        return self


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


MAX_BOXES = 3


def prim_text(box: dict[str, object], spec: DiscoverSpec) -> str:
    return rule_text(box, spec) + f"; covers {float(box['coverage']):.0%} of all matches"  # type: ignore[arg-type]


def prim_boxes(pairs: pd.DataFrame, names: list[str], min_density: float) -> list[dict[str, object]] | None:
    """PRIM boxes (Friedman & Fisher's patient rule induction) where the plans match, next to the CART rules.

    Uses the ``prim`` package (``pip install 'blueline-sim[discovery]'``);
    None when it is not installed. Boxes are found one after another, each
    on the pairs the earlier ones left, until a box falls below
    ``min_density`` or :data:`MAX_BOXES` are found. Each box is a rule like
    the tree's (``conditions``, ``match_rate``, ``runs``, ``NAME.low/high``)
    plus its ``coverage`` (share of all matches inside) and ``mass``
    (share of all pairs inside).
    """
    try:
        import prim
    except ImportError:
        return None
    if pairs.empty or not pairs["match"].any() or pairs["match"].all():
        return []
    x = pairs[names].astype(float).reset_index(drop=True)
    finder = prim.Prim(x, pairs["match"].to_numpy(dtype=float), threshold=min_density, threshold_type=">")
    boxes: list[dict[str, object]] = []
    while len(boxes) < MAX_BOXES:
        box = finder.find_box()
        if box is None or not np.isfinite(box.density) or box.density < min_density:
            break
        limits = box.limits
        inside = np.ones(len(x), dtype=bool)
        rule: dict[str, object] = {}
        conditions = []
        for name in names:
            lo, hi = (
                (float(limits.loc[name, "min"]), float(limits.loc[name, "max"]))
                if name in limits.index
                else (-np.inf, np.inf)
            )
            inside &= (x[name] >= lo) & (x[name] <= hi)
            rule[f"{name}.low"], rule[f"{name}.high"] = lo, hi
            if lo > x[name].min():
                conditions.append(f"{name} >= {lo:.3g}")
            if hi < x[name].max():
                conditions.append(f"{name} <= {hi:.3g}")
        rule.update(
            conditions=" and ".join(conditions) or "everywhere",
            match_rate=float(box.density),
            runs=int(inside.sum()),
            coverage=float(box.coverage),
            mass=float(box.mass),
        )
        boxes.append(rule)
    return boxes


def plot_discovery(
    pairs: pd.DataFrame,
    tree: Node,
    names: list[str],
    rules: list[dict[str, object]],
    spec: DiscoverSpec,
    path: Path,
    title: str,
    boxes: list[dict[str, object]] | None = None,
) -> None:
    """Runs on the two parameters the tree leans on most, coloured by match, with the rules beside.

    The top CART rules are drawn dashed, PRIM boxes (if given) solid blue.
    """
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
    drawn = [(r, "--", "black") for r in rules[:3]] + [(b, "-", "tab:blue") for b in boxes or []]
    for rule, style, colour in drawn:
        lo_x, hi_x = rule[f"{fx}.low"], rule[f"{fx}.high"]
        lo_y, hi_y = rule[f"{fy}.low"], rule[f"{fy}.high"]
        xs = pairs[fx]
        ys = pairs[fy]
        x0, x1 = max(float(lo_x), xs.min()), min(float(hi_x), xs.max())  # type: ignore[arg-type]
        y0, y1 = max(float(lo_y), ys.min()), min(float(hi_y), ys.max())  # type: ignore[arg-type]
        ax.add_patch(
            plt.Rectangle(
                (x0, y0), x1 - x0, y1 - y0, fill=False, linestyle=style, edgecolor=colour, linewidth=0.9
            )
        )
    ax.set(
        xlabel=fx,
        ylabel=fy,
        title=f"{spec.plan} vs {spec.reference} ({spec.outcome}, tolerance {spec.tolerance:g})\n"
        "dashed: top CART rules; solid blue: PRIM boxes",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax_text.axis("off")
    lines = [
        f"{len(pairs)} run pairs, {pairs['match'].mean():.0%} match overall" if len(pairs) else "no run pairs"
    ]
    lines += ["CART rules (tree leaves):"] + [rule_text(r, spec) for r in rules]
    if boxes is not None:
        lines += (
            ["PRIM boxes:"] + [prim_text(b, spec) for b in boxes] if boxes else ["PRIM: no box dense enough"]
        )
    ax_text.text(0, 1, "\n\n".join(_wrap(line) for line in lines), va="top", fontsize=8, family="monospace")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _wrap(text: str, width: int = 80) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text
