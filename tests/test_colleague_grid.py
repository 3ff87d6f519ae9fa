"""The colleague network as a Mesa space: one cell per slot, in step with the arrays, drawn by stock SolaraViz."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sim import CultureModel, ModelParams
from sim.agents import Employee
from sim.colleague_grid import colleague_grid


def test_every_employee_sits_in_the_cell_of_its_slot_and_ties_are_edges():
    model = CultureModel(rng=2)
    org, grid = model.organization, model.grid
    assert len(grid.all_cells) == org.n_staff
    for employee in model.staff:
        assert employee.cell is model.grid[employee.slot] and employee in employee.cell.agents
    ties = (org.within + org.across).tocoo()
    for a, b in list(zip(ties.row, ties.col, strict=True))[:200]:
        assert model.grid[int(b)] in model.grid[int(a)].connections.values()


def test_hires_take_the_cell_of_the_person_they_replace():
    model = CultureModel(ModelParams(base_attrition=0.2), rng=4)
    assert model.grid is model.grid  # built on first use, then kept
    before = {e.slot: e for e in model.staff}
    model.run(3)
    replaced = [e for e in model.staff if before[e.slot] is not e]
    assert replaced, "nobody left in three weeks at 20% weekly attrition"
    for employee in replaced:
        assert employee.cell is model.grid[employee.slot] and list(employee.cell.agents) == [employee]
        assert before[employee.slot].cell is None


def test_building_the_space_draws_no_random_number_so_seeds_give_the_same_runs():
    model = CultureModel(rng=9)
    python_rng, numpy_rng = random.Random(5), np.random.default_rng(5)
    before = (python_rng.getstate(), numpy_rng.bit_generator.state)
    colleague_grid(model.organization, python_rng)
    assert (python_rng.getstate(), numpy_rng.bit_generator.state) == before


def test_stock_solaraviz_renders_the_space_and_a_plot_server_side():
    solara = pytest.importorskip("solara")
    from mesa.visualization import SolaraViz, make_plot_component, make_space_component
    from mesa.visualization.components import AgentPortrayalStyle

    colours = ("tab:red", "tab:orange", "tab:olive", "tab:green")

    def portrayal(agent):
        return (
            AgentPortrayalStyle(color=colours[int(agent.rung)], size=20)
            if isinstance(agent, Employee)
            else None
        )

    model = CultureModel(plan="rocket", budget=60_000, rng=1)
    page = SolaraViz(
        model,
        components=[make_space_component(portrayal), make_plot_component("above_line")],
        model_params={"plan": "rocket", "budget": 60_000},
    )
    box, rc = solara.render(page, handle_error=False)
    assert rc is not None
