"""Rollout plans from TOML: the built-in ones and any a user writes."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from sim.interventions import Plan, Wave
from sim.params import ParameterError

WAVE_FIELDS = (
    "start",
    "duration",
    "departments",
    "roles",
    "coverage",
    "education",
    "leadership",
    "mechanisms",
    "cost_per_person_week",
    "every",
    "advance_when",
)


def plan_from_dict(name: str, data: dict[str, Any], where: str = "plan") -> Plan:
    """Build a :class:`Plan` from a TOML table ``{description, waves = [...]}``.

    Raises
    ------
    ParameterError
        Naming ``where``, the plan, the field and what is allowed.
    """
    if not isinstance(data, dict):
        raise ParameterError(f"{where}: plans.{name} must be a table with 'waves'")
    unknown = set(data) - {"description", "waves"}
    if unknown:
        raise ParameterError(
            f"{where}: plans.{name}.{sorted(unknown)[0]}: unknown key; allowed: description, waves"
        )
    waves = []
    for k, w in enumerate(data.get("waves", [])):
        bad = set(w) - set(WAVE_FIELDS)
        if bad:
            raise ParameterError(
                f"{where}: plans.{name}.waves[{k}].{sorted(bad)[0]}: unknown key; allowed: {', '.join(WAVE_FIELDS)}"
            )
        try:
            waves.append(Wave(**w))
        except ParameterError as err:
            raise ParameterError(f"{where}: plans.{name}.waves[{k}]: {err}") from None
        except TypeError as err:
            raise ParameterError(f"{where}: plans.{name}.waves[{k}]: {err}") from None
    return Plan(name=name, waves=tuple(waves), description=str(data.get("description", "")))


def builtin_plans() -> dict[str, Plan]:
    """The built-in plans: none, pilot, frontline_pilot, rocket, training_only, top_down."""
    text = resources.files("scenarios").joinpath("builtin/plans.toml").read_text()
    return {name: plan_from_dict(name, table, "builtin plans") for name, table in tomllib.loads(text).items()}
