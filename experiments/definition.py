"""Experiment definitions: which runs a sweep is made of, read from TOML.

An experiment names a base scenario, the plans to run, the parameters to vary
and how (a grid, or ranges sampled by Latin hypercube, Sobol or Morris), the
seeds run at each point, the horizon and which outputs to keep. The built-in
experiments live in ``experiments/builtin/``::

    description = "one line: what the sweep asks"
    scenario = "default"          # required: built-in scenario name, or a path (relative to this file)
    plans = ["pilot", "rocket"]   # default: the scenario's plans
    seeds = 10                    # seeds per point: a count (0..n-1) or a list; default: the scenario's
    weeks = 260                   # default: the scenario's horizon
    outputs = "summary"           # or "weekly" (also keep the per-week table)
    method = "grid"               # grid | lhs | sobol | morris
    samples = 64                  # lhs: points; sobol: base size N (power of 2); morris: trajectories
    sample_seed = 1               # seed of the sampler (lhs, sobol, morris)
    scheduler = "tcp://host:8786" # optional: run on this Dask cluster

    [params]                      # fixed ModelParams changes on top of the scenario's
    cynicism_rate = 0.004

    [grid]                        # method = "grid": name = [values]
    budget = [0, 100000, 200000]

    [ranges]                      # other methods: name = [low, high]
    silo_strength = [0.5, 0.95]

    [quick]                       # what --quick changes (tables are merged key by key)
    scenario = "classroom"
    seeds = 2

Varied names are scalar :class:`sim.ModelParams` fields or ``budget`` (the
equal budget every plan is scaled to). Two optional tables serve particular
analyses: ``[hysteresis]`` (a push stepped up then down in one run, see
:mod:`experiments.hysteresis`) and ``[discover]`` (which plan is compared with
which, see :mod:`experiments.discovery`).

The file's shape is declared once in :mod:`experiments.experiment_file` (JSON
Schema: ``blueline schema experiment``); every problem in a file is reported
at once, one line each naming the file, the field and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from experiments.experiment_file import SECTIONS, ExperimentFields, Section, experiment_file, quick_keys
from scenarios.inputs import InputError, check, parse_toml, read_input_file, unknown_key_message
from scenarios.plans import builtin_plans
from scenarios.scenario import Scenario, load_scenario
from scenarios.scenario_file import ParamsTable
from sim import ModelParams, ParameterError, Plan

BUDGET = "budget"
MIN_SAMPLES = {"lhs": 2, "sobol": 4, "morris": 2}
"""Smallest sample size each method can use (sobol: base size N, also a power of 2; morris: trajectories)."""
DEFAULT_SAMPLES = 16


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


def _builtin_dir() -> Any:
    return resources.files("experiments").joinpath("builtin")


def builtin_experiments() -> dict[str, str]:
    """Built-in experiment names and their one-line descriptions, sorted by name."""
    return {
        e.name.removesuffix(".toml"): str(parse_toml(e.read_text(), e.name).get("description", ""))
        for e in sorted(_builtin_dir().iterdir(), key=lambda e: e.name)
        if e.name.endswith(".toml")
    }


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
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix.lower() == ".toml" or path.exists() or "/" in text_name:
        text = read_input_file(path, text_name, "experiment")
        return parse_experiment(text, source=text_name, name=path.stem, base=path.parent, quick=quick)
    builtins = builtin_experiments()
    if text_name not in builtins:
        raise InputError(
            f"{text_name!r}: not a built-in experiment nor a .toml file; built-ins: {', '.join(builtins)}"
        )
    text = _builtin_dir().joinpath(f"{text_name}.toml").read_text()
    return parse_experiment(text, source=f"builtin:{text_name}", name=text_name, base=None, quick=quick)


def parse_experiment(text: str, source: str, name: str, base: Path | None, quick: bool = False) -> Experiment:
    """Build an :class:`Experiment` from TOML text (see the module docstring for the keys)."""
    return experiment_from_dict(parse_toml(text, source), source=source, name=name, base=base, quick=quick)


def experiment_from_dict(
    data: dict[str, Any], source: str, name: str, base: Path | None = None, quick: bool = False
) -> Experiment:
    """Build an :class:`Experiment` from parsed TOML, applying ``[quick]`` if asked."""
    quick_table = data.get("quick", {})
    if isinstance(quick_table, dict):
        allowed = quick_keys()
        unknown = [
            f"{source}: quick.{k}: {unknown_key_message(k, allowed)}" for k in quick_table if k not in allowed
        ]
        if unknown:
            raise InputError(unknown)
    definition = {k: copy.deepcopy(v) for k, v in data.items() if k != "quick"}
    if quick:
        for key, value in quick_table.items():
            if isinstance(value, dict) and isinstance(definition.get(key), dict):
                definition[key] = {**definition[key], **value}
            else:
                definition[key] = copy.deepcopy(value)
    where = f"{source} (quick)" if quick else source
    file = check(experiment_file(), {**definition, "quick": quick_table}, where)
    scenario = _scenario(file.scenario, where, base)
    problems: list[str] = []
    params = _fixed_params(file.params, scenario.params, where, problems)
    plans = _plans(file.plans, scenario, where, problems)
    sections = {key: getattr(file, key) for key in SECTIONS if getattr(file, key) is not None}
    for key, spec in sections.items():
        problems += [f"{where}: {p}" for p in spec.problems(key, plans, definition)]
    problems += _design_problems(file, params, where)
    if isinstance(file.seeds, list) and len(set(file.seeds)) != len(file.seeds):
        problems.append(f"{where}: seeds={file.seeds!r}: seeds must not repeat")
    if problems:
        raise InputError(problems)
    hysteresis = sections.get("hysteresis")
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
        seeds=_seeds(file.seeds, scenario),
        weeks=hysteresis.weeks if hysteresis else (file.weeks or scenario.weeks),
        outputs="weekly" if hysteresis else file.outputs,
        scheduler=file.scheduler,
        sections=sections,
        quick=quick,
        source=source,
        definition=definition,
    )


# -- fields ----------------------------------------------------------------------------------------


def sweepable_names() -> tuple[str, ...]:
    """Names an experiment may vary: ``budget`` and every scalar ModelParams field."""
    scalar = [f.name for f in dataclasses.fields(ModelParams) if isinstance(f.default, (int, float))]
    return (BUDGET, *scalar)


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


def _fixed_params(table: Any, base: ModelParams, where: str, problems: list[str]) -> ModelParams:
    try:
        return base.replace(**table.model_dump(exclude_none=True))
    except ParameterError as err:
        problems.append(f"{where}: params.{err}")
        return base


def _plans(names: list[str] | None, scenario: Scenario, where: str, problems: list[str]) -> dict[str, Plan]:
    if names is None:
        return dict(scenario.plans)
    available = {**builtin_plans(), **scenario.plans}
    out = {}
    for name in names:
        if name not in available:
            problems.append(f"{where}: plans: unknown plan {name!r}; allowed: {', '.join(available)}")
        elif name in out:
            problems.append(f"{where}: plans: plan {name!r} appears twice")
        else:
            out[name] = available[name]
    return out


def _value_problems(name: str, values: list[float], params: ModelParams, where: str, key: str) -> list[str]:
    """Every value of a varied name must be one the model accepts."""
    if name == BUDGET:
        return [f"{where}: {key}.budget={v!r}: must be >= 0 (currency)" for v in values if v < 0]
    out = []
    for v in values:
        try:
            check(ParamsTable, {name: v}, where, f"{key}.")
            params.replace(**{name: v})
        except InputError as err:
            out += err.problems
        except ParameterError as err:
            out.append(f"{where}: {key}.{err}")
    return out


def _design_problems(file: ExperimentFields, params: ModelParams, where: str) -> list[str]:
    method, allowed = file.method, sweepable_names()
    used, unused = ("grid", "ranges") if method == "grid" else ("ranges", "grid")
    table = file.grid if method == "grid" else file.ranges
    problems = []
    if getattr(file, unused):
        problems.append(f"{where}: {unused}: not used by method {method}; use [{used}]")
    if method != "grid" and not table:
        problems.append(f"{where}: ranges: empty; method {method} needs at least one name = [low, high]")
    for name, values in table.items():
        if name not in allowed:
            problems.append(f"{where}: {used}.{name}: {unknown_key_message(name, allowed)}")
            continue
        values = list(values)
        if method == "grid" and len(set(values)) != len(values):
            problems.append(f"{where}: grid.{name}={values!r}: values must not repeat")
        if method != "grid" and not values[0] < values[1]:
            problems.append(f"{where}: ranges.{name}={values!r}: empty range; needs low < high")
        problems += _value_problems(name, values, params, where, used)
    samples = file.samples if file.samples is not None else DEFAULT_SAMPLES
    if method != "grid" and samples < MIN_SAMPLES[method]:
        what = {"lhs": "points", "sobol": "base size N", "morris": "trajectories"}[method]
        problems.append(
            f"{where}: samples={samples}: too small for {method}; needs at least {MIN_SAMPLES[method]} {what}"
        )
    elif method == "sobol" and samples & (samples - 1):
        problems.append(f"{where}: samples={samples}: sobol needs a power of 2 (4, 8, 16, ...)")
    return problems


def _seeds(value: int | list[int] | None, scenario: Scenario) -> tuple[int, ...]:
    if value is None:
        return scenario.seeds
    return tuple(range(value)) if isinstance(value, int) else tuple(value)
