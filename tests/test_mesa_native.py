"""The model as Mesa users expect it: plans by name, budgets, extra reporters, batch_run over plans."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import mesa
import pytest

from scenarios.plans import builtin_plans
from sim import CultureModel, ParameterError, expected_cost, scale_to_budget
from sim.agents import Employee

ROOT = Path(__file__).resolve().parents[1]


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


def test_a_plan_given_by_name_is_the_builtin_one_and_budget_scales_it():
    model = CultureModel(plan="rocket", budget=120_000, rng=3)
    assert model.plan == scale_to_budget(builtin_plans()["rocket"], model.organization, 120_000, model.params)
    assert expected_cost(model.plan, model.organization, model.params) == pytest.approx(120_000, rel=0.01)
    unscaled = CultureModel(plan="rocket", rng=3)
    assert unscaled.plan == builtin_plans()["rocket"]


def test_an_unknown_plan_name_lists_the_installed_plans():
    with pytest.raises(ParameterError, match="plan='moonshot': no such plan; allowed: .*rocket"):
        CultureModel(plan="moonshot")


def test_extra_reporters_extend_the_collector_and_leave_the_summary_alone():
    plain = CultureModel(plan="rocket", budget=80_000, rng=5)
    rich = CultureModel(
        plan="rocket",
        budget=80_000,
        rng=5,
        model_reporters={"agents": lambda m: len(m.agents)},
        agenttype_reporters={Employee: {"rung": "rung"}},
    )
    for model in (plain, rich):
        model.run(6)
    assert same(plain.summary(), rich.summary())
    assert "agents" in rich.datacollector.get_model_vars_dataframe()
    assert "agents" not in rich.weekly()
    rungs = rich.datacollector.get_agenttype_vars_dataframe(Employee)
    assert len(rungs) == 7 * rich.organization.n_staff


def test_a_reporter_may_not_shadow_a_metric_of_the_model():
    with pytest.raises(ParameterError, match="'above_line' is one of the model's own metrics"):
        CultureModel(model_reporters={"above_line": lambda m: 0.0})


def test_batch_run_sweeps_plans_by_name_at_one_budget():
    rows = mesa.batch_run(
        CultureModel,
        parameters={"plan": ["none", "rocket"], "budget": 50_000},
        rng=[1, 2],
        max_steps=4,
        number_processes=1,
        display_progress=False,
    )
    assert sorted((r["plan"], r["rng"]) for r in rows) == [
        ("none", 1),
        ("none", 2),
        ("rocket", 1),
        ("rocket", 2),
    ]
    rocket = [r for r in rows if r["plan"] == "rocket"]
    assert all(r["cumulative_cost"] > 0 for r in rocket)


def test_the_simulation_core_names_no_plan():
    names = set(builtin_plans()) - {"none"}  # sim labels its empty default plan "none"; that is no rollout
    for path in (ROOT / "sim").glob("*.py"):
        strings = {n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)}
        assert not names & {s for s in strings if isinstance(s, str)}, f"{path.name} names a plan"
