"""Sweep throughput: runs per second of the default organization on 1 and 2 workers.

Run by hand: ``.venv/bin/python benchmarks/sweep_benchmark.py [--runs 1000] [--dask]``.
Each measurement is a full sweep into a fresh temporary results folder (worker
start-up, plan scaling and Parquet writing included): the pilot and the rocket
at the default scenario's budget, 260 weeks, summary rows only. It reports
runs per second for each worker count, the scaling from 1 to 2 workers
(target: at least 1.8x), and the wall time of a 1,000-run sweep of the
default organization on 2 workers, start-up included (target: at most 15 s
on 2 cores), and checks that every executor wrote the same rows. A 2-run
sweep first fills the compiled code's cache for exactly the plans swept
(timed apart), so neither timing pays for compilation.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from experiments.definition import Experiment, experiment_from_dict
from experiments.executors import DaskExecutor, LocalExecutor
from experiments.store import ResultStore
from experiments.sweep import run_sweep


def experiment(runs: int) -> Experiment:
    seeds = max(1, runs // 2)
    return experiment_from_dict(
        {
            "scenario": "default",
            "plans": ["pilot", "rocket"],
            "seeds": seeds,
            "weeks": 260,
            "outputs": "summary",
        },
        source="benchmark",
        name="sweep-benchmark",
    )


def timed(
    label: str, executor: LocalExecutor | DaskExecutor, runs: int, root: Path
) -> tuple[float, pd.DataFrame]:
    out = root / label
    start = time.perf_counter()
    report = run_sweep(experiment(runs), out, executor, progress=False)
    seconds = time.perf_counter() - start
    rate = report.ran / seconds
    print(f"{label:>22}: {report.ran} runs in {seconds:6.1f} s wall (start-up included) = {rate:5.1f} runs/s")
    return rate, ResultStore(out).read_summary().drop(columns="code_version")  # "-dirty" if edited meanwhile


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1000, help="runs per measurement (default 1000)")
    parser.add_argument("--dask", action="store_true", help="also time a 2-worker Dask LocalCluster")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"load average before: {load:.2f} on {os.cpu_count()} CPUs (numbers are only meaningful on an idle machine)"
    )
    with tempfile.TemporaryDirectory(prefix="sweep-benchmark-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        run_sweep(experiment(2), root / "warm-up", LocalExecutor(1), progress=False)
        print(f"warm-up (2 runs, compiles what the cache lacks): {time.perf_counter() - start:.1f} s")
        one, rows_one = timed("1 process", LocalExecutor(1), args.runs, root)
        two, rows_two = timed("2 processes", LocalExecutor(2), args.runs, root)
        pd.testing.assert_frame_equal(rows_one, rows_two)
        if args.dask:
            _, rows_dask = timed("Dask LocalCluster (2)", DaskExecutor(local_workers=2), args.runs, root)
            pd.testing.assert_frame_equal(rows_one, rows_dask)
    print(f"scaling 1 -> 2 workers: x{two / one:.2f} (target >= 1.8)")
    estimate = 1000 / two
    verdict = "within" if estimate <= 15 else "OVER"
    print(f"1,000-run sweep of the default org on 2 workers: {estimate:.1f} s ({verdict} the 15 s target)")
    print("rows identical across executors: yes")


if __name__ == "__main__":
    main()
