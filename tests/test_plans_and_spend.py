"""Waves, gates and spend: every ingredient costs, and scaling spends the budget."""

import numpy as np
import pytest

from scenarios.plans import builtin_plans
from sim import CultureModel, Department, Gate, ModelParams, ParameterError, Plan, Wave, fit_to_budget
from sim.interventions import SpendProjection, expected_cost
from sim.organization import build_organization

ALL_BLOCKS = {"vision": 0.7, "communications": 0.6, "recruitment": 0.6}
SMALL = ModelParams(
    departments=(Department("a", 30), Department("b", 20), Department("c", 20)), n_customers=150
)


def org_of(params):
    return build_organization(params, np.random.default_rng(0))


@pytest.mark.parametrize("budget_factor", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("plan_name", ["pilot", "rocket", "frontline_pilot", "training_only", "top_down"])
def test_scaling_spends_the_budget_within_one_percent(plan_name, budget_factor):
    params, plan = ModelParams(), builtin_plans()[plan_name]
    org = org_of(params)
    budget = 300_000 * budget_factor
    fit = fit_to_budget(plan, org, budget, params, 260)
    assert fit.can_spend
    assert fit.expected_spend == pytest.approx(budget, rel=0.01)
    assert SpendProjection(fit.plan, org, params, 260).spend().total == pytest.approx(budget, rel=0.01)


def test_scaling_keeps_the_plan_shape_and_lengthens_the_burn_when_coverage_saturates():
    params, plan = ModelParams(), builtin_plans()["training_only"]
    org = org_of(params)
    fit = fit_to_budget(plan, org, 3_000_000, params, 260)
    (wave,) = fit.plan.waves
    assert wave.coverage == pytest.approx(1.0, abs=0.01)
    assert wave.duration > plan.waves[0].duration
    assert (wave.roles, wave.education, wave.departments) == (
        plan.waves[0].roles,
        plan.waves[0].education,
        plan.waves[0].departments,
    )


def test_a_plan_that_cannot_spend_the_budget_is_flagged():
    params = ModelParams()
    small = Plan("tiny", (Wave(0, 4, roles=("executives",), coverage=0.5, education=0.5),))
    fit = fit_to_budget(small, org_of(params), 10_000_000, params, 30)
    assert not fit.can_spend
    assert fit.expected_spend < 10_000_000
    assert fit.plan.waves[0].coverage == pytest.approx(1.0)


def test_every_ingredient_costs_money():
    params = SMALL
    org = org_of(params)
    people = Plan("people", (Wave(0, 10, roles=("frontline",), coverage=0.2, education=0.5),))
    coaching = Plan("coaching", (Wave(0, 10, roles=("managers",), coverage=0.2, leadership=0.5),))
    blocks = Plan("blocks", (Wave(0, 10, roles=("executives",), coverage=0.2, mechanisms=ALL_BLOCKS),))
    spends = {p.name: SpendProjection(p, org, params, 52).spend() for p in (people, coaching, blocks)}
    assert spends["people"].people > 0 and spends["people"].coaching == 0 == spends["people"].mechanisms
    assert spends["coaching"].coaching > 0
    assert spends["blocks"].mechanisms > 0
    assert spends["blocks"].mechanisms > spends["blocks"].people


def test_realised_spend_matches_the_projection():
    plan = Plan("p", (Wave(0, 20, coverage=0.3, leadership=0.5, mechanisms=ALL_BLOCKS),))
    runs = []
    for seed in range(3):
        m = CultureModel(SMALL, plan, rng=seed)
        m.run(30)
        runs.append(m.cumulative_cost)
    expected = expected_cost(plan, m.organization, SMALL, 30)
    assert np.mean(runs) == pytest.approx(expected, rel=0.05)


def _gated(threshold: float, max_weeks: int) -> Plan:
    wave = Wave(
        0,
        8,
        coverage=0.8,
        education=1.0,
        leadership=1.0,
        mechanisms={
            "vision": 1.0,
            "communications": 1.0,
            "common_service_language": 1.0,
            "recognition_and_rewards": 1.0,
        },
        advance_when=Gate(threshold, max_weeks),
    )
    return Plan("gated", (wave,))


def test_a_gated_stage_advances_when_its_department_reaches_the_gate_and_not_before():
    m = CultureModel(SMALL, _gated(0.5, 200), rng=4)
    history = []
    for _ in range(150):
        history.append(m.above_line_by_department().copy())
        m.step()
        if not m.rollout.pending:
            break
    starts = m.rollout.starts
    assert starts[0] == 0
    for k in (1, 2):
        opened = int(starts[k])
        assert opened > starts[k - 1]
        before = [history[w][k - 1] for w in range(int(starts[k - 1]) + 1, opened)]
        assert before and all(share < 0.5 for share in before)
        assert history[opened][k - 1] >= 0.5


def test_a_gated_stage_opens_after_max_weeks_when_the_gate_is_never_reached():
    m = CultureModel(SMALL, _gated(1.0, 6), rng=4)
    m.run(20)
    assert list(m.rollout.starts) == [0, 6, 12]


def test_gates_are_validated():
    with pytest.raises(ParameterError, match="above_line"):
        Gate(1.5, 10)
    with pytest.raises(ParameterError, match="max_weeks"):
        Wave(0, 4, advance_when={"above_line": 0.5, "max_weeks": 0})
    with pytest.raises(ParameterError, match="unknown key"):
        Wave(0, 4, advance_when={"above_line": 0.5, "max_week": 3})
