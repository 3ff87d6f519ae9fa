"""The ``blueline`` scenario commands, end to end (subprocesses on the small ``classroom`` scenario)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scenarios.cli import main
from scenarios.plans import builtin_plans
from scenarios.scenario import load_scenario
from scenarios.study import run_study, tidy_tables
from scenarios.tidy import whole_organization

LAUNCH = "import sys; from scenarios.cli import main; sys.exit(main())"
OUTPUT_FILES = {
    "runs.parquet",
    "runs.csv",
    "weekly.parquet",
    "weekly.csv",
    "comparison.csv",
    "pairs.csv",
    "pairs.png",
    "report.md",
    "scenario.toml",
    "versions.json",
    "above_line.png",
    "above_line.csv",
    "rungs.png",
    "rungs.csv",
    "departments.png",
    "departments.csv",
    "customers.png",
    "customers.csv",
}


def blueline(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_compare_writes_report_tables_and_plots(tmp_path):
    out = tmp_path / "cmp"
    done = blueline(
        "compare", "classroom", "--weeks", "30", "--n-seeds", "2", "--workers", "2", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} >= OUTPUT_FILES
    assert "Verdict:" in done.stdout and f"main plot: {out / 'above_line.png'}" in done.stdout
    assert "note: rocket:" in done.stdout  # the short horizon cuts the rocket's sustaining burn
    weekly = pd.read_parquet(out / "weekly.parquet")
    assert len(whole_organization(weekly)) == 3 * 2 * 31
    assert list(weekly.columns[:3]) == ["run_id", "week", "group"]
    assert pd.read_csv(out / "weekly.csv").shape == weekly.shape
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs["plan"]) == ["none", "none", "pilot", "pilot", "rocket", "rocket"]
    report = (out / "report.md").read_text()
    assert "| plan" in report and "Verdict:" in report and "expected spend" in report
    assert "Power: with 2 paired seeds" in report and "## Every pair of plans" in report
    # the echoed scenario is the scenario as run, and loads again
    again = blueline("validate", str(out / "scenario.toml"))
    assert again.returncode == 0, again.stderr
    assert "2 seeds; 30 weeks" in again.stdout
    assert "cut_at_horizon = true" in (out / "scenario.toml").read_text()
    rerun = run_study(load_scenario(out / "scenario.toml"), workers=1, progress=False)
    assert runs["experiment"].isna().all() and runs["point"].isna().all()  # a compare, not a sweep
    compare_only = ["experiment", "point"]
    pd.testing.assert_frame_equal(
        tidy_tables(rerun)[0].drop(columns=compare_only), runs.drop(columns=compare_only), check_dtype=False
    )
    # no temporary folder left: only the link and the one versioned folder it points to
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cmp", os.readlink(out)])


def test_compare_gives_identical_tables_with_one_or_two_workers(tmp_path):
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        done = blueline(
            "compare",
            "classroom",
            "--weeks",
            "12",
            "--seeds",
            "4",
            "--workers",
            workers,
            "--out",
            str(out),
            "--no-attribution",
        )
        assert done.returncode == 0, done.stderr
        tables.append((pd.read_parquet(out / "runs.parquet"), pd.read_parquet(out / "weekly.parquet")))
    pd.testing.assert_frame_equal(tables[0][0], tables[1][0])
    pd.testing.assert_frame_equal(tables[0][1], tables[1][1])


def test_run_one_plan_prints_each_seed(tmp_path):
    out = tmp_path / "one"
    done = blueline(
        "run", "classroom", "--plan", "rocket", "--seeds", "0", "1", "--weeks", "20", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    spend = re.search(r"rocket on classroom: expected spend ([\d,]+) \(budget 40,000\)", done.stdout)
    assert spend is not None
    # 20 weeks hold only part of the rocket: it spends the budget within 1%, or says it cannot
    if abs(float(spend.group(1).replace(",", "")) - 40_000) > 400:
        assert "note: rocket cannot spend the budget" in done.stdout
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs["seed"]) == [0, 1] and set(runs["plan"]) == {"rocket"}
    assert (out / "above_line.png").stat().st_size > 10_000


def test_listing_commands_show_builtins(capsys):
    scenarios = blueline("scenarios")
    assert scenarios.returncode == 0
    for name in ("default", "classroom", "top-down", "training-only-trap", "sponsored-pilot"):
        assert any(line.startswith(name + " ") for line in scenarios.stdout.splitlines())
    assert main(["plans"]) == 0
    plans = capsys.readouterr().out
    assert {line.split()[0] for line in plans.splitlines()} >= {"none", "pilot", "rocket", "top_down"}


def test_validate_reports_ok_or_the_error(tmp_path, capsys):
    assert main(["validate", "classroom"]) == 0
    assert capsys.readouterr().out.startswith("ok: classroom")
    bad = tmp_path / "bad.toml"
    bad.write_text('budget = 1\nplans = ["none", "moonshot"]\n')
    done = blueline("validate", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"blueline validate: error: {bad}: plans: unknown plan 'moonshot'; allowed: "
        f"{', '.join(builtin_plans())} (or define [plans.moonshot])"
    ]


@pytest.mark.parametrize("command", ["compare", "explain", "run", "scenarios", "plans", "validate"])
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "examples:" in capsys.readouterr().out


BAD_FILES = {
    "malformed": ('budget = 1\nplans = ["none"\n', "malformed TOML"),
    "unknown_plan": ('budget = 1\nplans = ["moonshot"]\n', "unknown plan 'moonshot'"),
    "unknown_department": (
        'budget = 1\n[plans.x]\n[[plans.x.waves]]\nstart = 0\nduration = 2\ndepartments = ["nope"]\n',
        "plans.x.waves[0].departments: unknown department 'nope'",
    ),
    "negative_budget": ('budget = -1\nplans = ["rocket"]\n', "budget=-1: must be >= 0 (currency)"),
    "late_wave": (
        "budget = 1\nweeks = 10\n[plans.x]\n[[plans.x.waves]]\nstart = 12\nduration = 2\n",
        "plans.x.waves[0].start=12: starts after the horizon weeks=10",
    ),
    "no_frontline": (
        'budget = 1\nplans = ["none"]\n[[organization.departments]]\nname = "a"\nfrontline = 0\n',
        "organization.departments[0].frontline=0: must be >= 1 (people)",
    ),
    "unknown_parameter": (
        'budget = 1\nplans = ["none"]\n[params]\nbogus = 1\n',
        "params.bogus: unknown key",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("command", ["compare", "run"])
def test_bad_input_exits_2_with_one_line_and_no_output_folder(case, command, tmp_path, capsys):
    text, expected = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    out = tmp_path / "results" / "out"
    assert main([command, str(path), "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"blueline {command}: error: {path}: ")
    assert expected in lines[0]
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--budget", "-3"], "--budget=-3.0: must be >= 0 (currency)"),
        (["--workers", "0"], "--workers 0: must be a whole number >= 1"),
        (["--n-seeds", "0"], "--n-seeds 0: must be a whole number in [1, 100,000]"),
        (["--weeks", "0"], "--weeks=0: must be >= 1 (weeks)"),
        (["--min-effect", "2"], "--min-effect 2: must be a share in [0, 1]"),
    ],
)
def test_bad_command_line_values_exit_2_and_keep_the_old_folder(args, expected, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous results")
    assert main(["compare", "classroom", "--out", str(out), "--quiet", *args]) == 2
    assert expected in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "keep.txt").read_text() == "previous results"


def test_run_with_unknown_plan_lists_the_allowed_ones(tmp_path, capsys):
    assert main(["run", "classroom", "--plan", "moonshot", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "--plan moonshot: unknown plan; allowed: none, pilot" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
