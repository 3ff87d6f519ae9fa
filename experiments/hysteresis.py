"""Hysteresis: the culture reached as a push is stepped up, then back down, in one continuing run.

Design. Each run is one model that lives through a staircase of pushes: the
shape of a plan's first wave (its targets, training and coaching doses and
mechanism levels) at a coverage that rises step by step through
``levels`` and then falls back through the same levels, each step held for
``hold_weeks`` (see :func:`experiments.runs.staircase_plan`). Nothing is
reset between steps, so the way down starts from exactly the state the way
up reached at the top: its people, education, mechanisms, customers and
cynicism. The culture at a step is the mean above-the-line share over the
step's last ``measure_weeks``. Where the way-down branch stays above the
way-up branch at the same push, the system has two stable states there
(bistability): the push needed to tip the culture is larger than the push
needed to keep it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments.experiment_file import Section, section
from sim import Plan
from sim.declared import Share

OWNING = 0.5
"""Above-the-line share from which a step counts as owning, for the fold estimates."""


@section("hysteresis")
class HysteresisSpec(Section):
    """``[hysteresis]``: a push stepped up, then down, inside one run."""

    plan_fields = ("plan",)

    plan: str = Field(description="plan whose first wave gives the push its shape; only its coverage changes")
    levels: list[Share] = Field(
        min_length=2, max_length=1000, description="coverage of each step going up, increasing, in [0, 1]"
    )
    hold_weeks: int = Field(52, ge=1, le=10_000, description="weeks each step lasts")
    measure_weeks: int = Field(
        ge=1,
        le=10_000,
        description="the culture at a step is the mean over its last weeks (default hold_weeks / 4)",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_measure(cls, data: Any) -> Any:  # the before-step sees plain data: lists, not tuples
        if (
            isinstance(data, dict)
            and "measure_weeks" not in data
            and isinstance(data.get("hold_weeks", 52), int)
        ):
            return {**data, "measure_weeks": max(1, data.get("hold_weeks", 52) // 4)}
        return data

    @model_validator(mode="after")
    def _check_steps(self) -> HysteresisSpec:
        if list(self.levels) != sorted(set(self.levels)):
            raise ValueError(f"levels={list(self.levels)}: must be distinct coverages, increasing")
        if self.measure_weeks > self.hold_weeks:
            raise ValueError(f"measure_weeks={self.measure_weeks}: must be <= hold_weeks={self.hold_weeks}")
        return self

    def problems(self, key: str, plans: dict[str, Plan], data: dict[str, Any]) -> list[str]:
        out = super().problems(key, plans, data)
        if self.plan in plans and not plans[self.plan].waves:
            out.append(f"{key}.plan={self.plan!r}: has no waves to give the push its shape")
        if "budget" in data.get("grid", {}) or "budget" in data.get("ranges", {}):
            out.append("budget: a hysteresis run is not scaled to a budget; vary hysteresis.levels instead")
        if "weeks" in data:
            out.append("weeks: set by [hysteresis] (hold_weeks x steps); remove weeks from the file")
        return out

    @property
    def steps(self) -> tuple[float, ...]:
        """Coverage of every step in run order: up through the levels, then back down."""
        return (*self.levels, *self.levels[-2::-1])

    @property
    def weeks(self) -> int:
        return self.hold_weeks * len(self.steps)


def step_table(
    weekly: pd.DataFrame, runs: pd.DataFrame, spec: HysteresisSpec, varied: tuple[str, ...]
) -> pd.DataFrame:
    """One row per run and step: branch, coverage, culture measured at the step's end.

    Parameters
    ----------
    weekly : DataFrame
        Per-week rows (run_id, week, above_line, culture_index).
    runs : DataFrame
        Run summaries (run_id, seed and the varied columns).
    """
    steps = spec.steps
    n_up = len(spec.levels)
    rows = []
    for run_id, run in weekly.groupby("run_id", sort=True):
        above = run.sort_values("week")["above_line"].to_numpy(dtype=float)
        culture = run.sort_values("week")["culture_index"].to_numpy(dtype=float)
        for k, level in enumerate(steps):
            end = (k + 1) * spec.hold_weeks
            window = slice(end - spec.measure_weeks + 1, end + 1)
            rows.append(
                {
                    "run_id": run_id,
                    "step": k,
                    "branch": "up" if k < n_up else "down",
                    "coverage": level,
                    "above_line": float(np.mean(above[window])),
                    "culture_index": float(np.mean(culture[window])),
                }
            )
    table = pd.DataFrame(rows)
    keys = ["run_id", "seed", *varied]
    return table.merge(runs[keys], on="run_id", how="left")


def branch_table(steps: pd.DataFrame, varied: tuple[str, ...]) -> pd.DataFrame:
    """Mean culture per (varied point, branch, coverage) over seeds, with its spread."""
    keys = [*varied, "branch", "coverage"]
    table = (
        steps.groupby(keys, sort=True)
        .agg(
            runs=("above_line", "size"),
            above_line=("above_line", "mean"),
            above_line_sd=("above_line", "std"),
            above_line_min=("above_line", "min"),
            above_line_max=("above_line", "max"),
            culture_index=("culture_index", "mean"),
            owning_share=("above_line", lambda a: float(np.mean(np.asarray(a) >= OWNING))),
        )
        .reset_index()
    )
    return table


def folds(branches: pd.DataFrame, varied: tuple[str, ...]) -> pd.DataFrame:
    """Per varied point: the push that tips the culture going up, and the one that loses it going down.

    ``tip_up`` is the lowest coverage at which the way-up mean is owning;
    ``lose_down`` the highest coverage at which the way-down mean is no longer
    owning (NaN: it held all the way to the lowest step). ``max_gap`` is the
    largest down-minus-up difference at one coverage: clearly above zero in a
    bistable system.
    """
    groups = branches.groupby(list(varied), sort=True) if varied else [((), branches)]
    out = []
    for key, cells in groups:
        up = cells[cells["branch"] == "up"].set_index("coverage")["above_line"]
        down = cells[cells["branch"] == "down"].set_index("coverage")["above_line"]
        owning_up = up[up >= OWNING]
        lost_down = down[down < OWNING]
        common = up.index.intersection(down.index)
        gap = (down[common] - up[common]) if len(common) else pd.Series(dtype=float)
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(varied, key, strict=True))
        row.update(
            tip_up=float(owning_up.index.min()) if len(owning_up) else np.nan,
            lose_down=float(lost_down.index.max()) if len(lost_down) else np.nan,
            max_gap=float(gap.max()) if len(gap) else np.nan,
            coverage_at_max_gap=float(gap.idxmax()) if len(gap) else np.nan,
        )
        out.append(row)
    return pd.DataFrame(out)


def plot_hysteresis(
    steps: pd.DataFrame,
    branches: pd.DataFrame,
    weekly: pd.DataFrame,
    spec: HysteresisSpec,
    varied: tuple[str, ...],
    path: Path,
    title: str,
) -> None:
    """Left: the two branches per varied point (means bold, each seed faint). Right: one run's weeks.

    Seeds sit on one branch or the other (a bistable system), so the mean
    alone would hide them: each seed's path is drawn too.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax_t) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.15, 1]})
    keys = list(varied)
    groups = list(branches.groupby(keys, sort=True)) if keys else [((), branches)]
    colours = plt.get_cmap("viridis")(np.linspace(0.1, 0.85, max(1, len(groups))))
    for (key, cells), colour in zip(groups, colours, strict=True):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{n}={v:g}" for n, v in zip(varied, key, strict=True)) or "runs"
        mine = steps
        for n, v in zip(varied, key, strict=True):
            mine = mine[mine[n] == v]
        for _, run in mine.groupby("run_id", sort=True):
            run = run.sort_values("step")
            ax.plot(run["coverage"], run["above_line"], color=colour, alpha=0.15, linewidth=0.8)
        for branch, style, marker in (("up", "-", "o"), ("down", "--", "v")):
            b = cells[cells["branch"] == branch].sort_values("coverage", ascending=branch == "up")
            ax.plot(
                b["coverage"],
                b["above_line"],
                color=colour,
                linestyle=style,
                marker=marker,
                linewidth=2,
                label=f"{label}, way {branch}",
            )
    ax.set(
        xlabel=f"push: coverage per week of {spec.plan}'s first wave",
        ylabel=f"above-the-line share (mean of a step's last {spec.measure_weeks} weeks)",
        ylim=(-0.03, 1.03),
        title="way up (solid) and way down (dashed): mean over seeds; faint: each seed",
    )
    ax.title.set_fontsize(10)
    ax.axhline(OWNING, color="grey", linewidth=0.6, linestyle=":")
    ax.legend(fontsize=7, loc="center right")
    ax.grid(alpha=0.3)

    first = steps.sort_values([*keys, "seed", "run_id"]).drop_duplicates(keys if keys else ["step"])
    for (_, run), colour in zip(first.iterrows(), colours, strict=False):
        weeks = weekly[weekly["run_id"] == run["run_id"]].sort_values("week")
        label = ", ".join(f"{n}={run[n]:g}" for n in varied) or "run"
        ax_t.plot(
            weeks["week"],
            weeks["above_line"],
            color=colour,
            linewidth=1,
            label=f"{label}, seed {run['seed']}",
        )
    push = np.repeat(spec.steps, spec.hold_weeks)
    ax_p = ax_t.twinx()
    ax_p.step(np.arange(1, len(push) + 1), push, color="black", linewidth=0.8, where="post", alpha=0.6)
    ax_p.set_ylabel("push (coverage per week)")
    ax_t.set(xlabel="week", ylabel="above-the-line share", ylim=(-0.03, 1.03))
    ax_t.set_title("one run per point; black: the push", fontsize=10)
    ax_t.legend(fontsize=7, loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
