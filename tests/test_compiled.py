"""The compiled engine gives the readable engine's numbers, and stays out of the CLI's way."""

import subprocess
import sys

import numpy as np
import pytest

from scenarios.plans import builtin_plans
from sim import CultureModel, Gate, ModelParams, Plan, Wave

GATED = Plan(
    "gated-test",
    (
        Wave(
            0,
            8,
            departments=("call_center", "sales", "operations"),
            coverage=0.5,
            education=0.7,
            leadership=0.5,
            mechanisms={"vision": 0.8, "role_modelling": 0.6, "recruitment": 0.7},
            advance_when=Gate(above_line=0.2, max_weeks=6),
        ),
        Wave(20, 10, roles=("frontline",), coverage=0.2, education=0.4, every=3),
    ),
)


def weekly_arrays(model):
    return {k: np.asarray(v, dtype=float) for k, v in model.weekly().items()}


def assert_same_numbers(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k], equal_nan=True), k


@pytest.mark.parametrize(
    ("seed", "changes", "plan"),
    [
        (0, {}, GATED),
        (1, {"silo_strength": 0.3, "cross_blame_weight": 3.0, "b2b_share": 0.9}, GATED),
        (2, {"initial_rung_shares": (0.05, 0.1, 0.25, 0.6), "arrival_rate": 0.05, "rung_spacing": 0.0}, None),
        (
            3,
            {"executives": 1, "board_commitment": 1.0, "cynicism_rate": 0.05, "b2b_departments": 2},
            "rocket",
        ),
        (4, {"span": 3, "mood_sd": 0.0, "drift": 0.0, "contact_rate": 0.9}, "pilot"),
    ],
)
def test_compiled_run_gives_the_agent_engines_numbers(small_params, seed, changes, plan):
    params = small_params.replace(**changes)
    plan = builtin_plans()[plan] if isinstance(plan, str) else plan
    if plan is not None:
        names = params.department_names
        plan = Plan(
            plan.name,
            tuple(
                w
                if w.departments == "all"
                else type(w)(**{**w.__dict__, "departments": tuple(n for n in w.departments if n in names)})
                for w in plan.waves
            ),
        )
    agents = CultureModel(params, plan, engine="agents", rng=seed)
    agents.run(40)
    whole = CultureModel(params, plan, engine="compiled", rng=seed)
    whole.run(40)
    assert_same_numbers(weekly_arrays(agents), weekly_arrays(whole))
    assert np.array_equal(agents.workforce.rung, whole.workforce.rung)
    assert np.array_equal(agents.customers.loyalty, whole.customers.loyalty)
    assert agents.rollout.starts.tolist() == whole.rollout.starts.tolist()


def test_a_gate_opens_the_next_department_during_the_run(small_params):
    m = CultureModel(small_params, GATED, rng=0)
    assert m.rollout.pending
    m.run(40)
    assert not m.rollout.pending
    assert (np.diff(m.rollout.starts[:3]) >= 1).all()


def test_step_by_step_equals_one_call_and_agents_can_be_read_midway(small_params):
    one_call = CultureModel(small_params, GATED, rng=5)
    one_call.run(30)
    stepped = CultureModel(small_params, GATED, rng=5)
    stepped.run(10)
    assert len(stepped.staff) == stepped.organization.n_staff  # reading agents makes them
    stepped.run(20)
    assert_same_numbers(weekly_arrays(one_call), weekly_arrays(stepped))
    assert stepped.steps == one_call.steps == 30
    assert {a.slot for a in stepped.staff} == set(range(stepped.organization.n_staff))
    active = sum(a is not None for a in stepped.customer_agents)
    assert active == int(stepped.customers.active.sum())


def test_datacollector_reads_the_weekly_metrics_when_asked(small_params):
    m = CultureModel(small_params, GATED, rng=2)
    m.run(12)
    frame = m.datacollector.get_model_vars_dataframe()
    assert len(frame) == 13
    assert frame["above_line"].tolist() == m.weekly()["above_line"]
    m.step()
    assert len(m.datacollector.get_model_vars_dataframe()) == 14


def test_vectorized_is_the_compiled_engines_former_name():
    assert CultureModel(engine="vectorized", rng=1).engine == "compiled"


@pytest.mark.parametrize("command", [["--help"], ["validate", "default"]])
def test_cli_help_and_validate_import_no_heavy_modules(command):
    code = (
        "import sys; from scenarios.cli import main\n"
        f"try:\n    main({command!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('mesa', 'scipy.stats', 'dask', 'matplotlib', 'numba') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_large_organization_keeps_no_dense_or_blas_work_on_the_hot_path():
    params = ModelParams(n_customers=2000).replace(
        departments=tuple(type(d)(d.name, d.frontline * 10) for d in ModelParams().departments)
    )
    m = CultureModel(params, rng=0)
    m.run(3)
    assert m.history.shape == (4, len(m.metric_names))


def test_peer_counts_follow_rung_changes_including_a_users_edit(small_params):
    from sim.compiled import count_peers
    from sim.ladder import Rung

    runs = []
    for engine in ("compiled", "agents"):
        m = CultureModel(small_params.replace(base_attrition=0.05), GATED, engine=engine, rng=4)
        m.run(10)
        m.workforce.rung[:10] = Rung.BLAME
        m.run(10)
        fresh = count_peers(m.structure, m.peer_counts.rung)
        assert np.array_equal(m.peer_counts.counts, fresh.counts)
        runs.append(weekly_arrays(m))
    assert_same_numbers(*runs)
