"""blueline-sim: an agent-based model of service-culture transformation on Mesa.

People climb a ladder blame -> shame -> justify -> own; rollout plans (waves of
training, leadership coaching and reinforcing mechanisms) try to tip the
culture above the blue line. See ``docs/ODD.md``.
"""

from sim.agents import Customer, Employee, FrontlineStaff, Manager
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
from sim.params import DEFAULT_DEPARTMENTS, Department, ModelParams, ParameterError

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
