"""Rollout plans from TOML: the built-in ones and any a user writes."""

from __future__ import annotations

from importlib import resources
from typing import Any

from scenarios.inputs import check, parse_toml
from scenarios.scenario_file import PlanTable
from sim.declared import did_you_mean
from sim.interventions import Plan


def plan_from_dict(name: str, data: Any, where: str = "plan") -> Plan:
    """Build a :class:`Plan` from a TOML table ``{description, waves = [...]}``.

    Raises
    ------
    InputError
        Every problem, one line each naming ``where``, the plan, the field and what is allowed.
    """
    return check(PlanTable, data, where, f"plans.{name}.").to_plan(name)


def pick_plans(
    names: list[str], available: dict[str, Plan], where: str, problems: list[str]
) -> dict[str, Plan]:
    """The named plans, in order; a problem line (``where``: ...) for each name not ``available``."""
    for name in names:
        if name not in available:
            problems.append(
                f"{where}: unknown plan {name!r}; {did_you_mean(name, available)}allowed: {', '.join(available)} (or define [plans.{name}])"
            )
    return {name: available[name] for name in names if name in available}


def builtin_plans() -> dict[str, Plan]:
    """The built-in plans: none, pilot, frontline_pilot, rocket, training_only, top_down."""
    text = resources.files("scenarios").joinpath("builtin/plans.toml").read_text()
    return {
        name: plan_from_dict(name, table, "builtin plans")
        for name, table in parse_toml(text, "builtin plans").items()
    }
