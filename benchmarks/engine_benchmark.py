"""Speed of the simulation core: the compiled run against the readable engines, and large organizations.

Run by hand: ``.venv/bin/python benchmarks/engine_benchmark.py [--baseline REV] [--skip-large]``.
Every ratio is measured within this one run, on the same seed (rocket plan,
default organization, 260 weeks), and the numbers are compared:

- cold compile (empty cache) and warm start (cache load), each in a fresh process;
- the compiled engine against the per-agent Mesa engine of this checkout, and
  against the vectorized and per-agent engines of ``--baseline`` (a git
  revision from before the compiled engine, exported to a temporary folder
  and run in a subprocess with the same interpreter);
- time against ties for 1k, 10k and 100k staff (two customers per person),
  each in its own process for its peak RSS (best of 3 runs), build time printed apart;
- ``blueline --help``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_RUN = r"""
import json, sys, time
import numpy as np
from scenarios.plans import builtin_plans
from sim import CultureModel, ModelParams
engine, repeats, weeks, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
plan = builtin_plans()["rocket"]
CultureModel(ModelParams(), plan, engine=engine, rng=seed).run(2)  # compile or load the cache first
best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    model = CultureModel(ModelParams(), plan, engine=engine, rng=seed)
    model.run(weeks)
    best = min(best, time.perf_counter() - start)
np.savez(out, **{k: np.asarray(v, dtype=float) for k, v in model.weekly().items()})
print(json.dumps({"seconds": best}))
"""

START = r"""
import json, time
start = time.perf_counter()
from sim import CultureModel
model = CultureModel(rng=1)
model.run(260)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

LARGE = r"""
import gc, json, resource, sys, time
from sim import CultureModel, Department, ModelParams
staff, weeks, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
n_dept = max(6, staff // 5000)
front = round(staff / n_dept / 1.1)
params = ModelParams(
    departments=tuple(Department(f"d{k:02d}", front) for k in range(n_dept)),
    n_customers=2 * staff,
    p_within=min(0.25, 16.0 / (1.1 * front)),  # about 60 ties a person: 6M ties at 100,000 staff
)
CultureModel(ModelParams(), rng=0).run(2)  # load the compiled code
built = ran = float("inf")
for _ in range(int(sys.argv[4])):  # best of repeats, as for the default run
    model = None
    gc.collect()  # the previous run's model goes before the next is built: peak RSS is one run's
    start = time.perf_counter()
    model = CultureModel(params, rng=seed)
    built = min(built, time.perf_counter() - start)
    start = time.perf_counter()
    model.run(weeks)
    ran = min(ran, time.perf_counter() - start)
ties = int(model.organization.within.nnz + model.organization.across.nnz)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"staff": model.organization.n_staff, "customers": params.n_customers, "ties": ties,
                  "build": built, "run": ran, "rss_mb": rss}))
"""


def python(code: str, *args: object, env: dict[str, str] | None = None, path: Path = ROOT) -> dict:
    full = {**os.environ, "PYTHONPATH": str(path), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=full, cwd=path
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def export(rev: str, into: Path) -> Path:
    """The sim/ and scenarios/ packages of ``rev``, unpacked into ``into``."""
    blob = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "sim", "scenarios"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def before_compiled_engine() -> str:
    """The revision just before sim/compiled.py was added."""
    added = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%H", "--", "sim/compiled.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return f"{added[-1]}~1"


def same(a: Path, b: Path) -> bool:
    import numpy as np

    x, y = np.load(a), np.load(b)
    return set(x.files) == set(y.files) and all(np.array_equal(x[k], y[k], equal_nan=True) for k in x.files)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline", default=None, help="git revision of the readable engines to compare with"
    )
    parser.add_argument("--skip-large", action="store_true", help="skip the 100,000-staff run")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory(prefix="engine-benchmark-") as tmp:
        tmp_path = Path(tmp)
        cache = {"BLUELINE_CACHE_DIR": str(tmp_path / "cache")}
        cold = python(START, env=cache)["seconds"]
        warm = python(START, env=cache)["seconds"]
        print(
            f"import + build + 260-week default run, fresh process: cold cache {cold:.1f} s, warm {warm:.2f} s"
        )

        runs = {}
        for label, engine, repeats, path in (
            ("compiled", "compiled", 5, ROOT),
            ("agents", "agents", 1, ROOT),
        ):
            out = tmp_path / f"{label}.npz"
            runs[label] = (
                python(DEFAULT_RUN, engine, repeats, args.weeks, args.seed, out, env=cache, path=path)[
                    "seconds"
                ],
                out,
            )
        baseline = args.baseline or before_compiled_engine()
        old = export(baseline, tmp_path / "baseline")
        for label, engine, repeats in (
            ("baseline vectorized", "vectorized", 3),
            ("baseline agents", "agents", 1),
        ):
            out = tmp_path / f"{label.replace(' ', '-')}.npz"
            runs[label] = (
                python(DEFAULT_RUN, engine, repeats, args.weeks, args.seed, out, path=old)["seconds"],
                out,
            )

        fast, fast_out = runs["compiled"]
        print(
            f"\ndefault organization, rocket, {args.weeks} weeks, seed {args.seed} (best of repeats; baseline {baseline}):"
        )
        for label, (seconds, out) in runs.items():
            ratio = seconds / fast
            print(
                f"  {label:<20} {seconds * 1000:9.1f} ms  {ratio:7.1f}x the compiled run   same numbers: {same(out, fast_out)}"
            )

        print("\ntime against ties (two customers per person), one process each, best of 3:")
        sizes = (1_000, 10_000) if args.skip_large else (1_000, 10_000, 100_000)
        for staff in sizes:
            r = python(LARGE, staff, args.weeks, args.seed, 3, env=cache)
            print(
                f"  {r['staff']:>7} staff {r['customers']:>7} customers {r['ties']:>9} ties: build {r['build']:6.2f} s,"
                f" {args.weeks} weeks {r['run']:6.2f} s ({r['run'] / r['ties'] * 1e9 / args.weeks:5.1f} ns per tie-week),"
                f" peak RSS {r['rss_mb']:5.0f} MB"
            )

    blueline = Path(sys.executable).with_name("blueline")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([str(blueline), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(f"\nblueline --help: {min(times):.2f} s (best of 5)")


if __name__ == "__main__":
    main()
