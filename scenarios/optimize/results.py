"""The optimizer's output folder: the chosen plan as TOML, the Pareto front, the tables, the summary.

Files (each written to a temporary name, then renamed into place):

- ``plan.toml``: the chosen plan as a ``[plans.NAME]`` block, to paste into a scenario;
- ``scenario.toml``: the scenario with that plan and the best written plan, at
  the chosen plan's cost, on the fresh seeds: ``blueline compare scenario.toml``;
- ``pareto.png`` / ``pareto.csv``: the front of expected cost against P(tip);
- ``trials.csv``: every trial; ``references.csv``: the written plans' cheapest budgets;
- ``verification.csv`` / ``verification.md`` / ``verification-runs.csv``: the fresh-seed check;
- ``summary.json``: what ``--json`` prints.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from scenarios.json_output import plain
from scenarios.optimize.pipeline import Optimization
from scenarios.optimize.search import STUDY_FILE
from scenarios.outputs import code_version
from scenarios.scenario import scenario_to_toml
from scenarios.scenario_file import PlanTable

PARETO_FIGURE = "pareto.png"


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write`` on a temporary path beside ``path``, then rename it into place."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text))


def trials_table(result: Optimization) -> pd.DataFrame:
    """Every trial: its point of the family, expected cost and evaluation; whether it is on the front."""
    front = {t.number for t in result.front}
    rows = []
    for t in result.search.trials:
        p = t.evaluation.p_tip
        rows.append(
            {
                "trial": t.number,
                "expected_cost": t.cost,
                "runs": t.evaluation.runs,
                "tipped": t.evaluation.tipped,
                "p_tip": p.estimate,
                "p_tip_lo": p.lo,
                "p_tip_hi": p.hi,
                "mean_final_above_line": t.evaluation.final_above_line,
                "stopped_early": t.evaluation.stopped_early,
                "reaches_target": t.evaluation.lower >= result.target,
                "on_front": t.number in front,
                "same_as": t.same_as,
                "session": t.session,
                **{f"family.{k}": v for k, v in t.point.items()},
            }
        )
    return pd.DataFrame(rows)


def references_table(result: Optimization) -> pd.DataFrame:
    rows = []
    for r in result.references:
        p = r.evaluation.p_tip
        rows.append(
            {
                "plan": r.name,
                "reaches_target": r.reaches,
                "budget": r.budget,
                "expected_cost": r.cost,
                "runs": r.evaluation.runs,
                "tipped": r.evaluation.tipped,
                "p_tip": p.estimate,
                "p_tip_lo": p.lo,
                "p_tip_hi": p.hi,
                "budgets_tried": len(r.probes),
            }
        )
    return pd.DataFrame(rows)


def plan_toml(result: Optimization, header: str = "") -> str:
    """The chosen plan as a ``[plans.NAME]`` block that a scenario file (and so ``compare``) accepts as it is."""
    assert result.plan is not None
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    table = PlanTable.of(result.plan)
    return lines + tomli_w.dumps({"plans": {result.plan.name: _no_none(table)}})


def _no_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_none(v) for v in value]
    return value


def comparison_scenario(result: Optimization) -> Any:
    """The scenario that compares the chosen plan with the best written plan at the chosen cost, on the fresh seeds."""
    assert result.plan is not None and result.chosen is not None and result.verification is not None
    plans = {result.plan.name: result.plan}
    if result.reference is not None:
        from scenarios.plans import builtin_plans

        written = {**builtin_plans(), **result.scenario.plans}
        plans[result.reference.name] = written[result.reference.name]
    return dataclasses.replace(
        result.scenario,
        name=f"{result.scenario.name}-optimized",
        description=(
            f"The plan blueline optimize chose for {result.scenario.name} against the best written plan, "
            f"each spending {result.chosen.cost:,.0f}, on the fresh seeds of its verification."
        ),
        plans=plans,
        budget=round(result.chosen.cost, 2),
        seeds=result.verification.seeds,
    )


def pareto_figure(result: Optimization, path: Path) -> None:
    """Expected cost against P(tip): every trial, the front with 95% intervals, the target, the chosen and written plans."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.4), layout="constrained")
    trials = [t for t in result.search.trials if t.same_as is None]
    ax.scatter(
        [t.cost for t in trials],
        [t.evaluation.p_tip.estimate for t in trials],
        s=12,
        color="#b0b0b0",
        label=f"trials ({len(trials)} distinct plans)",
    )
    front = result.front
    est = [t.evaluation.p_tip.estimate for t in front]
    err = [
        [t.evaluation.p_tip.estimate - t.evaluation.p_tip.lo for t in front],
        [t.evaluation.p_tip.hi - t.evaluation.p_tip.estimate for t in front],
    ]
    ax.errorbar(
        [t.cost for t in front],
        est,
        yerr=err,
        fmt="o-",
        color="#1f5fbf",
        ms=4,
        capsize=2,
        drawstyle="steps-post",
        label="Pareto front (cost vs lower bound), 95% Wilson intervals",
    )
    ax.axhline(result.target, color="black", ls="--", lw=1)
    ax.annotate(
        f"target {result.target:g}", (0.005, result.target), xycoords=("axes fraction", "data"), va="bottom"
    )
    if result.chosen is not None:
        c = result.chosen
        ax.scatter([c.cost], [c.evaluation.p_tip.estimate], marker="*", s=220, color="#e67e22", zorder=5)
        ax.annotate(
            f"chosen: trial {c.number}, {c.cost:,.0f}",
            (c.cost, c.evaluation.p_tip.estimate),
            xytext=(8, -14),
            textcoords="offset points",
        )
    for r in result.references:
        ax.errorbar(
            [r.cost],
            [r.evaluation.p_tip.estimate],
            yerr=[
                [r.evaluation.p_tip.estimate - r.evaluation.p_tip.lo],
                [r.evaluation.p_tip.hi - r.evaluation.p_tip.estimate],
            ],
            fmt="D",
            color="#c0392b",
            ms=6,
            capsize=2,
        )
        ax.annotate(
            f"{r.name}", (r.cost, r.evaluation.p_tip.estimate), xytext=(6, 4), textcoords="offset points"
        )
    ax.set_xscale("log")
    ax.set(
        xlabel="expected cost within the horizon (currency, log scale)",
        ylabel="P(tip) over the evaluation seeds",
        ylim=(-0.02, 1.04),
        title=(
            f"{result.scenario.name}: {len(result.search.trials)} trials, {len(result.question.seeds)} evaluation seeds "
            f"each\nred diamonds: written plans at the cheapest budget found reaching the target (or the highest tried)"
        ),
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summary(result: Optimization, out: Path, files: list[str]) -> dict[str, Any]:
    """What ``summary.json`` and ``--json`` hold."""
    chosen = result.chosen
    ver = result.verification
    return plain(
        {
            "scenario": result.scenario.name,
            "source": result.scenario.source,
            "target": result.target,
            "weeks": result.scenario.weeks,
            "evaluation_seeds": list(result.question.seeds),
            "verification_seeds": list(ver.seeds) if ver else [],
            "sampler": result.question.sampler,
            "sampler_seed": result.question.seed,
            "family": result.question.family,
            "trials": len(result.search.trials),
            "distinct_plans": sum(t.same_as is None for t in result.search.trials),
            "new_trials": result.search.new_trials,
            "resumed_trials": result.search.resumed_trials,
            "runs": result.search.runs,
            "seconds": result.seconds,
            "reaches_target": result.reaches,
            "chosen": None
            if chosen is None
            else {
                "trial": chosen.number,
                "plan": result.plan.name if result.plan else None,
                "expected_cost": chosen.cost,
                "point": chosen.point,
                "evaluation": {**chosen.evaluation.as_dict(), "p_tip": chosen.evaluation.p_tip},
                "description": chosen.plan.description,
            },
            "best_reference": None if result.reference is None else result.reference.as_dict(),
            "saving": result.saving,
            "saving_confirmed": result.saving_confirmed,
            "references": references_table(result),
            "pareto_front": [t.number for t in result.front],
            "verification": ver.table() if ver else [],
            "verdict": ver.comparison.verdict.text if ver else None,
            "notes": result.notes,
            "code_version": code_version(),
            "out": out,
            "files": files,
        }
    )


def write_results(result: Optimization, out: Path, header: str = "") -> list[str]:
    """Write every file into ``out`` (the study's folder); return their names."""
    out = Path(out)
    files = [STUDY_FILE]
    write_atomic(out / "trials.csv", lambda p: trials_table(result).to_csv(p, index=False))
    front = trials_table(result)
    front = front[front["on_front"]] if len(front) else front
    write_atomic(out / "pareto.csv", lambda p: front.to_csv(p, index=False))
    write_atomic(out / PARETO_FIGURE, lambda p: pareto_figure(result, p))
    files += ["trials.csv", "pareto.csv", PARETO_FIGURE]
    if result.references:
        write_atomic(out / "references.csv", lambda p: references_table(result).to_csv(p, index=False))
        files.append("references.csv")
    if result.plan is not None and result.verification is not None:
        ver = result.verification
        write_text(out / "plan.toml", plan_toml(result, header))
        write_text(
            out / "scenario.toml", scenario_to_toml(comparison_scenario(result), header, complete=True)
        )
        write_atomic(out / "verification.csv", lambda p: ver.table().to_csv(p, index=False))
        write_atomic(out / "verification-runs.csv", lambda p: ver.runs.to_csv(p, index=False))
        write_text(out / "verification.md", verification_markdown(result) + "\n")
        files += [
            "plan.toml",
            "scenario.toml",
            "verification.csv",
            "verification-runs.csv",
            "verification.md",
        ]
    files.append("summary.json")
    write_text(
        out / "summary.json", json.dumps(summary(result, out, files), indent=2, allow_nan=False) + "\n"
    )
    return files


def verification_markdown(result: Optimization) -> str:
    """The verification table and what it says, as Markdown."""
    ver = result.verification
    assert ver is not None and result.chosen is not None
    lines = [
        f"Verification on {len(ver.seeds)} fresh seeds ({ver.seeds[0]}..{ver.seeds[-1]}), none used by the search:",
        "",
        ver.markdown(),
        "",
        ver.comparison.verdict.text,
    ]
    if result.reference is not None:
        lines += [
            "",
            f"`{result.reference.name}` is the best written plan at the cheapest budget found that reaches the target "
            f"on the evaluation seeds; `{result.reference.name}_same_cost` is the same plan spending what "
            f"`{result.plan.name if result.plan else ''}` costs.",
        ]
    return "\n".join(lines)


def text_summary(result: Optimization) -> list[str]:
    """The lines ``blueline optimize`` prints."""
    q, s = result.question, result.search
    lines = [
        f"{result.scenario.name}: {len(s.trials)} trials ({sum(t.same_as is None for t in s.trials)} distinct plans; "
        f"{s.new_trials} new, {s.resumed_trials} resumed), "
        f"{len(q.seeds)} evaluation seeds each (a plan stops after a round of {q.round_size} once it cannot reach "
        f"the target); {s.runs:,} runs this session (search, written plans, verification) in {result.seconds:.0f} s"
    ]
    lines += result.notes
    c = result.chosen
    if c is None:
        return [*lines, "no trial finished"]
    ev = c.evaluation
    if result.reaches:
        lines.append(
            f"cheapest plan reaching P(tip) >= {q.target:g} (95% lower bound over the evaluation seeds): "
            f"trial {c.number}, expected cost {c.cost:,.0f}, tipped {ev.tipped}/{ev.runs} (lower bound {ev.lower:.3f})"
        )
    else:
        lines.append(
            f"no plan of the family reached P(tip) >= {q.target:g} with confidence in {len(s.trials)} trials; the "
            f"highest lower bound was {ev.lower:.3f} (trial {c.number}, expected cost {c.cost:,.0f}); try more "
            "--trials, a wider family, or a lower --target"
        )
    lines.append(f"  {c.plan.description}")
    r = result.reference
    if r is not None:
        if r.reaches:
            lines.append(
                f"cheapest written plan reaching the target: {r.name} at {r.cost:,.0f} (tipped "
                f"{r.evaluation.tipped}/{r.evaluation.runs}, lower bound {r.evaluation.lower:.3f})"
            )
        else:
            lines.append(
                f"no written plan reaches the target up to {r.budget:,.0f}; the best is {r.name} (tipped "
                f"{r.evaluation.tipped}/{r.evaluation.runs} there)"
            )
    if result.saving is not None and r is not None:
        if result.saving > 0:
            lines.append(
                f"the optimized plan costs {100 * result.saving:.0f}% less than {r.name} "
                f"({c.cost:,.0f} against {r.cost:,.0f}) for the same target on the evaluation seeds"
            )
            lines.append(confirmation_sentence(result))
        else:
            lines.append(
                f"the optimized plan does not beat {r.name}: it costs {c.cost:,.0f} against {r.cost:,.0f} "
                f"({100 * -result.saving:.0f}% more)"
            )
    if result.verification is not None:
        lines += ["", verification_markdown(result)]
    return lines


def confirmation_sentence(result: Optimization) -> str:
    """Whether the fresh seeds bear out the saving, in words."""
    ver, r, plan = result.verification, result.reference, result.plan
    if ver is None or r is None or plan is None or result.saving_confirmed is None:
        return ""
    rows = {row["plan"]: row for row in ver.table().to_dict(orient="records")}
    same, mine = rows[f"{r.name}_same_cost"], rows[plan.name]
    same_text = (
        f"{r.name} spending the same ({same['expected_cost']:,.0f}) tips in {same['tipped']}/{same['runs']} "
        f"({100 * same['p_tip']:.1f}%, lower bound {same['p_tip_lo']:.3f})"
    )
    mine_text = f"the optimized plan in {mine['tipped']}/{mine['runs']} (lower bound {mine['p_tip_lo']:.3f})"
    if result.saving_confirmed:
        return f"confirmed on {len(ver.seeds)} fresh seeds: {mine_text}; {same_text}, short of the target"
    if not mine["reaches_target"]:
        return (
            f"NOT confirmed on {len(ver.seeds)} fresh seeds: {mine_text}, short of the target; its pass on the "
            "evaluation seeds was partly luck: more --n-seeds make the search stricter"
        )
    return (
        f"NOT confirmed on {len(ver.seeds)} fresh seeds: {mine_text}, but {same_text} reaches the target too, so "
        f"{r.name}'s price on the evaluation seeds was too high: the evaluation seeds tell prices apart only roughly"
    )
