"""Declared inputs: every problem at once, did-you-mean, shipped JSON Schemas and docs kept in step."""

from __future__ import annotations

import ast
import dataclasses
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from experiments.definition import builtin_experiments, load_experiment
from scenarios.cli import main
from scenarios.inputs import InputError
from scenarios.scenario import builtin_scenarios, load_scenario
from scenarios.schemas import input_files_markdown, json_schema, json_schema_text, shipped_schema
from sim import ParameterError, Wave

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_MODULES = ["scenarios/scenario.py", "scenarios/outputs.py", "experiments/definition.py"]
LIBRARY_MODULES += ["experiments/executors.py", "experiments/store.py"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_problem_in_a_scenario_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        "bad.toml",
        'budget = -1\nweeks = 1.5\nplan = ["none"]\n[params]\nsilo_strength = [0.5]\nspan = 0\n',
    )
    with pytest.raises(InputError) as err:
        load_scenario(path)
    problems = err.value.problems
    assert len(problems) == 5
    assert all(p.startswith(f"{path}: ") and "\n" not in p for p in problems)
    fields = [p.removeprefix(f"{path}: ").split(":")[0] for p in problems]
    assert sorted(fields) == sorted(
        ["budget=-1", "weeks=1.5", "params.span=0", "params.silo_strength=[0.5]", "plan"]
    )


def test_misspelt_key_gets_a_did_you_mean_and_a_far_one_does_not(tmp_path):
    near = write(tmp_path, "near.toml", 'budget = 1\nplans = ["none"]\nwekes = 52\n')
    far = write(tmp_path, "far.toml", 'budget = 1\nplans = ["none"]\nzzz = 52\n')
    with pytest.raises(InputError, match="wekes: unknown key; did you mean 'weeks'\\? allowed: name"):
        load_scenario(near)
    with pytest.raises(InputError) as err:
        load_scenario(far)
    assert "did you mean" not in str(err.value) and "zzz: unknown key; allowed:" in str(err.value)


def test_misspelt_plan_and_department_get_a_did_you_mean(tmp_path):
    path = write(
        tmp_path,
        "s.toml",
        'budget = 1\ncompare = ["rockett", "x"]\n[plans.x]\n[[plans.x.waves]]\nstart = 0\nduration = 2\n'
        'departments = ["call_centre"]\n',
    )
    with pytest.raises(InputError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "compare: unknown plan 'rockett'; did you mean 'rocket'?" in text


def test_input_error_is_a_parameter_error_so_one_except_catches_both():
    assert issubclass(InputError, ParameterError)


@pytest.mark.parametrize("module", LIBRARY_MODULES)
def test_library_modules_raise_the_library_error_not_the_command_lines(module):
    tree = ast.parse((ROOT / module).read_text())
    from_cli = {
        a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "scenarios.cli"
        for a in n.names
    }
    assert "UsageError" not in from_cli


def test_a_bound_is_declared_once_and_python_and_files_report_it_alike(tmp_path):
    with pytest.raises(ParameterError) as from_python:
        Wave(0, 4, coverage=2.0)
    path = write(
        tmp_path,
        "s.toml",
        "budget = 1\n[plans.x]\n[[plans.x.waves]]\nstart = 0\nduration = 4\ncoverage = 2.0\n",
    )
    with pytest.raises(InputError) as from_file:
        load_scenario(path)
    assert str(from_python.value) == "wave.coverage=2.0: must be <= 1"
    assert str(from_file.value) == f"{path}: plans.x.waves[0].coverage=2.0: must be <= 1"


def test_a_python_construction_reports_every_problem_at_once_with_a_did_you_mean():
    with pytest.raises(ParameterError) as err:
        Wave(-1, 0, advance_when={"above_line": 0.5, "max_week": 3})
    assert err.value.problems == [
        "wave.start=-1: must be >= 0",
        "wave.duration=0: must be >= 1",
        "wave.advance_when.max_weeks: missing; required",
        "wave.advance_when.max_week: unknown key; did you mean 'max_weeks'? allowed: above_line, max_weeks",
    ]


@pytest.mark.parametrize("kind", ["scenario", "organization", "plans", "experiment", "family"])
def test_shipped_schema_is_the_one_the_declared_types_give(kind):
    assert shipped_schema(kind) == json_schema_text(kind), f"regenerate: blueline schema {kind}"


def test_docs_tables_are_the_ones_the_declared_types_give():
    assert (ROOT / "docs" / "input-files.md").read_text() == input_files_markdown()


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_builtin_scenarios_pass_their_json_schema(name):
    text = (ROOT / "scenarios" / "builtin" / f"{name}.toml").read_text()
    jsonschema.validate(tomllib.loads(text), json_schema("scenario"))


@pytest.mark.parametrize("name", sorted(builtin_experiments()))
def test_builtin_experiments_pass_their_json_schema(name):
    text = (ROOT / "experiments" / "builtin" / f"{name}.toml").read_text()
    jsonschema.validate(tomllib.loads(text), json_schema("experiment"))


def test_json_schema_refuses_what_the_loader_refuses():
    schema = json_schema("scenario")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"budget": 1, "plans": ["none"], "wekes": 3}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"budget": -1, "plans": ["none"]}, schema)


def test_schema_command_prints_json_and_markdown(capsys):
    assert main(["schema", "scenario"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "blueline scenario file"
    assert main(["schema", "experiment", "--markdown"]) == 0
    assert "| `discover.tolerance` | number | `0.1` | [0, 1] |" in capsys.readouterr().out


def test_toml_written_back_is_checked_and_reloads(tmp_path):
    from scenarios.scenario import scenario_to_toml

    original = load_scenario("classroom")
    again = load_scenario(write(tmp_path, "again.toml", scenario_to_toml(original, complete=True)))
    assert dataclasses.replace(again, source="") == dataclasses.replace(original, source="")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "scenario: missing; required"),
        ('scenario = "classroom"\nseeds = [1, 1]\n', "seeds=[1, 1]: seed 1 appears twice; must not repeat"),
        (
            'scenario = "classroom"\n[quick]\nsamplez = 3\n',
            "quick.samplez: unknown key; did you mean 'samples'?",
        ),
        (
            'scenario = "classroom"\n[hysteresis]\nplan = "rocket"\nlevels = [0.3, 0.1]\n',
            "must be distinct coverages",
        ),
        (
            'scenario = "classroom"\nplans = ["rocket"]\n[discover]\nplan = "rocket"\nreference = "rocket"\n',
            "must differ",
        ),
    ],
)
def test_bad_experiment_file_names_file_and_field(text, expected, tmp_path):
    path = write(tmp_path, "e.toml", text)
    with pytest.raises(InputError) as err:
        load_experiment(path)
    assert all(p.startswith(str(path)) for p in err.value.problems)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00bad"), "not UTF-8 text"),
    ],
)
def test_a_scenario_path_that_is_not_a_text_file_is_named_for_what_it_is(make, expected, tmp_path):
    path = tmp_path / "s.toml"
    make(path)
    with pytest.raises(InputError, match=expected):
        load_scenario(path)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    import os

    path = tmp_path / "s.toml"
    os.mkfifo(path)
    with pytest.raises(InputError, match="not a regular file"):
        load_scenario(path)


def test_byte_order_marks_are_accepted_in_toml_and_csv(tmp_path):
    write(tmp_path, "org.csv", "\ufeffname,frontline\nfront,30\n")
    path = tmp_path / "s.toml"
    path.write_text('\ufeffbudget = 1\nplans = ["none"]\norganization = "org.csv"\n')
    assert load_scenario(path).params.department_names == ("front",)


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("name,frontline,frontline\na,10,10\n", "columns must be name,frontline[,customer_share], each once"),
        ("name,frontline\na,10,99\n", "line 2: 3 values; the header has 2"),
        ("name,frontline,customer_share\na,10,inf\n", "line 2: customer_share=inf: must be a finite number"),
        (
            "name,frontline,customer_share\na,10,1e308\n",
            "line 2: customer_share=1e+308: must be <= 1,000,000",
        ),
        ("name,frontline\na,ten\n", "line 2: frontline='ten': must be a whole number"),
        ("name,frontline\na,3\na,4\n", "department name 'a' appears twice"),
    ],
)
def test_organization_csv_problems_are_named_by_line(csv_text, expected, tmp_path):
    write(tmp_path, "org.csv", csv_text)
    path = write(tmp_path, "s.toml", 'budget = 1\nplans = ["none"]\norganization = "org.csv"\n')
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert expected in str(err.value)
    assert all(p.startswith(f"{path}: organization file org.csv: ") for p in err.value.problems)
