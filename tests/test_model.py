"""Behaviour of the simulation core (sim/)."""

import mesa
import numpy as np
import pytest

from sim import (
    CultureModel,
    Customer,
    Department,
    FrontlineStaff,
    Manager,
    ModelParams,
    ParameterError,
    Plan,
    Rung,
    Wave,
)

ROCKET_LIKE = Plan(
    "test-rocket",
    (
        Wave(
            0,
            12,
            coverage=0.3,
            education=0.6,
            leadership=0.6,
            mechanisms={"vision": 0.7, "communications": 0.6},
        ),
    ),
)


def weekly_arrays(model):
    return {k: np.asarray(v, dtype=float) for k, v in model.weekly().items()}


def same_numbers(a, b):
    return all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def test_same_seed_same_numbers(small_params):
    runs = []
    for _ in range(2):
        m = CultureModel(small_params, ROCKET_LIKE, rng=7)
        m.run(40)
        runs.append(weekly_arrays(m))
    assert same_numbers(*runs)


def test_different_seeds_differ(small_params):
    a, b = CultureModel(small_params, rng=1), CultureModel(small_params, rng=2)
    a.run(20)
    b.run(20)
    assert not same_numbers(weekly_arrays(a), weekly_arrays(b))


@pytest.mark.parametrize(
    ("seed", "changes", "plan"),
    [
        (0, {}, None),
        (1, {}, ROCKET_LIKE),
        (2, {"silo_strength": 0.3, "cross_blame_weight": 3.0}, ROCKET_LIKE),
        (3, {"initial_rung_shares": (0.1, 0.1, 0.2, 0.6), "b2b_share": 0.9}, None),
    ],
)
def test_compiled_and_agent_engines_identical(small_params, seed, changes, plan):
    params = small_params.replace(**changes)
    runs = []
    for engine in ("compiled", "agents"):
        m = CultureModel(params, plan, engine=engine, rng=seed)
        m.run(30)
        runs.append(weekly_arrays(m))
    assert same_numbers(*runs)


def test_rung_counts_sum_to_headcount_and_shares_to_one(small_params):
    m = CultureModel(small_params, ROCKET_LIKE, rng=3)
    for _ in range(30):
        m.step()
        counts = np.bincount(m.workforce.rung, minlength=4)
        assert counts.sum() == m.organization.n_staff
        assert sum(m.metrics[f"share_{r}"] for r in ("blame", "shame", "justify", "own")) == pytest.approx(1)
        for g in (*small_params.department_names, "frontline", "managers", "executives"):
            assert sum(
                m.metrics[f"share_{r}.{g}"] for r in ("blame", "shame", "justify", "own")
            ) == pytest.approx(1)
    assert len(m.agents_by_type[Customer]) == int(m.customers.active.sum())
    staff = len(m.agents_by_type[FrontlineStaff]) + len(m.agents_by_type[Manager])
    assert staff == m.organization.n_staff


def test_training_alone_fades():
    """An education pulse to the frontline only, managers below the line, no mechanisms."""
    plan = Plan("pulse", (Wave(0, 8, roles=("frontline",), coverage=0.5, education=0.9),))
    m = CultureModel(plan=plan, rng=4)
    m.run(10)
    peak = m.weekly()["education"][-1]
    m.run(100)
    w = m.weekly()
    assert peak > 0.5
    assert w["education"][-1] < 0.1 * peak
    assert not m.summary()["tipped"]
    assert w["above_line"][-1] < 0.3


def test_blame_spreads_across_silos_faster_when_silo_ties_carry_blame():
    """One blaming department among owning ones: other silos slide faster when cross ties carry blame.

    Blame weighs little at the default ``w_blame``; the mechanism is pinned where it is strong.
    """
    depts = (Department("a", 40), Department("b", 40), Department("c", 40))
    slid = {}
    for weight in (0.0, 3.0):
        other_blame = []
        for seed in range(4):
            p = ModelParams(
                departments=depts, n_customers=100, silo_strength=0.5, cross_blame_weight=weight, w_blame=2.0
            )
            m = CultureModel(p, rng=seed, initial_rung_shares=(0.0, 0.0, 0.0, 1.0))
            m.workforce.rung[m.organization.department == 0] = Rung.BLAME
            m.run(26)
            other_blame.append(np.mean([m.weekly()[f"share_blame.{d}"][-1] for d in ("b", "c")]))
        slid[weight] = np.mean(other_blame)
    assert slid[3.0] > slid[0.0] + 0.05


def test_customer_served_by_own_staff_ends_more_loyal():
    finals = {}
    for rung, shares in (("own", (0, 0, 0, 1.0)), ("blame", (1.0, 0, 0, 0))):
        m = CultureModel(rng=5, initial_rung_shares=shares, adaptability=0.0, contact_rate=0.5)
        m.run(52)
        finals[rung] = m.weekly()["loyalty"][-1]
    assert finals["own"] > finals["blame"] + 0.2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"silo_strength": 1.5}, "silo_strength"),
        ({"adaptability": -0.1}, "adaptability"),
        ({"span": 0}, "span"),
        ({"span": 2.5}, "span"),
        ({"initial_rung_shares": (0.5, 0.5, 0.5, 0.5)}, "initial_rung_shares"),
        ({"departments": ()}, "departments"),
        ({"departments": ({"name": "x", "frontline": 0},)}, "departments[0].frontline=0"),
        ({"departments": (Department("x", 5), Department("x", 5))}, "departments"),
        ({"no_such_field": 1}, "no_such_field"),
    ],
)
def test_invalid_parameters_raise_a_one_line_error_naming_the_field(changes, field):
    with pytest.raises(ParameterError) as err:
        ModelParams().replace(**changes)
    message = str(err.value)
    assert message.startswith(field) and "\n" not in message


def test_a_department_checks_its_own_fields_when_built():
    with pytest.raises(ParameterError, match=r"^department\.frontline=0: must be >= 1 \(people\)$"):
        Department("x", 0)


def test_unknown_engine_and_bad_wave_are_rejected():
    with pytest.raises(ParameterError, match="engine"):
        CultureModel(engine="gpu")
    with pytest.raises(ParameterError, match="coverage"):
        Wave(0, 4, coverage=2.0)
    with pytest.raises(ParameterError, match="nowhere"):
        CultureModel(plan=Plan("p", (Wave(0, 4, departments=("nowhere",)),)))


def test_mesa_batch_run_sweeps_model_fields():
    results = mesa.batch_run(
        CultureModel,
        parameters={"silo_strength": [0.5, 0.9], "n_customers": 100},
        rng=[1, 2],
        max_steps=5,
        display_progress=False,
    )
    assert len(results) == 4
    assert {r["silo_strength"] for r in results} == {0.5, 0.9}
    assert all(0 <= r["above_line"] <= 1 for r in results)


def test_agents_read_live_state(small_params):
    m = CultureModel(small_params, rng=1)
    agent = m.staff[0]
    m.workforce.rung[0] = Rung.OWN
    assert agent.rung == 3 and agent.above_the_line
    assert agent.department == "call_center"
    assert m.staff[-1].level == 2 and m.staff[-1].department == "executives"
    customer = next(iter(m.agents_by_type[Customer]))
    assert 0 <= customer.loyalty <= 1 and customer.departments[0] in small_params.department_names
