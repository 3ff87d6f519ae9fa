"""Ingredients of a plan, the hybrids between two plans, and `blueline explain`."""

from __future__ import annotations

import dataclasses
from itertools import combinations

import pandas as pd
import pytest

from scenarios.cli import main
from scenarios.explain import MAX_FACTORIAL, chosen_ingredients, design_cells, effects, explain
from scenarios.ingredients import INGREDIENTS, anatomy, differing, hybrid, ingredient
from scenarios.plans import builtin_plans
from scenarios.scenario import builtin_scenarios, load_scenario, parse_scenario
from sim import Plan, Wave

FULL = {"vision": 0.7, "communications": 0.6}


def rocket_like() -> Plan:
    core = Wave(
        start=0, duration=10, roles=("frontline", "managers", "executives"), coverage=0.3, mechanisms=FULL
    )
    booster = Wave(start=20, duration=5, coverage=0.2, mechanisms=FULL)
    burn = Wave(start=40, duration=50, coverage=0.02, mechanisms=FULL)
    return Plan("rocket_like", (core, booster, burn))


def pilot_like() -> Plan:
    core = Wave(
        start=0,
        duration=20,
        every=25,
        roles=("frontline", "managers"),
        coverage=0.3,
        mechanisms={"communications": 0.6, "role_modelling": 0.5},
    )
    return Plan("pilot_like", (core,))


# -- the ingredient algebra ------------------------------------------------------------------------


def test_anatomy_splits_core_booster_and_sustaining_burn():
    parts = anatomy(rocket_like())
    assert [w.start for w in parts.core] == [0]
    assert [w.start for w in parts.booster] == [20]
    assert [w.start for w in parts.sustaining_burn] == [40]
    assert anatomy(pilot_like()).booster == () == anatomy(pilot_like()).sustaining_burn


def test_plans_differ_in_the_ingredients_they_do_not_share():
    assert differing(rocket_like(), pilot_like()) == list(INGREDIENTS)
    assert differing(rocket_like(), rocket_like()) == []


def test_hybrid_without_ingredients_is_plan_a():
    a, b = rocket_like(), pilot_like()
    assert hybrid(a, b, ()).waves == a.waves


@pytest.mark.parametrize("name", INGREDIENTS)
def test_moving_one_ingredient_changes_that_ingredient_only(name):
    a, b = rocket_like(), pilot_like()
    moved = hybrid(a, b, [name])
    assert differing(moved, a) == [name]
    assert ingredient(moved, name) == ingredient(b, name)


def test_hybrid_with_every_ingredient_shares_all_of_plan_b():
    a, b = rocket_like(), pilot_like()
    assert differing(hybrid(a, b, INGREDIENTS), b) == []
    assert differing(hybrid(b, a, INGREDIENTS), a) == []


def test_hybrid_does_not_depend_on_the_order_of_ingredients():
    a, b = rocket_like(), pilot_like()
    assert hybrid(a, b, ["booster", "roles"]).waves == hybrid(a, b, ["roles", "booster"]).waves


def test_builtin_pilot_and_rocket_differ_in_staging_booster_and_burn():
    plans = builtin_plans()
    assert differing(plans["rocket"], plans["pilot"]) == ["staging", "booster", "sustaining_burn"]
    assert {"roles", "org_blocks"} <= set(differing(plans["rocket"], plans["frontline_pilot"]))


def test_plans_sharing_every_ingredient_cannot_be_explained_and_say_what_differs():
    a = rocket_like()
    b = Plan("longer", (dataclasses.replace(a.waves[0], duration=15), *a.waves[1:]))
    with pytest.raises(ValueError, match="share every ingredient.*core duration 10 weeks in rocket_like, 15"):
        chosen_ingredients(a, b)


def test_design_is_factorial_up_to_five_ingredients_then_one_at_a_time():
    design, cells = design_cells(INGREDIENTS[:MAX_FACTORIAL])
    assert design == "factorial" and len(set(cells)) == 2**MAX_FACTORIAL
    design, cells = design_cells(INGREDIENTS)
    assert design == "one at a time" and len(cells) == len(INGREDIENTS) + 2


# -- effects, by hand ------------------------------------------------------------------------------


def factorial_runs(outcome, names: tuple[str, ...], seeds: int = 6) -> tuple[pd.DataFrame, dict]:
    cells = {
        frozenset(s): "+".join(s) or "base" for k in range(len(names) + 1) for s in combinations(names, k)
    }
    rows = [
        {"cell": name, "seed": seed, "tipped": outcome(s) > 0.5, "final_above_line": outcome(s)}
        for s, name in cells.items()
        for seed in range(seeds)
    ]
    return pd.DataFrame(rows), cells


def test_factorial_effects_recover_a_known_additive_model_with_interaction():
    # share = 0.2 + 0.3 [x] + 0.1 [y] + 0.2 [x and y]: main effect of x = 0.3 + 0.2/2, interaction = 0.2/2
    def share(s: frozenset[str]) -> float:
        return 0.2 + 0.3 * ("x" in s) + 0.1 * ("y" in s) + 0.2 * ("x" in s and "y" in s)

    runs, cells = factorial_runs(share, ("x", "y", "z"))
    main, alone, interaction = effects(runs, cells, ["x", "y", "z"], "factorial")
    by_name = {e.term[0]: e for e in main}
    assert by_name["x"].final_above_line.estimate == pytest.approx(0.4)
    assert by_name["y"].final_above_line.estimate == pytest.approx(0.2)
    assert by_name["z"].final_above_line.estimate == pytest.approx(0.0)
    assert interaction is not None and interaction.term == ("x", "y")
    assert interaction.final_above_line.estimate == pytest.approx(0.1)
    # swapped alone into the base: x adds 0.3, y 0.1 (the interaction needs both)
    assert [e.final_above_line.estimate for e in alone] == pytest.approx([0.3, 0.1, 0.0])
    # tipped = share > 0.5 only with both x and y: half of the cells with x, none without
    assert by_name["x"].p_tip.estimate == pytest.approx(0.5)


def test_one_at_a_time_effects_are_differences_from_plan_a():
    runs, cells = factorial_runs(lambda s: 0.1 + 0.5 * ("x" in s), ("x", "y"))
    main, alone, interaction = effects(runs, cells, ["x", "y"], "one at a time")
    assert [e.final_above_line.estimate for e in main] == pytest.approx([0.5, 0.0])
    assert alone == main
    assert interaction is None


# -- explain on a tiny scenario --------------------------------------------------------------------

TINY = """
budget = 15000
seeds = [0, 1]
weeks = 60
plans = ["rocket", "pilot"]

[params]
n_customers = 60
executives = 2

[[organization.departments]]
name = "call_center"
frontline = 12

[[organization.departments]]
name = "billing"
frontline = 8
"""


@pytest.fixture
def tiny(tmp_path):
    return parse_scenario(TINY, "tiny.toml", "tiny", tmp_path)


def test_explain_returns_an_effect_for_each_differing_ingredient(tiny):
    plans = builtin_plans()
    expl = explain(tiny, plans["rocket"], plans["frontline_pilot"], workers=1)
    names = differing(plans["rocket"], plans["frontline_pilot"])
    assert [e.term for e in expl.main] == [(n,) for n in names]
    assert len(expl.cells) == 2 ** len(names) and len(expl.runs) == 2 ** len(names) * 2
    assert expl.interaction is not None and len(expl.interaction.term) == 2
    for e in expl.main:
        assert -1 <= e.p_tip.lo <= e.p_tip.estimate <= e.p_tip.hi <= 1


def test_explain_command_writes_table_and_chart(tiny, tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    out = tmp_path / "why"
    assert (
        main(["explain", "rocket", "pilot", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    )
    printed = capsys.readouterr().out
    assert "| staging |" in printed and "| booster |" in printed and "| sustaining burn |" in printed
    assert {p.name for p in out.iterdir()} >= {"report.md", "attribution.png", "attribution.csv"}
    table = pd.read_csv(out / "attribution.csv")
    assert list(table.loc[table["kind"] == "main", "term"]) == ["staging", "booster", "sustaining_burn"]


def test_compare_report_ends_with_the_attribution_of_its_top_two_plans(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    out = tmp_path / "cmp"
    assert main(["compare", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    report = (out / "report.md").read_text()
    last = report[report.rindex("\n## ") :]
    assert last.startswith("\n## Why ") and "attribution.png" in last
    assert (out / "attribution.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["rocket", "moonshot"], "PLAN_B moonshot: unknown plan; allowed: none, pilot"),
        (["none", "rocket"], "PLAN_A none: has no waves, nothing to decompose"),
        (["rocket", "rocket"], "PLAN_B rocket: the same plan as PLAN_A"),
        (["rocket", "pilot", "--only", "flavour"], "--only: ingredient 'flavour' unknown; allowed: roles"),
        (["rocket", "pilot", "--only", "roles"], "--only: rocket and pilot do not differ in roles"),
        (["rocket", "pilot", "--n-seeds", "5000"], "more than 20,000; use fewer seeds"),
    ],
)
def test_explain_bad_input_exits_2_with_one_line(args, expected, tmp_path, capsys):
    out = tmp_path / "x"
    assert main(["explain", *args[:2], "classroom", *args[2:], "--out", str(out), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("blueline explain: error: ") and expected in lines[0]
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_explain_rocket_pilot_has_ingredients_to_swap_on_every_builtin_scenario(name):
    scenario = load_scenario(name)
    plans = {**builtin_plans(), **scenario.plans}
    names = chosen_ingredients(plans["rocket"], plans["pilot"])
    assert names and len(design_cells(names)[1]) <= 2**MAX_FACTORIAL
