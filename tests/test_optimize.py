"""``blueline optimize``: the family, the search against brute force, resuming, the TOML round trip, bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments.executors import LocalExecutor
from scenarios.cli import main
from scenarios.optimize import search as search_module
from scenarios.optimize.evaluation import Evaluation, evaluate, seeds_for
from scenarios.optimize.family import (
    dimensions,
    finite_points,
    fitted_to_horizon,
    load_family,
    plan_of,
)
from scenarios.optimize.pipeline import choose
from scenarios.optimize.search import PlanSearch, Question, plan_key
from scenarios.plans import plan_from_dict
from scenarios.runner import costing_organization
from scenarios.scenario import load_scenario
from sim import Department, ModelParams, expected_cost
from sim.interventions import LOCAL_BLOCKS, ORG_BLOCKS

LAUNCH = "import sys; from scenarios.cli import main; sys.exit(main())"

TINY = """
description = "two small departments, a year"
budget = 20000
n_seeds = 12
weeks = 60
plans = ["none", "rocket", "pilot"]
[params]
n_customers = 100
[[organization.departments]]
name = "a"
frontline = 20
[[organization.departments]]
name = "b"
frontline = 15

[optimize]
roles = [["frontline", "managers", "executives"]]
blocks = ["all", "local"]
block_level = 0.6
education = 0.6
leadership = 0.6
staging = ["simultaneous", "one_at_a_time"]
first_stage_weeks = 8
first_stage_coverage = [0.1, 0.2, 0.4]
booster = [false]
sustaining_burn = [false]
"""

SMALL = ModelParams(departments=(Department("a", 20), Department("b", 15)), n_customers=100)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def tiny_family(**changes):
    data = {
        "roles": [["frontline", "managers", "executives"]],
        "blocks": ["all", "local"],
        "block_level": 0.6,
        "education": 0.6,
        "leadership": 0.6,
        "staging": ["simultaneous", "one_at_a_time"],
        "first_stage_weeks": 8,
        "first_stage_coverage": [0.1, 0.2, 0.4],
        "booster": [False],
        "sustaining_burn": [False],
    }
    return load_family({**data, **changes}, "test")


def question(dims, target, seeds, batch=4, round_size=6, seed=0):
    return Question(
        "tiny",
        {k: d.describe() for k, d in dims.items()},
        target,
        tuple(seeds),
        "tpe",
        seed,
        batch,
        round_size,
    )


def search(folder, dims, q, weeks=60):
    return PlanSearch(folder, q, dims, SMALL, costing_organization(SMALL), weeks)


# -- the family -------------------------------------------------------------------------------------


def test_each_staging_of_the_family_builds_the_plan_its_docs_describe():
    org = costing_organization(ModelParams())
    point = {
        "roles": "frontline+managers+executives",
        "blocks": "all",
        "block_level": 0.5,
        "education": 0.6,
        "leadership": 0.4,
        "first_stage_weeks": 10,
        "first_stage_coverage": 0.2,
        "gate_above_line": 0.6,
        "gate_max_weeks": 20,
        "booster": True,
        "booster_gap_weeks": 4,
        "booster_weeks": 6,
        "booster_coverage": 0.1,
        "sustaining_burn": True,
        "burn_weeks": 50,
        "burn_coverage": 0.02,
    }
    together = plan_of({**point, "staging": "simultaneous"}, org, 260)
    first, booster, burn = together.waves
    assert (first.start, first.duration, first.every, first.advance_when) == (0, 10, 0, None)
    assert (booster.start, booster.duration, booster.coverage) == (14, 6, 0.1)
    assert (burn.start, burn.duration, burn.coverage) == (20, 50, 0.02)
    assert first.mechanisms == dict.fromkeys(LOCAL_BLOCKS + ORG_BLOCKS, 0.5)
    in_turn = plan_of({**point, "staging": "one_at_a_time"}, org, 260)
    assert in_turn.waves[0].every == 10
    assert in_turn.waves[1].start == 6 * 10 + 4  # after the last of 6 departments
    gated = plan_of({**point, "staging": "gated"}, org, 260)
    assert gated.waves[0].advance_when.above_line == 0.6
    assert gated.waves[1].start == 6 * 10 + 4  # at the plan's own pace: each stage its 10 weeks


def test_organization_wide_blocks_need_the_executives_and_late_waves_are_left_out():
    org = costing_organization(SMALL)
    point = {
        "roles": "frontline+managers",
        "blocks": "all",
        "block_level": 0.7,
        "education": 0.5,
        "leadership": 0.5,
        "staging": "simultaneous",
        "first_stage_weeks": 30,
        "first_stage_coverage": 0.1,
        "booster": True,
        "booster_gap_weeks": 40,
        "booster_weeks": 5,
        "booster_coverage": 0.1,
        "sustaining_burn": False,
    }
    plan = plan_of(point, org, 60)
    assert set(plan.waves[0].mechanisms) == set(LOCAL_BLOCKS)
    assert len(plan.waves) == 1  # the booster would start in week 70, after the 60-week horizon


def test_a_one_at_a_time_range_is_narrowed_to_the_horizon_and_a_fixed_value_refused():
    dims, notes = fitted_to_horizon(dimensions(load_family({}, "x")), 6, 104, "x")
    assert dims["first_stage_weeks"].staged_high == 20 and "at most 20 weeks" in notes[0]
    with pytest.raises(
        Exception, match=r"first_stage_weeks=30: .* week 150, after the horizon .* at most 20"
    ):
        fitted_to_horizon(dimensions(load_family({"first_stage_weeks": 30}, "x")), 6, 104, "x")


# -- the search -------------------------------------------------------------------------------------


def _stand_in(plans, params, seeds, weeks, target, executor, round_size, on_runs=None):
    """A known P(tip) for each plan: tips in proportion to coverage x block level, more when staged."""
    out = []
    for plan in plans:
        w = plan.waves[0]
        level = max(w.mechanisms.values(), default=0.0) * (1.0 if len(w.mechanisms) > 5 else 0.6)
        p = min(1.0, 3.0 * w.coverage * level + (0.15 if w.every else 0.0))
        out.append(Evaluation(len(seeds), round(p * len(seeds)), p))
    return out


def test_the_search_finds_the_cheapest_plan_that_brute_force_finds(tmp_path, monkeypatch):
    monkeypatch.setattr(search_module, "evaluate", _stand_in)
    family = tiny_family(
        first_stage_coverage=[0.1, 0.2, 0.3, 0.5],
        block_level=[0.3, 0.6, 0.9],
        staging=["one_at_a_time"],
    )
    dims = dimensions(family)
    org = costing_organization(SMALL)
    seeds = range(40)
    points = finite_points(dims)
    plans = [plan_of(p, org, 60) for p in points]
    truth = _stand_in(plans, SMALL, list(seeds), 60, 0.8, None, 6)
    reaching = [
        (expected_cost(plan, org, SMALL, 60), plan_key(plan))
        for plan, ev in zip(plans, truth, strict=True)
        if ev.lower >= 0.8
    ]
    cheapest_cost = min(reaching)[0]
    assert 0 < len(reaching) < len(points) / 3  # a real search: most of the family misses the target
    with search(tmp_path, dims, question(dims, 0.8, seeds, batch=8)).opened() as s:
        report = s.run(len(points), LocalExecutor(1))
    chosen, reaches = choose(report.trials, 0.8)
    assert reaches and chosen.cost == pytest.approx(cheapest_cost)
    assert _stand_in([chosen.plan], SMALL, list(seeds), 60, 0.8, None, 6)[0].lower >= 0.8


def test_the_search_on_real_runs_agrees_with_brute_force(tmp_path):
    family = tiny_family()
    dims = dimensions(family)
    org = costing_organization(SMALL)
    seeds = list(range(12))
    points = finite_points(dims)
    plans = [plan_of(p, org, 60) for p in points]
    with LocalExecutor(1) as executor:
        truth = evaluate(plans, SMALL, seeds, 60, 0.6, executor, round_size=6)
        reaching = [
            (expected_cost(p, org, SMALL, 60), plan_key(p))
            for p, ev in zip(plans, truth, strict=True)
            if ev.lower >= 0.6
        ]
        assert reaching and len(reaching) < len(points)
        with search(tmp_path, dims, question(dims, 0.6, seeds)).opened() as s:
            report = s.run(len(points), executor)
    chosen, reaches = choose(report.trials, 0.6)
    assert reaches and chosen.cost == pytest.approx(min(reaching)[0])
    distinct = {plan_key(t.plan) for t in report.trials}
    assert len(distinct) == len(points)  # every plan of the family tried, each run once
    assert report.runs == sum(ev.runs for ev in truth)


def test_evaluations_are_the_same_with_one_worker_or_two(tmp_path):
    dims = dimensions(tiny_family())
    results = []
    for workers in (1, 2):
        folder = tmp_path / str(workers)
        with search(folder, dims, question(dims, 0.6, range(12))).opened() as s, LocalExecutor(workers) as ex:
            report = s.run(8, ex)
        results.append([(t.number, t.point, t.cost, t.evaluation) for t in report.trials])
    assert results[0] == results[1]


def test_a_stopped_study_resumes_without_repeating_trials_and_ends_as_if_never_stopped(tmp_path):
    dims = dimensions(tiny_family(first_stage_coverage={"min": 0.05, "max": 0.5}))
    q = question(dims, 0.6, range(12))
    with LocalExecutor(1) as executor:
        with search(tmp_path / "once", dims, q).opened() as s:
            whole = s.run(12, executor)
        with search(tmp_path / "twice", dims, q).opened() as s:
            first = s.run(4, executor)
        with search(tmp_path / "twice", dims, q).opened() as s:
            second = s.run(12, executor)
    assert [t.session for t in second.trials] == [1] * 4 + [2] * 8
    assert second.new_trials == 8 and second.trials[:4] == first.trials
    ran_again = sum(t.evaluation.runs for t in second.trials[4:] if t.same_as is None)
    assert second.runs == ran_again  # nothing of the first session was run again
    assert [(t.point, t.evaluation) for t in second.trials] == [(t.point, t.evaluation) for t in whole.trials]


def _complete(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("SELECT count(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_killed_study_resumes_without_repeating_trials(tiny, tmp_path):
    def command(out):
        return [sys.executable, "-c", LAUNCH, "optimize", str(tiny), "--target", "0.6", "--n-seeds", "12",
                "--family", str(family), "--trials", "24", "--batch", "2", "--workers", "1", "--references",
                "--verify-seeds", "100", "--out", str(out), "--quiet"]  # fmt: skip

    family = tmp_path / "family.toml"
    family.write_text(
        "first_stage_coverage = { min = 0.05, max = 0.5 }\nblock_level = { min = 0.3, max = 0.9 }\n"
    )
    killed = tmp_path / "killed"
    proc = subprocess.Popen(command(killed), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _complete(killed / "study.sqlite3") < 6 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the study finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _complete(killed / "study.sqlite3")
    assert 6 <= before < 24
    again = subprocess.run(command(killed), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    whole = subprocess.run(command(tmp_path / "whole"), capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    resumed = json.loads((killed / "summary.json").read_text())
    assert resumed["trials"] == 24 and resumed["new_trials"] + resumed["resumed_trials"] <= 24 - before + 2
    killed_trials, whole_trials = (_trials(tmp_path / name) for name in ("killed", "whole"))
    assert killed_trials.equals(whole_trials)  # the same plans in the same order: none repeated, none lost


def _trials(folder: Path):
    import pandas as pd

    return pd.read_csv(folder / "trials.csv").drop(columns=["trial", "same_as", "session"])


# -- the command ------------------------------------------------------------------------------------


def test_the_chosen_plan_toml_loads_and_runs_in_compare(tiny, tmp_path, capsys):
    out = tmp_path / "opt"
    code = main(
        ["optimize", str(tiny), "--target", "0.6", "--n-seeds", "12", "--trials", "8", "--workers", "1",
         "--references", "rocket", "--verify-seeds", "100", "--out", str(out), "--quiet", "--json"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["distinct_plans"] == 8 and len(summary["verification_seeds"]) == 100
    assert min(summary["verification_seeds"]) > max(summary["evaluation_seeds"])  # fresh seeds
    assert [r["plan"] for r in summary["verification"]] == ["optimized", "rocket", "rocket_same_cost"]
    block = (out / "plan.toml").read_text()
    pasted = tmp_path / "mine.toml"
    pasted.write_text(
        TINY.split("[optimize]")[0].replace(
            'plans = ["none", "rocket", "pilot"]', 'compare = ["optimized", "rocket"]'
        )
        + block
    )
    mine = load_scenario(pasted)
    chosen = summary["chosen"]
    assert mine.plans["optimized"].waves == plan_of(chosen["point"], costing_organization(SMALL), 60).waves
    assert expected_cost(mine.plans["optimized"], costing_organization(SMALL), SMALL, 60) == pytest.approx(
        chosen["expected_cost"]
    )
    code = main(["compare", str(out / "scenario.toml"), "--out", str(tmp_path / "cmp"), "--workers", "1",
                 "--quiet", "--no-attribution", "--json"])  # fmt: skip
    compared = json.loads(capsys.readouterr().out)
    assert code == 0 and [r["plan"] for r in compared["comparison"]] == ["optimized", "rocket"]
    assert compared["comparison"][0]["expected_spend"] == pytest.approx(chosen["expected_cost"], rel=0.003)
    assert plan_from_dict("optimized", __import__("tomllib").loads(block)["plans"]["optimized"]).waves == (
        mine.plans["optimized"].waves
    )


def test_a_study_folder_of_another_question_is_refused_in_one_line(tiny, tmp_path, capsys):
    args = ["optimize", str(tiny), "--n-seeds", "12", "--trials", "2", "--workers", "1", "--references",
            "--verify-seeds", "100", "--out", str(tmp_path / "o"), "--quiet"]  # fmt: skip
    assert main([*args, "--target", "0.6"]) == 0
    capsys.readouterr()
    assert main([*args, "--target", "0.7"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "target differs: 0.6 there, 0.7 now" in err[0] and "--restart" in err[0]
    assert main([*args, "--target", "0.7", "--restart"]) == 0


@pytest.mark.parametrize(
    ("extra", "family", "expected"),
    [
        (["--target", "1"], "", "--target 1: must be a probability strictly between 0 and 1"),
        (["--target", "0"], "", "--target 0: must be a probability strictly between 0 and 1"),
        (["--target", "-0.2"], "", "--target -0.2: must be a probability strictly between 0 and 1"),
        (["--target", "0.9", "--n-seeds", "20"], "", "--target 0.9 needs at least 35 evaluation seeds"),
        (["--verify-seeds", "50"], "", "--verify-seeds 50: must be a whole number in [100,"),
        (
            [],
            'roles = [["frontline", "bosses"]]',
            "family.toml: roles[0][1]='bosses': allowed: frontline, managers or executives",
        ),
        ([], "first_stage_coverage = -0.1", "family.toml: first_stage_coverage=-0.1: must be >= 0"),
        (
            [],
            "blocks = ['everything']",
            "family.toml: blocks[0]='everything': allowed: none, local, organization or all",
        ),
        (
            [],
            "booster_weeks = { min = 9, max = 3 }",
            "family.toml: booster_weeks: min=9 is above max=3; give min <= max",
        ),
        ([], "stagng = ['gated']", "family.toml: stagng: unknown key; did you mean 'staging'?"),
        (
            [],
            "first_stage_weeks = 'long'",
            "family.toml: first_stage_weeks='long': must be a number (fixed), a list",
        ),
        (["--references", "rockett"], "", "--references rockett: unknown plan; allowed:"),
    ],
)
def test_bad_targets_and_families_get_one_line_and_exit_2(tiny, tmp_path, capsys, extra, family, expected):
    args = ["optimize", str(tiny), "--out", str(tmp_path / "o"), "--quiet", *extra]
    if family:
        (tmp_path / "family.toml").write_text(family + "\n")
        args += ["--family", str(tmp_path / "family.toml")]
    os.chdir(tmp_path)  # the family file named as given
    args = [a.replace(str(tmp_path) + "/family.toml", "family.toml") for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("blueline optimize: error: ") and expected in err[0]
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_a_bad_optimize_table_in_a_scenario_names_the_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace("block_level = 0.6", "block_level = 1.5"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}: optimize.block_level=1.5: must be <= 1" in err[0]


def test_the_default_evaluation_seeds_can_reach_the_target():
    for target in (0.5, 0.8, 0.9, 0.95):
        n = seeds_for(target)
        assert Evaluation(n, n, 1.0).lower >= target > Evaluation(n - 1, n - 1, 1.0).lower
