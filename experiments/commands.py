"""The experiment sub-commands of ``blueline``: sweep, tipping, atlas, hysteresis, sensitivity, discover.

Each analysis runs its built-in experiment (or the one named), resuming the
sweep in its results folder if runs are missing, then writes a PNG and a CSV
table beside the results and prints the table's gist.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments.definition import BUDGET, Experiment, builtin_experiments, load_experiment
from scenarios.commands import add_executor_options, add_min_effect, min_effect
from scenarios.inputs import InputError
from scenarios.outputs import SWEEP, check_destination, default_output, mark_folder, output_name
from scenarios.runner import default_workers
from scenarios.size_guard import estimate, refuse_if_too_big

if TYPE_CHECKING:
    import pandas as pd

    from experiments.sweep import SweepReport

# pandas, the store, the executors and the model are imported inside the
# commands that run something, so `blueline --help` starts fast.

RAW = argparse.RawDescriptionHelpFormatter


def register(subparsers: Any) -> None:
    """Add the experiment sub-commands to ``blueline``."""
    names = ", ".join(builtin_experiments())
    p = subparsers.add_parser(
        "sweep",
        help="run an experiment's sweep (resumable; local processes or a Dask cluster)",
        description="Run every point x plan x seed of an experiment and stream the results to a Parquet "
        "dataset in the output folder (one file per finished chunk). Re-running the same command "
        f"skips finished runs. Built-in experiments: {names}.",
        epilog="examples:\n"
        "  blueline sweep budget-sweep --workers 2\n"
        "  blueline sweep silo-atlas --local-cluster 2 --out results/atlas\n"
        "  blueline sweep my_sweep.toml --scheduler tcp://scheduler-host:8786\n"
        "  blueline sweep budget-sweep --quick",
        formatter_class=RAW,
    )
    p.add_argument("experiment", help="built-in experiment name or .toml file")
    _common(p)
    p.add_argument("--max-runs", type=int, metavar="N", help="do at most N new runs now (re-run to finish)")
    p.set_defaults(func=cmd_sweep)

    analyses = (
        (
            "tipping",
            "budget-sweep",
            "tipping probability vs budget per plan (S-curves), critical budget",
            cmd_tipping,
        ),
        ("atlas", "silo-atlas", "which plan wins over silo_strength x budget", cmd_atlas),
        (
            "hysteresis",
            "hysteresis",
            "culture as the push is stepped up then down: the two branches",
            cmd_hysteresis,
        ),
        (
            "sensitivity",
            "sensitivity-morris and sensitivity-sobol",
            "Morris screening and Sobol indices",
            cmd_sensitivity,
        ),
        (
            "discover",
            "discover",
            "parameter ranges where the pilot matches the rocket, as rules",
            cmd_discover,
        ),
    )
    for command, default, help_text, func in analyses:
        p = subparsers.add_parser(
            command,
            help=help_text,
            description=f"{help_text[0].upper()}{help_text[1:]}. Runs the experiment (default: {default}) "
            "unless its results are already in the output folder, then writes "
            f"{command}.png and {command}.csv there."
            + (
                " Each experiment's results go in a subfolder named after it."
                if command == "sensitivity"
                else ""
            ),
            epilog=f"examples:\n  blueline {command}\n  blueline {command} --quick --out /tmp/{command}\n"
            f"  blueline {command} --out results/mine      # reads the results already there",
            formatter_class=RAW,
        )
        p.add_argument("experiment", nargs="?", help=f"experiment name or .toml file (default: {default})")
        _common(p)
        if command == "atlas":
            add_min_effect(p)
        p.set_defaults(func=func)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="results folder (default: results/EXPERIMENT[-quick]); must be new, empty or written by blueline",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it holds other files (never the working, home or root folder)",
    )
    p.add_argument(
        "--quick", action="store_true", help="the experiment's tiny size (seconds; used by the tests)"
    )
    add_executor_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--allow-long", action="store_true", help="run even if the size guard estimates more than an hour"
    )
    p.add_argument(
        "--json", action="store_true", help="print the results tables as JSON on stdout (text goes to stderr)"
    )


# -- shared steps ------------------------------------------------------------------------------------


def _experiment(args: argparse.Namespace, default: str, out: Path | None) -> Experiment:
    """The named experiment, else the one already in ``out``, else the built-in default."""
    from experiments.store import ResultStore
    from experiments.sweep import experiment_from_manifest

    if args.experiment is None and out is not None:
        manifest = ResultStore(out).manifest()
        if manifest is not None:
            return experiment_from_manifest(manifest, str(out / "experiment.json"))
    return load_experiment(args.experiment or default, quick=args.quick)


def _out(args: argparse.Namespace, experiment: Experiment) -> Path:
    """The results folder, checked before anything runs."""
    if args.out is not None:
        out = Path(args.out)
    else:
        out = default_output(experiment.name, experiment.source, "-quick" if experiment.quick else "")
    check_destination(out, SWEEP, args.force)
    return out


def _sweep(
    args: argparse.Namespace, experiment: Experiment, out: Path, max_runs: int | None = None
) -> SweepReport:
    from experiments.executors import make_executor
    from experiments.sweep import run_sweep

    scheduler = args.scheduler
    if scheduler is None and args.workers is None and args.local_cluster is None:
        scheduler = experiment.scheduler
    _guard(args, experiment, scheduler)
    executor = make_executor(args.workers, scheduler, args.local_cluster)
    report = run_sweep(experiment, out, executor, max_runs=max_runs, progress=not args.quiet)
    if report.ran:
        rate = report.ran / report.seconds if report.seconds else float("nan")
        print(
            f"{experiment.name}: ran {report.ran} runs in {report.seconds:.1f} s on {executor.label} "
            f"({rate:.1f} runs/s); {report.already} were already done"
        )
    return report


def _guard(args: argparse.Namespace, experiment: Experiment, scheduler: str | None) -> None:
    """Refuse, before any work, a sweep that cannot fit or (unless allowed) is very long.

    On a cluster the memory checked is this machine's, per run: a fair stand-in for one worker's.
    """
    from experiments.sampling import largest_params, point_count

    runs = point_count(experiment) * len(experiment.seeds) * len(experiment.plans)
    workers = 1 if scheduler else (args.workers or args.local_cluster or default_workers())
    cost = estimate(largest_params(experiment), runs, experiment.weeks, workers)
    refuse_if_too_big(cost, experiment.source, args.allow_long)


def _prepare(args: argparse.Namespace, default: str) -> tuple[Experiment, Path, pd.DataFrame]:
    from experiments.sweep import load_results

    experiment = _experiment(args, default, args.out)
    out = _out(args, experiment)
    _sweep(args, experiment, out)
    return experiment, out, load_results(experiment, out)


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix) that replaces it once written."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with _replacing(path) as tmp:
        frame.to_csv(tmp, index=False)


def _title(experiment: Experiment) -> str:
    seeds = len(experiment.seeds)
    quick = ", quick size" if experiment.quick else ""
    return f"{experiment.name}: scenario {experiment.scenario.name}, {experiment.weeks} weeks, {seeds} seeds per point{quick}"


def _require(experiment: Experiment, ok: bool, what: str) -> None:
    if not ok:
        raise InputError(f"{experiment.source}: {what}")


def _wrote(args: argparse.Namespace, name: str, tables: dict[str, pd.DataFrame], *paths: Path) -> None:
    """Name the files written; with ``--json``, print the analysis' tables as one JSON document."""
    print("wrote " + ", ".join(str(p) for p in paths))
    if args.json:
        from scenarios.json_output import emit

        emit({"experiment": name, "files": list(paths), **tables}, args.json_out)


def cmd_sweep(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment, quick=args.quick)
    out = _out(args, experiment)
    if args.max_runs is not None and args.max_runs < 1:
        raise InputError(f"--max-runs {args.max_runs}: must be a whole number >= 1")
    report = _sweep(args, experiment, out, max_runs=args.max_runs)
    left = report.total - report.already - report.ran
    state = "complete" if left == 0 else f"{left} runs left: run the same command again to finish"
    print(f"{experiment.name}: {report.total} runs, {state}; results in {out}")
    if args.json:
        from scenarios.json_output import emit

        emit(
            {
                "experiment": experiment.name,
                "runs": report.total,
                "ran": report.ran,
                "already": report.already,
                "out": out,
            },
            args.json_out,
        )
    return 0


def cmd_tipping(args: argparse.Namespace) -> int:
    from experiments.tipping import critical_table, plot_tipping, tipping_table

    experiment, out, rows = _prepare(args, "budget-sweep")
    _require(experiment, BUDGET in experiment.varied, "tipping needs budget among the varied parameters")
    table = tipping_table(rows)
    critical = critical_table(table)
    with _replacing(out / "tipping.png") as tmp:
        plot_tipping(table, critical, tmp, _title(experiment))
    _write_csv(table, out / "tipping.csv")
    _write_csv(critical, out / "critical-budget.csv")
    for _, row in critical.iterrows():
        value = "not reached" if not np.isfinite(row["critical_budget"]) else f"{row['critical_budget']:,.0f}"
        note = "" if row["status"] in ("interpolated", "not reached") else f" ({row['status']})"
        print(f"{row['plan']}: critical budget (50% tipping) {value}{note}")
    _wrote(
        args,
        experiment.name,
        {"tipping": table, "critical_budget": critical},
        out / "tipping.png",
        out / "tipping.csv",
        out / "critical-budget.csv",
    )
    return 0


def cmd_atlas(args: argparse.Namespace) -> int:
    from experiments.atlas import NO_WINNER, atlas_power, atlas_table, plot_atlas

    effect = min_effect(args)
    experiment, out, rows = _prepare(args, "silo-atlas")
    _require(
        experiment,
        experiment.method == "grid" and {"silo_strength", BUDGET} <= set(experiment.varied),
        "atlas needs a grid over silo_strength and budget",
    )
    table = atlas_table(rows, min_effect=effect)
    with _replacing(out / "atlas.png") as tmp:
        plot_atlas(table, list(experiment.plans), tmp, _title(experiment))
    _write_csv(table, out / "atlas.csv")
    counts = table["winner"].value_counts()
    wins = [f"{w}: {n} cells" for w, n in counts.items() if w != NO_WINNER]
    print(
        "; ".join(
            [", ".join(wins) or "no plan wins a cell", f"{NO_WINNER}: {counts.get(NO_WINNER, 0)} cells"]
        )
    )
    print(atlas_power(rows, table, effect))
    _wrote(args, experiment.name, {"atlas": table}, out / "atlas.png", out / "atlas.csv")
    return 0


def cmd_hysteresis(args: argparse.Namespace) -> int:
    from experiments.hysteresis import branch_table, folds, plot_hysteresis, step_table
    from experiments.sweep import load_results

    experiment, out, rows = _prepare(args, "hysteresis")
    spec = experiment.hysteresis
    if spec is None:
        raise InputError(
            f"{experiment.source}: hysteresis needs a [hysteresis] table (plan, levels, hold_weeks)"
        )
    weekly = load_results(experiment, out, weekly=True)
    steps = step_table(weekly, rows, spec, experiment.varied)
    branches = branch_table(steps, experiment.varied)
    fold = folds(branches, experiment.varied)
    with _replacing(out / "hysteresis.png") as tmp:
        plot_hysteresis(steps, branches, weekly, spec, experiment.varied, tmp, _title(experiment))
    _write_csv(branches, out / "hysteresis.csv")
    _write_csv(fold, out / "hysteresis-folds.csv")
    for _, row in fold.iterrows():
        where = ", ".join(f"{n}={row[n]:g}" for n in experiment.varied)
        up = "never" if np.isnan(row["tip_up"]) else f"at coverage {row['tip_up']:g}"
        down = (
            "held down to the lowest step"
            if np.isnan(row["lose_down"])
            else f"lost at coverage {row['lose_down']:g}"
        )
        print(
            f"{where or 'all runs'}: tips going up {up}; going down {down}; largest gap {row['max_gap']:.2f}"
        )
    _wrote(
        args,
        experiment.name,
        {"branches": branches, "folds": fold},
        out / "hysteresis.png",
        out / "hysteresis.csv",
        out / "hysteresis-folds.csv",
    )
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    import pandas as pd

    from experiments.sampling import design
    from experiments.sensitivity import morris_indices, plot_sensitivity, sobol_indices
    from experiments.sweep import load_results

    names = [args.experiment] if args.experiment else ["sensitivity-morris", "sensitivity-sobol"]
    root = (
        args.out
        if args.out is not None
        else default_output("sensitivity", "blueline sensitivity", "-quick" if args.quick else "")
    )
    check_destination(root, SWEEP, args.force)
    experiments = [load_experiment(name, quick=args.quick) for name in names]
    folders = [Path(root) / output_name(e.name, e.source) for e in experiments]
    for experiment, out in zip(experiments, folders, strict=True):
        _require(
            experiment, experiment.method in ("morris", "sobol"), "sensitivity needs method = morris or sobol"
        )
        check_destination(out, SWEEP, args.force)
    tables = []
    for experiment, out in zip(experiments, folders, strict=True):
        _sweep(args, experiment, out)
        rows = load_results(experiment, out)
        points = design(experiment)
        try:
            tables.append(
                morris_indices(rows, points) if experiment.method == "morris" else sobol_indices(rows, points)
            )
        except ValueError as err:
            raise InputError(f"{out}: {err}") from None
    table = pd.concat(tables, ignore_index=True)
    mark_folder(Path(root), SWEEP)
    with _replacing(Path(root) / "sensitivity.png") as tmp:
        plot_sensitivity(
            table, tmp, f"sensitivity: {', '.join(names)}" + (" (quick size)" if args.quick else "")
        )
    _write_csv(table, Path(root) / "sensitivity.csv")
    for (method, plan, output), cells in table.groupby(["method", "plan", "output"], sort=False):
        key = "mu_star" if method == "morris" else "ST"
        top = cells.sort_values(key, ascending=False).head(3)
        ranked = ", ".join(
            f"{r['parameter']} ({r[key]:.2f})" for _, r in top.iterrows() if np.isfinite(r[key])
        )
        constant = bool((cells["note"] == "output constant").all())
        print(
            f"{method} {plan} {output}: {'output constant over the sample' if constant else 'top ' + ranked}"
        )
    _wrote(
        args,
        ", ".join(names),
        {"sensitivity": table},
        Path(root) / "sensitivity.png",
        Path(root) / "sensitivity.csv",
    )
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    import pandas as pd

    from experiments.discovery import (
        grow_tree,
        leaf_rules,
        match_pairs,
        plot_discovery,
        prim_boxes,
        prim_text,
        rule_text,
    )

    experiment, out, rows = _prepare(args, "discover")
    spec = experiment.discover
    if spec is None:
        raise InputError(f"{experiment.source}: discover needs a [discover] table (plan, reference)")
    names = list(experiment.varied)
    _require(experiment, bool(names), "discover needs varied parameters ([ranges] or [grid])")
    pairs = match_pairs(rows, spec, experiment.varied)
    tree = grow_tree(
        pairs[names].to_numpy(dtype=float), pairs["match"].to_numpy(), spec.max_depth, spec.min_leaf
    )
    rules = leaf_rules(tree, names) if len(pairs) else []
    boxes = prim_boxes(pairs, names, spec.prim_density)
    table = pd.DataFrame([{"method": "CART", "rule": rule_text(r, spec), **r} for r in rules])
    table = pd.concat(
        [table, pd.DataFrame([{"method": "PRIM", "rule": prim_text(b, spec), **b} for b in boxes or []])],
        ignore_index=True,
    )
    with _replacing(out / "discover.png") as tmp:
        plot_discovery(pairs, tree, names, rules, spec, tmp, _title(experiment), boxes)
    _write_csv(table if len(table) else pd.DataFrame(columns=["method", "rule"]), out / "discover.csv")
    _write_csv(pairs, out / "discover-pairs.csv")
    excluded = "" if not spec.only_where_reference_tips else f" (pairs where {spec.reference} tipped)"
    print(
        f"{len(pairs)} run pairs{excluded}, {pairs['match'].mean() if len(pairs) else float('nan'):.0%} match overall"
    )
    print("CART rules (classification tree leaves):")
    for r in rules:
        print("  " + rule_text(r, spec))
    if boxes is None:
        print("PRIM boxes: not computed; install the optional extra: pip install 'blueline-sim[discovery]'")
    else:
        print("PRIM boxes:" + ("" if boxes else " none reaches the density " + f"{spec.prim_density:g}"))
        for b in boxes:
            print("  " + prim_text(b, spec))
    _wrote(
        args,
        experiment.name,
        {"rules": table},
        out / "discover.png",
        out / "discover.csv",
        out / "discover-pairs.csv",
    )
    return 0
