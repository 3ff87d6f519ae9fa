"""Levers moved mid-run (CultureModel.adjust and .launch): the run changes from that week on, not before."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.plans import builtin_plans
from sim import CultureModel, ModelParams, ParameterError, Plan
from sim.interventions import Wave

PARAMS = ModelParams()
COACHING = Wave(
    start=0,
    duration=26,
    roles=("managers", "executives"),
    coverage=0.5,
    education=0.5,
    leadership=0.8,
    mechanisms={"vision": 0.7, "recognition_and_rewards": 0.6},
)


def _columns(model: CultureModel) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=float) for k, v in model.weekly().items()}


PLAN = builtin_plans()["frontline_pilot"]  # still in motion at week 50 (not settled at BLAME or OWN)


def _run(lever, weeks: int = 100, at: int = 50, seed: int = 3) -> CultureModel:
    model = CultureModel(PARAMS, PLAN, rng=seed)
    model.run(at)
    lever(model)
    model.run(weeks - at)
    return model


@pytest.mark.parametrize(
    "lever",
    [
        lambda m: m.adjust(silo_strength=0.2),
        lambda m: m.adjust(cynicism_rate=0.02),
        lambda m: m.launch(COACHING),
    ],
    ids=["silo_strength", "cynicism_rate", "launch"],
)
def test_a_lever_moved_at_week_50_changes_the_run_from_week_50_only(lever):
    untouched = _columns(_run(lambda m: None))
    moved = _columns(_run(lever))
    for name, column in untouched.items():
        # row k is the state after k weeks: rows 0..50 are weeks run before the lever moved
        np.testing.assert_array_equal(moved[name][:51], column[:51], err_msg=name)
    assert any(not np.array_equal(moved[n][51:], c[51:], equal_nan=True) for n, c in untouched.items())


def test_lever_moves_are_recorded_with_week_old_and_new_value():
    model = _run(lambda m: m.adjust(silo_strength=0.4, cynicism_rate=0.01), weeks=60)
    assert model.lever_moves == [
        (50, "silo_strength", PARAMS.silo_strength, 0.4),
        (50, "cynicism_rate", PARAMS.cynicism_rate, 0.01),
    ]
    assert model.params.silo_strength == 0.4


def test_lower_silo_strength_redraws_more_ties_across_departments():
    model = CultureModel(PARAMS.replace(silo_strength=0.95), rng=1)
    before = model.organization.across.nnz
    within = model.organization.within
    model.adjust(silo_strength=0.2)
    assert model.organization.across.nnz > 3 * before
    assert (model.organization.within != within).nnz == 0  # ties inside departments stay
    cross = model.organization.across.tocoo()
    assert (model.organization.department[cross.row] != model.organization.department[cross.col]).all()


def test_a_launched_wave_starts_now_and_spends():
    model = CultureModel(PARAMS, Plan("none"), rng=2)
    model.run(40)
    assert model.launch_week is None
    model.launch(COACHING)
    assert (model.launch_week, model.last_wave_end) == (40, 66)
    model.launch(COACHING)  # a second launch keeps the earliest start
    model.run(30)
    cost = np.asarray(model.weekly()["cost"])
    assert cost[:41].sum() == 0
    assert (cost[41:67] > 0).all() and (cost[67:] == 0).all()
    assert model.lever_moves == [(40, "launch", None, COACHING)] * 2


def test_headcounts_cannot_change_mid_run():
    model = CultureModel(PARAMS, rng=1)
    with pytest.raises(ParameterError, match="span: cannot change while running"):
        model.adjust(span=5)
    with pytest.raises(ParameterError, match=r"cynicism_rate=-1"):
        model.adjust(cynicism_rate=-1)
    assert model.lever_moves == []
