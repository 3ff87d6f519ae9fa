"""A board-ready report: one self-contained HTML file (figures inline, no external request), printable on A4.

Sections, in the order a board reads them: the question in one paragraph;
the plans as a timeline (who is reached when, spend per quarter); the
verdict with intervals in plain words; why (the difference split into
ingredients, :mod:`scenarios.explain`); where the answer would flip (a small
atlas around this organization, :mod:`scenarios.flip_map`); the assumptions
(parameters that differ from the model's defaults, with their meaning); and
how to reproduce it (the command, seeds, code version). ``compare --html``
and ``optimize --html`` write it as ``report.html``.
"""

from __future__ import annotations

import base64
import html
import math
import shlex
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from scenarios.outputs import code_version
from sim import ModelParams, Plan

if TYPE_CHECKING:
    from scenarios.explain import Explanation
    from scenarios.flip_map import FlipMap
    from scenarios.optimize.pipeline import Optimization
    from scenarios.study import Study

REPORT = "report.html"
EXPLAIN_SEEDS = 20
"""Seeds of the attribution in an optimizer's report (fresh seeds, not the search's)."""


@dataclass(frozen=True)
class Section:
    """One part of the report: a heading and its HTML."""

    heading: str
    body: str


# -- pieces -----------------------------------------------------------------------------------------


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def paragraph(text: str, cls: str = "") -> str:
    return f"<p{f' class={chr(34)}{cls}{chr(34)}' if cls else ''}>{esc(text)}</p>"


def figure(png: Path, alt: str, caption: str) -> str:
    """A PNG embedded as base64 with its caption."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def table(head: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    """An HTML table; columns in ``numeric`` are right-aligned."""
    cls = [' class="num"' if k in numeric else "" for k in range(len(head))]
    out = ["<table><thead><tr>"]
    out += [f"<th{c}>{esc(h)}</th>" for h, c in zip(head, cls, strict=True)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td{c}>{esc(v)}</td>" for v, c in zip(row, cls, strict=True)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def markdown_html(text: str) -> str:
    """Markdown (the attribution's text and table) as HTML."""
    import markdown

    return markdown.markdown(text, extensions=["tables"])


def money(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:,.0f}"


def percent(est: float, lo: float, hi: float) -> str:
    if not math.isfinite(est):
        return "–"
    return f"{100 * est:.0f}% ({100 * lo:.0f}–{100 * hi:.0f})"


def organization_words(params: ModelParams) -> str:
    from scenarios.size_guard import people

    return (
        f"{len(params.departments)} departments ({', '.join(params.department_names)}), {people(params):,} staff, "
        f"{params.n_customers:,} customers"
    )


def tipped_words(params: ModelParams, weeks: int) -> str:
    return (
        f"at least {params.tip_level:.0%} of its people above the line (owning, not justifying), held through "
        f"the last {params.tip_hold} of {weeks} weeks"
    )


# -- shared sections --------------------------------------------------------------------------------


def timeline_section(
    plans: dict[str, Plan], params: ModelParams, weeks: int, folder: Path, intro: str
) -> Section:
    from scenarios.plan_timeline import timeline_figure

    png = folder / "timeline.png"
    spend = timeline_figure(plans, params, weeks, png)
    totals = spend.groupby("plan", sort=False)["spend"].sum()
    rows = [
        [name, plan.description or "–", money(float(totals.get(name, 0.0)))] for name, plan in plans.items()
    ]
    body = paragraph(intro)
    body += figure(
        png,
        "Timeline of the plans: who is reached when, and expected spend per quarter",
        "Who is reached when (one row per department and one for the executives; darker: a larger share reached "
        "each week) and the expected spend per quarter. Staged stages are drawn at the plan's own pace; in a run, "
        "a gated stage opens when the department before it is under control.",
    )
    body += table(["plan", "what it does", "expected spend"], rows, numeric=(2,))
    return Section("The plans", body)


def explanation_section(expl: Explanation | None, folder: Path, why_not: str = "") -> Section:
    from scenarios.explain import FIGURE, explanation_markdown, plot_effects

    if expl is None:
        return Section("Why", paragraph(why_not or "No attribution was computed.", "note"))
    png = folder / FIGURE
    plot_effects(expl, png)
    text = explanation_markdown(expl, figure=None, level=3)
    intro = (
        f"Which ingredients make the difference between {expl.a.name} and {expl.b.name}? Each ingredient in which "
        f"{expl.b.name} differs is moved into {expl.a.name}, every hybrid spending the same, and run on the same "
        "seeds; a bar is the change that ingredient makes, with its 95% interval. A bar whose interval crosses "
        "zero is not distinguishable from noise at this number of seeds."
    )
    body = paragraph(intro) + figure(
        png, "Effect of each ingredient", "Effect of each ingredient, 95% intervals."
    )
    body += markdown_html(text.split("\n", 2)[2] if text.startswith("###") else text)
    return Section("Why", body)


def flip_section(flip: FlipMap | None, folder: Path, title: str) -> Section:
    from scenarios.flip_map import BUDGET_FACTORS, plot_flip_map

    if flip is None:
        return Section("Where the answer would flip", paragraph("Not computed.", "note"))
    png = folder / "flip-map.png"
    plot_flip_map(flip, png, title)
    intro = (
        f"The answer above holds at one silo strength and one budget. This small map compares "
        f"{' and '.join(flip.plans)} at equal budget in 9 cells around them (silo strength ±0.1; "
        f"{', '.join(f'{f:g}x' for f in BUDGET_FACTORS)} the budget), {len(flip.seeds)} seeds per plan and cell, "
        "each cell judged by the same paired, corrected verdict. It is a sketch: blueline atlas maps a finer grid."
    )
    body = paragraph(intro) + paragraph(flip.sentence(), "verdict")
    body += figure(
        png,
        "Which plan wins around this organization",
        "Each cell: the winner (hatched grey: no clear winner) and each plan's tipping probability.",
    )
    return Section("Where the answer would flip", body)


def assumptions_section(params: ModelParams) -> Section:
    """Parameters that differ from the model's defaults, with their meaning and unit, then the unit costs."""
    defaults = ModelParams()
    rows = []
    for field in ModelParams.describe():
        name = field["name"]
        value, default = getattr(params, name), getattr(defaults, name)
        if name == "departments" or value == default:
            continue
        rows.append([name, _value(value), _value(default), field.get("unit") or "", field.get("doc") or ""])
    body = paragraph(f"The organization: {organization_words(params)}.")
    if rows:
        body += paragraph("Parameters that differ from the model's defaults:")
        body += table(["parameter", "here", "default", "unit", "meaning"], rows)
    else:
        body += paragraph("Every model parameter is at its default (docs/ODD.md, section 7.7).")
    costs = ", ".join(
        f"{name.removeprefix('cost_').replace('_', ' ')} {getattr(params, name):,.0f}"
        for name in ("cost_person_week", "cost_coaching_week", "cost_mechanism_local", "cost_mechanism_org")
    )
    body += paragraph(
        f"Spend is counted at the model's unit costs (currency): {costs}. A plan's expected spend is what its "
        "waves cost within the horizon at those rates; the runs' realised spend varies a little with chance."
    )
    body += paragraph(
        "Every number comes from the model's rules and these parameters: people climb from blame to owning "
        "under their colleagues, leaders, training, building blocks and customers. It tells which plan works "
        "better under those rules, not what will happen in a real organization.",
        "note",
    )
    return Section("Assumptions", body)


def reproducibility_section(lines: list[tuple[str, str]]) -> Section:
    versions = {p: _version(p) for p in ("numpy", "mesa", "optuna")}
    lines = [
        ("command", shlex.join(["blueline", *sys.argv[1:]])),
        *lines,
        ("code version", code_version()),
        (
            "Python and libraries",
            f"Python {sys.version.split()[0]}; " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        ),
    ]
    body = table(["", ""], [[k, v] for k, v in lines])
    body += paragraph(
        "One seed gives the same numbers on any machine, whatever the number of worker processes; "
        "the same command with the same code version reproduces every number here.",
        "note",
    )
    return Section("Reproducibility", body)


def _value(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "–"


def page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole document: the template with the stylesheet inlined."""
    templates = resources.files("scenarios").joinpath("templates")
    body = "\n".join(f"<section>\n<h2>{esc(s.heading)}</h2>\n{s.body}\n</section>" for s in sections)
    return Template(templates.joinpath("board_report.html").read_text()).substitute(
        title=esc(title),
        subtitle=esc(subtitle),
        css=templates.joinpath("board_report.css").read_text(),
        body=body,
        version=esc(code_version()),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


# -- compare --------------------------------------------------------------------------------------------


def compare_report(study: Study, flip: FlipMap | None) -> str:
    """The report of ``blueline compare``."""
    from scenarios.figures import above_line_figure

    s = study.scenario
    p = s.params
    names = list(study.plans)
    question = (
        f"Which of the plans {', '.join(names[:-1])} and {names[-1]} makes the culture of this organization "
        f"({organization_words(p)}) tip — {tipped_words(p, s.weeks)} — when each spends {s.budget:,.0f} over "
        f"{s.weeks} weeks? Each plan was run on the same {len(s.seeds)} simulated futures (seeds), so they are "
        "compared future by future."
    )
    if s.description:
        question = f"{s.description.rstrip('.')}. {question}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stats = study.comparison.table()
        rows = [
            [
                r["plan"],
                int(r["rank"]),
                f"{int(r['tipped'])}/{int(r['runs'])}",
                percent(r["p_tip"], r["p_tip_lo"], r["p_tip_hi"]),
                "–" if math.isnan(r["median_weeks_to_tip"]) else f"{r['median_weeks_to_tip']:.0f}",
                f"{r['mean_final_above_line']:.2f} ({r['mean_final_above_line_lo']:.2f}–{r['mean_final_above_line_hi']:.2f})",
                money(r["expected_spend"]),
            ]
            for r in stats.to_dict(orient="records")
        ]
        verdict = study.comparison.verdict
        labels = {st.plan: f"{st.plan}: tipped {st.tipped}/{st.n}" for st in study.comparison.stats}
        png = folder / "above_line.png"
        above_line_figure(study.weekly, names, p.tip_level, f"{s.name}: share above the line", labels, png)
        body = paragraph(
            verdict.text.removeprefix("Verdict: "), "verdict " + ("good" if verdict.clear else "")
        )
        body += table(
            [
                "plan",
                "rank",
                "tipped",
                "P(tip), 95% interval",
                "median weeks to tip",
                "final share above the line",
                "expected spend",
            ],
            rows,
            numeric=(1, 4, 6),
        )
        body += paragraph(study.comparison.power, "note")
        body += "".join(paragraph(n.removeprefix("note: "), "note") for n in study.notes)
        body += figure(
            png,
            "Share above the line over time",
            "Share of the organization above the line, week by week: median over seeds and 10–90% band; dashed: the tipping level.",
        )
        sections = [
            Section("The question", paragraph(question, "lead")),
            timeline_section(study.plans, p, s.weeks, folder, f"Each plan scaled to spend {s.budget:,.0f}."),
            Section("The verdict", body),
            explanation_section(
                study.attribution, folder, "No attribution: compare ran with --no-attribution."
            ),
            flip_section(flip, folder, f"{s.name}: {' vs '.join(flip.plans) if flip else ''}"),
            assumptions_section(p),
            reproducibility_section(
                [
                    ("scenario", f"{s.name} ({s.source})"),
                    ("seeds", _seed_text(s.seeds)),
                    ("horizon", f"{s.weeks} weeks"),
                    ("budget per plan", money(s.budget)),
                ]
            ),
        ]
        return page(
            f"{s.name}: which plan makes the culture tip?",
            f"blueline compare, {len(s.seeds)} seeds",
            sections,
        )


def write_compare_report(study: Study, folder: Path, workers: int | None = None) -> Path:
    """Compute the flip map of the top two plans and write ``report.html`` into ``folder``."""
    from experiments.executors import LocalExecutor
    from scenarios.flip_map import flip_map

    flip = None
    ranked = [n for n in study.comparison.ranking if study.plans[n].waves][:2]
    if len(ranked) == 2:
        with LocalExecutor(workers) as executor:
            flip = flip_map(
                study.scenario,
                {n: study.scenario.plans[n] for n in ranked},
                study.scenario.budget,
                executor,
                min_effect=study.comparison.min_effect,
            )
    path = Path(folder) / REPORT
    path.write_text(compare_report(study, flip))
    return path


# -- optimize -------------------------------------------------------------------------------------------


def optimize_report(result: Optimization, expl: Explanation | None, flip: FlipMap | None) -> str:
    """The report of ``blueline optimize``."""
    s, q = result.scenario, result.question
    p = s.params
    question = (
        f"What is the cheapest rollout plan that makes the culture of this organization ({organization_words(p)}) "
        f"tip — {tipped_words(p, s.weeks)} — with a probability of at least {q.target:.0%}, judged by the lower end "
        f"of its 95% interval over {len(q.seeds)} simulated futures, not by a lucky estimate? And what does it "
        "look like next to the best plan written by hand?"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plans: dict[str, Plan] = {}
        ver = result.verification
        if result.plan is not None:
            plans[result.plan.name] = result.plan
        if ver is not None and result.reference is not None:
            plans[result.reference.name] = ver.plans[result.reference.name]
        from scenarios.optimize.results import PARETO_FIGURE, pareto_figure, text_summary

        lines = [line.strip() for line in text_summary(result)[1:] if line.strip()]
        lines = [
            line
            for line in lines[: next((k for k, x in enumerate(lines) if x.startswith("Verification")), None)]
        ]
        cls = "good" if result.saving_confirmed else "bad" if result.saving_confirmed is False else ""
        items = "".join(
            f"<li>{esc(line[0].upper() + line[1:])}</li>" for line in lines if not line.startswith("note:")
        )
        body = f'<div class="verdict {cls}"><ul>{items}</ul></div>'
        if ver is not None:
            t = ver.table()
            rows = [
                [
                    r["plan"],
                    money(r["expected_cost"]),
                    f"{int(r['tipped'])}/{int(r['runs'])}",
                    percent(r["p_tip"], r["p_tip_lo"], r["p_tip_hi"]),
                    "yes" if r["reaches_target"] else "no",
                    f"{r['mean_final_above_line']:.2f}",
                ]
                for r in t.to_dict(orient="records")
            ]
            body += paragraph(
                f"Checked on {len(ver.seeds)} fresh futures the search never saw (seeds {ver.seeds[0]}–{ver.seeds[-1]}):"
            )
            body += table(
                [
                    "plan",
                    "expected cost",
                    "tipped",
                    "P(tip), 95% interval",
                    f"lower end ≥ {q.target:g}",
                    "final share above the line",
                ],
                rows,
                numeric=(1,),
            )
            body += paragraph(ver.comparison.verdict.text.removeprefix("Verdict: "), "note")
            if result.reference is not None:
                body += paragraph(
                    f"{result.reference.name}: the best hand-written plan, at the cheapest budget found that reaches "
                    f"the target; {result.reference.name}_same_cost: the same plan spending what the optimized plan costs.",
                    "note",
                )
        png = folder / PARETO_FIGURE
        pareto_figure(result, png)
        body += figure(
            png,
            "Cost against probability of tipping",
            f"Every plan tried (grey), the cheapest ones for each level of confidence (blue, 95% intervals), the chosen "
            f"plan (star) and the hand-written plans at their cheapest budgets (red). {len(result.search.trials)} trials.",
        )
        why_not = "No attribution: there is no written plan to compare with."
        sections = [
            Section("The question", paragraph(question, "lead")),
            timeline_section(
                plans,
                p,
                s.weeks,
                folder,
                "The optimized plan and the best hand-written plan at its cheapest budget reaching the target.",
            ),
            Section("The answer", body),
            explanation_section(expl, folder, why_not),
            flip_section(flip, folder, f"{s.name}: {' vs '.join(flip.plans) if flip else ''}"),
            assumptions_section(p),
            reproducibility_section(
                [
                    ("scenario", f"{s.name} ({s.source})"),
                    ("evaluation seeds", _seed_text(q.seeds)),
                    ("verification seeds", _seed_text(ver.seeds) if ver else "–"),
                    (
                        "search",
                        f"{len(result.search.trials)} trials, Optuna {q.sampler} sampler, seed {q.seed}, batches of {q.batch}",
                    ),
                    ("horizon", f"{s.weeks} weeks"),
                ]
            ),
        ]
        return page(
            f"{s.name}: the cheapest plan that tips", f"blueline optimize, target {q.target:g}", sections
        )


def write_optimize_report(result: Optimization, folder: Path, workers: int | None = None) -> Path:
    """Attribute the difference, map where it flips, and write ``report.html`` into ``folder``.

    The attribution runs the best written plan against the optimized one at the optimized plan's cost on
    :data:`EXPLAIN_SEEDS` of the fresh seeds; the map uses :data:`scenarios.flip_map.SEEDS` of them.
    """
    from experiments.executors import LocalExecutor
    from scenarios.explain import MAX_RUNS, chosen_ingredients, design_cells, explain
    from scenarios.flip_map import SEEDS, flip_map
    from scenarios.optimize.results import write_text

    expl = flip = None
    ver = result.verification
    if (
        result.plan is not None
        and result.reference is not None
        and ver is not None
        and result.chosen is not None
    ):
        reference = _written(result)
        scenario = replace(
            result.scenario, budget=result.chosen.cost, seeds=ver.seeds[:EXPLAIN_SEEDS], plans={}
        )
        try:
            names = chosen_ingredients(reference, result.plan)
            if len(design_cells(names)[1]) * len(scenario.seeds) <= MAX_RUNS:
                expl = explain(scenario, reference, result.plan, workers=workers)
        except ValueError:
            expl = None
        with LocalExecutor(workers) as executor:
            flip = flip_map(
                scenario,
                {result.plan.name: result.plan, reference.name: reference},
                result.chosen.cost,
                executor,
                seeds=ver.seeds[:SEEDS],
            )
    path = Path(folder) / REPORT
    write_text(path, optimize_report(result, expl, flip))
    return path


def _written(result: Optimization) -> Plan:
    from scenarios.plans import builtin_plans

    assert result.reference is not None
    return {**builtin_plans(), **result.scenario.plans}[result.reference.name]


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}–{seeds[-1]} ({len(seeds)} seeds)"
    return ", ".join(map(str, seeds))
