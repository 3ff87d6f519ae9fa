"""Running an experiment's sweep: resumable, streamed to Parquet, with a progress bar.

Re-running the same sweep skips the runs already in the results folder (by
run id), so a sweep killed half-way loses at most the chunks in flight and
repeats nothing.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.definition import Experiment, experiment_from_dict
from experiments.executors import DaskExecutor, LocalExecutor
from experiments.runs import RunSpec, code_version, plan_runs
from experiments.store import ResultStore
from scenarios.outputs import versions
from scenarios.progress import progress as progress_of
from scenarios.scenario import scenario_to_toml
from scenarios.tidy import swept_columns, whole_organization

MAX_CHUNK = 20
"""Most runs in one chunk (one Parquet file): a crash loses at most this many per worker."""


@dataclass
class SweepReport:
    """What a sweep did.

    Attributes
    ----------
    total : int
        Runs in the experiment.
    already : int
        Runs found finished in the results folder.
    ran : int
        Runs done now.
    seconds : float
        Wall time of the runs done now.
    out : Path
        The results folder.
    """

    total: int
    already: int
    ran: int
    seconds: float
    out: Path

    @property
    def complete(self) -> bool:
        return self.already + self.ran >= self.total


def chunked(specs: list[RunSpec], slots: int, max_chunk: int = MAX_CHUNK) -> list[list[RunSpec]]:
    """Split runs into contiguous chunks, about eight per worker slot, at most ``max_chunk`` each."""
    if not specs:
        return []
    size = max(1, min(max_chunk, math.ceil(len(specs) / (8 * max(1, slots)))))
    return [specs[k : k + size] for k in range(0, len(specs), size)]


def manifest_of(experiment: Experiment) -> dict[str, Any]:
    """What a results folder records about its experiment (enough to analyse it again later).

    The scenario is recorded by built-in name or absolute path, so the
    manifest reads the same from any folder.
    """
    definition = dict(experiment.definition)
    scenario_source = experiment.scenario.source
    definition["scenario"] = (
        scenario_source.removeprefix("builtin:")
        if scenario_source.startswith("builtin:")
        else str(Path(scenario_source).resolve())
    )
    return {
        "name": experiment.name,
        "description": experiment.description,
        "source": experiment.source,
        "quick": experiment.quick,
        "definition": definition,
        "code_version": code_version(),
    }


def parquet_metadata(experiment: Experiment) -> dict[str, Any]:
    """What each results file records about the sweep that wrote it (``blueline.*`` Parquet metadata)."""
    manifest = manifest_of(experiment)
    return {
        "kind": "sweep",
        "experiment": experiment.name,
        "scenario": experiment.scenario.name,
        "source": experiment.source,
        "seeds": list(experiment.seeds),
        "params": dataclasses.asdict(experiment.params),
        "definition": manifest["definition"],
        "scenario_toml": scenario_to_toml(experiment.scenario, complete=True),
        "versions": versions(),
    }


def experiment_from_manifest(manifest: dict[str, Any], where: str) -> Experiment:
    """The experiment a results folder holds, rebuilt from its manifest."""
    experiment = experiment_from_dict(dict(manifest["definition"]), source=where, name=str(manifest["name"]))
    return replace(experiment, quick=bool(manifest.get("quick", False)))


def run_sweep(
    experiment: Experiment,
    out: str | Path,
    executor: LocalExecutor | DaskExecutor | None = None,
    max_runs: int | None = None,
    progress: bool = True,
) -> SweepReport:
    """Run the experiment's unfinished runs, writing each finished chunk to ``out``.

    Parameters
    ----------
    executor : LocalExecutor or DaskExecutor, optional
        Where to run (default: local processes, one per CPU). A Dask executor
        connects before anything is written, so an unreachable scheduler
        leaves the folder as it was.
    max_runs : int, optional
        Do at most this many new runs now (re-run the sweep to do the rest).
    progress : bool
        Show a progress bar with an ETA on stderr.

    Raises
    ------
    InputError
        The folder holds another experiment, is being written by another
        sweep, or the scheduler cannot be reached.
    """
    specs = plan_runs(experiment)
    store = ResultStore(out)
    store.check_experiment(experiment.name)
    for note in store.quarantine_unreadable():
        print(note, file=sys.stderr)
    done = store.finished_ids(need_weekly=experiment.keep_weekly)
    todo = [s for s in specs if s.run_id not in done]
    already = len(specs) - len(todo)
    if max_runs is not None:
        todo = todo[: max(0, max_runs)]
    report = SweepReport(len(specs), already, 0, 0.0, Path(out))
    if not todo:
        if store.manifest() is None:
            store.write_manifest(manifest_of(experiment))
        return report
    executor = executor if executor is not None else LocalExecutor()
    start = time.perf_counter()
    with executor:
        store.lock()
        try:
            store.write_manifest(manifest_of(experiment))
            chunks = chunked(todo, executor.slots())
            metadata = parquet_metadata(experiment)
            with progress_of(already + len(todo), experiment.name, progress, initial=already) as bar:
                for result in executor.map_chunks(chunks):
                    store.write_chunk(result.summaries, result.weekly, metadata)
                    report.ran += len(result.summaries)
                    bar.update(len(result.summaries))
        finally:
            store.unlock()
            report.seconds = time.perf_counter() - start
    return report


def load_results(experiment: Experiment, out: str | Path, weekly: bool = False) -> pd.DataFrame:
    """The experiment's rows found in ``out``, sorted by run id, as the analyses read them.

    Summary rows get each swept parameter (``budget`` included) as a column;
    per-week rows are the whole organization's (group ``all``).
    """
    store = ResultStore(out)
    ids = [s.run_id for s in plan_runs(experiment)]
    if weekly:
        return whole_organization(store.read_weekly(ids))
    return swept_columns(store.read_summary(ids))
