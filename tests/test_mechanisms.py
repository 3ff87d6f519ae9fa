"""Each mechanism of the model, pinned by the behaviour it produces (issue: verdicts from mechanisms)."""

import numpy as np
import pytest

from sim import CultureModel, Department, ModelParams, Rung
from sim.customers import serve

QUIET = dict(
    w_blame=0.0,
    w_lead=0.0,
    w_edu=0.0,
    w_mech=0.0,
    w_cust=0.0,
    w_align=0.0,
    mood_sd=0.0,
    drift=0.0,
    rung_spacing=0.0,
    adaptability=1.0,
    n_customers=0,
    base_attrition=0.0,
    shame_attrition=0.0,
    blame_attrition=0.0,
    own_in_blame_attrition=0.0,
    cynicism_attrition=0.0,
)
"""Everything but the peer term switched off: the rule becomes a pure threshold model."""


def riot(thresholds: list[int]) -> int:
    """Granovetter's crowd: a complete network, each person joins when ``k`` others have."""
    n = len(thresholds)
    params = ModelParams(
        departments=(Department("crowd", n - 1),),
        span=1000,
        executives=0,
        p_within=1.0,
        w_peer=1.0,
        initial_rung_shares=(0.0, 0.0, 1.0, 0.0),
        **QUIET,
    )
    model = CultureModel(params, rng=0)
    assert model.organization.n_staff == n and (model.organization.degree == n - 1).all()
    model.workforce.resistance[:] = (np.asarray(thresholds) - 0.5) / (n - 1)
    model.run(4 * n)
    return int((model.workforce.rung == Rung.OWN).sum())


def test_reduces_to_granovetters_riot_model():
    """Granovetter (1978): thresholds 0..99 riot to the last person; without the 1, only one riots."""
    assert riot(list(range(100))) == 100
    assert riot([0, *range(2, 100)]) == 1


@pytest.mark.parametrize("rung", list(Rung))
def test_a_recovered_failure_never_leaves_loyalty_above_no_failure(rung):
    p = ModelParams()
    draws = np.random.default_rng(1).standard_normal(2000)
    common = dict(
        expectation=3.0,
        loyalty=0.5,
        value=0.5,
        server_rung=int(rung),
        server_performance=0.5,
        handoff=0.0,
        noise=draws,
        p=p,
    )
    recovered = serve(draw_fail=np.zeros(2000), draw_recover=np.zeros(2000), **common)
    unrecovered = serve(draw_fail=np.zeros(2000), draw_recover=np.ones(2000), **common)
    ok = serve(draw_fail=np.ones(2000), draw_recover=np.ones(2000), **common)
    if p.recovery_by_rung[rung] > 0:
        assert (recovered[2] <= ok[2]).all()
        assert recovered[0].mean() > unrecovered[0].mean()
        assert recovered[2].mean() > unrecovered[2].mean()
    assert (unrecovered[2] <= ok[2]).all()
