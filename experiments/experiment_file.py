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

from scenarios.inputs import Declared, Seed, either
from scenarios.scenario_file import MAX_SEEDS, MAX_WEEKS, ParamsTable, PlanNames
from sim import Plan

METHODS = ("grid", "lhs", "sobol", "morris")
OUTPUTS = ("summary", "weekly")
MAX_SAMPLES = 1_000_000
"""Largest sampler size a file may ask for; the size guard also weighs the runs it makes."""

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
            Annotated[list[Seed], Field(min_length=1, max_length=MAX_SEEDS)],
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


@functools.cache
def experiment_file() -> type[ExperimentFields]:
    """The experiment file type: the common fields, every registered section and ``[quick]``."""
    for module in ANALYSES_WITH_SECTIONS:
        importlib.import_module(module)
    sections = {
        key: (cls | None, Field(None, description=cls.__doc__)) for key, cls in sorted(SECTIONS.items())
    }
    return create_model(  # type: ignore[no-any-return, call-overload]
        "ExperimentFile",
        __base__=ExperimentFields,
        __doc__="An experiment file: which runs a sweep is made of.",
        quick=(
            dict[str, Any],
            Field(default_factory=dict, description="what --quick changes (tables merged key by key)"),
        ),
        **sections,
    )


def quick_keys() -> tuple[str, ...]:
    """Keys ``[quick]`` may change: every key but ``name`` and ``quick``."""
    return tuple(k for k in experiment_file().model_fields if k not in ("name", "quick"))
