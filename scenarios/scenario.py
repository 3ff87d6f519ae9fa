"""Scenarios: an organization, its parameters, the plans compared, a budget, seeds and a horizon.

A scenario is a TOML file (the built-ins live in ``scenarios/builtin/``)::

    description = "one line: what this scenario asks and why its numbers"
    budget = 300000            # required: currency each compared plan spends (equal budget)
    n_seeds = 20               # or seeds = [0, 1, 2]; default n_seeds = 10
    weeks = 260                # horizon (default 260); a wave starting later is an error
                               # unless cut_at_horizon = true
    plans = ["none", "pilot", "rocket"]     # built-in plans, in the order compared

    [params]                   # any ModelParams field
    silo_strength = 0.85

    [[organization.departments]]            # or organization = "org.toml" / "org.csv"
    name = "call_center"
    frontline = 80
    customer_share = 0.4       # optional

An organization file is TOML with ``[[departments]]`` (and optionally ``span``
and ``executives``) or CSV with columns ``name,frontline[,customer_share]``;
a relative path starts from the scenario file's folder.

A user plan is a table ``[plans.my_plan]`` with ``[[plans.my_plan.waves]]``
(the format of ``scenarios/builtin/plans.toml``). TOML cannot hold both a list
and a table under ``plans``, so a file with user plans names the plans it
compares, built-in or its own, in ``compare = ["none", "my_plan"]``; without
``compare`` it compares its own plans in file order.

Every error is one line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from scenarios.cli import UsageError
from scenarios.plans import WAVE_FIELDS, builtin_plans, plan_from_dict
from sim import Department, Gate, ModelParams, ParameterError, Plan
from sim.params import ROLE_NAMES

TOP_KEYS = (
    "name",
    "description",
    "budget",
    "seeds",
    "n_seeds",
    "weeks",
    "cut_at_horizon",
    "plans",
    "compare",
    "params",
    "organization",
)
ORG_KEYS = ("departments", "span", "executives")
DEPARTMENT_KEYS = ("name", "frontline", "customer_share")
BUILTIN_PREFIX = "builtin:"


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
        """A copy with command-line overrides applied and checked.

        Unlike a scenario file, an override may cut a plan short: a shorter
        horizon is how one takes a quick look. Waves past the horizon are
        then reported by :func:`horizon_notes`, not refused.
        """
        where = f"{self.source} (command line)"
        changed = dataclasses.replace(
            self,
            weeks=self.weeks if weeks is None else _check_weeks(weeks, where, "--weeks"),
            seeds=self.seeds if seeds is None else _check_seeds(list(seeds), where, "--seeds"),
            budget=self.budget if budget is None else _check_budget(budget, where, "--budget"),
            plans=self.plans if plans is None else plans,
        )
        _check_plans_fit(changed, where, strict_horizon=False)
        if horizon_notes(changed):
            changed = dataclasses.replace(changed, cut_at_horizon=True)
        return changed


# -- loading ---------------------------------------------------------------------------------------


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions, sorted by name."""
    out = {}
    for entry in sorted(_builtin_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and entry.name != "plans.toml":
            name = entry.name.removesuffix(".toml")
            data = tomllib.loads(entry.read_text())
            out[name] = str(data.get("description", ""))
    return out


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read a built-in scenario by name, or a scenario TOML file by path.

    Raises
    ------
    UsageError
        Unknown name, missing or malformed file.
    ParameterError
        A field with a value the model does not allow; the message names the
        file, the field and what is allowed.
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix.lower() == ".toml" or path.is_file() or "/" in text_name:
        if not path.is_file():
            raise UsageError(f"{text_name}: no such scenario file")
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{text_name}: cannot read: {err}") from None
        return parse_scenario(text, source=text_name, name=path.stem, base=path.parent)
    builtins = builtin_scenarios()
    if text_name not in builtins:
        raise UsageError(
            f"{text_name!r}: not a built-in scenario nor a .toml file; built-ins: {', '.join(builtins)}"
        )
    text = _builtin_dir().joinpath(f"{text_name}.toml").read_text()
    return parse_scenario(text, source=BUILTIN_PREFIX + text_name, name=text_name, base=None)


def parse_scenario(text: str, source: str, name: str, base: Path | None) -> Scenario:
    """Build a :class:`Scenario` from TOML text.

    Parameters
    ----------
    text : str
        The TOML.
    source : str
        Where it came from, named in every error.
    name : str
        Scenario name when the file sets none.
    base : Path or None
        Folder that relative organization paths start from (None: built-in,
        relative to ``scenarios/builtin``).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{source}: malformed TOML: {err}") from None
    return scenario_from_dict(data, source=source, name=name, base=base)


def scenario_from_dict(data: dict[str, Any], source: str, name: str, base: Path | None) -> Scenario:
    """Build a :class:`Scenario` from parsed TOML (see the module docstring for the keys)."""
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise ParameterError(f"{source}: {unknown[0]}: unknown key; allowed: {', '.join(TOP_KEYS)}")
    name = _string(data.get("name", name), source, "name")
    description = _string(data.get("description", ""), source, "description")
    params = _params(data, source, base)
    plans = _plans(data, source)
    if "budget" not in data:
        raise ParameterError(
            f"{source}: budget: missing; give the spend of each compared plan, a number >= 0"
        )
    budget = _check_budget(data["budget"], source, "budget")
    seeds = _seeds(data, source)
    weeks = _check_weeks(data.get("weeks", 260), source, "weeks")
    cut = data.get("cut_at_horizon", False)
    if not isinstance(cut, bool):
        raise ParameterError(f"{source}: cut_at_horizon={cut!r}: must be true or false")
    scenario = Scenario(name, description, params, plans, budget, seeds, weeks, source, cut)
    _check_plans_fit(scenario, source, strict_horizon=not cut)
    return scenario


def _builtin_dir() -> Any:
    return resources.files("scenarios").joinpath("builtin")


def _string(value: Any, source: str, field: str) -> str:
    if not isinstance(value, str):
        raise ParameterError(f"{source}: {field}={value!r}: must be a string")
    return value


def _check_budget(value: Any, source: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise ParameterError(f"{source}: {field}={value!r}: must be a number >= 0 (currency per plan)")
    return float(value)


def _check_weeks(value: Any, source: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise ParameterError(f"{source}: {field}={value!r}: must be a whole number of weeks in [1, 100000]")
    return int(value)


def _check_seeds(value: Any, source: str, field: str) -> tuple[int, ...]:
    ok = isinstance(value, list) and value
    ok = ok and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in value)
    if not ok:
        raise ParameterError(f"{source}: {field}={value!r}: must be a non-empty list of whole numbers >= 0")
    if len(set(value)) != len(value):
        raise ParameterError(f"{source}: {field}={value!r}: seeds must not repeat")
    return tuple(int(s) for s in value)


def _seeds(data: dict[str, Any], source: str) -> tuple[int, ...]:
    if "seeds" in data and "n_seeds" in data:
        raise ParameterError(f"{source}: seeds and n_seeds: give one of them, not both")
    if "seeds" in data:
        return _check_seeds(data["seeds"], source, "seeds")
    n = data.get("n_seeds", 10)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100_000:
        raise ParameterError(f"{source}: n_seeds={n!r}: must be a whole number in [1, 100000]")
    return tuple(range(n))


def _params(data: dict[str, Any], source: str, base: Path | None) -> ModelParams:
    table = data.get("params", {})
    if not isinstance(table, dict):
        raise ParameterError(f"{source}: params: must be a table [params] of ModelParams fields")
    known = [f.name for f in fields(ModelParams)]
    for key in table:
        if key == "departments":
            raise ParameterError(
                f"{source}: params.departments: set departments under [organization], not [params]"
            )
        if key not in known:
            allowed = ", ".join(k for k in known if k != "departments")
            raise ParameterError(f"{source}: params.{key}: unknown parameter; allowed: {allowed}")
    changes = dict(table)
    if "organization" in data:
        org = _organization(data["organization"], source, base)
        for key in ("span", "executives"):
            if key in org and key in changes:
                raise ParameterError(
                    f"{source}: params.{key}: also set by the organization; set it in one place"
                )
        changes.update(org)
    try:
        return ModelParams().replace(**changes)
    except ParameterError as err:
        raise ParameterError(f"{source}: params.{err}") from None
    except TypeError as err:
        raise ParameterError(f"{source}: params: {err}") from None


def _organization(value: Any, source: str, base: Path | None) -> dict[str, Any]:
    """An organization table, or a path to a TOML or CSV file: ModelParams changes."""
    if isinstance(value, str):
        path = Path(value)
        if not path.is_absolute():
            path = (base if base is not None else Path(str(_builtin_dir()))) / path
        where = f"{source}: organization file {value}"
        if not path.is_file():
            raise UsageError(f"{where}: no such file (relative paths start from the scenario's folder)")
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{where}: cannot read: {err}") from None
        if path.suffix.lower() == ".csv":
            return {"departments": departments_from_csv(text.removeprefix("\ufeff"), where)}
        if path.suffix.lower() != ".toml":
            raise UsageError(f"{where}: must end in .toml or .csv")
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise UsageError(f"{where}: malformed TOML: {err}") from None
        return _organization_table(table, where, "")
    if not isinstance(value, dict):
        raise ParameterError(
            f"{source}: organization: must be a table with [[organization.departments]] or a path to a .toml or .csv file"
        )
    return _organization_table(value, source, "organization.")


def _organization_table(table: dict[str, Any], source: str, prefix: str) -> dict[str, Any]:
    unknown = sorted(set(table) - set(ORG_KEYS))
    if unknown:
        raise ParameterError(f"{source}: {prefix}{unknown[0]}: unknown key; allowed: {', '.join(ORG_KEYS)}")
    rows = table.get("departments")
    if not isinstance(rows, list) or not rows:
        raise ParameterError(
            f"{source}: {prefix}departments: needs at least one [[{prefix}departments]] with name and frontline"
        )
    depts = []
    for k, row in enumerate(rows):
        where = f"{source}: {prefix}departments[{k}]"
        if not isinstance(row, dict):
            raise ParameterError(f"{where}: must be a table with name, frontline[, customer_share]")
        bad = sorted(set(row) - set(DEPARTMENT_KEYS))
        if bad:
            raise ParameterError(f"{where}.{bad[0]}: unknown key; allowed: {', '.join(DEPARTMENT_KEYS)}")
        depts.append(_department(row.get("name"), row.get("frontline"), row.get("customer_share"), where))
    out: dict[str, Any] = {"departments": _check_departments(depts, source, f"{prefix}departments")}
    for key in ("span", "executives"):
        if key in table:
            out[key] = table[key]
    return out


def departments_from_csv(text: str, source: str) -> tuple[Department, ...]:
    """Departments from CSV text with columns ``name,frontline[,customer_share]``."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "name" not in header or "frontline" not in header or set(header) - set(DEPARTMENT_KEYS):
        raise ParameterError(
            f"{source}: header {','.join(header) or '(empty)'}: columns must be name,frontline[,customer_share]"
        )
    depts = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        where = f"{source}: line {line}"
        frontline: Any = row.get("frontline", "")
        share: Any = row.get("customer_share") or None
        with contextlib.suppress(ValueError):
            frontline = int(frontline)
        if share is not None:
            with contextlib.suppress(ValueError):
                share = float(share)
        depts.append(_department(row.get("name"), frontline, share, where))
    return _check_departments(depts, source, "departments")


def _department(name: Any, frontline: Any, share: Any, where: str) -> Department:
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ParameterError(f"{where}: name={name!r}: must be letters, digits, '_' or '-'")
    if isinstance(frontline, bool) or not isinstance(frontline, int) or frontline < 0:
        raise ParameterError(f"{where}: frontline={frontline!r}: must be a whole number >= 0 (people)")
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, (int, float)) or not share >= 0
    ):
        raise ParameterError(f"{where}: customer_share={share!r}: must be a number >= 0")
    return Department(name, frontline, None if share is None else float(share))


def _check_departments(depts: list[Department], source: str, field: str) -> tuple[Department, ...]:
    if not depts or sum(d.frontline for d in depts) == 0:
        raise ParameterError(
            f"{source}: {field}: the organization has no frontline staff; each department needs frontline >= 1"
        )
    for d in depts:
        if d.frontline == 0:
            raise ParameterError(
                f"{source}: {field}: {d.name}.frontline=0: every department needs frontline >= 1 (people)"
            )
    names = [d.name for d in depts]
    for n in names:
        if names.count(n) > 1:
            raise ParameterError(f"{source}: {field}: name {n!r} appears twice; names must be unique")
    return tuple(depts)


def _plans(data: dict[str, Any], source: str) -> dict[str, Plan]:
    available = builtin_plans()
    value = data.get("plans", [])
    own: dict[str, Plan] = {}
    if isinstance(value, dict):
        for name, table in value.items():
            own[name] = plan_from_dict(name, table, source)
        order = data.get("compare", list(own))
        field = "compare"
    elif isinstance(value, list):
        if "compare" in data:
            raise ParameterError(
                f"{source}: compare: only used with [plans.NAME] tables; with plans = [...] the list is the order"
            )
        order, field = value, "plans"
    else:
        raise ParameterError(f"{source}: plans: must be a list of plan names or [plans.NAME] tables")
    if not isinstance(order, list) or not order or not all(isinstance(n, str) for n in order):
        raise ParameterError(f"{source}: {field}={order!r}: must be a non-empty list of plan names")
    available.update(own)
    plans = {}
    for n in order:
        if n not in available:
            raise ParameterError(
                f"{source}: {field}: unknown plan {n!r}; allowed: {', '.join(available)} (or define [plans.{n}])"
            )
        if n in plans:
            raise ParameterError(f"{source}: {field}: plan {n!r} appears twice")
        plans[n] = available[n]
    return plans


def _check_plans_fit(scenario: Scenario, source: str, strict_horizon: bool) -> None:
    """Every plan names departments the organization has and, if strict, starts within the horizon."""
    names = scenario.params.department_names
    for plan_name, plan in scenario.plans.items():
        for k, wave in enumerate(plan.waves):
            where = f"{source}: plans.{plan_name}.waves[{k}]"
            if wave.departments != "all":
                for d in wave.departments:
                    if d not in names:
                        raise ParameterError(
                            f"{where}.departments: unknown department {d!r}; allowed: 'all' or {', '.join(names)}"
                        )
            if not strict_horizon:
                continue
            n_stages = len(names if wave.departments == "all" else wave.departments) if wave.every else 1
            last_start = wave.start + wave.every * (n_stages - 1)
            if wave.start >= scenario.weeks:
                raise ParameterError(
                    f"{where}.start={wave.start}: starts after the horizon weeks={scenario.weeks}; allowed: 0 to {scenario.weeks - 1} (or set cut_at_horizon = true)"
                )
            if last_start >= scenario.weeks:
                raise ParameterError(
                    f"{where}.every={wave.every}: its last department starts in week {last_start}, after the horizon weeks={scenario.weeks}; allowed: start + every * {n_stages - 1} < {scenario.weeks} (or set cut_at_horizon = true)"
                )


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
    """The TOML tables of a scenario: load(write(s)) equals s (apart from ``source``).

    The organization is written inline. By default parameters appear only
    where they differ from the defaults, and built-in plans by name; with
    ``complete`` every parameter and every plan is written out, so the file
    reproduces the run even after the defaults or built-in plans change.
    """
    defaults = ModelParams()
    params: dict[str, Any] = {}
    for f in fields(ModelParams):
        value = getattr(scenario.params, f.name)
        if f.name != "departments" and (complete or value != getattr(defaults, f.name)):
            params[f.name] = list(value) if isinstance(value, tuple) else value
    departments = []
    for d in scenario.params.departments:
        row: dict[str, Any] = {"name": d.name, "frontline": d.frontline}
        if d.customer_share is not None:
            row["customer_share"] = d.customer_share
        departments.append(row)
    builtins = builtin_plans()
    own = {n: p for n, p in scenario.plans.items() if complete or builtins.get(n) != p}
    out: dict[str, Any] = {
        "name": scenario.name,
        "description": scenario.description,
        "budget": scenario.budget,
        "weeks": scenario.weeks,
    }
    if scenario.cut_at_horizon:
        out["cut_at_horizon"] = True
    if scenario.seeds == tuple(range(len(scenario.seeds))):
        out["n_seeds"] = len(scenario.seeds)
    else:
        out["seeds"] = list(scenario.seeds)
    if own:
        out["compare"] = list(scenario.plans)
        out["plans"] = {n: plan_to_dict(p) for n, p in own.items()}
    else:
        out["plans"] = list(scenario.plans)
    if params:
        out["params"] = params
    out["organization"] = {"departments": departments}
    return out


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """A plan as its TOML table (the format of ``scenarios/builtin/plans.toml``)."""
    defaults = {"departments": "all", "roles": list(ROLE_NAMES), "mechanisms": {}, "every": 0}
    waves = []
    for wave in plan.waves:
        row: dict[str, Any] = {}
        for key in WAVE_FIELDS:
            value = getattr(wave, key)
            value = list(value) if isinstance(value, tuple) else value
            value = dict(value) if key == "mechanisms" else value
            value = dataclasses.asdict(value) if isinstance(value, Gate) else value
            if value is None or (key in defaults and value == defaults[key]):
                continue
            row[key] = value
        waves.append(row)
    return {"description": plan.description, "waves": waves}


def scenario_to_toml(scenario: Scenario, header: str = "", complete: bool = False) -> str:
    """TOML text of a scenario, with an optional comment header (one ``#`` line per line)."""
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    return lines + tomli_w.dumps(scenario_to_dict(scenario, complete))
