"""Levers a class can pull while a run plays, NetLogo style: they act from the current week, no restart.

Parameter levers change a :class:`sim.ModelParams` field in every run
(:meth:`sim.CultureModel.adjust`); wave levers start a wave now in every
plan's run (:meth:`sim.CultureModel.launch`), spending beyond the budget.
"""

from __future__ import annotations

from sim import ModelParams
from sim.interventions import Wave

_LEVERS: dict[str, tuple[str, float, float, float]] = {
    "board_commitment": ("the board's push on the executives, from now", 0.0, 1.0, 0.05),
    "silo_strength": ("silo strength from now (a reorganization)", 0.0, 1.0, 0.05),
    "cynicism_rate": ("cynicism per week of waiting, from now", 0.0, 0.02, 0.001),
}
PARAMETER_LEVERS = {
    name: lever for name, lever in _LEVERS.items() if name in ModelParams.__dataclass_fields__
}
"""ModelParams field: label, low, high, step (fields this version of the model has)."""

WAVE_LEVERS: dict[str, Wave] = {
    "the executives join now": Wave(
        start=0,
        duration=26,
        roles=("managers", "executives"),
        coverage=0.4,
        education=0.6,
        leadership=0.8,
        mechanisms={"vision": 0.7, "recognition_and_rewards": 0.6, "measures": 0.5, "role_modelling": 0.6},
        cost_per_person_week=150,
    ),
    "launch a training wave for everyone now": Wave(
        start=0,
        duration=13,
        coverage=0.3,
        education=0.6,
        leadership=0.3,
        mechanisms={"common_service_language": 0.6, "communications": 0.5},
        cost_per_person_week=100,
    ),
}
"""Waves a button starts now: leadership engagement, and a wave for everyone."""
