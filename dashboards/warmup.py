"""Work done once when the server starts, so the first page does not pay for it.

The first run of the compiled engine in a process loads its machine code
from numba's cache (a few hundred milliseconds), and the first chart built
pays for lazy imports. Done while the server starts, before it answers,
none of it lands on the first page a class opens.
"""

from __future__ import annotations

from dashboards import charts
from dashboards.cards import summary_lines
from dashboards.layout import network_layout
from dashboards.lockstep import Lockstep
from dashboards.presets import DEFAULT_PRESET, PRESETS


def warm_up() -> None:
    """Build and step the opening preset's runs and draw each chart once (results thrown away)."""
    model = Lockstep(PRESETS[DEFAULT_PRESET].settings)
    model.step()
    run = model.runs[0]
    curves = [charts.Curve(r.plan.name, r.weekly(), charts.PLAN_COLOURS[0]) for r in model.every_run]
    charts.tipping_option(curves, model.settings.weeks, run.params.tip_level)
    charts.rungs_option(run.weekly(), model.settings.weeks, run.plan.name)
    charts.customers_option(curves, model.settings.weeks)
    layout = network_layout(model.organization)
    charts.network_option(run.organization, layout, run.workforce.rung, run.metrics, run.plan.name)
    summary_lines(run, model.settings.weeks)
