"""A scenario run end to end: equal-budget plans, every seed, the comparison, the output folder.

The command line (:mod:`scenarios.commands`) and other layers call
:func:`run_study` then :func:`write_study`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scenarios.comparison import Comparison, compare
from scenarios.explain import (
    MAX_RUNS,
    Explanation,
    chosen_ingredients,
    design_cells,
    explain,
    explanation_markdown,
    write_explanation,
)
from scenarios.figures import MAIN_FIGURE, PAIRS_FIGURE, pairs_figure, write_figures
from scenarios.outputs import atomic_folder, code_version, versions, write_versions
from scenarios.progress import progress as progress_of
from scenarios.report import report_markdown
from scenarios.runner import RunResult, budget_fits, run_many
from scenarios.scenario import Scenario, horizon_notes, scenario_to_toml
from scenarios.tidy import RUN_COLUMNS, WEEKLY_KEYS, run_row, tidy_weekly, write_parquet
from scenarios.verdict import ALPHA, MIN_EFFECT
from sim import Plan


@dataclass
class Study:
    """What one scenario produced.

    Attributes
    ----------
    scenario : Scenario
        As run (with any overrides).
    plans : dict of str to Plan
        The plans as run: scaled to the scenario's budget.
    expected : dict of str to float
        Each scaled plan's expected spend.
    runs : DataFrame
        One row per run: plan, seed, expected_spend, then the model's summary.
    weekly : DataFrame
        One row per plan, seed and week; one column per weekly metric.
    comparison : Comparison
        Statistics, ranking and verdict.
    notes : list of str
        Things the reader should know (waves cut by the horizon, budgets a plan cannot spend).
    attribution : Explanation or None
        The top two plans' difference split into ingredients (None when not asked, or not possible).
    """

    scenario: Scenario
    plans: dict[str, Plan]
    expected: dict[str, float]
    runs: pd.DataFrame
    weekly: pd.DataFrame
    comparison: Comparison
    notes: list[str]
    attribution: Explanation | None = None


def run_study(
    scenario: Scenario,
    workers: int | None = None,
    progress: bool = True,
    min_effect: float = MIN_EFFECT,
    attribute: bool = False,
) -> Study:
    """Scale the plans to the budget, run every (plan, seed), compare.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: CPU count).
    progress : bool
        Report progress on stderr (a bar on a terminal, plain lines otherwise).
    min_effect : float
        Smallest difference in P(tip) (or final share) the verdict calls a difference.
    attribute : bool
        Also split the difference between the top two plans into ingredients
        (:mod:`scenarios.explain`; up to 2^5 more plans over the same seeds).
    """
    fits = budget_fits(scenario.plans, scenario.params, scenario.budget, scenario.weeks)
    plans = {name: fit.plan for name, fit in fits.items()}
    expected = {name: fit.expected_spend for name, fit in fits.items()}
    notes = horizon_notes(scenario)
    cannot_spend = {
        name: f"{name} cannot spend the budget even at full coverage and the longest sustaining burn "
        f"(expected spend {fit.expected_spend:,.0f} of {scenario.budget:,.0f})"
        for name, fit in fits.items()
        if not fit.can_spend
    }
    notes += [f"note: {text}" for text in cannot_spend.values()]
    total = len(plans) * len(scenario.seeds)
    with progress_of(total, scenario.name, enabled=progress) as bar:
        results = run_many(
            scenario.params, plans, scenario.seeds, scenario.weeks, workers=workers, progress=bar.update
        )
    runs = runs_table(results, expected)
    comparison = compare(runs, list(plans), expected, scenario.budget, cannot_spend, min_effect)
    notes += comparison.spend_notes()
    study = Study(scenario, plans, expected, runs, weekly_table(results), comparison, notes)
    if attribute:
        study.attribution = attribute_top_two(study, workers, progress)
    return study


def attribute_top_two(study: Study, workers: int | None, progress: bool) -> Explanation | None:
    """Explain the difference between the two plans ranked first (a note says why when it cannot)."""
    scenario = study.scenario
    if len(study.comparison.ranking) < 2:
        return None
    first, second = (scenario.plans[name] for name in study.comparison.ranking[:2])
    empty = [p.name for p in (first, second) if not p.waves]
    if empty:
        study.notes.append(f"note: no attribution of {first.name} vs {second.name}: {empty[0]} has no waves")
        return None
    try:
        names = chosen_ingredients(first, second)
    except ValueError as err:
        study.notes.append(f"note: no attribution: {err}")
        return None
    cells = len(design_cells(names)[1])
    if cells * len(scenario.seeds) > MAX_RUNS:
        study.notes.append(
            f"note: no attribution: {cells * len(scenario.seeds):,} runs is more than {MAX_RUNS:,}; "
            f"run blueline explain {first.name} {second.name} with fewer seeds"
        )
        return None
    with progress_of(cells * len(scenario.seeds), "attribution", enabled=progress) as bar:
        return explain(scenario, first, second, workers=workers, progress=bar.update)


def runs_table(results: list[RunResult], expected: dict[str, float]) -> pd.DataFrame:
    """One row per run: plan, seed, expected_spend and the model's summary fields."""
    rows = [
        {"plan": r.plan, "seed": r.seed, "expected_spend": expected[r.plan], **r.summary} for r in results
    ]
    return pd.DataFrame(rows)


def weekly_table(results: list[RunResult]) -> pd.DataFrame:
    """The tidy weekly table: columns plan, seed, week, then one column per weekly metric."""
    frames = []
    for r in results:
        if r.weekly is None:
            continue
        df = pd.DataFrame(r.weekly)
        df.insert(0, "week", range(len(df)))
        df.insert(0, "seed", r.seed)
        df.insert(0, "plan", r.plan)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_label(scenario: Scenario, plan: str, seed: int) -> str:
    """A compare run's id in the shared schema: scenario, plan and seed."""
    return f"{scenario.name}/{plan}/{seed}"


def tidy_tables(study: Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study's runs and weekly tables in the schema shared with sweeps (:mod:`scenarios.tidy`)."""
    s, version = study.scenario, code_version()
    runs = pd.DataFrame(
        [
            run_row(
                run_label(s, r["plan"], r["seed"]),
                r["plan"],
                r["seed"],
                s.weeks,
                {k: v for k, v in r.items() if k not in ("plan", "seed", "expected_spend")},
                scenario=s.name,
                budget=s.budget if study.plans[r["plan"]].waves else None,
                code_version=version,
                expected_spend=r["expected_spend"],
            )
            for r in study.runs.to_dict(orient="records")
        ]
    )
    frames = [
        tidy_weekly(
            run_label(s, plan, seed), rows.drop(columns=["plan", "seed", "week"]).to_dict(orient="list")
        )
        for (plan, seed), rows in study.weekly.groupby(["plan", "seed"], sort=False)
    ]
    return runs, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_results(study: Study, folder: Path) -> None:
    """``runs`` and ``weekly`` as Parquet (with provenance metadata) and CSV."""
    s = study.scenario
    metadata = {
        "kind": "compare",
        "scenario": s.name,
        "source": s.source,
        "seeds": list(s.seeds),
        "params": dataclasses.asdict(s.params),
        "scenario_toml": scenario_to_toml(s, complete=True),
        "versions": versions(),
    }
    runs, weekly = tidy_tables(study)
    for stem, frame, keys in (("runs", runs, RUN_COLUMNS), ("weekly", weekly, WEEKLY_KEYS)):
        write_parquet(frame, folder / f"{stem}.parquet", keys, metadata)
        frame.to_csv(folder / f"{stem}.csv", index=False)


def write_study(
    study: Study,
    out: Path,
    header: str = "",
    force: bool = False,
    extra: Callable[[Path], object] | None = None,
) -> Path:
    """Write tables, figures, report, echoed scenario and versions; return the main figure's final path.

    ``force`` replaces a folder of files blueline did not write (see :func:`atomic_folder`);
    ``extra`` writes more files into the fresh folder before it replaces ``out`` (the board report).
    """
    scenario = study.scenario
    labels = {s.plan: f"{s.plan}: tipped {s.tipped}/{s.n}" for s in study.comparison.stats}
    title = (
        f"{scenario.name}: {len(scenario.seeds)} seeds, {scenario.weeks} weeks, "
        f"each plan spending {scenario.budget:,.0f}"
    )
    with atomic_folder(out, force=force) as tmp:
        write_results(study, tmp)
        study.comparison.table().to_csv(tmp / "comparison.csv", index=False)
        pairs = study.comparison.pairs_table()
        pairs.to_csv(tmp / "pairs.csv", index=False)
        captions = write_figures(
            study.weekly,
            list(study.plans),
            scenario.params.department_names,
            scenario.params.tip_level,
            title,
            labels,
            tmp,
        )
        if len(pairs):
            pairs_figure(pairs, study.comparison.min_effect, ALPHA, title, tmp / PAIRS_FIGURE)
            captions[PAIRS_FIGURE] = "Every pair of plans: paired difference in P(tip) with its 95% interval"
        attribution = ""
        if study.attribution is not None:
            write_explanation(study.attribution, tmp)
            attribution = explanation_markdown(study.attribution)
        (tmp / "report.md").write_text(
            report_markdown(scenario, study.comparison, study.notes, captions, attribution)
        )
        (tmp / "scenario.toml").write_text(scenario_to_toml(scenario, header, complete=True))
        if extra is not None:
            extra(tmp)
        write_versions(tmp)
    return Path(out) / MAIN_FIGURE
