"""Batch sweeps and their analyses: same rows on any executor, resumable, right statistics, clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments.atlas import NO_WINNER, atlas_table
from experiments.definition import load_experiment
from experiments.discovery import grow_tree, leaf_rules
from experiments.executors import DaskExecutor, LocalExecutor
from experiments.runs import plan_runs
from experiments.store import ResultStore
from experiments.sweep import run_sweep
from experiments.tipping import critical_budget, critical_table, tipping_table
from scenarios.cli import main
from scenarios.comparison import compare
from scenarios.tidy import swept_columns, whole_organization

TINY = """
description = "tiny sweep for the tests"
scenario = "classroom"
plans = ["pilot", "rocket"]
seeds = 2
weeks = {weeks}
outputs = "weekly"
method = "grid"

[grid]
budget = [10000, 40000]
silo_strength = [0.7, 0.9]
"""


def tiny(tmp_path: Path, weeks: int = 12, name: str = "tiny", extra: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(TINY.format(weeks=weeks) + extra)
    return path


def raw_summary_rows(out: Path) -> pd.DataFrame:
    """Every summary row on disk, duplicates included."""
    parts = sorted((out / "runs").glob("part-*.parquet"))
    return pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)


def folder_state(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# -- executors and resuming ---------------------------------------------------------------------------


def test_sweep_rows_identical_with_one_process_two_processes_and_dask(tmp_path: Path) -> None:
    experiment = load_experiment(tiny(tmp_path))
    frames = {}
    for label, executor in (
        ("one", LocalExecutor(1)),
        ("two", LocalExecutor(2)),
        ("dask", DaskExecutor(local_workers=2)),
    ):
        out = tmp_path / label
        report = run_sweep(experiment, out, executor, progress=False)
        assert report.ran == report.total == 16
        store = ResultStore(out)
        frames[label] = (store.read_summary(), store.read_weekly())
    summary, weekly = frames["one"]
    assert len(summary) == 16 and summary["run_id"].is_unique
    assert set(summary["plan"]) == {"pilot", "rocket"} and set(summary["seed"]) == {0, 1}
    assert {"budget_currency", "swept", "code_version", "tipped", "final_above_line"} <= set(summary)
    assert {"budget", "silo_strength"} <= set(swept_columns(summary))
    assert len(whole_organization(weekly)) == 16 * 13  # week 0 to week 12 of each run
    for label in ("two", "dask"):
        pd.testing.assert_frame_equal(frames[label][0], summary)
        pd.testing.assert_frame_equal(frames[label][1], weekly)


def test_run_ids_are_stable_and_distinct(tmp_path: Path) -> None:
    first = [s.run_id for s in plan_runs(load_experiment(tiny(tmp_path)))]
    again = [s.run_id for s in plan_runs(load_experiment(tiny(tmp_path)))]
    longer = [s.run_id for s in plan_runs(load_experiment(tiny(tmp_path, weeks=13, name="longer")))]
    assert first == again
    assert len(set(first)) == len(first)
    assert not set(first) & set(longer)


def test_sweep_stopped_after_some_runs_resumes_each_run_once(tmp_path: Path) -> None:
    experiment = load_experiment(tiny(tmp_path))
    out = tmp_path / "stopped"
    first = run_sweep(experiment, out, LocalExecutor(1), max_runs=5, progress=False)
    assert (first.ran, first.complete) == (5, False)
    assert len(raw_summary_rows(out)) == 5
    second = run_sweep(experiment, out, LocalExecutor(2), progress=False)
    assert (second.already, second.ran, second.complete) == (5, 11, True)
    rows = raw_summary_rows(out)
    assert len(rows) == 16 and rows["run_id"].is_unique
    third = run_sweep(experiment, out, LocalExecutor(1), progress=False)
    assert third.ran == 0
    reference = tmp_path / "reference"
    run_sweep(experiment, reference, LocalExecutor(1), progress=False)
    pd.testing.assert_frame_equal(ResultStore(out).read_summary(), ResultStore(reference).read_summary())
    pd.testing.assert_frame_equal(ResultStore(out).read_weekly(), ResultStore(reference).read_weekly())


def test_killed_sweep_resumes_each_run_once(tmp_path: Path) -> None:
    path = tmp_path / "killable.toml"
    path.write_text(TINY.format(weeks=30).replace("seeds = 2", "seeds = 8"))
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "scenarios.cli",
        "sweep",
        str(path),
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    done_before = len(raw_summary_rows(out))
    experiment = load_experiment(path)
    total = len(plan_runs(experiment))
    assert 0 < done_before < total, "the kill should land part-way through the sweep"
    report = run_sweep(experiment, out, LocalExecutor(1), progress=False)
    assert report.already == done_before and report.ran == total - done_before
    rows = raw_summary_rows(out)
    assert len(rows) == total and rows["run_id"].is_unique
    assert not list(out.rglob("*.tmp"))


# -- statistics -----------------------------------------------------------------------------------------


def synthetic_rows(tipped_by_budget: dict[str, list[int]], budgets: list[float], n: int) -> pd.DataFrame:
    rows = []
    for plan, counts in tipped_by_budget.items():
        for budget, k in zip(budgets, counts, strict=True):
            for seed in range(n):
                rows.append(
                    {
                        "plan": plan,
                        "budget": budget,
                        "seed": seed,
                        "tipped": seed < k,
                        "final_above_line": float(seed < k),
                        "final_culture_index": 0.5,
                    }
                )
    return pd.DataFrame(rows)


def test_tipping_probability_and_critical_budget_from_known_rows() -> None:
    budgets = [0.0, 100.0, 200.0, 300.0]
    rows = synthetic_rows({"early": [2, 3, 4, 4], "late": [0, 1, 3, 4], "never": [0, 0, 1, 1]}, budgets, n=4)
    table = tipping_table(rows)
    late = table[table["plan"] == "late"].sort_values("budget")
    assert late["p_tip"].tolist() == [0.0, 0.25, 0.75, 1.0]
    assert late["runs"].tolist() == [4, 4, 4, 4]
    assert late["ci_low"].iloc[1] == pytest.approx(0.0456, abs=1e-4)
    critical = critical_table(table).set_index("plan")
    assert critical.loc["late", "critical_budget"] == pytest.approx(150.0)
    assert critical.loc["late", "status"] == "interpolated"
    assert critical.loc["early", "critical_budget"] == 0.0
    assert critical.loc["early", "status"] == "at or below lowest budget"
    assert (
        np.isnan(critical.loc["never", "critical_budget"])
        and critical.loc["never", "status"] == "not reached"
    )


def test_critical_budget_uses_first_crossing_and_unsorted_budgets() -> None:
    budget, status = critical_budget([300, 100, 200, 0], [0.9, 0.2, 0.6, 0.0])
    assert status == "interpolated" and budget == pytest.approx(100 + 0.3 / 0.4 * 100)


def atlas_rows(cells: dict[float, tuple[int, int]], n: int, b_above: float = 0.0) -> pd.DataFrame:
    """Run rows of plans a and b over silo_strength cells: (a's tips, b's tips) on seeds 0..n-1."""
    rows = []
    for point, (silo, (a_tips, b_tips)) in enumerate(cells.items()):
        for plan, tips, above in (("a", a_tips, 0.0), ("b", b_tips, b_above)):
            rows += [
                {
                    "point": point,
                    "silo_strength": silo,
                    "budget": 100.0,
                    "plan": plan,
                    "seed": s,
                    "tipped": s < tips,
                    "final_above_line": above + 0.01 * s,
                }
                for s in range(n)
            ]
    return pd.DataFrame(rows)


def test_atlas_cell_winner_needs_a_clear_difference() -> None:
    clear = atlas_table(atlas_rows({0.5: (8, 0)}, 8)).iloc[0]
    assert clear["winner"] == "a" and clear["basis"] == "tipping probability"
    assert atlas_table(atlas_rows({0.5: (5, 4)}, 8)).iloc[0]["winner"] == NO_WINNER
    by_share = atlas_table(atlas_rows({0.5: (0, 0)}, 8, b_above=0.5)).iloc[0]
    assert by_share["winner"] == "b" and by_share["basis"] == "final above-the-line share"
    assert atlas_table(atlas_rows({0.5: (1, 0)}, 1)).iloc[0]["winner"] == NO_WINNER


def test_atlas_holm_correction_spans_every_cell() -> None:
    # 8 of 8 seeds one way: p = 2 / 2**8 = 0.0078, clear alone (x2 tests) but not over 10 cells (x20)
    alone = atlas_table(atlas_rows({0.5: (8, 0)}, 8))
    many = atlas_table(atlas_rows({0.1 * k: (8, 0) for k in range(10)}, 8))
    assert alone.iloc[0]["winner"] == "a" and alone.iloc[0]["holm_tests"] == 2
    assert (many["winner"] == NO_WINNER).all() and (many["holm_tests"] == 20).all()
    assert many.iloc[0]["p_holm"] == pytest.approx(20 * 2 * 0.5**8)


def test_compare_and_atlas_agree_on_the_same_cell() -> None:
    rows = atlas_rows({0.5: (9, 2), 0.9: (3, 3)}, 12, b_above=0.2)
    table = atlas_table(rows).set_index("silo_strength")
    for silo in (0.5, 0.9):
        cell = rows[rows["silo_strength"] == silo]
        alone = atlas_table(cell).iloc[0]
        summary = cell.assign(
            weeks_to_tip=np.nan, final_loyalty=0.0, total_revenue=0.0, total_attrition=0.0, total_cost=0.0
        )
        result = compare(summary, ["a", "b"], {"a": 0.0, "b": 0.0})
        assert result.verdict.best == alone["leader"]
        assert result.verdict.criterion == alone["basis"]
        assert result.verdict.p_value == pytest.approx(alone["p_holm"])
        assert (alone["winner"] != NO_WINNER) == result.verdict.clear
        assert result.ranking[0] == table.loc[silo, "leader"]
        # the two-cell atlas corrects over twice the tests: never a smaller p
        assert table.loc[silo, "p_holm"] >= alone["p_holm"]


def test_discovery_tree_finds_the_box_where_plans_match() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, size=(400, 3))
    y = (x[:, 1] > 0.6) & (x[:, 2] < 0.5)
    rules = leaf_rules(grow_tree(x, y, max_depth=2, min_leaf=10), ["a", "b", "c"])
    best = rules[0]
    assert best["match_rate"] == 1.0
    assert str(best["conditions"]).startswith("b > ") and " and c <= " in str(best["conditions"])
    assert best["b.low"] == pytest.approx(0.6, abs=0.03) and best["c.high"] == pytest.approx(0.5, abs=0.03)
    assert best["b.high"] == np.inf and best["c.low"] == -np.inf and best["a.low"] == -np.inf
    assert sum(int(r["runs"]) for r in rules) == 400


# -- commands ------------------------------------------------------------------------------------------

ANALYSES = {
    "tipping": ["tipping.png", "tipping.csv", "critical-budget.csv"],
    "atlas": ["atlas.png", "atlas.csv"],
    "hysteresis": ["hysteresis.png", "hysteresis.csv", "hysteresis-folds.csv"],
    "sensitivity": ["sensitivity.png", "sensitivity.csv"],
    "discover": ["discover.png", "discover.csv"],
}


@pytest.fixture(scope="module")
def quick_runs() -> dict[str, Path]:
    """Results folders of the analyses run at --quick size, each made once per module."""
    return {}


def quick(command: str, runs: dict[str, Path], root: Path) -> Path:
    if command not in runs:
        out = root / command
        assert main([command, "--quick", "--out", str(out), "--workers", "1", "--quiet"]) == 0
        runs[command] = out
    return runs[command]


@pytest.mark.parametrize("command", sorted(ANALYSES))
def test_analysis_command_writes_plot_and_table_on_quick(
    command: str, quick_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = quick(command, quick_runs, tmp_path_factory.mktemp("quick"))
    for name in ANALYSES[command]:
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert len(pd.read_csv(path)) > 0
    if command != "sensitivity":  # a second call reads the results already there and runs nothing
        before = folder_state(out / "runs")
        assert main([command, "--out", str(out), "--workers", "1", "--quiet"]) == 0
        assert folder_state(out / "runs") == before


def test_hysteresis_quick_table_has_both_branches(
    quick_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = quick("hysteresis", quick_runs, tmp_path_factory.mktemp("quick"))
    table = pd.read_csv(out / "hysteresis.csv")
    experiment = load_experiment("hysteresis", quick=True)
    levels = experiment.hysteresis.levels if experiment.hysteresis else ()
    assert sorted(table[table["branch"] == "up"]["coverage"]) == sorted(levels)
    assert sorted(table[table["branch"] == "down"]["coverage"]) == sorted(levels[:-1])
    assert set(table["runs"]) == {len(experiment.seeds)}


def test_tipping_quick_table_counts_every_run(
    quick_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = quick("tipping", quick_runs, tmp_path_factory.mktemp("quick"))
    table = pd.read_csv(out / "tipping.csv")
    experiment = load_experiment("budget-sweep", quick=True)
    assert len(table) == len(experiment.plans) * len(experiment.grid["budget"])
    assert set(table["runs"]) == {len(experiment.seeds)}
    assert ((table["ci_low"] <= table["p_tip"]) & (table["p_tip"] <= table["ci_high"])).all()


# -- bad input -----------------------------------------------------------------------------------------

BAD = {
    "unknown parameter": (
        "[grid]\nbudget = [1000]\nsilo_strenght = [0.5]\n",
        "grid.silo_strenght: unknown key; did you mean 'silo_strength'?",
    ),
    "empty grid": ("[grid]\nbudget = []\n", "grid.budget=[]: needs at least 1 item"),
    "empty range": (
        'method = "lhs"\nsamples = 8\n[ranges]\nsilo_strength = [0.9, 0.9]\n',
        "ranges.silo_strength=[0.9, 0.9]: empty range",
    ),
    "value out of bounds": ("[grid]\nsilo_strength = [0.5, 1.5]\n", "grid.silo_strength=1.5: must be <= 1"),
    "sobol too small": (
        'method = "sobol"\nsamples = 2\n[ranges]\nbudget = [0, 1000]\n',
        "samples=2: too small for sobol",
    ),
    "sobol not power of 2": (
        'method = "sobol"\nsamples = 12\n[ranges]\nbudget = [0, 1000]\n',
        "sobol needs a power of 2",
    ),
    "morris too small": (
        'method = "morris"\nsamples = 1\n[ranges]\nbudget = [0, 1000]\n',
        "samples=1: too small for morris",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_gives_one_line_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body, expected = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(f'scenario = "classroom"\nplans = ["rocket"]\nseeds = 1\nweeks = 4\n{body}')
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("blueline sweep: error: ") and str(path) in err and expected in err
    assert not out.exists()


def test_unknown_experiment_lists_the_built_ins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "no-such-sweep"]) == 2
    err = capsys.readouterr().err
    assert "budget-sweep" in err and "silo-atlas" in err


def test_unreachable_scheduler_fails_fast_and_leaves_results_intact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny(tmp_path)
    out = tmp_path / "partial"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--max-runs", "4", "--quiet"]) == 0
    before = folder_state(out)
    capsys.readouterr()
    code = main(["sweep", str(path), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert folder_state(out) == before


def test_a_sweep_is_not_resumed_into_results_of_an_older_output_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = tiny(tmp_path), tmp_path / "old"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--max-runs", "2", "--quiet"]) == 0
    for part in (out / "runs").glob("part-*.parquet"):  # as a blueline from before schema versions wrote it
        table = pq.read_table(part)
        kept = {k: v for k, v in table.schema.metadata.items() if k != b"blueline.schema_version"}
        pq.write_table(table.replace_schema_metadata(kept), part)
    before = folder_state(out)
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert (
        f"{out}: holds results written with output schema unversioned; this blueline writes schema 1" in err
    )
    assert "choose another --out" in err
    assert folder_state(out) == before


def test_results_folder_of_another_experiment_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shared"
    assert (
        main(
            ["sweep", str(tiny(tmp_path)), "--out", str(out), "--workers", "1", "--max-runs", "1", "--quiet"]
        )
        == 0
    )
    before = folder_state(out)
    capsys.readouterr()
    assert (
        main(["sweep", str(tiny(tmp_path, name="other")), "--out", str(out), "--workers", "1", "--quiet"])
        == 2
    )
    assert "holds results of experiment 'tiny'" in capsys.readouterr().err
    assert folder_state(out) == before
