"""Malformed scenario and experiment files: exit 2, one line per problem, no traceback, nothing written.

Each example takes a valid file and applies one to three mutations, every
one of which makes the file invalid on its own (a wrong type, a value out of
range, an unknown key, a missing required key, a broken organization file),
then runs the command line in-process.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.definition import load_experiment
from experiments.experiment_file import experiment_file
from scenarios.cli import main
from scenarios.scenario_file import ScenarioFile

BAD_NUMBERS = ["12", [0.5], {"a": 1}, True, -1e300, 1e300, math.inf, -math.inf]
Mutation = tuple[tuple[str, ...], Any]

SCENARIO = {
    "description": "fuzz base",
    "budget": 1000,
    "n_seeds": 1,
    "weeks": 4,
    "plans": ["none"],
    "params": {"silo_strength": 0.5},
    "organization": {"departments": [{"name": "front", "frontline": 10}, {"name": "back", "frontline": 5}]},
}
SCENARIO_MUTATIONS: list[Mutation] = [
    *[(("budget",), v) for v in ["x", [1], -1, math.inf, math.nan, True, {}]],
    *[(("weeks",), v) for v in [0, 1.5, "52", 10**9, [], False]],
    *[(("n_seeds",), v) for v in [0, 10**9, -3, 2.5, "3"]],
    *[(("plans",), v) for v in [3, "rocket", [], ["moonshot"], [1], {"x": {"waves": 3}}]],
    *[(("plans",), {"x": {"waves": w}}) for w in [[1, 2], {"start": 0}, "all", [{"duration": 2}]]],
    (("plans",), {"x": {"waves": [{"start": 0, "duration": 2, "mechanisms": 5}]}}),
    (("plans",), {"x": {"waves": [{"start": 0, "duration": 2, "mechanisms": {"vibes": 1}}]}}),
    (("plans",), {"x": {"waves": [{"start": 0, "duration": 2, "roles": "frontline"}]}}),
    (("plans",), {"x": {"waves": [{"start": 0, "duration": 2, "departments": ["nowhere"]}]}}),
    (("plans",), {"x": {"waves": [{"start": 0, "duration": 2, "advance_when": {"above_line": 2}}]}}),
    (("plans",), {"x": {"waves": [{"start": 99, "duration": 2}]}}),
    (("seeds",), [1]),  # together with n_seeds
    *[
        (("params", name), v)
        for name in ("silo_strength", "span", "n_customers", "tip_hold")
        for v in BAD_NUMBERS
    ],
    (("params", "initial_rung_shares"), [0.5, 0.5]),
    (("params", "departments"), []),
    (("organization",), 5),
    (("organization",), []),
    (("organization",), {"departments": []}),
    (("organization",), "missing.csv"),
    (("organization",), "org.txt"),
    (("organization",), "bad.csv"),
    (("organization", "departments"), [{"name": "a b", "frontline": 1}]),
    (("organization", "departments"), [{"name": "a", "frontline": 10**8}]),
    (("organization", "departments"), [{"name": "a", "frontline": 0}]),
    (("organization", "departments"), [{"name": "a", "frontline": 1, "customer_share": math.inf}]),
    (("organization", "departments"), [{"name": "a", "frontline": 1}, {"name": "a", "frontline": 2}]),
]

EXPERIMENT = {
    "description": "fuzz base",
    "scenario": "classroom",
    "plans": ["rocket"],
    "seeds": 1,
    "weeks": 4,
    "method": "grid",
    "grid": {"budget": [1000, 2000]},
}
EXPERIMENT_MUTATIONS: list[Mutation] = [
    *[(("scenario",), v) for v in [3, "", "nonesuch", "missing.toml", ["classroom"]]],
    *[(("plans",), v) for v in [[], ["moonshot"], "rocket", [1]]],
    *[(("seeds",), v) for v in [0, -1, 10**9, [], [1, 1], "2", 1.5]],
    *[(("weeks",), v) for v in [0, 10**9, "4"]],
    *[(("method",), v) for v in ["random", 3]],
    *[(("outputs",), v) for v in ["everything", True]],
    *[(("samples",), v) for v in [-1, 10**12, "16"]],
    *[
        (("grid",), v)
        for v in [3, {"budget": []}, {"budget": [-5]}, {"silo_strenght": [0.5]}, {"budget": "x"}]
    ],
    *[(("grid", "silo_strength"), v) for v in [[1.5], [0.5, 0.5], ["a"]]],
    (("ranges",), {"budget": [0, 1]}),  # ranges with method grid
    *[(("params", "silo_strength"), v) for v in BAD_NUMBERS],
    (("quick",), {"samplez": 1}),
    (("hysteresis",), {"plan": "rocket", "levels": [0.2, 0.1]}),
    (("hysteresis",), {"plan": "pilot", "levels": [0.1, 0.2]}),
    (("discover",), {"plan": "rocket", "reference": "rocket"}),
    (("discover",), {"plan": "rocket", "reference": "pilot", "outcome": "vibes"}),
    (("scheduler",), ""),
]


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(data.get(key), dict):
            data[key] = {}
        data = data[key]
    data[path[-1]] = value


def mutated(base: dict[str, Any], mutations: list[Mutation], unknown_key: str | None) -> dict[str, Any]:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for path, value in mutations:
        _set(data, path, value)
    if unknown_key is not None:
        data[unknown_key] = 1
    return data


unknown_keys = st.from_regex(r"[a-z][a-z_]{1,12}", fullmatch=True)


def _run(tmp_path: Path, kind: str, data: dict[str, Any], command: list[str], capsys: Any) -> None:
    folder = tmp_path / f"case-{time.monotonic_ns()}"
    folder.mkdir()
    (folder / "org.txt").write_text("name,frontline\na,1\n")
    (folder / "bad.csv").write_text("name,frontline,frontline\na,1,2\n")
    path = folder / f"{kind}.toml"
    path.write_text(tomli_w.dumps(data))
    before = sorted(p.name for p in folder.iterdir())
    started = time.monotonic()
    code = main([*command[:1], str(path), "--out", str(folder / "out"), *command[1:]])
    seconds = time.monotonic() - started
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, (data, captured.err)
    assert lines and all(line.startswith(f"blueline {command[0]}: error: ") for line in lines), captured.err
    assert all(str(path) in line for line in lines), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert sorted(p.name for p in folder.iterdir()) == before, "something was written"
    assert seconds < 10


def test_the_unmutated_files_are_valid(tmp_path, capsys):
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(tomli_w.dumps(SCENARIO))
    assert main(["validate", str(scenario)]) == 0, capsys.readouterr().err
    experiment = tmp_path / "experiment.toml"
    experiment.write_text(tomli_w.dumps(EXPERIMENT))
    assert load_experiment(experiment).weeks == 4


FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


KINDS = {
    "scenario": (SCENARIO, SCENARIO_MUTATIONS, ScenarioFile.model_fields, "compare"),
    "experiment": (EXPERIMENT, EXPERIMENT_MUTATIONS, experiment_file().model_fields, "sweep"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@FUZZ
@given(data=st.data())
def test_malformed_files_get_clean_errors(kind, data, tmp_path_factory, capsys):
    base, mutations, known, command = KINDS[kind]
    chosen = data.draw(st.lists(st.sampled_from(mutations), min_size=1, max_size=3), label="mutations")
    unknown = data.draw(st.none() | unknown_keys.filter(lambda k: k not in known), label="unknown key")
    bad = mutated(base, chosen, unknown)
    _run(tmp_path_factory.mktemp(kind), kind, bad, [command, "--quiet", "--workers", "1"], capsys)
