"""Behaviour of the scenario layer: scenario files, equal budgets, the runner, the comparison."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scenarios.comparison import compare
from scenarios.inputs import InputError
from scenarios.plans import builtin_plans
from scenarios.report import comparison_table
from scenarios.runner import costing_organization, equal_budget, expected_spend, run_many, run_one
from scenarios.scenario import builtin_scenarios, load_scenario, parse_scenario, scenario_to_toml
from scenarios.study import run_study
from sim import ParameterError, expected_cost

EXAMPLES = Path(__file__).resolve().parents[1] / "scenarios" / "examples"
REQUIRED_BUILTINS = {
    "default",
    "training-only-trap",
    "top-down",
    "high-silos",
    "low-silos",
    "classroom",
    "sponsored-pilot",
}

USER_PLAN = """
budget = 20000
seeds = [3, 5]
weeks = 30
compare = ["none", "call_center_blitz"]

[params]
n_customers = 150

[[organization.departments]]
name = "call_center"
frontline = 20
customer_share = 0.7

[[organization.departments]]
name = "billing"
frontline = 10

[plans.call_center_blitz]
description = "everything on the call center, nothing elsewhere"

[[plans.call_center_blitz.waves]]
start = 0
duration = 10
departments = ["call_center"]
roles = ["frontline", "managers"]
coverage = 0.5
education = 0.7
leadership = 0.5
mechanisms = { communications = 0.6 }
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def without_source(scenario):
    return dataclasses.replace(scenario, source="")


@pytest.mark.parametrize("name", [*sorted(builtin_scenarios()), "examples/hospital.toml", "user"])
def test_scenario_round_trips_through_toml(name, tmp_path):
    if name == "user":
        original = load_scenario(write(tmp_path, "user.toml", USER_PLAN))
    elif name.startswith("examples/"):
        original = load_scenario(EXAMPLES / name.removeprefix("examples/"))
    else:
        original = load_scenario(name)
    for complete in (False, True):
        text = scenario_to_toml(original, header="echo\ntest", complete=complete)
        again = load_scenario(write(tmp_path, "again.toml", text))
        assert without_source(again) == without_source(original)


def test_builtins_include_the_required_scenarios_each_described():
    found = builtin_scenarios()
    assert set(found) >= REQUIRED_BUILTINS
    assert all(len(description) > 20 for description in found.values())


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_runs_briefly(name):
    scenario = load_scenario(name).with_overrides(weeks=6, seeds=(0,))
    study = run_study(scenario, workers=1, progress=False)
    assert list(study.runs["plan"]) == list(scenario.plans)
    assert len(study.weekly) == len(scenario.plans) * 7
    assert study.comparison.verdict.best in scenario.plans
    # budget normalisation: every plan with waves that can spend the budget is expected to, within 1%
    for s in study.comparison.stats:
        if study.plans[s.plan].waves and s.can_spend:
            assert study.expected[s.plan] == pytest.approx(scenario.budget, rel=0.01)


def test_equal_budget_spends_equal_budgets():
    scenario = load_scenario("default")
    plans = builtin_plans()
    org = costing_organization(scenario.params)
    scaled = equal_budget(plans, scenario.params, 150_000)
    assert scaled["none"].waves == ()
    for name in ("pilot", "frontline_pilot", "rocket", "training_only"):
        assert expected_cost(plans[name], org, scenario.params) != pytest.approx(150_000, rel=0.01)
        assert expected_cost(scaled[name], org, scenario.params) == pytest.approx(150_000, rel=0.01)


def test_realised_spend_matches_expected_spend_over_a_full_run():
    scenario = load_scenario("default")
    scaled = equal_budget({"pilot": builtin_plans()["pilot"]}, scenario.params, 200_000)
    result = run_one(scenario.params, scaled["pilot"], seed=1, weeks=260, keep_weekly=False)
    assert result.weekly is None
    assert result.summary["total_cost"] == pytest.approx(200_000, rel=0.03)


def test_plan_too_small_for_the_budget_is_reported_not_hidden():
    scenario = load_scenario("top-down").with_overrides(budget=500_000, weeks=4, seeds=(0,))
    study = run_study(scenario, workers=1, progress=False)
    assert study.expected["top_down"] < 500_000
    assert any("top_down cannot spend the budget" in note for note in study.notes)


def test_user_written_plan_runs_and_spends_on_its_department_only(tmp_path):
    scenario = load_scenario(write(tmp_path, "user.toml", USER_PLAN))
    assert list(scenario.plans) == ["none", "call_center_blitz"]
    assert scenario.params.departments[0].customer_share == 0.7
    study = run_study(scenario, workers=1, progress=False)
    runs = study.runs.set_index(["plan", "seed"])
    assert runs.loc[("call_center_blitz", 3), "total_cost"] > 0
    assert runs.loc[("none", 3), "total_cost"] == 0
    blitz = study.weekly[(study.weekly["plan"] == "call_center_blitz") & (study.weekly["seed"] == 3)]
    reached = blitz.set_index("week")["reached"]
    assert reached.loc[1:10].gt(0).all()  # the wave runs in weeks 0..9 (rows 1..10)
    assert reached.loc[11:].eq(0).all()
    assert reached.sum() <= 10 * (20 + 2)  # only the call center's 20 frontline and 2 managers


def test_organization_from_csv_and_toml_files(tmp_path):
    write(
        tmp_path, "org.csv", "\ufeffname,frontline,customer_share\nfront,30,2\nback,12,\n"
    )  # as Excel saves it
    write(tmp_path, "org.toml", 'executives = 2\n[[departments]]\nname = "front"\nfrontline = 30\n')
    from_csv = load_scenario(
        write(tmp_path, "a.toml", 'budget = 1\nplans = ["none"]\norganization = "org.csv"\n')
    )
    assert [(d.name, d.frontline, d.customer_share) for d in from_csv.params.departments] == [
        ("front", 30, 2.0),
        ("back", 12, None),
    ]
    from_toml = load_scenario(
        write(tmp_path, "b.toml", 'budget = 1\nplans = ["none"]\norganization = "org.toml"\n')
    )
    assert from_toml.params.department_names == ("front",)
    assert from_toml.params.executives == 2


BAD_INPUTS = {
    "malformed TOML": ('budget = 1\nplans = ["none", "pilot"\n', "malformed TOML"),
    "unknown plan": (
        'budget = 1\nplans = ["none", "moonshot"]\n',
        "plans: unknown plan 'moonshot'; allowed: none",
    ),
    "unknown department": (
        'budget = 1\ncompare = ["x"]\n[plans.x]\n[[plans.x.waves]]\nstart = 0\nduration = 4\n'
        'departments = ["marketing"]\n',
        "plans.x.waves[0].departments: unknown department 'marketing'; allowed: 'all' or call_center",
    ),
    "negative budget": ('budget = -5\nplans = ["pilot"]\n', "budget=-5: must be >= 0 (currency)"),
    "wave after the horizon": (
        'budget = 1\nweeks = 20\ncompare = ["late"]\n[plans.late]\n[[plans.late.waves]]\nstart = 30\nduration = 4\n',
        "plans.late.waves[0].start=30: starts after the horizon weeks=20; allowed: 0 to 19",
    ),
    "staged wave after the horizon": (
        'budget = 1\nweeks = 100\nplans = ["frontline_pilot"]\n',
        "plans.frontline_pilot.waves[0].every=30: its last department starts in week 150",
    ),
    "no frontline staff": (
        'budget = 1\nplans = ["none"]\n[[organization.departments]]\nname = "a"\nfrontline = 0\n',
        "organization.departments[0].frontline=0: must be >= 1 (people)",
    ),
    "unknown parameter": (
        'budget = 1\nplans = ["none"]\n[params]\nsilo_strenght = 0.9\n',
        "params.silo_strenght: unknown key; did you mean 'silo_strength'? allowed: span",
    ),
    "parameter out of range": (
        'budget = 1\nplans = ["none"]\n[params]\nsilo_strength = 1.5\n',
        "params.silo_strength=1.5: must be <= 1",
    ),
    "unknown top-level key": (
        'budget = 1\nplan = ["none"]\n',
        "plan: unknown key; did you mean 'plans'? allowed: name",
    ),
    "missing budget": ('plans = ["none"]\n', "budget: missing"),
    "unknown wave key": (
        "budget = 1\n[plans.x]\n[[plans.x.waves]]\nstart = 0\nduration = 4\ncoverag = 0.3\n",
        "plans.x.waves[0].coverag: unknown key; did you mean 'coverage'? allowed: start",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_scenario_gives_one_line_naming_file_and_field(case, tmp_path):
    text, expected = BAD_INPUTS[case]
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises((ParameterError, InputError)) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_organization_csv_reports_every_bad_row_at_once(tmp_path):
    write(tmp_path, "org.csv", "name,frontline\na,0\nb,0\n")
    path = write(tmp_path, "s.toml", 'budget = 1\nplans = ["none"]\norganization = "org.csv"\n')
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert err.value.problems == [
        f"{path}: organization file org.csv: line {n}: frontline=0: must be >= 1 (people)" for n in (2, 3)
    ]


def test_unknown_builtin_name_lists_the_builtins():
    with pytest.raises(InputError, match="built-ins: classroom, default"):
        load_scenario("nonesuch")


def test_shorter_horizon_from_the_command_line_is_noted_not_refused():
    from scenarios.scenario import horizon_notes

    scenario = load_scenario("default").with_overrides(weeks=40)
    notes = horizon_notes(scenario)
    assert any(n.startswith("note: frontline_pilot: 4 of 6 wave stages start after week 40") for n in notes)
    assert any(n.startswith("note: rocket:") for n in notes)


def test_seeded_results_do_not_depend_on_the_number_of_workers():
    scenario = load_scenario("classroom")
    plans = equal_budget(scenario.plans, scenario.params, scenario.budget)
    one = run_many(scenario.params, plans, (0, 1, 2), 25, workers=1)
    two = run_many(scenario.params, plans, (0, 1, 2), 25, workers=2)
    assert [(r.plan, r.seed) for r in one] == [(r.plan, r.seed) for r in two]
    assert [(r.plan, r.seed) for r in one][:3] == [("none", 0), ("none", 1), ("none", 2)]
    for a, b in zip(one, two, strict=True):
        assert a.summary == pytest.approx(b.summary, nan_ok=True)
        assert a.weekly.keys() == b.weekly.keys()
        assert all(np.array_equal(a.weekly[k], b.weekly[k], equal_nan=True) for k in a.weekly)


def test_expected_spend_is_zero_for_the_baseline():
    scenario = load_scenario("classroom")
    assert expected_spend({"none": builtin_plans()["none"]}, scenario.params) == {"none": 0}


# -- the comparison --------------------------------------------------------------------------------


def fake_runs(
    tipped: dict[str, list[int]], final: dict[str, list[float]], cost: float = 100.0
) -> pd.DataFrame:
    rows = []
    for plan, flags in tipped.items():
        for seed, (t, f) in enumerate(zip(flags, final[plan], strict=True)):
            rows.append(
                {
                    "plan": plan,
                    "seed": seed,
                    "tipped": bool(t),
                    "weeks_to_tip": 40.0 if t else float("nan"),
                    "final_above_line": f,
                    "final_loyalty": 0.5,
                    "total_revenue": 1e6,
                    "total_attrition": 10.0,
                    "total_cost": cost if plan != "none" else 0.0,
                }
            )
    return pd.DataFrame(rows)


def test_comparison_tests_every_pair_and_states_its_power():
    runs = fake_runs(
        {"none": [0] * 10, "a": [1] * 10, "b": [1] * 5 + [0] * 5},
        {"none": [0.1] * 10, "a": [0.9] * 10, "b": [0.9] * 5 + [0.2] * 5},
    )
    result = compare(runs, ["none", "a", "b"], {"none": 0.0, "a": 100.0, "b": 100.0}, budget=100.0)
    pairs = result.pairs_table()
    assert sorted(zip(pairs["plan"], pairs["versus"], strict=True)) == [
        ("a", "b"),
        ("a", "none"),
        ("b", "none"),
    ]
    assert result.evidence.family == 6
    assert (pairs["mcnemar_p_holm"] >= pairs["mcnemar_p"]).all()
    assert result.power.startswith("Power: with 10 paired seeds and 6 tests")
    assert result.table().set_index("plan").loc["a", "spend_vs_budget"] == pytest.approx(0.0)


def test_a_plan_that_cannot_spend_is_flagged_in_table_and_verdict():
    runs = fake_runs({"a": [1] * 10, "b": [0] * 10}, {"a": [0.9] * 10, "b": [0.1] * 10}, cost=600.0)
    note = "b cannot spend the budget even at full coverage (expected spend 600 of 1,000)"
    result = compare(runs, ["a", "b"], {"a": 1000.0, "b": 600.0}, budget=1000.0, cannot_spend={"b": note})
    table = result.table().set_index("plan")
    assert not table.loc["b", "can_spend"] and table.loc["a", "can_spend"]
    assert table.loc["b", "spend_vs_budget"] == pytest.approx(-0.4)
    assert note in result.verdict.text
    assert "CANNOT SPEND" in comparison_table(result)


def test_realised_spend_off_the_budget_by_more_than_one_percent_gets_a_note():
    runs = pd.concat(
        [
            fake_runs({"a": [1] * 4}, {"a": [0.9] * 4}, cost=1005.0),
            fake_runs({"b": [0] * 4}, {"b": [0.1] * 4}, cost=1040.0),
        ]
    )
    result = compare(runs, ["a", "b"], {"a": 1000.0, "b": 1000.0}, budget=1000.0)
    assert result.spend_notes() == [
        "note: b spent +4.0% against the budget on average over its runs (more than 1% off; expected spend 1,000)"
    ]


def test_study_flags_a_plan_too_small_for_its_budget():
    scenario = load_scenario("classroom").with_overrides(weeks=4, seeds=(0, 1), budget=1e9)
    study = run_study(scenario, workers=1, progress=False)
    flagged = {s.plan for s in study.comparison.stats if not s.can_spend}
    assert flagged == {name for name, plan in study.plans.items() if plan.waves}
    named = study.comparison.ranking[:2]
    assert flagged and all(
        f"{name} cannot spend" in study.comparison.verdict.text for name in flagged & set(named)
    )


def test_scenario_text_round_trip_keeps_user_plan_details(tmp_path):
    original = parse_scenario(USER_PLAN, "user.toml", "user", tmp_path)
    text = scenario_to_toml(original)
    assert "call_center_blitz" in text and "[plans.call_center_blitz]" in text
    assert 'compare = [\n    "none",\n    "call_center_blitz",\n]' in text
