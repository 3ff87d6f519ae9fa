"""The comparison as text: a Markdown table, the verdict, and ``report.md``."""

from __future__ import annotations

import math

from scenarios.comparison import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    OUTCOMES,
    Comparison,
    Interval,
)
from scenarios.scenario import Scenario


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


def comparison_table(comparison: Comparison) -> str:
    """The comparison as a Markdown table (readable on a terminal too), plans in scenario order."""
    head = ["plan", "rank", "tipped", "P(tip)", "median weeks to tip"]
    head += [label for _, label, _ in OUTCOMES]
    head.insert(len(head) - 1, "expected spend")
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
        row.insert(len(row) - 1, _num(s.expected_spend, "money"))
        rows.append(row)
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in [head, *rows]
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def versus_table(comparison: Comparison) -> str:
    """Each plan tested against the leader (Markdown)."""
    if not comparison.versus_best:
        return ""
    lines = [
        "| plan | versus | Fisher's exact p (tipping) | Mann-Whitney p (final above the line) |",
        "|---|---|---|---|",
    ]
    for v in comparison.versus_best:
        lines.append(
            f"| {v['plan']} | {v['versus']} | {v['fisher_p_tipping']:.2g} | "
            f"{v['mannwhitney_p_final_above_line']:.2g} |"
        )
    return "\n".join(lines)


def report_markdown(
    scenario: Scenario, comparison: Comparison, notes: list[str], figures: dict[str, str]
) -> str:
    """The text of ``report.md``: what was run, the table, the verdict, how to read it."""
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
        "Expected spend is what the scaled plan should cost; realised spend is what the runs paid "
        "(coverage is random, and waves past the horizon are not run). Plans are ranked by P(tip), then "
        "by mean final above-the-line share; the leader is tested against the runner-up with Fisher's "
        "exact test on tipping counts when they differ, otherwise with a Mann-Whitney U test on the "
        "final above-the-line share (two-sided, 5% level).",
        "",
    ]
    vt = versus_table(comparison)
    if vt:
        parts += ["## Every plan against the leader", "", vt, ""]
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
        "- `comparison.csv`: the table above as numbers; `scenario.toml`, `versions.json`: how to rerun it.",
        "",
    ]
    return "\n".join(parts)
