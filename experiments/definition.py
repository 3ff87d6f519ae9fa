"""Experiment definitions: which runs a sweep is made of, read from TOML.

An experiment names a base scenario, the plans to run, the parameters to vary
and how (a grid, or ranges sampled by Latin hypercube, Sobol or Morris), the
seeds run at each point, the horizon and which outputs to keep; ``[quick]``
holds what ``--quick`` changes. The built-in experiments live in
``experiments/builtin/``. Varied names are scalar :class:`sim.ModelParams`
fields or ``budget`` (the equal budget every plan is scaled to); analyses
that need settings of their own read a section (``[hysteresis]``,
``[discover]``).

The file's shape is declared once in :mod:`experiments.experiment_file`; its
keys are listed in ``docs/input-files.md`` (JSON Schema: ``blueline schema
experiment``). Every problem in a file is reported at once, one line each
naming the file, the field and what is allowed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.experiment_file import (
    BUDGET,
    DEFAULT_SAMPLES,
    SECTIONS,
    ExperimentFields,
    Section,
    experiment_file,
    sweepable_names,
)
from scenarios.inputs import InputError, builtins_in, check, locate, parameter_problems, parse_toml
from scenarios.plans import builtin_plans, pick_plans
from scenarios.scenario import Scenario, load_scenario
from scenarios.scenario_file import ScenarioFile
from sim import ModelParams, ParameterError, Plan


@dataclass(frozen=True)
class Experiment:
    """A validated sweep: everything needed to list its runs.

    Attributes
    ----------
    name, description : str
        Identifier and one-line purpose.
    scenario : Scenario
        The base scenario (organization, default plans, budget, seeds, horizon).
    params : ModelParams
        The scenario's parameters with the experiment's fixed changes.
    plans : dict of str to Plan
        The plans run at every point (unscaled).
    method : str
        One of ``METHODS``.
    grid : dict of str to tuple
        Values of each varied name (method ``grid``).
    ranges : dict of str to (low, high)
        Range of each varied name (other methods).
    samples, sample_seed : int
        Sample size and sampler seed (methods other than ``grid``).
    seeds : tuple of int
        Seeds run at every point and plan.
    weeks : int
        Horizon of each run.
    outputs : str
        ``summary`` or ``weekly``.
    scheduler : str or None
        Dask scheduler address from the file.
    sections : dict of str to Section
        Settings of the analyses that need them (``hysteresis``, ``discover``).
    quick : bool
        Whether the ``[quick]`` changes were applied.
    source : str
        The file read, or ``builtin:NAME``.
    definition : dict
        The TOML tables as applied (quick merged in), kept with the results.
    """

    name: str
    description: str
    scenario: Scenario
    params: ModelParams
    plans: dict[str, Plan]
    method: str
    grid: dict[str, tuple[float, ...]]
    ranges: dict[str, tuple[float, float]]
    samples: int
    sample_seed: int
    seeds: tuple[int, ...]
    weeks: int
    outputs: str
    scheduler: str | None
    sections: dict[str, Section]
    quick: bool
    source: str
    definition: dict[str, Any] = field(repr=False)

    @property
    def varied(self) -> tuple[str, ...]:
        """Names varied across points, in file order."""
        return tuple(self.grid if self.method == "grid" else self.ranges)

    @property
    def keep_weekly(self) -> bool:
        return self.outputs == "weekly"

    @property
    def hysteresis(self) -> Any:
        """The ``[hysteresis]`` settings (:class:`experiments.hysteresis.HysteresisSpec`), or None."""
        return self.sections.get("hysteresis")

    @property
    def discover(self) -> Any:
        """The ``[discover]`` settings (:class:`experiments.discovery.DiscoverSpec`), or None."""
        return self.sections.get("discover")


# -- loading ---------------------------------------------------------------------------------------


def builtin_experiments() -> dict[str, str]:
    """Built-in experiment names and their one-line descriptions, sorted by name."""
    return builtins_in("experiments")


def load_experiment(name_or_path: str | Path, quick: bool = False) -> Experiment:
    """Read a built-in experiment by name, or an experiment TOML file by path.

    Parameters
    ----------
    quick : bool
        Apply the file's ``[quick]`` changes (the tiny size the tests use).

    Raises
    ------
    InputError
        Unknown name, a missing or malformed file, fields the experiment
        cannot use: every problem, one line each.
    """
    found = locate(name_or_path, "experiment", "experiments")
    return parse_experiment(found.text, found.source, found.name, found.base, quick=quick)


def parse_experiment(text: str, source: str, name: str, base: Path | None, quick: bool = False) -> Experiment:
    """Build an :class:`Experiment` from TOML text (see the module docstring for the keys)."""
    return experiment_from_dict(parse_toml(text, source), source=source, name=name, base=base, quick=quick)


def experiment_from_dict(
    data: dict[str, Any], source: str, name: str, base: Path | None = None, quick: bool = False
) -> Experiment:
    """Build an :class:`Experiment` from parsed TOML, applying ``[quick]`` if asked."""
    file_type = experiment_file()
    quick_table = data.get("quick", {})
    definition = {k: copy.deepcopy(v) for k, v in data.items() if k != "quick"}
    if quick and isinstance(quick_table, dict):
        for key, value in quick_table.items():
            if isinstance(value, dict) and isinstance(definition.get(key), dict):
                definition[key] = {**definition[key], **value}
            elif key in file_type.model_fields:
                definition[key] = copy.deepcopy(value)
    where = f"{source} (quick)" if quick else source
    file = check(file_type, {**definition, "quick": quick_table}, where)
    scenario = _scenario(file.scenario, where, base)
    problems: list[str] = []
    try:
        params = scenario.params.replace(**file.params.model_dump(exclude_none=True))
    except ParameterError as err:
        problems += parameter_problems(err, where, "params.")
        params = scenario.params
    available = {**builtin_plans(), **scenario.plans}
    plans = (
        dict(scenario.plans)
        if file.plans is None
        else pick_plans(file.plans, available, f"{where}: plans", problems)
    )
    sections = {key: getattr(file, key) for key in SECTIONS if getattr(file, key) is not None}
    for key, spec in sections.items():
        problems += [f"{where}: {p}" for p in spec.problems(key, plans, definition)]
    problems += [f"{where}: {p}" for p in file.design_problems()]
    problems += _value_problems(file, params, where)
    if problems:
        raise InputError(problems)
    hysteresis = sections.get("hysteresis")
    seeds = file.seeds if file.seeds is not None else scenario.seeds
    return Experiment(
        name=file.name or name,
        description=file.description,
        scenario=scenario,
        params=params,
        plans=plans,
        method=file.method,
        grid={k: tuple(v) for k, v in file.grid.items()},
        ranges={k: (float(lo), float(hi)) for k, (lo, hi) in file.ranges.items()},
        samples=file.samples
        if file.samples is not None
        else (0 if file.method == "grid" else DEFAULT_SAMPLES),
        sample_seed=file.sample_seed,
        seeds=tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds),
        weeks=hysteresis.weeks if hysteresis else (file.weeks or scenario.weeks),
        outputs="weekly" if hysteresis else file.outputs,
        scheduler=file.scheduler,
        sections=sections,
        quick=quick,
        source=source,
        definition=definition,
    )


def _scenario(ref: str, where: str, base: Path | None) -> Scenario:
    path = Path(ref)
    if base is not None and (path.suffix.lower() == ".toml" or "/" in ref) and not path.is_absolute():
        candidate = base / path
        if candidate.is_file():
            ref = str(candidate.resolve())
    try:
        return load_scenario(ref)
    except InputError as err:
        raise err.within(f"{where}: scenario") from None


def _value_problems(file: ExperimentFields, params: ModelParams, where: str) -> list[str]:
    """Every value of a varied name must be one the model accepts."""
    key = "grid" if file.method == "grid" else "ranges"
    problems = []
    for name, values in file.varied.items():
        for v in values if name in sweepable_names() else ():
            try:
                if name == BUDGET:
                    check(ScenarioFile, {BUDGET: v}, where, f"{key}.")
                else:
                    params.replace(**{name: v})
            except InputError as err:
                problems += err.problems
            except ParameterError as err:
                problems += parameter_problems(err, where, f"{key}.")
    return problems
