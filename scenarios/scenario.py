"""Scenarios: an organization, its parameters, the plans compared, a budget, seeds and a horizon.

A scenario is a TOML file (the built-ins live in ``scenarios/builtin/``) of
the declared shape :class:`scenarios.scenario_file.ScenarioFile`; its keys
are listed in ``docs/input-files.md`` and its JSON Schema is ``blueline
schema scenario``. Its organization is inline or a TOML or CSV file
(``name,frontline[,customer_share]``) relative to the scenario's folder; a
file with its own ``[plans.NAME]`` tables names the plans it compares in
``compare`` (TOML cannot hold both a list and a table under ``plans``).
Every problem in a file is reported at once, one line each naming the file,
the field and what is allowed.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from scenarios.inputs import (
    InputError,
    builtins_in,
    check,
    locate,
    parameter_problems,
    parse_toml,
    read_input_file,
)
from scenarios.plans import builtin_plans, pick_plans
from scenarios.scenario_file import OrganizationTable, ParamsTable, PlanTable, ScenarioFile
from sim import Department, ModelParams, ParameterError, Plan
from sim.declared import did_you_mean

DEFAULT_N_SEEDS = 10


@dataclass(frozen=True)
class Scenario:
    """Everything a comparison needs, validated.

    Attributes
    ----------
    name, description : str
        Identifier and one-line purpose.
    params : ModelParams
        The organization and its rules.
    plans : dict of str to Plan
        The plans compared, in order (unscaled: :func:`scenarios.runner.equal_budget`
        scales them to ``budget``).
    budget : float
        What every compared plan is made to spend (currency).
    seeds : tuple of int
        One run per seed and plan.
    weeks : int
        Horizon of each run.
    source : str
        The file read, or ``builtin:NAME``.
    cut_at_horizon : bool
        Allow waves that start after the horizon (they are not run and are
        noted in the report). False in a scenario file unless it says
        ``cut_at_horizon = true``: there a late wave is usually a mistake.
        A shorter ``--weeks`` on the command line sets it.
    """

    name: str
    description: str
    params: ModelParams
    plans: dict[str, Plan]
    budget: float
    seeds: tuple[int, ...]
    weeks: int
    source: str
    cut_at_horizon: bool = False

    def with_overrides(
        self,
        *,
        weeks: int | None = None,
        seeds: tuple[int, ...] | None = None,
        budget: float | None = None,
        plans: dict[str, Plan] | None = None,
    ) -> Scenario:
        """A copy with command-line overrides applied and checked (errors name the flag).

        Unlike a scenario file, an override may cut a plan short: a shorter
        horizon is how one takes a quick look. Waves past the horizon are
        then reported by :func:`horizon_notes`, not refused.
        """
        where = f"{self.source} (command line)"
        given = {"weeks": weeks, "seeds": None if seeds is None else list(seeds), "budget": budget}
        flags = check(
            ScenarioFile,
            {"budget": self.budget} | {k: v for k, v in given.items() if v is not None},
            where,
            "--",
        )
        changed = dataclasses.replace(
            self,
            weeks=flags.weeks if weeks is not None else self.weeks,
            seeds=tuple(flags.seeds) if flags.seeds is not None else self.seeds,
            budget=flags.budget,
            plans=self.plans if plans is None else plans,
        )
        problems = _plan_problems(changed, where, strict_horizon=False)
        if problems:
            raise InputError(problems)
        if horizon_notes(changed):
            changed = dataclasses.replace(changed, cut_at_horizon=True)
        return changed


# -- loading ---------------------------------------------------------------------------------------


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions, sorted by name."""
    return builtins_in("scenarios", skip=("plans.toml",))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read a built-in scenario by name, or a scenario TOML file by path.

    Raises
    ------
    InputError
        Unknown name, a missing, unreadable or malformed file, or fields the
        model does not allow: every problem, one line each.
    """
    found = locate(name_or_path, "scenario", "scenarios", skip=("plans.toml",))
    return parse_scenario(found.text, found.source, found.name, found.base)


def parse_scenario(text: str, source: str, name: str, base: Path | None) -> Scenario:
    """Build a :class:`Scenario` from TOML text.

    Parameters
    ----------
    source : str
        Where it came from, named in every error.
    name : str
        Scenario name when the file sets none.
    base : Path or None
        Folder that relative organization paths start from (None: built-in,
        relative to ``scenarios/builtin``).
    """
    return scenario_from_dict(parse_toml(text, source), source=source, name=name, base=base)


def scenario_from_dict(data: dict[str, Any], source: str, name: str, base: Path | None) -> Scenario:
    """Build a :class:`Scenario` from parsed TOML (see the module docstring for the keys)."""
    file = check(ScenarioFile, data, source)
    problems: list[str] = []
    params = _params(file, source, base, problems)
    plans = _plans(file, source, problems)
    if problems or params is None:
        raise InputError(problems)
    seeds = tuple(file.seeds) if file.seeds is not None else tuple(range(file.n_seeds or DEFAULT_N_SEEDS))
    scenario = Scenario(
        file.name or name,
        file.description,
        params,
        plans,
        file.budget,
        seeds,
        file.weeks,
        source,
        file.cut_at_horizon,
    )
    problems = _plan_problems(scenario, source, strict_horizon=not file.cut_at_horizon)
    if problems:
        raise InputError(problems)
    return scenario


def _params(file: ScenarioFile, source: str, base: Path | None, problems: list[str]) -> ModelParams | None:
    """The scenario's ModelParams: the defaults, the organization, then ``[params]``."""
    changes = file.params.model_dump(exclude_none=True)
    if file.organization is not None:
        try:
            org = _organization(file.organization, source, base)
        except InputError as err:
            problems += err.problems
            return None
        changes["departments"] = org.departments
        for key in ("span", "executives"):
            if getattr(org, key) is not None:
                if key in changes:
                    problems.append(
                        f"{source}: params.{key}: also set by the organization; set it in one place"
                    )
                changes[key] = getattr(org, key)
    try:
        return ModelParams().replace(**changes)
    except ParameterError as err:
        problems += parameter_problems(err, source, "params.")
        return None


def _organization(value: str | OrganizationTable, source: str, base: Path | None) -> OrganizationTable:
    """The organization table inline, or read from a TOML or CSV file."""
    if isinstance(value, OrganizationTable):
        return value
    path = Path(value)
    if not path.is_absolute():
        path = (base if base is not None else Path(str(resources.files("scenarios")), "builtin")) / path
    where = f"{source}: organization file {value}"
    if path.suffix.lower() not in (".csv", ".toml"):
        raise InputError(f"{where}: must end in .toml or .csv")
    text = read_input_file(path, where, "organization")
    if path.suffix.lower() == ".csv":
        return organization_from_csv(text, where)
    return check(OrganizationTable, parse_toml(text, where), where)


def organization_from_csv(text: str, source: str) -> OrganizationTable:
    """An organization from CSV text with columns ``name,frontline[,customer_share]``, one row per department."""
    rows = [r for r in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) if any(c.strip() for c in r)]
    header = [h.strip() for h in rows[0]] if rows else []
    allowed = list(Department.__pydantic_fields__)
    if (
        not {"name", "frontline"} <= set(header)
        or not set(header) <= set(allowed)
        or len(set(header)) < len(header)
    ):
        raise InputError(
            f"{source}: header {','.join(header) or '(empty)'}: columns must be name,frontline[,customer_share], each once"
        )
    problems: list[str] = []
    departments = []
    for line, values in enumerate(rows[1:], start=2):
        if len(values) != len(header):
            problems.append(f"{source}: line {line}: {len(values)} values; the header has {len(header)}")
            continue
        row = {k: _csv_value(v.strip()) for k, v in zip(header, values, strict=True) if v.strip()}
        try:
            departments.append(check(Department, row, source, f"line {line}: "))
        except InputError as err:
            problems += err.problems
    if problems:
        raise InputError(problems)
    return check(OrganizationTable, {"departments": [dataclasses.asdict(d) for d in departments]}, source)


def _csv_value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _plans(file: ScenarioFile, source: str, problems: list[str]) -> dict[str, Plan]:
    available = builtin_plans()
    if isinstance(file.plans, dict):
        available |= {name: table.to_plan(name) for name, table in file.plans.items()}
        return pick_plans(file.compare or list(file.plans), available, f"{source}: compare", problems)
    if not file.plans:
        problems.append(
            f"{source}: plans: missing; give plans = [names] (built-in: {', '.join(available)}) or [plans.NAME] tables"
        )
    return pick_plans(file.plans, available, f"{source}: plans", problems)


def _plan_problems(scenario: Scenario, source: str, strict_horizon: bool) -> list[str]:
    """Waves naming departments the organization lacks and, if strict, starting after the horizon."""
    names = scenario.params.department_names
    problems = []
    for plan_name, plan in scenario.plans.items():
        for k, wave in enumerate(plan.waves):
            where = f"{source}: plans.{plan_name}.waves[{k}]"
            targets = names if wave.departments == "all" else wave.departments
            for d in targets:
                if d not in names:
                    problems.append(
                        f"{where}.departments: unknown department {d!r}; {did_you_mean(d, names)}allowed: 'all' or {', '.join(names)}"
                    )
            if not strict_horizon:
                continue
            n_stages = len(targets) if wave.every else 1
            last_start = wave.start + wave.every * (n_stages - 1)
            if wave.start >= scenario.weeks:
                problems.append(
                    f"{where}.start={wave.start}: starts after the horizon weeks={scenario.weeks}; allowed: 0 to {scenario.weeks - 1} (or set cut_at_horizon = true)"
                )
            elif last_start >= scenario.weeks:
                problems.append(
                    f"{where}.every={wave.every}: its last department starts in week {last_start}, after the horizon weeks={scenario.weeks}; allowed: start + every * {n_stages - 1} < {scenario.weeks} (or set cut_at_horizon = true)"
                )
    return problems


def horizon_notes(scenario: Scenario) -> list[str]:
    """Notes on a horizon that cuts plans short, or is too short for any run to count as tipped."""
    notes = []
    if scenario.weeks < scenario.params.tip_hold:
        notes.append(
            f"note: weeks={scenario.weeks} is shorter than tip_hold={scenario.params.tip_hold}: no run can count as tipped"
        )
    for name, plan in scenario.plans.items():
        starts = plan.fixed_starts(scenario.params.department_names)
        late = [s for s in starts if s >= scenario.weeks]
        if late:
            notes.append(
                f"note: {name}: {len(late)} of {len(starts)} wave stages start after week {scenario.weeks} and are not run"
            )
    return notes


# -- writing ---------------------------------------------------------------------------------------


def scenario_to_dict(scenario: Scenario, complete: bool = False) -> dict[str, Any]:
    """The TOML tables of a scenario, checked against :class:`ScenarioFile`: load(write(s)) equals s.

    The organization is written inline. By default parameters and wave
    fields appear only where they differ from the defaults, and built-in
    plans by name; with ``complete`` every parameter and every plan is
    written out, so the file reproduces the run even after the defaults or
    built-in plans change.
    """
    defaults = ModelParams()
    params = {
        name: getattr(scenario.params, name)
        for name in ParamsTable.model_fields
        if complete or getattr(scenario.params, name) != getattr(defaults, name)
    }
    builtins = builtin_plans()
    own = {n: PlanTable.of(p) for n, p in scenario.plans.items() if complete or builtins.get(n) != p}
    data: dict[str, Any] = {
        "name": scenario.name,
        "description": scenario.description,
        "budget": scenario.budget,
        "weeks": scenario.weeks,
        "cut_at_horizon": scenario.cut_at_horizon,
        "params": params,
        "organization": {"departments": [dataclasses.asdict(d) for d in scenario.params.departments]},
    }
    if scenario.seeds == tuple(range(len(scenario.seeds))):
        data["n_seeds"] = len(scenario.seeds)
    else:
        data["seeds"] = list(scenario.seeds)
    data |= {"compare": list(scenario.plans), "plans": own} if own else {"plans": list(scenario.plans)}
    file = check(ScenarioFile, data, scenario.source)
    return file.model_dump(mode="json", exclude_none=True, exclude_defaults=not complete)


def scenario_to_toml(scenario: Scenario, header: str = "", complete: bool = False) -> str:
    """TOML text of a scenario, with an optional comment header (one ``#`` line per line)."""
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    return lines + tomli_w.dumps(scenario_to_dict(scenario, complete))
