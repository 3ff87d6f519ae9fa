"""Where the answer would flip: a small atlas of two plans over silo strength and budget, for one organization.

The board's question is answered at one silo strength and one budget; this
asks whether it holds around them. The two plans are compared at equal
budget in every cell of a 3 x 3 grid — the scenario's silo strength and
two neighbours, half, the same and twice its budget — on a few seeds per
cell, each cell judged by the same paired, Holm-corrected verdict as
``compare`` (:func:`experiments.atlas.atlas_table`). It is cheap on purpose
(9 cells x 2 plans x :data:`SEEDS` seeds); ``blueline atlas`` maps a finer grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.atlas import NO_WINNER, atlas_table, plot_atlas
from experiments.runs import RunSpec
from experiments.sweep import chunked
from scenarios.scenario import Scenario
from sim import Plan

SEEDS = 10
"""Seeds per plan and cell."""
BUDGET_FACTORS = (0.5, 1.0, 2.0)
SILO_STEP = 0.1


@dataclass(frozen=True)
class FlipMap:
    """The atlas of two plans around the scenario's silo strength and budget.

    Attributes
    ----------
    table : DataFrame
        One row per cell (:func:`experiments.atlas.atlas_table`).
    plans : list of str
    here : tuple of float
        The scenario's (silo_strength, budget).
    seeds : tuple of int
    """

    table: pd.DataFrame
    plans: list[str]
    here: tuple[float, float]
    seeds: tuple[int, ...]

    def sentence(self) -> str:
        """Where each plan wins, in plain words."""
        t = self.table
        at_here = t[(t["silo_strength"] == self.here[0]) & (t["budget"] == self.here[1])]
        here_winner = at_here["winner"].iloc[0] if len(at_here) else NO_WINNER
        parts = []
        for plan in [*self.plans, NO_WINNER]:
            cells = t[t["winner"] == plan]
            if not len(cells):
                continue
            where = "; ".join(f"silo {r.silo_strength:g} at {r.budget:,.0f}" for r in cells.itertuples())
            label = f"{plan} wins" if plan != NO_WINNER else "no clear winner"
            parts.append(f"{label} in {len(cells)} of {len(t)} cells ({where})")
        here = (
            f"At this organization's silo strength {self.here[0]:g} and {self.here[1]:,.0f} the small map says "
            + (f"{here_winner} wins" if here_winner != NO_WINNER else "no clear winner")
        )
        return f"{here}. " + "; ".join(parts) + "."


def grid(scenario: Scenario, budget: float) -> tuple[list[float], list[float]]:
    """Silo strengths and budgets of the map around the scenario."""
    s = scenario.params.silo_strength
    silos = sorted({round(min(1.0, max(0.0, s + d)), 3) for d in (-SILO_STEP, 0.0, SILO_STEP)})
    return silos, [budget * f for f in BUDGET_FACTORS]


def flip_map(
    scenario: Scenario,
    plans: dict[str, Plan],
    budget: float,
    executor: Any,
    seeds: tuple[int, ...] | None = None,
    min_effect: float = 0.10,
) -> FlipMap:
    """Run the two plans at equal budget in every cell and judge each cell (runs through ``executor``)."""
    seeds = tuple(range(SEEDS)) if seeds is None else seeds
    silos, budgets = grid(scenario, budget)
    specs = []
    for k, (silo, cell_budget) in enumerate((s, b) for s in silos for b in budgets):
        params = scenario.params.replace(silo_strength=silo)
        values = {"silo_strength": silo, "budget": cell_budget}
        for name, plan in plans.items():
            for seed in seeds:
                specs.append(
                    RunSpec(
                        experiment="flip-map",
                        point=k,
                        values=values,
                        plan_name=name,
                        plan=plan,
                        budget=cell_budget,
                        params=params,
                        seed=seed,
                        weeks=scenario.weeks,
                        keep_weekly=False,
                        scenario=scenario.name,
                    )
                )
    rows: list[dict[str, Any]] = []
    for result in executor.map_chunks(chunked(specs, executor.slots())):
        rows += result.summaries
    frame = pd.DataFrame(rows)
    cell = {s.point: s.values for s in specs}
    frame["silo_strength"] = [cell[p]["silo_strength"] for p in frame["point"]]
    frame["budget"] = [cell[p]["budget"] for p in frame["point"]]
    frame = frame.sort_values(["point", "plan", "seed"]).reset_index(drop=True)
    table = atlas_table(frame, min_effect=min_effect)
    return FlipMap(table, list(plans), (round(scenario.params.silo_strength, 3), budgets[1]), seeds)


def plot_flip_map(flip: FlipMap, path: Path, title: str) -> None:
    """The map as :func:`experiments.atlas.plot_atlas` draws it."""
    plot_atlas(flip.table, flip.plans, path, title)
