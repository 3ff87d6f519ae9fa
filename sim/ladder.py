"""The responsibility ladder: four rungs, and the blue line between the top two."""

from __future__ import annotations

from enum import IntEnum


class Rung(IntEnum):
    """Where a person stands on the ladder; the blue line lies between JUSTIFY and OWN.

    The values are the rung's height, so arrays of rungs (``int8``) compare
    with members directly: ``rung == Rung.OWN`` is "above the line".
    """

    BLAME = 0
    """Points fingers at others."""
    SHAME = 1
    """Blames themself: demoralised, performs worse, more likely to leave."""
    JUSTIFY = 2
    """Excuses: blames the system, the budget, the policy."""
    OWN = 3
    """Takes personal responsibility: above the line."""


RUNG_NAMES: tuple[str, ...] = tuple(r.name.lower() for r in Rung)
"""Lower-case rung names in ladder order (``blame``, ``shame``, ``justify``, ``own``)."""

TOP = int(Rung.OWN)
"""The top rung's height (a plain int, for compiled code): a rung's height divided by it is the leader signal's scale."""
