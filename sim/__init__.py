"""blueline-sim: an agent-based model of service-culture transformation on Mesa.

People climb a ladder blame -> shame -> justify -> own; rollout plans (waves of
training, leadership coaching and reinforcing mechanisms) try to tip the
culture above the blue line. See ``docs/ODD.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.agents import Customer, Employee, FrontlineStaff, Manager
    from sim.declared import ParameterError
    from sim.interventions import (
        BLOCKS,
        LOCAL_BLOCKS,
        ORG_BLOCKS,
        BudgetFit,
        Gate,
        Plan,
        Wave,
        expected_cost,
        fit_to_budget,
        scale_to_budget,
    )
    from sim.ladder import RUNG_NAMES, Rung
    from sim.model import ENGINES, CultureModel
    from sim.params import DEFAULT_DEPARTMENTS, Department, ModelParams

_HOMES = {
    "sim.agents": ("Customer", "Employee", "FrontlineStaff", "Manager"),
    "sim.interventions": (
        "BLOCKS",
        "LOCAL_BLOCKS",
        "ORG_BLOCKS",
        "BudgetFit",
        "Gate",
        "Plan",
        "Wave",
        "expected_cost",
        "fit_to_budget",
        "scale_to_budget",
    ),
    "sim.ladder": ("RUNG_NAMES", "Rung"),
    "sim.model": ("ENGINES", "CultureModel"),
    "sim.declared": ("ParameterError",),
    "sim.params": ("DEFAULT_DEPARTMENTS", "Department", "ModelParams"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import on first use: ``import sim`` stays light (Mesa and numba load with the model)."""
    if name not in _HOME_OF:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(import_module(_HOME_OF[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "BLOCKS",
    "DEFAULT_DEPARTMENTS",
    "ENGINES",
    "LOCAL_BLOCKS",
    "ORG_BLOCKS",
    "RUNG_NAMES",
    "BudgetFit",
    "Customer",
    "CultureModel",
    "Department",
    "Employee",
    "FrontlineStaff",
    "Manager",
    "ModelParams",
    "ParameterError",
    "Gate",
    "Plan",
    "Rung",
    "Wave",
    "expected_cost",
    "fit_to_budget",
    "scale_to_budget",
]
