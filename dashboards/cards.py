"""What a run's summary card says: tipped or not, and spend to date against the spend planned to date."""

from __future__ import annotations

from sim import CultureModel
from sim.interventions import SpendProjection


def planned_to_date(model: CultureModel, week: int | None = None) -> float:
    """Spend the rollout's stages (launched waves too) are expected to have made by ``week`` (currency).

    Each stage started so far spends :meth:`sim.interventions.Stage.weekly_cost`
    in each of its weeks; a gated stage that has not opened yet plans nothing.
    """
    week = model.week if week is None else week
    total = 0.0
    for start, stage in zip(model.rollout.starts, model.rollout.stages, strict=True):
        if start < 0:
            continue
        weeks_run = min(max(week - int(start), 0), stage.wave.duration)
        total += weeks_run * stage.weekly_cost(stage.wave.coverage, model.params).total
    return total


def planned_in_all(model: CultureModel, weeks: int | None = None) -> tuple[float, int]:
    """What the plan and the waves launched mid-run are expected to spend (within ``weeks`` if given),
    and the week the last of them ends, gated stages paced as the plan paces them."""
    projection = SpendProjection(model.plan, model.organization, model.params, weeks)
    _, ends = projection.schedule()
    total, end = projection.spend().total, int(ends.max(initial=0))
    for start, stage in list(zip(model.rollout.starts, model.rollout.stages, strict=True))[len(ends) :]:
        stop = (
            int(start) + stage.wave.duration
            if weeks is None
            else min(int(start) + stage.wave.duration, weeks)
        )
        total += max(0, stop - int(start)) * stage.weekly_cost(stage.wave.coverage, model.params).total
        end = max(end, int(start) + stage.wave.duration)
    return total, end


def summary_lines(model: CultureModel, weeks: int) -> dict[str, str]:
    """The summary card's lines for a run with horizon ``weeks``.

    Tipping is judged by :meth:`sim.CultureModel.summary` on the weeks run so
    far: the share above the line held at or above the tipping level for the
    last ``tip_hold`` weeks.
    """
    s = model.summary()
    p = model.params
    if s["tipped"]:
        verdict = f"TIPPED in week {s['weeks_to_tip']:.0f}"
    elif s["weeks"] < p.tip_hold:
        verdict = "not tipped (too early to tell)"
    else:
        verdict = "not tipped"
    if model.rollout.stages:
        whole, end = planned_in_all(model)
        spend = f"spent {s['total_cost']:,.0f}; planned by now {planned_to_date(model):,.0f} of {whole:,.0f}"
        if end > weeks:
            within, _ = planned_in_all(model, weeks)
            spend += f" (runs to week {end}, past week {weeks}: {within:,.0f} fall within it)"
    else:
        spend = "spends nothing"
    return {
        "plan": model.plan.name,
        "week": f"week {s['weeks']} of {weeks}",
        "verdict": verdict,
        "above_line": f"{s['final_above_line']:.0%} above the line (peak {s['peak_above_line']:.0%})",
        "spend": spend,
        "customers": f"{s['final_customers']:,.0f} customers, loyalty {s['final_loyalty']:.2f}",
    }
