"""One schema for every results table on disk, shared by ``compare``, ``run`` and ``sweep``.

Per-run table (``runs``): one row per run with the columns of
:data:`RUN_COLUMNS` (what was run: scenario or experiment, plan, budget,
seed, horizon, swept parameters as a JSON object, code version) then the
model's outcomes. Weekly table (``weekly``): long, one row per run, week and
group — ``all`` (the whole organization, every metric), ``department:NAME``
and ``role:ROLE`` (the metrics measured per group) — so its columns do not
change with the organization and no name has a dot. Money columns end in
``_currency``. Each Parquet file carries in its key-value metadata what
produced it (``blueline.*`` keys: parameters, seeds, scenario or experiment
text, versions), so a file copied alone still says where it came from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA_VERSION = "1"

RUN_COLUMNS: dict[str, pa.DataType] = {
    "run_id": pa.string(),
    "scenario": pa.string(),
    "experiment": pa.string(),
    "point": pa.int64(),
    "plan": pa.string(),
    "budget_currency": pa.float64(),
    "seed": pa.int64(),
    "weeks": pa.int64(),
    "swept": pa.string(),
    "expected_spend_currency": pa.float64(),
    "code_version": pa.string(),
}
"""The leading columns of every per-run table, with their types (outcomes follow)."""

WEEKLY_KEYS: dict[str, pa.DataType] = {"run_id": pa.string(), "week": pa.int64(), "group": pa.string()}
WHOLE = "all"
ROLES = ("frontline", "managers", "executives")

CURRENCY = frozenset(
    {
        "cost",
        "cost_people",
        "cost_coaching",
        "cost_mechanisms",
        "cumulative_cost",
        "revenue",
        "new_revenue",
        "churned_revenue",
        "total_revenue",
        "total_cost",
        "revenue_last_year",
        "expected_spend",
        "budget",
    }
)
"""Metrics and outcomes measured in currency: on disk their names end in ``_currency``."""


def with_unit(name: str) -> str:
    return f"{name}_currency" if name in CURRENCY else name


def run_row(
    run_id: str,
    plan: str,
    seed: int,
    weeks: int,
    summary: Mapping[str, Any],
    *,
    scenario: str,
    budget: float | None,
    code_version: str,
    experiment: str | None = None,
    point: int | None = None,
    swept: Mapping[str, Any] | None = None,
    expected_spend: float | None = None,
) -> dict[str, Any]:
    """One row of the per-run table: the run's inputs in :data:`RUN_COLUMNS` order, then its outcomes."""
    row: dict[str, Any] = {
        "run_id": run_id,
        "scenario": scenario,
        "experiment": experiment,
        "point": point,
        "plan": plan,
        "budget_currency": np.nan if budget is None else float(budget),
        "seed": int(seed),
        "weeks": int(weeks),
        "swept": json.dumps(dict(swept or {}), sort_keys=True),
        "expected_spend_currency": np.nan if expected_spend is None else float(expected_spend),
        "code_version": code_version,
    }
    row.update({with_unit(k): v for k, v in summary.items() if k != "weeks"})
    return row


def runs_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def swept_columns(runs: pd.DataFrame) -> pd.DataFrame:
    """The per-run table with each swept parameter as a column of its own (for analyses)."""
    if runs.empty or "swept" not in runs:
        return runs
    swept = pd.DataFrame([json.loads(s) for s in runs["swept"]], index=runs.index)
    return pd.concat([runs, swept.drop(columns=[c for c in swept if c in runs])], axis=1)


def tidy_weekly(run_id: str, weekly: Mapping[str, Iterable[float]]) -> pd.DataFrame:
    """One run's weekly columns (``above_line``, ``above_line.call_center``...) as long rows by group."""
    groups: dict[str, dict[str, Any]] = {WHOLE: {}}
    for name, values in weekly.items():
        metric, _, group = name.partition(".")
        key = WHOLE if not group else (f"role:{group}" if group in ROLES else f"department:{group}")
        groups.setdefault(key, {})[with_unit(metric)] = np.asarray(list(values), dtype=float)
    n = len(next(iter(groups[WHOLE].values())))
    frames = [
        pd.DataFrame({"run_id": run_id, "week": np.arange(n), "group": group, **columns})
        for group, columns in groups.items()
    ]
    return pd.concat(frames, ignore_index=True)


def whole_organization(weekly: pd.DataFrame) -> pd.DataFrame:
    """The ``all`` rows of a tidy weekly table: one row per run and week, every whole-organization metric."""
    if weekly.empty:
        return weekly
    rows = weekly[weekly["group"] == WHOLE].drop(columns="group").dropna(axis=1, how="all")
    return rows.reset_index(drop=True)


def arrow_table(
    frame: pd.DataFrame, keys: Mapping[str, pa.DataType], metadata: Mapping[str, Any]
) -> pa.Table:
    """The frame as Arrow with the key columns' types fixed and ``blueline.*`` key-value metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name, kind in keys.items():
        if name in table.column_names:
            index = table.column_names.index(name)
            table = table.set_column(index, pa.field(name, kind), table.column(name).cast(kind))
    extra = {
        f"blueline.{k}": v if isinstance(v, str) else json.dumps(v, default=str) for k, v in metadata.items()
    }
    extra["blueline.schema_version"] = SCHEMA_VERSION
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})


def write_parquet(
    frame: pd.DataFrame, path: Path, keys: Mapping[str, pa.DataType], metadata: Mapping[str, Any]
) -> None:
    """Write a results table as Parquet with fixed key types and provenance metadata (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(arrow_table(frame, keys, metadata), tmp)
    os.replace(tmp, path)


def provenance(path: Path) -> dict[str, str]:
    """The ``blueline.*`` key-value metadata of a Parquet file, keys without the prefix."""
    meta = pq.read_schema(path).metadata or {}
    return {
        k.decode().removeprefix("blueline."): v.decode()
        for k, v in meta.items()
        if k.startswith(b"blueline.")
    }
