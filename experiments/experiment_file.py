"""The declared shape of an experiment file; each analysis registers the section it reads.

:class:`ExperimentFields` holds the keys every sweep has. An analysis that
needs settings of its own (``[hysteresis]``, ``[discover]``) declares a
:class:`Section` in its module and registers it with :func:`section`; the
file type :func:`experiment_file` is then built from the fields and every
registered section, so the checks, the JSON Schema and the docs follow.
"""

from __future__ import annotations

import functools
import importlib
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, create_model

from scenarios.inputs import Declared
from scenarios.scenario_file import MAX_SEEDS, MAX_WEEKS, ParamsTable, PlanNames, Seeds
from sim import ModelParams, Plan
from sim.declared import either, unknown_key_message

BUDGET = "budget"
METHODS = ("grid", "lhs", "sobol", "morris")
OUTPUTS = ("summary", "weekly")
MAX_SAMPLES = 1_000_000
"""Largest sampler size a file may ask for; the size guard also weighs the runs it makes."""
MIN_SAMPLES = {"lhs": 2, "sobol": 4, "morris": 2}
"""Smallest sample size each method can use (sobol: base size N, also a power of 2; morris: trajectories)."""
DEFAULT_SAMPLES = 16

ANALYSES_WITH_SECTIONS = ("experiments.hysteresis", "experiments.discovery")
"""Modules that register a section (imported before the file type is built)."""

SECTIONS: dict[str, type[Section]] = {}


class Section(Declared):
    """Settings of one analysis, in a table named after it."""

    plan_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that must name one of the plans the experiment runs."""

    def problems(self, key: str, plans: dict[str, Plan], data: dict[str, Any]) -> list[str]:
        """Problems that need the rest of the experiment (its plans, its other keys); one line each."""
        out = []
        for name in self.plan_fields:
            value = getattr(self, name)
            if value not in plans:
                out.append(f"{key}.{name}={value!r}: must be one of the plans run: {', '.join(plans)}")
        return out


def section(key: str) -> Any:
    """Register a :class:`Section` under its table name (a class decorator)."""

    def register(cls: type[Section]) -> type[Section]:
        SECTIONS[key] = cls
        experiment_file.cache_clear()
        return cls

    return register


Values = Annotated[list[float], Field(min_length=1, max_length=10_000)]
Bounds = Annotated[tuple[float, float], Field(description="[low, high]")]


class ExperimentFields(Declared):
    """The keys of every experiment (and what ``[quick]`` may change)."""

    name: str | None = Field(None, description="identifier (default: the file name)")
    description: str = Field("", description="one line: what the sweep asks")
    scenario: str = Field(
        min_length=1, description="built-in scenario name, or a .toml path relative to this file"
    )
    plans: PlanNames | None = Field(None, description="plans run at every point (default: the scenario's)")
    seeds: (
        either(  # type: ignore[valid-type]
            Annotated[int, Field(ge=1, le=MAX_SEEDS)],
            lambda v: isinstance(v, int) and not isinstance(v, bool),
            Seeds,
            lambda v: isinstance(v, list),
            "must be a count or a non-empty list of distinct whole numbers >= 0",
        )
        | None
    ) = Field(None, description="seeds per point: a count (0..n-1) or a list (default: the scenario's)")
    weeks: int | None = Field(None, ge=1, le=MAX_WEEKS, description="horizon (default: the scenario's)")
    outputs: Literal[OUTPUTS] = Field("summary", description="also keep the per-week table with 'weekly'")  # type: ignore[valid-type]
    method: Literal[METHODS] = Field("grid", description="how points are made")  # type: ignore[valid-type]
    samples: int | None = Field(
        None,
        ge=0,
        le=MAX_SAMPLES,
        description="lhs: points; sobol: base size N (power of 2); morris: trajectories",
    )
    sample_seed: int = Field(1, ge=0, lt=2**63, description="seed of the sampler")
    scheduler: str | None = Field(None, min_length=1, description="Dask scheduler address, tcp://HOST:PORT")
    params: ParamsTable = Field(
        default_factory=ParamsTable, description="fixed changes to the scenario's parameters"
    )  # type: ignore[valid-type]
    grid: dict[str, Values] = Field(default_factory=dict, description="method grid: name = [values]")
    ranges: dict[str, Bounds] = Field(default_factory=dict, description="other methods: name = [low, high]")

    @property
    def varied(self) -> dict[str, list[float]]:
        """The table the method uses: name -> values (grid) or [low, high] (other methods)."""
        table = self.grid if self.method == "grid" else self.ranges
        return {name: list(values) for name, values in table.items()}

    def design_problems(self) -> list[str]:
        """What makes the design unusable (tables, names, ranges, sample size); one line each."""
        used, unused = ("grid", "ranges") if self.method == "grid" else ("ranges", "grid")
        problems = []
        if getattr(self, unused):
            problems.append(f"{unused}: not used by method {self.method}; use [{used}]")
        if self.method != "grid" and not self.ranges:
            problems.append(f"ranges: empty; method {self.method} needs at least one name = [low, high]")
        for name, values in self.varied.items():
            if name not in sweepable_names():
                problems.append(f"{used}.{name}: {unknown_key_message(name, sweepable_names())}")
            elif self.method == "grid" and len(set(values)) != len(values):
                problems.append(f"grid.{name}={values!r}: values must not repeat")
            elif self.method != "grid" and not values[0] < values[1]:
                problems.append(f"ranges.{name}={values!r}: empty range; needs low < high")
        samples = DEFAULT_SAMPLES if self.samples is None else self.samples
        if self.method != "grid" and samples < MIN_SAMPLES[self.method]:
            what = {"lhs": "points", "sobol": "base size N", "morris": "trajectories"}[self.method]
            problems.append(
                f"samples={samples}: too small for {self.method}; needs at least {MIN_SAMPLES[self.method]} {what}"
            )
        elif self.method == "sobol" and samples & (samples - 1):
            problems.append(f"samples={samples}: sobol needs a power of 2 (4, 8, 16, ...)")
        return problems


def sweepable_names() -> tuple[str, ...]:
    """Names an experiment may vary: ``budget`` and every scalar ModelParams field."""
    scalar = (name for name, f in ModelParams.__pydantic_fields__.items() if f.annotation in (int, float))  # type: ignore[attr-defined]
    return (BUDGET, *scalar)


@functools.cache
def experiment_file() -> type[ExperimentFields]:
    """The experiment file type: the common fields, every registered section and ``[quick]``."""
    for module in ANALYSES_WITH_SECTIONS:
        importlib.import_module(module)
    sections = {
        key: (cls | None, Field(None, description=cls.__doc__)) for key, cls in sorted(SECTIONS.items())
    }
    quick = create_model(  # type: ignore[call-overload]
        "QuickTable",
        __base__=Declared,
        __doc__="What --quick changes: any key but name (tables merged key by key).",
        **{
            k: (Any, Field(None, description=f"`{k}` under --quick (a table merges key by key)"))
            for k in [*ExperimentFields.model_fields, *sections]
            if k != "name"
        },
    )
    return create_model(  # type: ignore[no-any-return, call-overload]
        "ExperimentFile",
        __base__=ExperimentFields,
        __doc__="An experiment file: which runs a sweep is made of.",
        quick=(quick, Field(default_factory=quick, description=quick.__doc__)),
        **sections,
    )
