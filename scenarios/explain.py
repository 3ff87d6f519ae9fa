"""Why one plan beats another: their difference split into ingredients.

Plan A is the base. Each differing ingredient of plan B (see
:mod:`scenarios.ingredients`) is moved into A; every hybrid is fitted to the
scenario's budget, so each swap is at equal spend. With at most
:data:`MAX_FACTORIAL` differing ingredients the full 2^k factorial is run,
otherwise A, A with each single ingredient of B, and A with all of them.

Every cell runs the scenario's seeds, so effects are paired: for each seed the
effect of an ingredient is the contrast of that seed's outcomes (factorial:
mean with B's ingredient minus mean with A's; one at a time: hybrid minus A),
and its 95% interval is a seeded bootstrap over seeds. A two-way interaction
is half the difference between an ingredient's effect with and without the
other. Outcomes: P(tip) and the final share above the line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.ingredients import INGREDIENTS, LABELS, anatomy, describe, differing, hybrid
from scenarios.runner import budget_fits, run_many
from scenarios.scenario import Scenario
from scenarios.verdict import Interval, bootstrap_interval, points_text, share_text
from sim import Plan

MAX_FACTORIAL = 5
MAX_RUNS = 20_000
"""More runs than this are refused before starting (2^5 plans x 625 seeds: hours on a laptop)."""
OUTCOMES = (("tipped", "P(tip)"), ("final_above_line", "final share above the line"))
FIGURE = "attribution.png"


@dataclass(frozen=True)
class Effect:
    """One term's effect on both outcomes: a main effect or a two-way interaction."""

    term: tuple[str, ...]
    p_tip: Interval
    final_above_line: Interval

    @property
    def label(self) -> str:
        return " × ".join(LABELS[n] for n in self.term)


@dataclass
class Explanation:
    """Plan A against plan B, ingredient by ingredient.

    Attributes
    ----------
    a, b : Plan
        The two plans as written (before fitting to the budget).
    ingredients : list of str
        The ingredients swapped (those in which the plans differ, or the chosen ones).
    design : str
        ``"factorial"`` or ``"one at a time"``.
    cells : dict of frozenset to Plan
        Each set of B's ingredients moved into A, and the fitted hybrid.
    runs : DataFrame
        One row per cell and seed: ``cell`` (plan name), ``seed``, ``tipped``, ``final_above_line``.
    main : list of Effect
        One per ingredient: averaged over the other ingredients (factorial), or swapped alone.
    alone : list of Effect
        One per ingredient: A with that one ingredient of B, against A.
    interaction : Effect or None
        The two-way interaction largest in P(tip) (then in final share); factorial designs only.
    notes : list of str
        Hybrids that cannot spend the budget, and what the ingredients leave out.
    """

    scenario: Scenario
    a: Plan
    b: Plan
    ingredients: list[str]
    design: str
    cells: dict[frozenset[str], Plan]
    runs: pd.DataFrame
    main: list[Effect]
    alone: list[Effect]
    interaction: Effect | None
    notes: list[str]


def design_cells(ingredients: Sequence[str]) -> tuple[str, list[frozenset[str]]]:
    """The sets of B's ingredients to move into A: every subset, or none, each one, and all."""
    if len(ingredients) <= MAX_FACTORIAL:
        subsets = chain.from_iterable(combinations(ingredients, k) for k in range(len(ingredients) + 1))
        return "factorial", [frozenset(s) for s in subsets]
    return "one at a time", [frozenset(), *(frozenset([n]) for n in ingredients), frozenset(ingredients)]


def chosen_ingredients(a: Plan, b: Plan, only: Sequence[str] | None = None) -> list[str]:
    """The ingredients to swap: all those that differ, or ``only`` those (checked).

    Raises
    ------
    ValueError
        One line naming the bad ingredient and what is allowed.
    """
    differ = differing(a, b)
    if not only:
        if not differ:
            rest = core_differences(a, b)
            raise ValueError(
                f"{a.name} and {b.name} share every ingredient ({', '.join(INGREDIENTS)})"
                + (f"; they differ only in: {'; '.join(rest)}" if rest else "")
            )
        return differ
    for name in only:
        if name not in INGREDIENTS:
            raise ValueError(f"ingredient {name!r} unknown; allowed: {', '.join(INGREDIENTS)}")
        if name not in differ:
            raise ValueError(
                f"{a.name} and {b.name} do not differ in {name}; they differ in: {', '.join(differ) or 'nothing'}"
            )
    return [n for n in INGREDIENTS if n in only]


def explain(
    scenario: Scenario,
    a: Plan,
    b: Plan,
    only: Sequence[str] | None = None,
    workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
) -> Explanation:
    """Run every hybrid of ``a`` and ``b`` over the scenario's seeds at its budget and attribute the difference.

    Raises
    ------
    ValueError
        If a plan has no waves, or the ingredients are bad (see :func:`chosen_ingredients`).
    """
    for plan in (a, b):
        if not plan.waves:
            raise ValueError(f"plan {plan.name} has no waves: nothing to decompose")
    names = chosen_ingredients(a, b, only)
    design, subsets = design_cells(names)
    hybrids = {s: hybrid(a, b, s) for s in subsets}
    plans = {p.name: p for p in hybrids.values()}
    fits = budget_fits(plans, scenario.params, scenario.budget, scenario.weeks)
    cells = {s: fits[p.name].plan for s, p in hybrids.items()}
    notes = [
        f"note: {name} cannot spend the budget (expected spend {fit.expected_spend:,.0f} of {scenario.budget:,.0f})"
        for name, fit in fits.items()
        if not fit.can_spend
    ]
    notes += [f"note: not an ingredient, so not attributed: {d}" for d in core_differences(a, b)]
    results = run_many(
        scenario.params,
        {p.name: p for p in cells.values()},
        scenario.seeds,
        scenario.weeks,
        workers=workers,
        keep_weekly=False,
        progress=progress,
    )
    runs = pd.DataFrame(
        [
            {
                "cell": r.plan,
                "seed": r.seed,
                "tipped": bool(r.summary["tipped"]),
                "final_above_line": float(r.summary["final_above_line"]),
            }
            for r in results
        ]
    )
    main, alone, interaction = effects(runs, {s: p.name for s, p in cells.items()}, names, design)
    return Explanation(scenario, a, b, names, design, cells, runs, main, alone, interaction, notes)


def effects(
    runs: pd.DataFrame, cells: dict[frozenset[str], str], names: Sequence[str], design: str
) -> tuple[list[Effect], list[Effect], Effect | None]:
    """Each ingredient's main effect and its effect swapped alone, and the largest two-way interaction.

    Parameters
    ----------
    runs : DataFrame
        Columns ``cell``, ``seed``, ``tipped``, ``final_above_line``.
    cells : dict of frozenset to str
        Each set of B's ingredients and the name of its cell in ``runs``.
    design : str
        ``"factorial"``: main effects average over the other ingredients;
        otherwise main effects are the single swaps and there is no interaction.
    """
    y = {
        column: runs.pivot(index="seed", columns="cell", values=column).astype(float)
        for column, _ in OUTCOMES
    }

    def term(contrast: dict[frozenset[str], float], members: tuple[str, ...]) -> Effect:
        per_seed = {c: sum(w * y[c][cells[s]] for s, w in contrast.items()) for c, _ in OUTCOMES}
        return Effect(
            members,
            bootstrap_interval(per_seed["tipped"].to_numpy()),
            bootstrap_interval(per_seed["final_above_line"].to_numpy()),
        )

    alone = [term({frozenset([n]): 1.0, frozenset(): -1.0}, (n,)) for n in names]
    if design != "factorial":
        return alone, alone, None
    scale = 1 / 2 ** (len(names) - 1)

    def sign(s: frozenset[str], members: tuple[str, ...]) -> float:
        return math.prod(1.0 if n in s else -1.0 for n in members)

    main = [term({s: sign(s, (n,)) * scale for s in cells}, (n,)) for n in names]
    pairs = [term({s: sign(s, m) * scale for s in cells}, m) for m in combinations(names, 2)]
    largest = max(
        pairs,
        key=lambda e: (abs(_or_zero(e.p_tip.estimate)), abs(_or_zero(e.final_above_line.estimate))),
        default=None,
    )
    return main, alone, largest


def core_differences(a: Plan, b: Plan) -> list[str]:
    """How the two cores differ beyond the ingredients: duration, doses, number of waves."""
    ca, cb = anatomy(a).core, anatomy(b).core
    if not ca or not cb:
        return []
    out = []
    if len(ca) != len(cb):
        out.append(f"the core has {len(ca)} wave(s) in {a.name}, {len(cb)} in {b.name}")
    wa, wb = ca[0], cb[0]
    for field, unit in (("duration", " weeks"), ("education", ""), ("leadership", "")):
        va, vb = getattr(wa, field), getattr(wb, field)
        if va != vb:
            out.append(f"core {field} {va:g}{unit} in {a.name}, {vb:g}{unit} in {b.name}")
    return out


def effects_table(expl: Explanation) -> pd.DataFrame:
    """The effects as numbers: one row per term (main effects, then the largest interaction)."""
    alone = {e.term[0]: e for e in expl.alone}
    rows = []
    for kind, effect in [("main", e) for e in expl.main] + (
        [("interaction", expl.interaction)] if expl.interaction else []
    ):
        row: dict[str, Any] = {"term": " x ".join(effect.term), "kind": kind}
        if kind == "main":
            row[expl.a.name] = describe(expl.a, effect.term[0])
            row[expl.b.name] = describe(expl.b, effect.term[0])
        for column, iv in (("p_tip", effect.p_tip), ("final_above_line", effect.final_above_line)):
            row.update({f"{column}_effect": iv.estimate, f"{column}_lo": iv.lo, f"{column}_hi": iv.hi})
        if kind == "main":
            single = alone[effect.term[0]]
            row["p_tip_alone"] = single.p_tip.estimate
            row["final_above_line_alone"] = single.final_above_line.estimate
        rows.append(row)
    return pd.DataFrame(rows)


def explanation_markdown(expl: Explanation, figure: str | None = FIGURE, level: int = 2) -> str:
    """The attribution as Markdown: what was run, the effects table, notes, the chart."""
    a, b = expl.a.name, expl.b.name
    seeds = len(expl.scenario.seeds)
    head = "#" * level
    lines = [
        f"{head} Why {a} and {b} differ: ingredient by ingredient",
        "",
        f"Starting from {a}, each ingredient in which {b} differs is moved into {a} "
        f"({expl.design}: {len(expl.cells)} plans, each fitted to spend {expl.scenario.budget:,.0f}, "
        f"{seeds} paired seeds, {expl.scenario.weeks} weeks). An effect is the change in P(tip) "
        f"(percentage points) or in the final share above the line when {b}'s ingredient replaces "
        f"{a}'s, averaged over the other ingredients, with a 95% bootstrap interval over seeds; "
        f"'swapped alone' is {a} with only that ingredient of {b}, against {a}.",
        "",
        f"| ingredient | {a} | {b} | effect on P(tip) | effect on final share | swapped alone: P(tip), share |",
        "|---|---|---|---|---|---|",
    ]
    for e, single in zip(expl.main, expl.alone, strict=True):
        n = e.term[0]
        lines.append(
            f"| {LABELS[n]} | {describe(expl.a, n)} | {describe(expl.b, n)} | {points_text(e.p_tip)} | "
            f"{share_text(e.final_above_line)} | {_estimates(single)} |"
        )
    if expl.interaction:
        e = expl.interaction
        lines.append(
            f"| largest interaction: {e.label} | | | {points_text(e.p_tip)} | {share_text(e.final_above_line)} | |"
        )
    lines.append("")
    lines += [f"- {n.removeprefix('note: ')}" for n in expl.notes]
    if figure:
        lines += ["", f"![Effect of each ingredient of {b} moved into {a}]({figure})", ""]
    return "\n".join(lines)


def plot_effects(expl: Explanation, path: Path) -> None:
    """Bar chart of each ingredient's effect (and the largest interaction) on both outcomes, with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    terms = [*expl.main, *([expl.interaction] if expl.interaction else [])]
    labels = [e.label for e in terms]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.6 * len(terms) + 2.2), sharey=True, layout="constrained")
    for ax, (field, title, factor) in zip(
        axes,
        (
            ("p_tip", "effect on P(tip) (percentage points)", 100.0),
            ("final_above_line", "effect on final share above the line", 1.0),
        ),
        strict=True,
    ):
        ivs = [getattr(e, field) for e in terms]
        est = np.array([iv.estimate for iv in ivs]) * factor
        err = np.array([[iv.estimate - iv.lo, iv.hi - iv.estimate] for iv in ivs]).T * factor
        colours = ["#1f5fbf" if v >= 0 else "#c0392b" for v in est]
        hatches = [None] * len(expl.main) + ["//"] * (len(terms) - len(expl.main))
        bars = ax.barh(range(len(terms)), est, xerr=err, color=colours, alpha=0.85, capsize=3)
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        ax.axvline(0, color="black", lw=0.8)
        ax.set(title=title)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(terms)), labels)
    axes[0].invert_yaxis()
    fig.suptitle(
        f"{expl.scenario.name}: moving {expl.b.name}'s ingredients into {expl.a.name}\n{expl.design}, "
        f"{len(expl.scenario.seeds)} paired seeds, each plan spending {expl.scenario.budget:,.0f}; "
        "bars: 95% intervals; hatched: the largest interaction"
    )
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_explanation(expl: Explanation, folder: Path) -> None:
    """Write the chart, its table and the runs behind it into ``folder`` (an open temporary folder)."""
    plot_effects(expl, folder / FIGURE)
    effects_table(expl).to_csv(folder / FIGURE.replace(".png", ".csv"), index=False)
    expl.runs.to_csv(folder / "attribution-runs.csv", index=False)


def _estimates(e: Effect) -> str:
    """An effect's two estimates without intervals: ``+35 pts, +0.24``."""
    tip, share = e.p_tip.estimate, e.final_above_line.estimate
    if math.isnan(tip) or math.isnan(share):
        return "–"
    return f"{round(100 * tip):+d} pts, {round(share, 2) + 0.0:+.2f}"


def _or_zero(x: float) -> float:
    return 0.0 if math.isnan(x) else x
