"""Plans by name, from whatever package declares a library of them.

The model knows no plan by name: ``CultureModel(plan="rocket")`` asks the
packages installed alongside it. A package offers plans by declaring an
entry point in the ``blueline.plans`` group whose object is a function
returning ``{name: Plan}``; this project declares its built-in plans
(``scenarios.plans:builtin_plans``) in ``pyproject.toml``. Looking the
library up lazily, through packaging metadata, keeps ``sim`` free of any
import of the layers above it.
"""

from __future__ import annotations

import functools
from importlib import metadata

from sim.declared import ParameterError
from sim.interventions import Plan

GROUP = "blueline.plans"


@functools.cache
def named_plans() -> dict[str, Plan]:
    """Every plan the installed plan libraries offer, by name (first library wins on a clash)."""
    plans: dict[str, Plan] = {}
    for entry in sorted(metadata.entry_points(group=GROUP), key=lambda e: e.name):
        for name, plan in entry.load()().items():
            plans.setdefault(name, plan)
    return plans


def plan_named(name: str) -> Plan:
    """The plan called ``name``.

    Raises
    ------
    ParameterError
        No installed library offers it; the message lists the names that exist.
    """
    plans = named_plans()
    if name not in plans:
        raise ParameterError(
            f"plan={name!r}: no such plan; allowed: {', '.join(plans) or '(no plan library installed)'}"
        )
    return plans[name]
