"""One tidy, self-describing schema: compare and sweep outputs read together by DuckDB, as the README shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from scenarios.cli import main
from scenarios.tidy import RUN_COLUMNS, provenance, tidy_weekly

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """
description = "a small sweep for the schema test"
scenario = "classroom"
plans = ["none", "rocket"]
seeds = 2
weeks = 8
outputs = "weekly"
[grid]
budget = [10000, 40000]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    args = ["--workers", "1", "--quiet"]
    assert (
        main(
            ["compare", "classroom", "--weeks", "8", "--n-seeds", "2", "--out", str(root / "compare"), *args]
        )
        == 0
    )
    (root / "sweep.toml").write_text(SWEEP)
    assert main(["sweep", str(root / "sweep.toml"), "--out", str(root / "sweep"), *args]) == 0
    return root


def readme_query() -> str:
    """The DuckDB query of the README, as written there."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sql\n(.*?)```", text, re.S)
    assert block, "README has no ```sql block"
    return block.group(1)


def test_readme_duckdb_query_reads_compare_and_sweep_together(results, monkeypatch):
    monkeypatch.chdir(results)
    query = readme_query().replace("results/default", "compare").replace("results/budget-sweep", "sweep")
    table = duckdb.sql(query).df()
    compare = pd.read_parquet(results / "compare" / "runs.parquet")
    sweep = pd.concat(pd.read_parquet(p) for p in sorted((results / "sweep" / "runs").glob("*.parquet")))
    assert table["runs"].sum() == len(compare) + len(sweep) == len(compare) + 2 * 2 * 2
    assert set(table["source"]) == {"classroom", "sweep"}  # the compare's scenario, the sweep's experiment


def test_per_run_tables_share_their_columns_and_key_types(results):
    compare = pq.read_schema(results / "compare" / "runs.parquet")
    sweep = pq.read_schema(next((results / "sweep" / "runs").glob("*.parquet")))
    assert compare.names == sweep.names
    assert compare.names[: len(RUN_COLUMNS)] == list(RUN_COLUMNS)
    for name, kind in RUN_COLUMNS.items():
        assert compare.field(name).type == sweep.field(name).type == kind


def test_weekly_tables_are_long_with_no_dotted_names_and_money_in_currency(results):
    weekly = duckdb.sql(
        f"SELECT * FROM read_parquet(['{results}/compare/weekly.parquet', '{results}/sweep/weekly/*.parquet'])"
    ).df()
    assert not [c for c in weekly.columns if "." in c]
    assert {"run_id", "week", "group", "above_line", "cost_currency"} <= set(weekly.columns)
    assert "cost" not in weekly.columns
    groups = set(weekly["group"])
    assert "all" in groups and {"role:frontline", "role:managers", "role:executives"} <= groups
    assert any(g.startswith("department:") for g in groups)


def test_tidy_weekly_splits_groups_without_losing_values():
    wide = {
        "above_line": [0.1, 0.2],
        "above_line.sales": [0.3, 0.4],
        "above_line.managers": [0.5, 0.6],
        "cost": [1, 2],
    }
    long = tidy_weekly("r", wide).set_index(["group", "week"])
    assert long.loc[("all", 1), "above_line"] == 0.2
    assert long.loc[("department:sales", 0), "above_line"] == 0.3
    assert long.loc[("role:managers", 1), "above_line"] == 0.6
    assert long.loc[("all", 1), "cost_currency"] == 2
    assert pd.isna(long.loc[("department:sales", 0), "cost_currency"])


def test_parquet_files_carry_parameters_seeds_scenario_and_versions(results):
    compare = provenance(results / "compare" / "runs.parquet")
    assert compare["kind"] == "compare" and json.loads(compare["seeds"]) == [0, 1]
    assert json.loads(compare["params"])["silo_strength"] >= 0
    assert "[organization]" in compare["scenario_toml"] or "organization" in compare["scenario_toml"]
    assert "numpy" in json.loads(compare["versions"])
    sweep = provenance(next((results / "sweep" / "weekly").glob("*.parquet")))
    assert sweep["kind"] == "sweep" and json.loads(sweep["definition"])["grid"] == {"budget": [10000, 40000]}
    kv = duckdb.sql(f"SELECT key FROM parquet_kv_metadata('{results}/compare/runs.parquet')").fetchall()
    assert (b"blueline.scenario_toml",) in kv
