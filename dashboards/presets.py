"""Classroom presets: one click sets every control to tell one story.

Each caption says what the class should see. The stories were checked by
running each preset headless for its horizon over several seeds (see
``tests/test_dashboard.py::test_preset_tells_its_story`` and the numbers
quoted below); the seed named here is one on which the story shows clearly.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.settings import Settings


@dataclass(frozen=True)
class Preset:
    """A named setting of every control, with the caption read to the class."""

    title: str
    caption: str
    settings: Settings


PRESETS: dict[str, Preset] = {
    p.title: p
    for p in (
        Preset(
            "training alone fades",
            "Every frontline person is trained; leaders excuse themselves and nothing reinforces the "
            "training. Education (dotted line) shoots up, then fades once the courses end, and the "
            "culture slides below the line anyway.",
            Settings(mode="single", plan="training_only", seed=1),
        ),
        Preset(
            "the pilot gets pulled back",
            "The call center goes first and starts to climb (its line in the top chart). Surrounded "
            "by blaming silos and an executive team still below the line, it is pulled back, and the "
            "departments after it never catch.",
            Settings(mode="single", plan="frontline_pilot", seed=3),
        ),
        Preset(
            "the rocket tips",
            "Same organization, same seed, same budget. Left: the pilot, one department at a time. "
            "Right: the rocket, every department and level at once, a booster, then a low sustaining "
            "burn. The rocket crosses the tipping level and stays; the pilot does not.",
            Settings(mode="side_by_side", plan="frontline_pilot", second_plan="rocket", seed=3),
        ),
        Preset(
            "leaders who excuse themselves",
            "Two pilots with the same departments, order and budget. Left: the executives excuse "
            "themselves. Right: the executive team is coached alongside each department and builds "
            "the company-wide systems (rewards, recruitment, measures). Only the right one tips.",
            Settings(mode="side_by_side", plan="frontline_pilot", second_plan="pilot", seed=3),
        ),
        Preset(
            "high silos",
            "Departments barely talk to each other: the network falls apart into islands with few "
            "ties, and little blame crosses between them. Rolled out department by department (left), "
            "each island moves on its own and the department lines fan out over years; the rocket "
            "(right) reaches every island at once and they climb together.",
            Settings(mode="side_by_side", plan="pilot", second_plan="rocket", silo_strength=0.98, seed=4),
        ),
    )
}
"""The classroom presets, by title, in the order the page lists them."""

DEFAULT_PRESET = "the rocket tips"
"""What the page shows when it opens: the strategist's race, pilot against rocket."""
