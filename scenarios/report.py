"""The comparison as text: a Markdown table, the verdict, and ``report.md``."""

from __future__ import annotations

import math

from scenarios.comparison import OUTCOMES, Comparison, spend_vs_budget
from scenarios.scenario import Scenario
from scenarios.verdict import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, Interval, points_text, share_text


def _scale(x: float) -> tuple[float, str]:
    """Divisor and suffix that keep money short: M for millions, k for thousands."""
    if abs(x) >= 1e6:
        return 1e6, "M"
    if abs(x) >= 1e4:
        return 1e3, "k"
    return 1.0, ""


def _num(x: float, kind: str) -> str:
    if math.isnan(x):
        return "–"
    if kind == "share":
        return f"{x:.2f}"
    if kind == "money":
        div, suffix = _scale(x)
        return f"{x / div:,.1f}{suffix}" if suffix else f"{x:,.0f}"
    return f"{x:,.0f}"


def _iv(iv: Interval, kind: str) -> str:
    if math.isnan(iv.estimate):
        return "–"
    if kind == "percent":
        return f"{100 * iv.estimate:.0f}% ({100 * iv.lo:.0f}–{100 * iv.hi:.0f})"
    if kind == "money":
        div, suffix = _scale(iv.estimate)
        if suffix:
            return f"{iv.estimate / div:,.1f}{suffix} ({iv.lo / div:,.1f}–{iv.hi / div:,.1f})"
    return f"{_num(iv.estimate, kind)} ({_num(iv.lo, kind)}–{_num(iv.hi, kind)})"


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    """A Markdown table padded to line up on a terminal too."""
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in [head, *rows]
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def comparison_table(comparison: Comparison) -> str:
    """The comparison as a Markdown table, plans in scenario order; spend last."""
    head = ["plan", "rank", "tipped", "P(tip)", "median weeks to tip"]
    head += [label for _, label, _ in OUTCOMES]
    head += ["expected spend", "vs budget"]
    rows = []
    for s in comparison.stats:
        row = [
            s.plan,
            str(comparison.ranks[s.plan]),
            f"{s.tipped}/{s.n}",
            _iv(s.p_tip, "percent"),
            _iv(s.weeks_to_tip, "weeks"),
        ]
        row += [_iv(s.outcomes[col], kind) for col, _, kind in OUTCOMES]
        gap = spend_vs_budget(s, comparison.budget)
        row += [
            _num(s.expected_spend, "money"),
            ("–" if math.isnan(gap) else f"{100 * gap:+.1f}%") + ("" if s.can_spend else " CANNOT SPEND"),
        ]
        rows.append(row)
    return markdown_table(head, rows)


def pairs_table(comparison: Comparison) -> str:
    """Every pair of plans tested seed by seed, with raw and Holm-adjusted p-values (Markdown)."""
    table = comparison.pairs_table()
    if not len(table):
        return ""
    head = [
        "plan",
        "versus",
        "P(tip) difference",
        "seeds only plan / only versus tipped",
        "McNemar p (Holm)",
        "final share difference",
        "Wilcoxon p (Holm)",
    ]
    rows = []
    for _, r in table.iterrows():
        tip = Interval(r["p_tip_difference"], r["p_tip_difference_lo"], r["p_tip_difference_hi"])
        share = Interval(
            r["final_above_line_difference"],
            r["final_above_line_difference_lo"],
            r["final_above_line_difference_hi"],
        )
        rows.append(
            [
                r["plan"],
                r["versus"],
                points_text(tip),
                f"{r['only_plan_tipped']} / {r['only_versus_tipped']} of {r['paired_seeds']}",
                f"{r['mcnemar_p']:.2g} ({r['mcnemar_p_holm']:.2g})",
                share_text(share),
                f"{r['wilcoxon_p']:.2g} ({r['wilcoxon_p_holm']:.2g})",
            ]
        )
    return markdown_table(head, rows)


def report_markdown(
    scenario: Scenario,
    comparison: Comparison,
    notes: list[str],
    figures: dict[str, str],
    attribution: str = "",
) -> str:
    """The text of ``report.md``: what was run, the table, the verdict, how to read it, and why.

    ``attribution`` is a Markdown section (from :mod:`scenarios.explain`) that ends the report.
    """
    p = scenario.params
    staff = sum(d.frontline for d in p.departments)
    seeds = scenario.seeds
    seed_text = (
        f"{seeds[0]}..{seeds[-1]}" if seeds == tuple(range(seeds[0], seeds[0] + len(seeds))) else str(seeds)
    )
    parts = [
        f"# Scenario `{scenario.name}`",
        "",
        scenario.description,
        "",
        f"- source: `{scenario.source}` (echoed with any command-line changes in `scenario.toml`)",
        f"- organization: {len(p.departments)} departments ({', '.join(p.department_names)}), "
        f"{staff} frontline staff, silo_strength {p.silo_strength}, {p.n_customers} customers",
        f"- plans compared at equal budget: {', '.join(scenario.plans)}; each plan with waves is scaled "
        f"to an expected spend of {scenario.budget:,.0f}",
        f"- {len(seeds)} seeds per plan ({seed_text}), {scenario.weeks} weeks each; tipped = above-the-line "
        f"share >= {p.tip_level} through the last {p.tip_hold} weeks",
        *[f"- {n}" for n in notes],
        "",
        "## Comparison",
        "",
        comparison_table(comparison),
        "",
        comparison.verdict.text,
        "",
        "How to read it: P(tip) is the share of seeds that tipped, with a 95% Wilson interval; "
        "median weeks to tip is over the seeds that tipped; every other column is the mean over seeds "
        f"with a 95% percentile bootstrap interval ({BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}). "
        "Expected spend is what the scaled plan should cost; realised spend is what the runs paid, and "
        "'vs budget' how far its mean is from the budget (coverage is random, and waves past the horizon "
        "are not run); CANNOT SPEND marks a plan that cannot spend the budget even at full coverage, so it "
        "is compared at a lower spend. Runs of different plans with the same seed share the organization "
        "and its starting state, so plans are compared seed by seed: exact McNemar test on the seeds where "
        "only one of the two tipped, Wilcoxon signed-rank test on the paired differences in final share "
        "above the line, 95% bootstrap intervals of the paired differences, and Holm's correction over "
        f"all {comparison.evidence.family} tests below. Plans are ranked by P(tip), then by mean final share; "
        f"the leader is tested against the runner-up on P(tip) when the two differ by at least "
        f"{100 * comparison.min_effect:.0f} percentage points (--min-effect), otherwise on the final share "
        "with the same minimum; a smaller or non-significant (5% level, after Holm) difference is "
        "'no clear difference'.",
        "",
        comparison.power,
        "",
    ]
    pt = pairs_table(comparison)
    if pt:
        parts += ["## Every pair of plans, seed by seed", "", pt, ""]
    if figures:
        parts += ["## Figures", ""]
        parts += [
            f"![{caption}]({name})\n\n*{caption}* (data: `{name[:-4]}.csv`)\n"
            for name, caption in figures.items()
        ]
    parts += [
        "## Files",
        "",
        "- `runs.parquet` / `runs.csv`: one row per run (plan, seed, and the model's summary).",
        "- `weekly.parquet` / `weekly.csv`: one row per plan, seed and week (week 0 is the initial state), "
        "one column per weekly metric (`above_line`, `share_<rung>`, `above_line.<department>`, `loyalty`, "
        "`revenue`, ...).",
        "- `comparison.csv`: the table above as numbers; `pairs.csv`: every pair's tests as numbers; "
        "`scenario.toml`, `versions.json`: how to rerun it.",
        "",
    ]
    if attribution:
        parts += [attribution, ""]
    return "\n".join(parts)
