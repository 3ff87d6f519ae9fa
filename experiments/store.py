"""Sweep results on disk: a folder of Parquet files, written chunk by chunk, never half-written.

Layout of a results folder::

    OUT/experiment.json        what was run (the experiment's tables, code version)
    OUT/runs/part-*.parquet    one row per run summary
    OUT/weekly/part-*.parquet  one row per run and week (experiments with outputs = "weekly")

Each finished chunk of runs becomes one new file, written under a temporary
name and renamed, weekly table first: a run counts as finished once its
summary row exists. Reading drops repeated rows (a run redone after a crash
between the two files gives identical rows) and sorts by run id (and week),
so the table is the same whatever the executor, the worker count or the
order chunks finished in. A chunk file that cannot be read (truncated,
empty, overwritten) is moved aside as ``*.corrupt`` when a sweep resumes,
and its runs are run again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.inputs import InputError
from scenarios.outputs import SWEEP, mark_folder
from scenarios.tidy import RUN_COLUMNS, SCHEMA_VERSION, WEEKLY_KEYS, arrow_table

MANIFEST = "experiment.json"
SUMMARY_DIR = "runs"
WEEKLY_DIR = "weekly"
LOCK = ".lock"
SCHEMA_KEY = b"blueline.schema_version"


class ResultStore:
    """A results folder (created on first write)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.summary_dir = self.root / SUMMARY_DIR
        self.weekly_dir = self.root / WEEKLY_DIR
        self._lock_file: Any = None

    # -- manifest ------------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any] | None:
        """The experiment this folder holds, or None for a new folder."""
        path = self.root / MANIFEST
        if not path.is_file():
            return None
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError) as err:
            raise InputError(f"{path}: unreadable results manifest: {err}") from None

    def check_experiment(self, name: str) -> None:
        """Refuse a folder that holds another experiment's results, or results of another output schema.

        A sweep resumed there would mix rows of two schemas in one table.
        """
        found = self.manifest()
        if found is not None and found.get("name") != name:
            raise InputError(
                f"{self.root}: holds results of experiment {found.get('name')!r}, not {name!r}; choose another --out"
            )
        other = sorted(self.schema_versions() - {SCHEMA_VERSION})
        if other:
            raise InputError(
                f"{self.root}: holds results written with output schema {', '.join(other)}; this blueline writes"
                f" schema {SCHEMA_VERSION} and will not mix the two: choose another --out, or delete the folder to run the sweep again"
            )

    def schema_versions(self) -> set[str]:
        """The output schema versions of the chunk files here (``unversioned`` for files from before versioning)."""
        found = set()
        for part in _parts(self.summary_dir) + _parts(self.weekly_dir):
            try:
                meta = pq.read_schema(part).metadata or {}
            except (pa.ArrowException, OSError):
                continue  # an unreadable file is moved aside and its runs redone
            found.add(meta.get(SCHEMA_KEY, b"unversioned").decode())
        return found

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.root / MANIFEST, json.dumps(manifest, indent=2, default=str).encode())

    # -- writing -------------------------------------------------------------------------------
    def lock(self) -> None:
        """Hold the folder for one sweep at a time; clear temporary files a killed sweep left."""
        mark_folder(self.root, SWEEP)
        handle = open(self.root / LOCK, "a+")  # noqa: SIM115 - held until unlock()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise InputError(
                f"{self.root}: another sweep is writing to this folder; wait for it or use another --out"
            ) from None
        self._lock_file = handle
        for folder in (self.summary_dir, self.weekly_dir):
            if folder.is_dir():
                for stale in folder.glob(".*.tmp"):
                    stale.unlink(missing_ok=True)

    def unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def quarantine_unreadable(self) -> list[str]:
        """Move chunk files that cannot be read aside (``part-*.parquet.corrupt``) so their runs are redone.

        Each file's footer and run ids (and weeks) are read. Returns one line per file moved.
        """
        notes = []
        for folder, columns in ((self.summary_dir, ["run_id"]), (self.weekly_dir, ["run_id", "week"])):
            for part in _parts(folder):
                problem = _unreadable(part, columns)
                if problem is None:
                    continue
                aside = part.with_name(part.name + ".corrupt")
                try:
                    os.replace(part, aside)
                except FileNotFoundError:  # another sweep moved it first
                    continue
                notes.append(
                    f"{part}: unreadable ({problem}); moved aside to {aside.name}, its runs will be run again"
                )
        return notes

    def write_chunk(
        self,
        summaries: list[dict[str, Any]],
        weekly: list[pd.DataFrame],
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Add one chunk of finished runs (per-week rows first, then the summaries that mark them done).

        ``metadata`` goes into each Parquet file's key-value metadata (see :mod:`scenarios.tidy`).
        """
        if not summaries:
            return
        ids = sorted(row["run_id"] for row in summaries)
        name = "part-" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16] + ".parquet"
        if weekly:
            table = pd.concat([pd.DataFrame(w) for w in weekly], ignore_index=True)
            _write_parquet(self.weekly_dir / name, table, WEEKLY_KEYS, metadata or {})
        _write_parquet(self.summary_dir / name, pd.DataFrame(summaries), RUN_COLUMNS, metadata or {})

    # -- reading -------------------------------------------------------------------------------
    def finished_ids(self, need_weekly: bool = False) -> set[str]:
        """Run ids with a summary row (and, if asked, per-week rows)."""
        done = _ids(self.summary_dir)
        return done & _ids(self.weekly_dir) if need_weekly else done

    def read_summary(self, run_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """Summary rows, one per run, sorted by run id (only ``run_ids`` if given)."""
        frame = _read(self.summary_dir, run_ids)
        if frame.empty:
            return frame
        frame = frame.drop_duplicates("run_id")
        return frame.sort_values("run_id", kind="stable").reset_index(drop=True)

    def read_weekly(self, run_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """Per-week rows sorted by run id and week (only ``run_ids`` if given)."""
        frame = _read(self.weekly_dir, run_ids)
        if frame.empty:
            return frame
        frame = frame.drop_duplicates(["run_id", "week"])
        return frame.sort_values(["run_id", "week"], kind="stable").reset_index(drop=True)


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def _unreadable(part: Path, columns: list[str]) -> str | None:
    """Why a chunk file cannot be used, or None if its footer and key columns read."""
    try:
        table = pq.read_table(part, columns=columns)
    except (pa.ArrowException, OSError, ValueError, KeyError) as err:
        text = str(err).strip()
        return text.splitlines()[0] if text else type(err).__name__
    if table.column("run_id").null_count:
        return "run ids missing"
    return None


def _ids(folder: Path) -> set[str]:
    out: set[str] = set()
    for part in _parts(folder):
        out.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
    return out


def _read(folder: Path, run_ids: Iterable[str] | None) -> pd.DataFrame:
    wanted = None if run_ids is None else set(run_ids)
    frames = []
    for part in _parts(folder):
        frame = pq.read_table(part).to_pandas()
        if wanted is not None:
            frame = frame[frame["run_id"].isin(wanted)]
        frames.append(frame)
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _write_parquet(path: Path, frame: pd.DataFrame, keys: Any, metadata: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(arrow_table(frame, keys, metadata), tmp)
    os.replace(tmp, path)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
