"""The colleague network as a Mesa space: one cell per slot, in step with the arrays, drawn by stock SolaraViz."""

from __future__ import annotations

import random
import re

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


def _browser_files_of(page) -> set[tuple[str, str]]:
    """The (npm package, version) pairs the rendered page's widgets load through Solara's CDN proxy."""
    solara = pytest.importorskip("solara")
    from ipywidgets.widgets.widget import _instances

    solara.render(page, handle_error=False)
    found: set[tuple[str, str]] = set()
    for widget in list(_instances.values()):
        template = getattr(widget, "template", None)
        text = template if isinstance(template, str) else getattr(template, "template", None) or ""
        found |= set(re.findall(r"getCdn\(\)\}/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/", text))
    return found


def test_stock_solaraviz_loads_only_browser_files_the_assets_command_fetches(tmp_path, monkeypatch):
    from mesa.visualization import SolaraViz, make_plot_component, make_space_component
    from mesa.visualization.components import AgentPortrayalStyle

    from dashboards import assets

    page = SolaraViz(
        CultureModel(rng=1),
        components=[
            make_space_component(lambda agent: AgentPortrayalStyle(size=5)),
            make_plot_component("above_line", backend="altair"),
        ],
    )
    loaded = _browser_files_of(page)
    assert {"@widgetti/vue-grid-layout", "vega-embed"} <= {name for name, _ in loaded}
    assert loaded <= set(assets.required_packages(stock_viz=True))
    assert not loaded <= set(assets.required_packages())

    fetched: list[str] = []

    def npm_pack(name: str, version: str, cache) -> None:
        (cache / f"{name}@{version}").mkdir(parents=True)
        fetched.append(f"{name}@{version}")

    monkeypatch.setattr(assets, "_unpack", npm_pack)
    assets.ensure(tmp_path)
    assert assets.missing_packages(tmp_path) == []
    still_missing = set(assets.missing_packages(tmp_path, stock_viz=True))
    assert still_missing == {p for p in loaded if f"{p[0]}@{p[1]}" not in fetched}
    assets.ensure(tmp_path, stock_viz=True)
    assert {f"{n}@{v}" for n, v in loaded} <= set(fetched) and assets.missing_packages(tmp_path, True) == []
