"""What a run's summary card says: tipped or not, and spend to date against the spend planned to date."""

from __future__ import annotations

from sim import CultureModel


def planned_to_date(model: CultureModel, week: int | None = None) -> float:
    """Spend the plan's waves (launched ones too) are expected to have made by ``week`` (currency).

    Each wave spends ``coverage x targets x cost_per_person_week`` in each of
    its weeks; the actual spend differs by the luck of who is reached.
    """
    week = model.week if week is None else week
    total = 0.0
    for cw in model.waves:
        w = cw.wave
        weeks_run = min(max(week - w.start, 0), w.duration)
        total += cw.expected_cost / w.duration * weeks_run
    return total


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
    if model.waves:
        planned = planned_to_date(model)
        whole = planned_to_date(model, model.last_wave_end)
        spend = f"spent {s['total_cost']:,.0f}; planned by now {planned:,.0f} of {whole:,.0f}"
        if model.last_wave_end > weeks:
            within = planned_to_date(model, weeks)
            spend += f" (runs to week {model.last_wave_end}, past week {weeks}: {within:,.0f} fall within it)"
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
