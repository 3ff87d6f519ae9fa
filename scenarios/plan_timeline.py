"""Plans as a timeline: who is reached when, and what is spent each quarter.

Each plan is drawn as one row per department (its frontline and managers)
and one for the executives; a bar is a stage reaching that group, shaded by
its weekly coverage and coloured by its part of the plan (first stage,
booster, sustaining burn: :func:`scenarios.ingredients.anatomy`). Stages
are drawn at the plan's own pace (:class:`sim.SpendProjection`): a gated
stage opens when the stage before it ends (or at its gate's ``max_weeks``);
in a run it opens when the department before it is under control, so the
picture is the plan, not one run. Spend per quarter (13 weeks) is the
expected spend of the stages running in it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.ingredients import anatomy
from scenarios.runner import costing_organization
from sim import ModelParams, Plan
from sim.interventions import SpendProjection

QUARTER = 13
"""Weeks in a quarter."""
PART_COLOURS = {"first stage": "#1f5fbf", "booster": "#e67e22", "sustaining burn": "#27ae60"}


def stage_table(plans: dict[str, Plan], params: ModelParams, weeks: int) -> pd.DataFrame:
    """One row per plan, stage and group reached: start and end week, coverage, part, weekly spend (currency)."""
    org = costing_organization(params)
    rows = []
    for name, plan in plans.items():
        if not plan.waves:
            continue
        parts = anatomy(plan)
        projection = SpendProjection(plan, org, params, weeks)
        starts, ends = projection.schedule()
        for stage, start, end in zip(projection.stages, starts, ends, strict=True):
            wave = stage.wave
            part = (
                "booster"
                if wave in parts.booster
                else "sustaining burn"
                if wave in parts.sustaining_burn
                else "first stage"
            )
            groups = []
            if {"frontline", "managers"} & set(wave.roles):
                groups += [
                    d for d, on in zip(params.department_names, stage.department_mask, strict=True) if on
                ]
            if stage.engages_executives:
                groups.append("executives")
            weekly = stage.weekly_cost(wave.coverage, params).total
            for group in groups:
                rows.append(
                    {
                        "plan": name,
                        "group": group,
                        "start": int(start),
                        "end": int(min(end, weeks)),
                        "coverage": wave.coverage,
                        "part": part,
                        "stage_weekly_spend": weekly,
                    }
                )
    return pd.DataFrame(
        rows, columns=["plan", "group", "start", "end", "coverage", "part", "stage_weekly_spend"]
    )


def quarterly_spend(plans: dict[str, Plan], params: ModelParams, weeks: int) -> pd.DataFrame:
    """Expected spend per plan and quarter (13 weeks) within the horizon (currency)."""
    org = costing_organization(params)
    quarters = int(np.ceil(weeks / QUARTER))
    rows = []
    for name, plan in plans.items():
        spend = np.zeros(quarters)
        if plan.waves:
            projection = SpendProjection(plan, org, params, weeks)
            starts, ends = projection.schedule()
            for stage, start, end in zip(projection.stages, starts, ends, strict=True):
                week_cost = stage.weekly_cost(stage.wave.coverage, params).total
                for week in range(max(0, int(start)), min(int(end), weeks)):
                    spend[week // QUARTER] += week_cost
        rows += [{"plan": name, "quarter": q + 1, "spend": float(spend[q])} for q in range(quarters)]
    return pd.DataFrame(rows)


def timeline_figure(plans: dict[str, Plan], params: ModelParams, weeks: int, path: Path) -> pd.DataFrame:
    """Draw the timeline (one panel per plan) above the spend per quarter; return the spend table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    stages = stage_table(plans, params, weeks)
    spend = quarterly_spend(plans, params, weeks)
    drawn = [n for n, p in plans.items() if p.waves]
    groups = [*params.department_names, "executives"]
    heights = [0.2 * len(groups) + 0.45 for _ in drawn] + [2.0]
    fig, axes = plt.subplots(
        len(drawn) + 1,
        1,
        figsize=(9, sum(heights) + 0.8),
        gridspec_kw={"height_ratios": heights},
        layout="constrained",
    )
    axes = np.atleast_1d(axes)
    top = max(stages["coverage"].max() if len(stages) else 1.0, 1e-9)
    for ax, name in zip(axes, drawn, strict=False):
        for row in stages[stages["plan"] == name].itertuples():
            y = groups.index(row.group)
            ax.barh(
                y,
                row.end - row.start,
                left=row.start,
                height=0.8,
                color=PART_COLOURS[row.part],
                alpha=0.25 + 0.75 * min(1.0, row.coverage / top),
                linewidth=0,
            )
        ax.set_yticks(range(len(groups)), groups, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, weeks)
        ax.set_title(
            f"{name}: who is reached when (darker: more people reached a week)", fontsize=9, loc="left"
        )
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    axes[len(drawn) - 1].set_xlabel("week", fontsize=8)
    handles = [Patch(color=c, label=p) for p, c in PART_COLOURS.items()]
    axes[0].legend(handles=handles, loc="lower right", fontsize=7, ncols=3)
    ax = axes[-1]
    width = 0.8 / max(1, len(drawn))
    for k, name in enumerate(drawn):
        s = spend[spend["plan"] == name]
        ax.bar(s["quarter"] + (k - (len(drawn) - 1) / 2) * width, s["spend"], width=width, label=name)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set(xlabel="quarter (13 weeks)", ylabel="expected spend")
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_title("expected spend per quarter (currency)", fontsize=9, loc="left")
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return spend
