"""Experiment definitions: which runs a sweep is made of, read from TOML.

An experiment names a base scenario, the plans to run, the parameters to vary
and how (a grid, or ranges sampled by Latin hypercube, Sobol or Morris), the
seeds run at each point, the horizon and which outputs to keep. The built-in
experiments live in ``experiments/builtin/``::

    description = "one line: what the sweep asks"
    scenario = "default"          # built-in scenario name, or a path (relative to this file)
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

Every error is one line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from scenarios.cli import UsageError
from scenarios.plans import builtin_plans
from scenarios.scenario import Scenario, load_scenario
from sim import ModelParams, ParameterError, Plan

METHODS = ("grid", "lhs", "sobol", "morris")
OUTPUTS = ("summary", "weekly")
TOP_KEYS = (
    "name",
    "description",
    "scenario",
    "plans",
    "seeds",
    "weeks",
    "outputs",
    "method",
    "samples",
    "sample_seed",
    "scheduler",
    "params",
    "grid",
    "ranges",
    "hysteresis",
    "discover",
    "quick",
)
HYSTERESIS_KEYS = ("plan", "levels", "hold_weeks", "measure_weeks")
DISCOVER_KEYS = (
    "plan",
    "reference",
    "outcome",
    "tolerance",
    "only_where_reference_tips",
    "max_depth",
    "min_leaf",
)
DISCOVER_OUTCOMES = ("final_above_line", "final_culture_index", "tipped")
MIN_SAMPLES = {"lhs": 2, "sobol": 4, "morris": 2}
"""Smallest sample size each method can use (sobol: base size N, also a power of 2; morris: trajectories)."""
BUDGET = "budget"


@dataclass(frozen=True)
class HysteresisSpec:
    """A push stepped up, then down, inside one run.

    Attributes
    ----------
    plan : str
        Plan whose first wave gives the push its shape (targets, doses,
        mechanisms); only its coverage changes from step to step.
    levels : tuple of float
        Coverage of each step going up (share of targeted people reached per
        week); the run then steps back down through the same levels.
    hold_weeks : int
        Weeks each step lasts.
    measure_weeks : int
        The culture at a step is the mean over its last ``measure_weeks``.
    """

    plan: str
    levels: tuple[float, ...]
    hold_weeks: int
    measure_weeks: int

    @property
    def steps(self) -> tuple[float, ...]:
        """Coverage of every step in run order: up through the levels, then back down."""
        return self.levels + self.levels[-2::-1]

    @property
    def weeks(self) -> int:
        return self.hold_weeks * len(self.steps)


@dataclass(frozen=True)
class DiscoverSpec:
    """Which plan is held against which in scenario discovery.

    A run pair (same point, same seed) *matches* when ``plan``'s ``outcome``
    reaches the ``reference``'s minus ``tolerance``. With
    ``only_where_reference_tips`` only the pairs where the reference tipped
    count: "where the rocket works, does the pilot work too?".
    """

    plan: str
    reference: str
    outcome: str = "final_above_line"
    tolerance: float = 0.1
    only_where_reference_tips: bool = True
    max_depth: int = 3
    min_leaf: int = 10


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
    hysteresis, discover : spec or None
        Settings of the analyses that need them.
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
    hysteresis: HysteresisSpec | None
    discover: DiscoverSpec | None
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


# -- loading ---------------------------------------------------------------------------------------


def _builtin_dir() -> Any:
    return resources.files("experiments").joinpath("builtin")


def builtin_experiments() -> dict[str, str]:
    """Built-in experiment names and their one-line descriptions, sorted by name."""
    out = {}
    for entry in sorted(_builtin_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            out[entry.name.removesuffix(".toml")] = str(
                tomllib.loads(entry.read_text()).get("description", "")
            )
    return out


def load_experiment(name_or_path: str | Path, quick: bool = False) -> Experiment:
    """Read a built-in experiment by name, or an experiment TOML file by path.

    Parameters
    ----------
    quick : bool
        Apply the file's ``[quick]`` changes (the tiny size the tests use).

    Raises
    ------
    UsageError
        Unknown name, missing or malformed file.
    ParameterError
        A field the experiment cannot use; the message names the file and field.
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix.lower() == ".toml" or path.exists() or "/" in text_name:
        if not path.is_file():
            raise UsageError(f"{text_name}: no such experiment file")
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{text_name}: cannot read: {err}") from None
        return parse_experiment(text, source=text_name, name=path.stem, base=path.parent, quick=quick)
    builtins = builtin_experiments()
    if text_name not in builtins:
        raise UsageError(
            f"{text_name!r}: not a built-in experiment nor a .toml file; built-ins: {', '.join(builtins)}"
        )
    text = _builtin_dir().joinpath(f"{text_name}.toml").read_text()
    return parse_experiment(text, source=f"builtin:{text_name}", name=text_name, base=None, quick=quick)


def parse_experiment(text: str, source: str, name: str, base: Path | None, quick: bool = False) -> Experiment:
    """Build an :class:`Experiment` from TOML text (see the module docstring for the keys)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{source}: malformed TOML: {err}") from None
    return experiment_from_dict(data, source=source, name=name, base=base, quick=quick)


def experiment_from_dict(
    data: dict[str, Any], source: str, name: str, base: Path | None = None, quick: bool = False
) -> Experiment:
    """Build an :class:`Experiment` from parsed TOML, applying ``[quick]`` if asked."""
    _check_keys(data, TOP_KEYS, source, "")
    quick_table = data.get("quick", {})
    if not isinstance(quick_table, dict):
        raise ParameterError(f"{source}: quick: must be a table of changes for --quick")
    _check_keys(quick_table, tuple(k for k in TOP_KEYS if k not in ("quick", "name")), source, "quick.")
    definition = {k: copy.deepcopy(v) for k, v in data.items() if k != "quick"}
    if quick:
        for key, value in quick_table.items():
            if isinstance(value, dict) and isinstance(definition.get(key), dict):
                definition[key] = {**definition[key], **value}
            else:
                definition[key] = copy.deepcopy(value)
    where = f"{source} (quick)" if quick else source

    name = _string(definition.get("name", name), where, "name")
    description = _string(definition.get("description", ""), where, "description")
    scenario = _scenario(definition.get("scenario", "default"), where, base)
    params = _fixed_params(definition.get("params", {}), scenario.params, where)
    plans = _plans(definition.get("plans"), scenario, where)
    method = definition.get("method", "grid")
    if method not in METHODS:
        raise ParameterError(f"{where}: method={method!r}: allowed: {', '.join(METHODS)}")
    grid, ranges = _design_tables(definition, method, params, where)
    samples = _whole(definition.get("samples", 0 if method == "grid" else 16), where, "samples", 0, 10**7)
    if method != "grid":
        _check_samples(method, samples, where)
    sample_seed = _whole(definition.get("sample_seed", 1), where, "sample_seed", 0, 2**63 - 1)
    seeds = _seeds(definition.get("seeds"), scenario, where)
    outputs = definition.get("outputs", "summary")
    if outputs not in OUTPUTS:
        raise ParameterError(f"{where}: outputs={outputs!r}: allowed: {', '.join(OUTPUTS)}")
    scheduler = definition.get("scheduler")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ParameterError(f"{where}: scheduler={scheduler!r}: must be an address like 'tcp://host:8786'")
    hysteresis = _hysteresis(definition.get("hysteresis"), plans, where)
    discover = _discover(definition.get("discover"), plans, where)
    if hysteresis is not None:
        if BUDGET in grid or BUDGET in ranges:
            raise ParameterError(
                f"{where}: budget: a hysteresis run is not scaled to a budget; vary hysteresis.levels instead"
            )
        if "weeks" in definition:
            raise ParameterError(
                f"{where}: weeks: set by [hysteresis] (hold_weeks x steps); remove weeks from the file"
            )
        weeks = hysteresis.weeks
        outputs = "weekly"
    else:
        weeks = _whole(definition.get("weeks", scenario.weeks), where, "weeks", 1, 100_000)
    return Experiment(
        name=name,
        description=description,
        scenario=scenario,
        params=params,
        plans=plans,
        method=method,
        grid=grid,
        ranges=ranges,
        samples=samples,
        sample_seed=sample_seed,
        seeds=seeds,
        weeks=weeks,
        outputs=outputs,
        scheduler=scheduler,
        hysteresis=hysteresis,
        discover=discover,
        quick=quick,
        source=source,
        definition=definition,
    )


# -- fields ----------------------------------------------------------------------------------------


def sweepable_names() -> tuple[str, ...]:
    """Names an experiment may vary: ``budget`` and every scalar ModelParams field."""
    scalar = [f.name for f in fields(ModelParams) if isinstance(f.default, (int, float))]
    return (BUDGET, *scalar)


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str, prefix: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ParameterError(f"{where}: {prefix}{unknown[0]}: unknown key; allowed: {', '.join(allowed)}")


def _string(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str):
        raise ParameterError(f"{where}: {key}={value!r}: must be a string")
    return value


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _whole(value: Any, where: str, key: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ParameterError(f"{where}: {key}={value!r}: must be a whole number in [{lo}, {hi}]")
    return int(value)


def _scenario(ref: Any, where: str, base: Path | None) -> Scenario:
    if not isinstance(ref, str) or not ref:
        raise ParameterError(f"{where}: scenario={ref!r}: must be a built-in scenario name or a .toml path")
    path = Path(ref)
    if base is not None and (path.suffix.lower() == ".toml" or "/" in ref) and not path.is_absolute():
        candidate = base / path
        if candidate.is_file():
            ref = str(candidate.resolve())
    try:
        return load_scenario(ref)
    except UsageError as err:
        raise UsageError(f"{where}: scenario: {err}") from None


def _fixed_params(table: Any, base: ModelParams, where: str) -> ModelParams:
    if not isinstance(table, dict):
        raise ParameterError(f"{where}: params: must be a table of ModelParams fields")
    allowed = [f.name for f in fields(ModelParams) if f.name != "departments"]
    for key in table:
        if key not in allowed:
            raise ParameterError(f"{where}: params.{key}: unknown parameter; allowed: {', '.join(allowed)}")
    try:
        return base.replace(**table)
    except ParameterError as err:
        raise ParameterError(f"{where}: params.{err}") from None


def _plans(value: Any, scenario: Scenario, where: str) -> dict[str, Plan]:
    if value is None:
        return dict(scenario.plans)
    available = {**builtin_plans(), **scenario.plans}
    if not isinstance(value, list) or not value or not all(isinstance(n, str) for n in value):
        raise ParameterError(f"{where}: plans={value!r}: must be a non-empty list of plan names")
    out = {}
    for name in value:
        if name not in available:
            raise ParameterError(f"{where}: plans: unknown plan {name!r}; allowed: {', '.join(available)}")
        if name in out:
            raise ParameterError(f"{where}: plans: plan {name!r} appears twice")
        out[name] = available[name]
    return out


def _check_name(name: str, where: str, key: str) -> None:
    allowed = sweepable_names()
    if name not in allowed:
        raise ParameterError(f"{where}: {key}.{name}: unknown parameter; allowed: {', '.join(allowed)}")


def _check_value(name: str, value: Any, params: ModelParams, where: str, key: str) -> None:
    """One value of a varied name must be one the model accepts."""
    if not _number(value):
        raise ParameterError(f"{where}: {key}.{name}: {value!r} is not a number")
    if name == BUDGET:
        if value < 0:
            raise ParameterError(f"{where}: {key}.budget: {value!r}: must be >= 0 (currency)")
        return
    try:
        params.replace(**{name: value})
    except ParameterError as err:
        raise ParameterError(f"{where}: {key}.{err}") from None


def _design_tables(
    definition: dict[str, Any], method: str, params: ModelParams, where: str
) -> tuple[dict[str, tuple[float, ...]], dict[str, tuple[float, float]]]:
    grid_table = definition.get("grid", {})
    range_table = definition.get("ranges", {})
    if not isinstance(grid_table, dict) or not isinstance(range_table, dict):
        raise ParameterError(f"{where}: grid and ranges: must be tables of name = [values]")
    grid: dict[str, tuple[float, ...]] = {}
    ranges: dict[str, tuple[float, float]] = {}
    if method == "grid":
        if range_table:
            raise ParameterError(
                f"{where}: ranges: used by methods lhs, sobol, morris; method is grid: use [grid]"
            )
        for name, values in grid_table.items():
            _check_name(name, where, "grid")
            if not isinstance(values, list) or not values:
                raise ParameterError(f"{where}: grid.{name}: empty; needs a list of at least one value")
            for v in values:
                _check_value(name, v, params, where, "grid")
            if len(set(values)) != len(values):
                raise ParameterError(f"{where}: grid.{name}={values!r}: values must not repeat")
            grid[name] = tuple(values)
        return grid, ranges
    if grid_table:
        raise ParameterError(f"{where}: grid: used by method grid; method is {method}: use [ranges]")
    if not range_table:
        raise ParameterError(f"{where}: ranges: empty; method {method} needs at least one name = [low, high]")
    for name, bounds in range_table.items():
        _check_name(name, where, "ranges")
        if not isinstance(bounds, list) or len(bounds) != 2 or not all(_number(b) for b in bounds):
            raise ParameterError(f"{where}: ranges.{name}={bounds!r}: must be [low, high]")
        lo, hi = bounds
        if not lo < hi:
            raise ParameterError(f"{where}: ranges.{name}={bounds!r}: empty range; needs low < high")
        _check_value(name, lo, params, where, "ranges")
        _check_value(name, hi, params, where, "ranges")
        ranges[name] = (float(lo), float(hi))
    return grid, ranges


def _check_samples(method: str, samples: int, where: str) -> None:
    least = MIN_SAMPLES[method]
    if samples < least:
        what = {"lhs": "points", "sobol": "base size N", "morris": "trajectories"}[method]
        raise ParameterError(
            f"{where}: samples={samples}: too small for {method}; needs at least {least} {what}"
        )
    if method == "sobol" and samples & (samples - 1):
        raise ParameterError(f"{where}: samples={samples}: sobol needs a power of 2 (4, 8, 16, ...)")


def _seeds(value: Any, scenario: Scenario, where: str) -> tuple[int, ...]:
    if value is None:
        return scenario.seeds
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 100_000:
            raise ParameterError(f"{where}: seeds={value!r}: a count must be a whole number in [1, 100000]")
        return tuple(range(value))
    ok = isinstance(value, list) and value
    ok = ok and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in value)
    if not ok or len(set(value)) != len(value):
        raise ParameterError(
            f"{where}: seeds={value!r}: must be a count or a non-empty list of distinct whole numbers >= 0"
        )
    return tuple(value)


def _hysteresis(table: Any, plans: dict[str, Plan], where: str) -> HysteresisSpec | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ParameterError(f"{where}: hysteresis: must be a table with {', '.join(HYSTERESIS_KEYS)}")
    _check_keys(table, HYSTERESIS_KEYS, where, "hysteresis.")
    plan = table.get("plan")
    if plan not in plans:
        raise ParameterError(
            f"{where}: hysteresis.plan={plan!r}: must be one of the plans run: {', '.join(plans)}"
        )
    if not plans[plan].waves:
        raise ParameterError(f"{where}: hysteresis.plan={plan!r}: has no waves to give the push its shape")
    levels = table.get("levels")
    if not isinstance(levels, list) or len(levels) < 2:
        raise ParameterError(f"{where}: hysteresis.levels: needs at least 2 coverage levels in [0, 1]")
    if not all(_number(v) and 0 <= v <= 1 for v in levels) or list(levels) != sorted(set(levels)):
        raise ParameterError(
            f"{where}: hysteresis.levels={levels!r}: must be distinct coverages in [0, 1], increasing"
        )
    hold = _whole(table.get("hold_weeks", 52), where, "hysteresis.hold_weeks", 1, 10_000)
    measure = _whole(
        table.get("measure_weeks", max(1, hold // 4)), where, "hysteresis.measure_weeks", 1, hold
    )
    return HysteresisSpec(plan, tuple(float(v) for v in levels), hold, measure)


def _discover(table: Any, plans: dict[str, Plan], where: str) -> DiscoverSpec | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ParameterError(f"{where}: discover: must be a table with {', '.join(DISCOVER_KEYS)}")
    _check_keys(table, DISCOVER_KEYS, where, "discover.")
    for key in ("plan", "reference"):
        if table.get(key) not in plans:
            raise ParameterError(
                f"{where}: discover.{key}={table.get(key)!r}: must be one of the plans run: {', '.join(plans)}"
            )
    if table["plan"] == table["reference"]:
        raise ParameterError(f"{where}: discover.reference: must differ from discover.plan")
    spec = DiscoverSpec(table["plan"], table["reference"])
    outcome = table.get("outcome", spec.outcome)
    if outcome not in DISCOVER_OUTCOMES:
        raise ParameterError(
            f"{where}: discover.outcome={outcome!r}: allowed: {', '.join(DISCOVER_OUTCOMES)}"
        )
    tolerance = table.get("tolerance", spec.tolerance)
    if not _number(tolerance) or not 0 <= tolerance <= 1:
        raise ParameterError(f"{where}: discover.tolerance={tolerance!r}: must be a number in [0, 1]")
    only = table.get("only_where_reference_tips", spec.only_where_reference_tips)
    if not isinstance(only, bool):
        raise ParameterError(f"{where}: discover.only_where_reference_tips={only!r}: must be true or false")
    return dataclasses.replace(
        spec,
        outcome=outcome,
        tolerance=float(tolerance),
        only_where_reference_tips=only,
        max_depth=_whole(table.get("max_depth", spec.max_depth), where, "discover.max_depth", 1, 6),
        min_leaf=_whole(table.get("min_leaf", spec.min_leaf), where, "discover.min_leaf", 1, 100_000),
    )
