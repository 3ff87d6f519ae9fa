"""The scenario sub-commands of ``blueline``: run, compare, scenarios, plans, validate."""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from scenarios.inputs import InputError
from scenarios.outputs import STUDY, check_destination, default_output, output_name
from scenarios.plans import builtin_plans
from scenarios.runner import budget_fits, default_workers, expected_spend
from scenarios.scenario import Scenario, builtin_scenarios, load_scenario, scenario_to_toml
from scenarios.scenario_file import MAX_SEEDS
from scenarios.size_guard import estimate, refuse_if_too_big

# scenarios.study (pandas, scipy.stats, matplotlib) is imported inside the
# commands that run something, so `blueline --help` and the listings start fast.

RAW = argparse.RawDescriptionHelpFormatter
SCHEMA_KINDS = ("scenario", "organization", "plans", "experiment", "family")
DEFAULT_TRIALS = 120
SAMPLER_NAMES = ("tpe", "nsga2")
FAMILY_HELP = """the family searched (a scenario's [optimize] table, or --family FILE with the same keys):
  a plan has a first stage from week 0, an optional booster and an optional sustaining burn, all reaching
  the same roles with the same doses and building blocks.
  roles                 role sets tried              [["frontline","managers","executives"],
                                                      ["frontline","managers"], ["managers","executives"]]
  blocks                none, local, organization (needs the executives), all     all four
  block_level           target level of every block raised                        0.3 to 0.9
  education, leadership training and coaching doses                               0.2-0.9, 0-0.9
  staging               simultaneous, one_at_a_time (each department in turn),
                        gated (next department at gate_above_line, or after gate_max_weeks)
  first_stage_weeks     length (per department when staged)                       4 to 39
  first_stage_coverage  share of targets reached a week (log scale)               0.02 to 0.5
  gate_above_line, gate_max_weeks                                                  0.3-0.8, 8-52
  booster               [true, false]; booster_gap_weeks after the first stage ends (0-52),
                        booster_weeks (2-26) at booster_coverage (0.02-0.5), everyone at once
  sustaining_burn       [true, false]; from the end of the booster (or first stage),
                        burn_weeks (13-208) at burn_coverage (0.005-0.1)
  each number field: a number (fixed), a list of values to try, or { min = .., max = .. };
  a booster or burn that would start after the horizon is left out. docs: docs/optimize.md"""


def register(subparsers: Any) -> None:
    """Add the scenario sub-commands to ``blueline``."""
    p = subparsers.add_parser(
        "compare",
        help="compare a scenario's plans at equal budget (report, tables, plots)",
        description="Run every plan of a scenario over its seeds, each plan scaled to spend the same "
        "budget; write tables, plots and report.md into the output folder; print the comparison and "
        "the verdict.",
        epilog="examples:\n"
        "  blueline compare                                 # the default scenario into results/default\n"
        "  blueline compare high-silos --workers 4\n"
        "  blueline compare scenarios/examples/hospital.toml --n-seeds 50 --budget 200000 --out results/mine\n"
        "  blueline compare classroom --weeks 52 --n-seeds 4   # a quick look",
        formatter_class=RAW,
    )
    p.add_argument(
        "scenario", nargs="?", default="default", help="built-in name or .toml file (default: default)"
    )
    _common(p)
    p.add_argument("--budget", type=float, help="spend per plan, overriding the scenario's budget")
    add_min_effect(p)
    p.add_argument(
        "--no-attribution",
        action="store_true",
        help="skip splitting the top two plans' difference into ingredients (saves up to 32 x the seeds in runs)",
    )
    p.add_argument(
        "--html",
        action="store_true",
        help="also write report.html: one self-contained page for a board (prints on A4); adds a small "
        "atlas of the top two plans (9 cells x 10 seeds)",
    )
    p.set_defaults(func=cmd_compare)

    p = subparsers.add_parser(
        "explain",
        help="why one plan beats another: the difference split into ingredients",
        description="Move each ingredient in which PLAN_B differs (roles engaged, organization-wide "
        "blocks, local blocks, staging, booster, sustaining burn) into PLAN_A, every hybrid fitted to the "
        "scenario's budget and run over its seeds; with at most 5 differing ingredients the full 2^k "
        "factorial. Prints each ingredient's main effect (and the largest interaction) on P(tip) and on "
        "the final share above the line with 95% intervals; writes report.md, attribution.png and "
        "attribution.csv into the output folder.",
        epilog="examples:\n"
        "  blueline explain rocket pilot                       # on the default scenario\n"
        "  blueline explain rocket frontline_pilot classroom --n-seeds 6 --weeks 104\n"
        "  blueline explain rocket pilot --only staging booster",
        formatter_class=RAW,
    )
    p.add_argument("plan_a", metavar="PLAN_A", help="the base plan (built-in or the scenario's)")
    p.add_argument("plan_b", metavar="PLAN_B", help="the plan whose ingredients are moved into PLAN_A")
    p.add_argument(
        "scenario", nargs="?", default="default", help="built-in name or .toml file (default: default)"
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="INGREDIENT",
        help="swap only these ingredients (roles, org_blocks, local_blocks, staging, booster, sustaining_burn)",
    )
    _common(p)
    p.add_argument("--budget", type=float, help="spend per plan, overriding the scenario's budget")
    p.set_defaults(func=cmd_explain)

    p = subparsers.add_parser(
        "optimize",
        help="the cheapest plan of a family that tips with high confidence (Optuna; resumable)",
        description="Search a family of plans for the cheapest one whose probability of tipping reaches "
        "--target, judged by the 95% Wilson lower bound over the evaluation seeds (not the point "
        "estimate); price each written plan (built-in and the scenario's own) at the cheapest budget that "
        "reaches the target; run the chosen plan and the best written plan again on fresh seeds. The study "
        "is kept in OUT/study.sqlite3: the same command resumes a stopped or killed search without "
        "repeating a finished trial, and a larger --trials extends it. Writes plan.toml (a [plans.NAME] "
        "block), scenario.toml (for blueline compare), pareto.png/.csv, trials.csv, references.csv, "
        "verification.csv/.md and summary.json.\n\n" + FAMILY_HELP,
        epilog="examples:\n"
        "  blueline optimize                                   # the default scenario, target 0.9\n"
        "  blueline optimize default --target 0.8 --trials 60 --workers 2\n"
        "  blueline optimize my_scenario.toml --family family.toml --html\n"
        "  blueline optimize default --local-cluster 2 --json | jq .saving",
        formatter_class=RAW,
    )
    p.add_argument(
        "scenario", nargs="?", default="default", help="built-in name or .toml file (default: default)"
    )
    p.add_argument(
        "--target",
        type=float,
        default=0.9,
        metavar="P",
        help="P(tip) the plan must reach, judged by the 95%% lower bound (default 0.9)",
    )
    p.add_argument(
        "--family",
        type=Path,
        metavar="FILE",
        help="a TOML file of family bounds (over the scenario's [optimize])",
    )
    p.add_argument(
        "--trials",
        type=int,
        default=DEFAULT_TRIALS,
        metavar="N",
        help=f"distinct plans the study tries (default {DEFAULT_TRIALS}); a trial repeating a plan costs nothing and is not counted",
    )
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="SEED", help="the evaluation seeds")
    seeds.add_argument(
        "--n-seeds",
        type=int,
        metavar="N",
        help="evaluate each plan on seeds 0..N-1 (default: 25 more than the fewest that can reach the target)",
    )
    p.add_argument(
        "--verify-seeds",
        type=int,
        default=200,
        metavar="N",
        help="fresh seeds for the verification (default 200, at least 100)",
    )
    p.add_argument(
        "--references",
        nargs="*",
        metavar="PLAN",
        help="written plans to beat (default: every built-in plan and the scenario's own; none: give no name)",
    )
    p.add_argument("--sampler", choices=SAMPLER_NAMES, default="tpe", help="Optuna sampler (default tpe)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="the sampler's seed (default 0)")
    p.add_argument(
        "--batch",
        type=int,
        default=8,
        metavar="N",
        help="trials evaluated together (default 8); the study does not depend on --workers",
    )
    p.add_argument(
        "--name", default="optimized", help="name of the chosen plan in plan.toml (default optimized)"
    )
    p.add_argument("--weeks", type=int, metavar="W", help="horizon in weeks (overrides the scenario)")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="study and results folder (default: results/optimize-SCENARIO)",
    )
    p.add_argument("--force", action="store_true", help="use --out even if it holds other files")
    p.add_argument("--restart", action="store_true", help="discard the study in --out and start again")
    add_executor_options(p)
    add_min_effect(p)
    p.add_argument(
        "--html", action="store_true", help="also write report.html, a self-contained board report"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--allow-long", action="store_true", help="run even if the size guard estimates more than an hour"
    )
    p.add_argument("--json", action="store_true", help="print summary.json on stdout (text goes to stderr)")
    p.set_defaults(func=cmd_optimize)

    p = subparsers.add_parser(
        "run",
        help="run one plan of a scenario over one or many seeds",
        description="Run one plan (scaled to the scenario's budget) over the given seeds; print each "
        "run's summary and write tables and plots into the output folder.",
        epilog="examples:\n"
        "  blueline run classroom --plan rocket\n"
        "  blueline run default --plan pilot --seeds 3 --weeks 104 --out results/pilot-seed3\n"
        "  blueline run scenarios/examples/hospital.toml --plan wards_first --n-seeds 10",
        formatter_class=RAW,
    )
    p.add_argument("scenario", help="built-in name or .toml file")
    p.add_argument(
        "--plan",
        help="a plan of the scenario or a built-in plan (default: the scenario's first plan with waves)",
    )
    _common(p)
    p.set_defaults(func=cmd_run)

    p = subparsers.add_parser(
        "scenarios",
        help="list the built-in scenarios",
        description="List the built-in scenarios with their one-line descriptions.",
        epilog="examples:\n  blueline scenarios\n  blueline compare training-only-trap",
        formatter_class=RAW,
    )
    p.set_defaults(func=cmd_scenarios)

    p = subparsers.add_parser(
        "plans",
        help="list the built-in rollout plans",
        description="List the built-in plans, their waves, and what each would spend as written on "
        "the default organization (runs rescale coverage to the scenario's budget).",
        epilog="examples:\n  blueline plans\n  blueline run default --plan frontline_pilot",
        formatter_class=RAW,
    )
    p.set_defaults(func=cmd_plans)

    p = subparsers.add_parser(
        "validate",
        help="check a scenario file",
        description="Read and check a scenario file without running it: prints 'ok: ...' and exits 0, "
        "or prints the first problem (file, field, what is allowed) and exits 2.",
        epilog="examples:\n  blueline validate my_scenario.toml\n  blueline validate classroom",
        formatter_class=RAW,
    )
    p.add_argument("file", help="scenario .toml file (or a built-in name)")
    p.set_defaults(func=cmd_validate)

    p = subparsers.add_parser(
        "schema",
        help="print the JSON Schema (or the docs table) of a kind of input file",
        description="Print the JSON Schema of a kind of input file, for an editor to complete and check "
        "files (Taplo / Even Better TOML: put '#:schema ./scenario.schema.json' on a file's first line), "
        "or with --markdown the table of its fields as in docs/input-files.md.",
        epilog="examples:\n  blueline schema scenario > scenario.schema.json\n  blueline schema experiment --markdown",
        formatter_class=RAW,
    )
    p.add_argument("kind", choices=SCHEMA_KINDS, help=f"one of {', '.join(SCHEMA_KINDS)}")
    p.add_argument("--markdown", action="store_true", help="the docs table instead of the JSON Schema")
    p.set_defaults(func=cmd_schema)


def _common(p: argparse.ArgumentParser) -> None:
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="SEED", help="the seeds to run (e.g. 0 1 2)")
    seeds.add_argument("--n-seeds", type=int, metavar="N", help="run seeds 0..N-1")
    p.add_argument("--weeks", type=int, metavar="W", help="horizon in weeks (overrides the scenario)")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: results/SCENARIO; results/SCENARIO-PLAN for run; "
        "results/explain-PLAN_A-PLAN_B-SCENARIO for explain); replaced in one "
        "step once the new results are complete, and only if empty or written by blueline",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace --out even if it holds other files (never the working, home or root folder)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"worker processes (default: CPU count, here {default_workers()}); results do not depend on it",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--allow-long", action="store_true", help="run even if the size guard estimates more than an hour"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the verdict and tables as JSON on stdout (text goes to stderr)",
    )


def _json(args: argparse.Namespace, study: Any, out: Path) -> None:
    """With ``--json``: the scenario, verdict, comparison and runs as one JSON document."""
    if not args.json:
        return
    from scenarios.json_output import emit

    s = study.scenario
    emit(
        {
            "scenario": s.name,
            "source": s.source,
            "budget": s.budget,
            "seeds": list(s.seeds),
            "weeks": s.weeks,
            "verdict": study.comparison.verdict,
            "comparison": study.comparison.table(),
            "runs": study.runs,
            "notes": study.notes,
            "out": out,
        },
        args.json_out,
    )


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """Where runs go: ``--workers``, ``--scheduler`` or ``--local-cluster`` (one of them), as for sweeps."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"local worker processes (default: CPU count, here {default_workers()})",
    )
    where.add_argument(
        "--scheduler", metavar="ADDR", help="run on the Dask cluster at ADDR (tcp://HOST:PORT)"
    )
    where.add_argument(
        "--local-cluster", type=int, metavar="N", help="start a Dask LocalCluster of N workers"
    )


def add_min_effect(p: argparse.ArgumentParser) -> None:
    """The ``--min-effect`` option of every command that gives a verdict."""
    p.add_argument(
        "--min-effect",
        type=float,
        default=0.10,
        metavar="D",
        help="smallest difference in P(tip), or in the final share above the line, that the verdict "
        "calls a difference (default: 0.10, i.e. 10 percentage points)",
    )


def min_effect(args: argparse.Namespace) -> float:
    """The ``--min-effect`` value, checked."""
    if not 0 <= args.min_effect <= 1:
        raise InputError(f"--min-effect {args.min_effect:g}: must be a share in [0, 1] (0.10 = 10 points)")
    return float(args.min_effect)


def _seeds(args: argparse.Namespace) -> tuple[int, ...] | None:
    if args.n_seeds is not None:
        if not 1 <= args.n_seeds <= MAX_SEEDS:
            raise InputError(f"--n-seeds {args.n_seeds}: must be a whole number in [1, {MAX_SEEDS:,}]")
        return tuple(range(args.n_seeds))
    return tuple(args.seeds) if args.seeds is not None else None


def _workers(args: argparse.Namespace) -> int | None:
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}: must be a whole number >= 1")
    return args.workers


def _guard(scenario: Scenario, workers: int | None, allow_long: bool) -> None:
    """Refuse, before any work, a job that cannot fit or (unless allowed) is very long."""
    runs = len(scenario.plans) * len(scenario.seeds)
    cost = estimate(scenario.params, runs, scenario.weeks, workers or default_workers())
    refuse_if_too_big(cost, scenario.source, allow_long)


def _header(command: str, scenario: Scenario) -> str:
    argv = " ".join(shlex.quote(a) for a in sys.argv[1:]) or command
    return (
        f"The scenario as run by: blueline {argv}\n"
        f"read from {scenario.source}, with command-line options applied and every parameter and plan\n"
        f"written out in full: `blueline compare THIS_FILE` reruns it."
    )


def cmd_compare(args: argparse.Namespace) -> int:
    """``blueline compare``: the equal-budget comparison."""
    from scenarios.explain import explanation_markdown
    from scenarios.report import comparison_table, pairs_table
    from scenarios.study import run_study, write_study

    workers = _workers(args)
    effect = min_effect(args)
    scenario = load_scenario(args.scenario)
    scenario = scenario.with_overrides(weeks=args.weeks, seeds=_seeds(args), budget=args.budget)
    _guard(scenario, workers, args.allow_long)
    out = args.out if args.out is not None else default_output(scenario.name, scenario.source)
    check_destination(out, STUDY, args.force)
    study = run_study(
        scenario,
        workers=workers,
        progress=not args.quiet,
        min_effect=effect,
        attribute=not args.no_attribution,
    )
    board = None
    if args.html:
        from scenarios.board_report import write_compare_report

        def board(folder: Path) -> None:
            write_compare_report(study, folder, workers=workers)

    main_plot = write_study(study, out, _header("compare", scenario), force=args.force, extra=board)
    for note in study.notes:
        print(note)
    print(comparison_table(study.comparison))
    print()
    print(study.comparison.verdict.text)
    print(study.comparison.power)
    if len(study.comparison.evidence.pairs) > 1:
        print()
        print(pairs_table(study.comparison))
    if study.attribution is not None:
        print()
        print(explanation_markdown(study.attribution, figure=None))
    print()
    print(f"report: {out / 'report.md'}")
    if args.html:
        print(f"board report: {out / 'report.html'}")
    print(f"main plot: {main_plot}")
    _json(args, study, out)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """``blueline explain``: the difference between two plans, ingredient by ingredient."""
    from tqdm import tqdm

    from scenarios.explain import (
        FIGURE,
        MAX_RUNS,
        chosen_ingredients,
        design_cells,
        effects_table,
        explain,
        explanation_markdown,
        write_explanation,
    )
    from scenarios.outputs import atomic_folder, write_versions

    workers = _workers(args)
    scenario = load_scenario(args.scenario)
    scenario = scenario.with_overrides(weeks=args.weeks, seeds=_seeds(args), budget=args.budget)
    available = {**builtin_plans(), **scenario.plans}
    for flag, name in (("PLAN_A", args.plan_a), ("PLAN_B", args.plan_b)):
        if name not in available:
            raise InputError(f"{flag} {name}: unknown plan; allowed: {', '.join(available)}")
        if not available[name].waves:
            raise InputError(f"{flag} {name}: has no waves, nothing to decompose; choose a plan with waves")
    if args.plan_a == args.plan_b:
        raise InputError(f"PLAN_B {args.plan_b}: the same plan as PLAN_A; choose two different plans")
    a, b = available[args.plan_a], available[args.plan_b]
    try:
        names = chosen_ingredients(a, b, args.only)
    except ValueError as err:
        raise InputError(f"--only: {err}" if args.only else str(err)) from None
    runs = len(design_cells(names)[1]) * len(scenario.seeds)
    if runs > MAX_RUNS:
        raise InputError(
            f"{runs:,} runs ({len(design_cells(names)[1])} plans x {len(scenario.seeds)} seeds): more than "
            f"{MAX_RUNS:,}; use fewer seeds (--n-seeds) or ingredients (--only)"
        )
    out = args.out
    if out is None:
        pair = f"-{output_name(a.name, scenario.source, 'PLAN_A')}-{output_name(b.name, scenario.source, 'PLAN_B')}"
        out = default_output(
            "explain", scenario.source, pair + "-" + output_name(scenario.name, scenario.source)
        )
    check_destination(out, STUDY, args.force)
    with tqdm(total=runs, desc="explain", unit="run", disable=args.quiet, leave=False) as bar:
        expl = explain(scenario, a, b, names, workers=workers, progress=bar.update)
    text = explanation_markdown(expl, level=1)
    with atomic_folder(out, force=args.force) as tmp:
        write_explanation(expl, tmp)
        (tmp / "report.md").write_text(text + "\n")
        write_versions(tmp)
    table = effects_table(expl)
    print(explanation_markdown(expl, figure=None, level=1))
    print()
    print(f"report: {out / 'report.md'}")
    print(f"chart: {out / FIGURE} (data: {out / FIGURE.replace('.png', '.csv')}, {len(table)} terms)")
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    """``blueline optimize``: the cheapest plan of a family reaching the target, verified on fresh seeds."""
    from experiments.executors import make_executor
    from scenarios.optimize.evaluation import ROUND_SIZE, most_reachable, seeds_for
    from scenarios.optimize.family import dimensions, family_of, fitted_to_horizon
    from scenarios.optimize.references import STEPS
    from scenarios.optimize.search import Question
    from scenarios.optimize.verification import MIN_VERIFY_SEEDS
    from scenarios.outputs import OPTIMIZE, mark_folder

    if not 0 < args.target < 1:
        raise InputError(
            f"--target {args.target:g}: must be a probability strictly between 0 and 1 "
            "(0.9: the plan tips in at least 90% of runs, judged by the 95% lower bound)"
        )
    if not 1 <= args.trials <= 100_000:
        raise InputError(f"--trials {args.trials}: must be a whole number in [1, 100,000]")
    if not MIN_VERIFY_SEEDS <= args.verify_seeds <= MAX_SEEDS:
        raise InputError(
            f"--verify-seeds {args.verify_seeds}: must be a whole number in [{MIN_VERIFY_SEEDS}, {MAX_SEEDS:,}] "
            "(fresh seeds, so the optimizer's luck is not the answer)"
        )
    if not 1 <= args.batch <= 1000:
        raise InputError(f"--batch {args.batch}: must be a whole number in [1, 1,000]")
    if args.seed < 0:
        raise InputError(f"--seed {args.seed}: must be a whole number >= 0")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", args.name):
        raise InputError(f"--name {args.name!r}: must be letters, digits, '_' or '-'")
    effect = min_effect(args)
    scenario = load_scenario(args.scenario)
    family, family_source = family_of(scenario.source, args.family)
    seeds = _seeds(args)
    if seeds is None:
        seeds = tuple(range(max(len(scenario.seeds), seeds_for(args.target) + 25)))
    scenario = scenario.with_overrides(weeks=args.weeks, seeds=seeds)
    if most_reachable(len(seeds)) < args.target:
        raise InputError(
            f"--target {args.target:g} needs at least {seeds_for(args.target)} evaluation seeds (the 95% lower "
            f"bound over N seeds is at most N/(N+3.84)); got {len(seeds)}: add seeds (--n-seeds) or lower --target"
        )
    dims, notes = fitted_to_horizon(
        dimensions(family), len(scenario.params.departments), scenario.weeks, family_source
    )
    written = {**builtin_plans(), **scenario.plans}
    names = [n for n, p in written.items() if p.waves] if args.references is None else args.references
    for name in names:
        if name not in written:
            raise InputError(f"--references {name}: unknown plan; allowed: {', '.join(written)}")
    references = {n: written[n] for n in names if written[n].waves}
    executor = make_executor(args.workers, args.scheduler, args.local_cluster)
    workers = 1 if args.scheduler else (args.workers or args.local_cluster or default_workers())
    runs = args.trials * len(seeds) + len(references) * (1 + STEPS) * len(seeds) + 3 * args.verify_seeds
    refuse_if_too_big(
        estimate(scenario.params, runs, scenario.weeks, workers), scenario.source, args.allow_long
    )
    out = (
        args.out
        if args.out is not None
        else default_output("optimize-" + output_name(scenario.name, scenario.source), scenario.source)
    )
    check_destination(out, OPTIMIZE, args.force)
    question = Question(
        scenario=scenario_to_toml(scenario, complete=True),
        family={k: d.describe() for k, d in dims.items()},
        target=float(args.target),
        seeds=tuple(seeds),
        sampler=args.sampler,
        seed=int(args.seed),
        batch=int(args.batch),
        round_size=ROUND_SIZE,
    )
    mark_folder(out, OPTIMIZE)
    result = _run_optimize(args, out, scenario, dims, question, references, executor, effect)
    result.notes[:0] = notes
    _finish_optimize(args, out, result)
    return 0


def _run_optimize(
    args: argparse.Namespace,
    out: Path,
    scenario: Scenario,
    dims: Any,
    question: Any,
    references: dict[str, Any],
    executor: Any,
    effect: float,
) -> Any:
    """The search with a bar of trials (showing the best plan so far), then a bar of the remaining runs."""
    from scenarios.optimize.pipeline import choose, optimize
    from scenarios.optimize.references import STEPS
    from scenarios.progress import progress

    bars: dict[str, Any] = {}
    shown = [0]

    def on_trials(told: int, finished: list[Any]) -> None:
        bar = bars.setdefault("trials", progress(args.trials, "optimize", not args.quiet, unit="trial"))
        best, reaches = choose(finished, question.target)
        if best is not None:
            what = "cheapest reaching the target" if reaches else "none reaches it yet; highest lower bound"
            bar.set_postfix_str(
                f"{what}: trial {best.number}, {best.cost:,.0f}, P(tip) >= {best.evaluation.lower:.2f}"
            )
        bar.update(len(finished) - shown[0])
        shown[0] = len(finished)

    def on_runs(n: int) -> None:
        if "trials" in bars and "runs" not in bars and shown[0] >= args.trials:
            bars["trials"].close()
            total = len(references) * (1 + STEPS) * len(question.seeds) + 3 * args.verify_seeds
            bars["runs"] = progress(total, "written plans and verification", not args.quiet)
        if "runs" in bars:
            bars["runs"].update(n)

    with executor:
        try:
            result = optimize(
                out,
                scenario,
                dims,
                question,
                args.trials,
                references,
                args.verify_seeds,
                executor,
                plan_name=args.name,
                restart=args.restart,
                min_effect=effect,
                on_trials=on_trials,
                on_runs=on_runs,
            )
        finally:
            for bar in bars.values():
                bar.close()
    return result


def _finish_optimize(args: argparse.Namespace, out: Path, result: Any) -> None:
    """Write the results (and the board report), print the summary."""
    from scenarios.optimize.results import summary, text_summary, write_results

    header = f"Found by: blueline {shlex.join(sys.argv[1:]) or 'optimize'}"
    files = write_results(result, out, header)
    if args.html:
        from scenarios.board_report import write_optimize_report

        write_optimize_report(result, out, workers=args.workers)
        files.append("report.html")
    for line in text_summary(result):
        print(line)
    print()
    print(f"results in {out}: {', '.join(files)}")
    if args.json:
        from scenarios.json_output import emit

        emit(summary(result, out, files), args.json_out)


def cmd_run(args: argparse.Namespace) -> int:
    """``blueline run``: one plan, one or many seeds."""
    from scenarios.report import comparison_table
    from scenarios.study import run_study, write_study

    workers = _workers(args)
    scenario = load_scenario(args.scenario)
    available = {**builtin_plans(), **scenario.plans}
    if args.plan is None:
        name = next((n for n, p in scenario.plans.items() if p.waves), next(iter(scenario.plans)))
    elif args.plan in available:
        name = args.plan
    else:
        raise InputError(f"--plan {args.plan}: unknown plan; allowed: {', '.join(available)}")
    scenario = scenario.with_overrides(weeks=args.weeks, seeds=_seeds(args), plans={name: available[name]})
    _guard(scenario, workers, args.allow_long)
    out = args.out
    if out is None:
        out = default_output(scenario.name, scenario.source, "-" + output_name(name, scenario.source, "plan"))
    check_destination(out, STUDY, args.force)
    study = run_study(scenario, workers=workers, progress=not args.quiet)
    main_plot = write_study(study, out, _header("run", scenario), force=args.force)
    for note in study.notes:
        print(note)
    print(
        f"{name} on {scenario.name}: expected spend {study.expected[name]:,.0f} (budget {scenario.budget:,.0f})"
    )
    cols = [
        "seed",
        "tipped",
        "weeks_to_tip",
        "final_above_line",
        "final_loyalty",
        "total_revenue",
        "total_cost",
    ]
    print(study.runs[cols].to_string(index=False, float_format=lambda x: f"{x:,.3g}"))
    print()
    print(comparison_table(study.comparison))
    print()
    print(f"report: {out / 'report.md'}")
    print(f"main plot: {main_plot}")
    _json(args, study, out)
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``blueline scenarios``: the built-in scenarios."""
    items = builtin_scenarios()
    width = max(map(len, items))
    for name, description in items.items():
        print(f"{name.ljust(width)}  {description}")
    return 0


def cmd_plans(args: argparse.Namespace) -> int:
    """``blueline plans``: the built-in plans, with their spend as written on the default organization."""
    from sim import ModelParams

    plans = builtin_plans()
    spend = expected_spend(plans, ModelParams())
    width = max(map(len, plans))
    for name, plan in plans.items():
        print(
            f"{name.ljust(width)}  {len(plan.waves)} wave(s), {spend[name]:>9,.0f} as written  {plan.description}"
        )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """``blueline schema``: a file kind's JSON Schema or docs table on stdout."""
    from scenarios.schemas import json_schema_text, markdown_table

    print(markdown_table(args.kind) if args.markdown else json_schema_text(args.kind), end="")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``blueline validate``: read and check a scenario file."""
    s = load_scenario(args.file)
    default_output(s.name, s.source)  # the name must make a safe folder name
    _guard(s, None, allow_long=True)
    short = [n for n, fit in budget_fits(s.plans, s.params, s.budget, s.weeks).items() if not fit.can_spend]
    staff = sum(d.frontline for d in s.params.departments)
    print(
        f"ok: {args.file}: scenario {s.name!r}: {len(s.params.departments)} departments, {staff} frontline "
        f"staff; plans {', '.join(s.plans)} at budget {s.budget:,.0f}; {len(s.seeds)} seeds; {s.weeks} weeks"
        + (f"; note: {', '.join(short)} cannot spend the budget at full coverage" if short else "")
    )
    return 0
