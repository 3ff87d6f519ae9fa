"""What a plan is made of, and how to move one ingredient of plan B into plan A.

A plan's waves fall into three parts, by time and intensity:

- the **core**: the first wave and any wave starting before it ends (the launch);
- the **booster**: a later wave at least half as intense (weekly coverage) as the core;
- the **sustaining burn**: a later wave less than half as intense.

Six ingredients describe a plan:

=================  ==========================================================================
roles              who the waves reach (frontline, managers, executives)
org_blocks         organization-wide building blocks and their target levels
local_blocks       departmental building blocks and their target levels
staging            how the core reaches departments: all at once, or one at a time
                   (``departments`` order, ``every``, ``advance_when``)
booster            the booster waves (timing, coverage, doses), if any
sustaining_burn    the sustaining-burn waves, if any
=================  ==========================================================================

:func:`hybrid` builds plan A with any set of B's ingredients. The core's timing
and doses are always A's; a booster or burn moved from B keeps B's weeks. Each
wave keeps its own roles and blocks unless that ingredient comes from the other
plan, when it takes that plan's (roles: the union over its waves; blocks: the
highest level over its waves). So ``hybrid(a, b, ())`` is ``a``, and the result
does not depend on the order in which ingredients are named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sim import LOCAL_BLOCKS, ORG_BLOCKS, Plan, Wave
from sim.params import ROLE_NAMES

INGREDIENTS = ("roles", "org_blocks", "local_blocks", "staging", "booster", "sustaining_burn")
LABELS = {
    "roles": "roles engaged",
    "org_blocks": "organization-wide blocks",
    "local_blocks": "local blocks",
    "staging": "staging",
    "booster": "booster",
    "sustaining_burn": "sustaining burn",
}
BURN_INTENSITY = 0.5
"""A later wave below this share of the core's weekly coverage is a sustaining burn."""
PROFILE = ("roles", "org_blocks", "local_blocks")
"""Ingredients carried by every wave (the others are waves or how the core is staged)."""


@dataclass(frozen=True)
class Anatomy:
    """A plan's waves split into core, booster and sustaining burn (each in start order)."""

    core: tuple[Wave, ...]
    booster: tuple[Wave, ...]
    sustaining_burn: tuple[Wave, ...]


def anatomy(plan: Plan) -> Anatomy:
    """Split a plan's waves into its core, booster and sustaining burn."""
    waves = sorted(plan.waves, key=lambda w: w.start)
    if not waves:
        return Anatomy((), (), ())
    first = waves[0]
    core = tuple(w for w in waves if w.start < first.end)
    later = [w for w in waves if w.start >= first.end]
    intensity = max(w.coverage for w in core)
    burn = tuple(w for w in later if w.coverage < BURN_INTENSITY * intensity)
    return Anatomy(core, tuple(w for w in later if w not in burn), burn)


def roles_of(plan: Plan) -> tuple[str, ...]:
    """Every role any wave reaches, in the model's order."""
    reached = {r for w in plan.waves for r in w.roles}
    return tuple(r for r in ROLE_NAMES if r in reached)


def blocks_of(plan: Plan, blocks: tuple[str, ...]) -> dict[str, float]:
    """The highest target level any wave sets for each of ``blocks`` (blocks never raised left out)."""
    levels: dict[str, float] = {}
    for w in plan.waves:
        for block, level in w.mechanisms.items():
            if block in blocks and level > 0:
                levels[block] = max(levels.get(block, 0.0), float(level))
    return levels


def staging_of(plan: Plan) -> tuple[Any, ...]:
    """How the core reaches departments: (departments, every, advance_when) of its first wave."""
    core = anatomy(plan).core
    if not core:
        return ("all", 0, None)
    w = core[0]
    return (w.departments, w.every, w.advance_when)


def ingredient(plan: Plan, name: str) -> Any:
    """One ingredient of a plan, as a value that compares equal when two plans share it."""
    parts = anatomy(plan)
    values = {
        "roles": lambda: roles_of(plan),
        "org_blocks": lambda: blocks_of(plan, ORG_BLOCKS),
        "local_blocks": lambda: blocks_of(plan, LOCAL_BLOCKS),
        "staging": lambda: staging_of(plan),
        "booster": lambda: tuple(_bare(w) for w in parts.booster),
        "sustaining_burn": lambda: tuple(_bare(w) for w in parts.sustaining_burn),
    }
    if name not in values:
        raise KeyError(name)
    return values[name]()


def describe(plan: Plan, name: str) -> str:
    """One ingredient of a plan in words (for tables)."""
    value = ingredient(plan, name)
    if name == "roles":
        return ", ".join(value) or "nobody"
    if name in ("org_blocks", "local_blocks"):
        return f"{len(value)} blocks" + (
            f" (mean level {sum(value.values()) / len(value):.2f})" if value else ""
        )
    if name == "staging":
        departments, every, gate = value
        where = "all departments" if departments == "all" else ", ".join(departments)
        if gate is not None:
            return f"one department at a time ({where}); next at {gate.above_line:.0%} above the line or after {gate.max_weeks} weeks"
        if every:
            return f"one department at a time ({where}), every {every} weeks"
        return f"simultaneous ({where})"
    if not value:
        return "none"
    return "; ".join(f"weeks {w.start}-{w.end - 1} at coverage {w.coverage:.2f}" for w in value)


def differing(a: Plan, b: Plan) -> list[str]:
    """The ingredients in which ``a`` and ``b`` differ, in :data:`INGREDIENTS` order."""
    return [name for name in INGREDIENTS if ingredient(a, name) != ingredient(b, name)]


def hybrid(a: Plan, b: Plan, take: Iterable[str], name: str | None = None) -> Plan:
    """Plan ``a`` with the ingredients ``take`` of plan ``b``.

    Raises
    ------
    KeyError
        If ``take`` names something not in :data:`INGREDIENTS`.
    """
    take = frozenset(take)
    unknown = sorted(take - set(INGREDIENTS))
    if unknown:
        raise KeyError(unknown[0])
    parts = {"a": anatomy(a), "b": anatomy(b)}
    core = parts["a"].core
    if "staging" in take and parts["b"].core:
        departments, every, gate = staging_of(b)
        core = tuple(replace(w, departments=departments, every=every, advance_when=gate) for w in core)
    tagged = [("a", w) for w in core]
    for part in ("booster", "sustaining_burn"):
        source = "b" if part in take else "a"
        tagged += [(source, w) for w in getattr(parts[source], part)]
    profiles = {
        "a": {
            "roles": roles_of(a),
            "org_blocks": blocks_of(a, ORG_BLOCKS),
            "local_blocks": blocks_of(a, LOCAL_BLOCKS),
        },
        "b": {
            "roles": roles_of(b),
            "org_blocks": blocks_of(b, ORG_BLOCKS),
            "local_blocks": blocks_of(b, LOCAL_BLOCKS),
        },
    }
    waves = []
    for origin, wave in sorted(tagged, key=lambda t: t[1].start):
        for part in PROFILE:
            source = "b" if part in take else "a"
            if source != origin:
                wave = _with_profile(wave, part, profiles[source][part])
        waves.append(wave)
    label = name or (a.name if not take else f"{a.name}+{'+'.join(n for n in INGREDIENTS if n in take)}")
    return Plan(label, tuple(waves), f"{a.name} with {', '.join(sorted(take)) or 'nothing'} of {b.name}")


def _with_profile(wave: Wave, part: str, value: Any) -> Wave:
    if part == "roles":
        return replace(wave, roles=value)
    blocks = ORG_BLOCKS if part == "org_blocks" else LOCAL_BLOCKS
    kept = {k: v for k, v in wave.mechanisms.items() if k not in blocks}
    return replace(wave, mechanisms={**kept, **value})


def _bare(wave: Wave) -> Wave:
    """A wave without the profile ingredients, to compare timing, coverage and doses only."""
    return replace(wave, roles=ROLE_NAMES, mechanisms={})
