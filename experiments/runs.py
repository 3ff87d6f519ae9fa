"""The runs of an experiment: one per point, plan and seed, each with a stable id.

A run id is a hash of everything that fixes a run's numbers (the full model
parameters, the plan's waves, the budget it is scaled to, the seed and the
horizon), so a resumed sweep recognises finished runs whatever changed in the
file around them. :func:`run_chunk` is the top-level function shipped to
worker processes and Dask workers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from experiments.definition import BUDGET, Experiment
from experiments.hysteresis import HysteresisSpec
from experiments.sampling import design
from scenarios.outputs import code_version
from scenarios.runner import equal_budget, expected_spend, run_one
from scenarios.tidy import run_row, tidy_weekly
from sim import ModelParams, ParameterError, Plan


@dataclass(frozen=True)
class RunSpec:
    """One run to do.

    Attributes
    ----------
    run_id : str
        Stable id (hex digest) of params, plan, budget, seed and weeks
        (derived from them, not given).
    experiment : str
        Name of the experiment it belongs to.
    point : int
        Index of the point in the experiment's design.
    values : dict of str to float
        The varied values at this point (``budget`` included when varied).
    plan_name : str
        Name of the plan as the experiment lists it.
    plan : Plan
        The plan before scaling.
    budget : float or None
        Equal budget the plan is scaled to before running; None runs it as is.
    params : ModelParams
        The full parameters at this point.
    seed, weeks : int
        The run's seed and horizon.
    keep_weekly : bool
        Also return the per-week table.
    scenario : str
        Name of the base scenario (recorded with the results).
    """

    experiment: str
    point: int
    values: dict[str, float]
    plan_name: str
    plan: Plan
    budget: float | None
    params: ModelParams
    seed: int
    weeks: int
    keep_weekly: bool
    scenario: str = ""
    run_id: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "run_id", run_id(self.params, self.plan, self.budget, self.seed, self.weeks))


@dataclass
class ChunkResult:
    """What a worker sends back for a chunk of runs: summary rows and tidy per-week rows."""

    summaries: list[dict[str, Any]]
    weekly: list[pd.DataFrame]


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def run_id(params: ModelParams, plan: Plan, budget: float | None, seed: int, weeks: int) -> str:
    """Stable id of a run: the same inputs give the same id on any machine and in any order."""
    plan_part = {"name": plan.name, "waves": _canonical(plan.waves)}
    text = json.dumps(
        {"params": _canonical(params), "plan": plan_part, "budget": budget, "seed": seed, "weeks": weeks},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def staircase_plan(template: Plan, spec: HysteresisSpec) -> Plan:
    """The push of ``template``'s first wave, stepped up through ``spec.levels`` then back down.

    Each step is one wave of ``hold_weeks`` weeks at the step's coverage
    (targets, doses and mechanism levels as in the template); a zero step
    has no wave. The model carries its state from step to step, so the way
    down starts from whatever the way up reached.
    """
    first = template.waves[0]
    waves = [
        dataclasses.replace(
            first, start=k * spec.hold_weeks, duration=spec.hold_weeks, coverage=level, every=0
        )
        for k, level in enumerate(spec.steps)
        if level > 0
    ]
    return Plan(template.name, tuple(waves), f"{template.name}'s push stepped up then down")


def plan_runs(experiment: Experiment) -> list[RunSpec]:
    """Every run of the experiment, point by point, plan by plan, seed by seed.

    Raises
    ------
    ParameterError
        If a point gives parameters the model does not accept (checked for
        all points before anything runs).
    """
    specs = []
    hysteresis = experiment.hysteresis
    for k, values in enumerate(design(experiment).points):
        changes = {n: v for n, v in values.items() if n != BUDGET}
        try:
            params = experiment.params.replace(**changes)
        except ParameterError as err:
            raise ParameterError(f"{experiment.source}: point {k} {values}: {err}") from None
        for plan_name, plan in experiment.plans.items():
            budget: float | None = float(values.get(BUDGET, experiment.scenario.budget))
            if hysteresis is not None:
                if plan_name != hysteresis.plan:
                    continue
                plan, budget = staircase_plan(plan, hysteresis), None
            for seed in experiment.seeds:
                specs.append(
                    RunSpec(
                        experiment=experiment.name,
                        point=k,
                        values=dict(values),
                        plan_name=plan_name,
                        plan=plan,
                        budget=budget,
                        params=params,
                        seed=seed,
                        weeks=experiment.weeks,
                        keep_weekly=experiment.keep_weekly,
                        scenario=experiment.scenario.name,
                    )
                )
    return specs


def run_chunk(chunk: list[RunSpec]) -> ChunkResult:
    """Run a chunk of runs in order (a worker's unit of work).

    Plans are scaled to their budget once per point and plan. Each row
    carries the run's inputs and the code version next to the run summary,
    in the schema shared with ``compare`` (:mod:`scenarios.tidy`).
    """
    version = code_version()
    scaled: dict[tuple[int, str], tuple[Plan, float]] = {}
    result = ChunkResult([], [])
    for spec in chunk:
        key = (spec.point, spec.plan_name)
        if key not in scaled:
            plan = spec.plan
            if spec.budget is not None and plan.waves:
                plan = equal_budget({spec.plan_name: plan}, spec.params, spec.budget)[spec.plan_name]
            scaled[key] = (plan, expected_spend({spec.plan_name: plan}, spec.params)[spec.plan_name])
        plan, spend = scaled[key]
        out = run_one(spec.params, plan, spec.seed, spec.weeks, keep_weekly=spec.keep_weekly)
        row = run_row(
            spec.run_id,
            spec.plan_name,
            spec.seed,
            spec.weeks,
            out.summary,
            scenario=spec.scenario,
            experiment=spec.experiment,
            point=spec.point,
            budget=spec.budget,
            swept=spec.values,
            expected_spend=spend,
            code_version=version,
        )
        result.summaries.append(row)
        if spec.keep_weekly and out.weekly is not None:
            result.weekly.append(tidy_weekly(spec.run_id, out.weekly))
    return result
