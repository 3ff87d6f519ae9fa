"""Property-based checks of the simulation core over random small organizations."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import CultureModel, Department, ModelParams, Plan, Wave

organizations = st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=4).map(
    lambda sizes: tuple(Department(f"d{k}", n) for k, n in enumerate(sizes))
)
shares = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda s: sum(s) > 0.1)


@st.composite
def small_models(draw):
    raw = draw(shares)
    params = ModelParams(
        departments=draw(organizations),
        span=draw(st.integers(1, 12)),
        executives=draw(st.integers(1, 5)),
        silo_strength=draw(st.floats(0.0, 1.0)),
        cross_blame_weight=draw(st.floats(0.0, 4.0)),
        n_customers=draw(st.integers(0, 80)),
        b2b_share=draw(st.floats(0.0, 1.0)),
        initial_rung_shares=tuple(float(x) for x in np.asarray(raw) / sum(raw)),
    )
    plan = Plan(
        "p", (Wave(draw(st.integers(0, 5)), draw(st.integers(1, 6)), coverage=draw(st.floats(0, 1))),)
    )
    return params, plan, draw(st.integers(0, 2**31))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_models())
def test_headcount_is_conserved_and_shares_stay_in_range(case):
    params, plan, seed = case
    m = CultureModel(params, plan, rng=seed)
    n_staff = m.organization.n_staff
    for _ in range(12):
        m.step()
        assert np.bincount(m.workforce.rung, minlength=4).sum() == n_staff
        assert 0.0 <= m.metrics["above_line"] <= 1.0
        assert m.metrics["customers"] >= 0
        assert np.all((m.customers.loyalty >= 0) & (m.customers.loyalty <= 1))
        assert np.all((m.workforce.education >= 0) & (m.workforce.education <= 1))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_models())
def test_engines_agree_on_random_organizations(case):
    params, plan, seed = case
    runs = []
    for engine in ("compiled", "agents"):
        m = CultureModel(params, plan, engine=engine, rng=seed)
        m.run(8)
        runs.append(m.weekly())
    assert all(
        np.array_equal(np.asarray(v), np.asarray(runs[1][k]), equal_nan=True) for k, v in runs[0].items()
    )
