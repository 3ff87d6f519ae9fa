"""Regenerate the figures and tables of the model's mechanisms in ``docs/validation.md`` (section 5).

One experiment per stylized fact the mechanisms must produce (the same facts
``tests/test_mechanisms.py`` pins): the mixed, stable status quo and owning
culture; executives pulled up by their organization; change fatigue
against a staged rollout; culture under turnover; talent leaving first;
valuable customers leaving first; Granovetter's riot. Writes
``docs/img/mechanism-*.png`` and ``docs/data/mechanism-*.csv``.

Usage::

    .venv/bin/python docs/mechanism_figures.py              # everything (about 10 minutes on 2 cores)
    .venv/bin/python docs/mechanism_figures.py --quick      # fewer seeds, to try it out
    .venv/bin/python docs/mechanism_figures.py --only leaders fatigue

Every run is seeded; results do not depend on ``--workers``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validation_figures import DATA, IMG, _atomic_write, run_tasks  # noqa: E402

from scenarios.plans import builtin_plans  # noqa: E402
from scenarios.verdict import holm, mcnemar_exact  # noqa: E402
from sim import CultureModel, Department, ModelParams, Rung, fit_to_budget  # noqa: E402
from sim.organization import EXECUTIVE, build_organization  # noqa: E402

RUNGS = ("blame", "shame", "justify", "own")


def save_table(df: pd.DataFrame, name: str) -> None:
    _atomic_write(DATA / f"mechanism-{name}.csv", lambda p: df.to_csv(p, index=False, float_format="%.6g"))


def save_figure(fig: Any, name: str) -> None:
    _atomic_write(IMG / f"mechanism-{name}.png", lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)


# -- single runs (top-level, so worker processes can run them) -------------------------------
def weekly_run(seed: int, weeks: int, start_own: bool = False, **changes: Any) -> dict[str, list[float]]:
    shares = (0.0, 0.0, 0.0, 1.0) if start_own else ModelParams().initial_rung_shares
    m = CultureModel(ModelParams().replace(**changes), rng=seed, initial_rung_shares=shares)
    m.run(weeks)
    return {
        k: list(v)
        for k, v in m.weekly().items()
        if k == "above_line" or k.startswith("share_") and "." not in k
    }


def owning_culture_holds(seed: int, executives: Rung, **changes: Any) -> bool:
    m = CultureModel(ModelParams().replace(**changes), rng=seed, initial_rung_shares=(0.0, 0.0, 0.0, 1.0))
    m.workforce.rung[m.organization.role == EXECUTIVE] = executives
    m.run(260)
    return bool(m.summary()["tipped"])


def plan_summary(plan_name: str, budget: float, seed: int, **changes: Any) -> dict[str, Any]:
    p = ModelParams().replace(**changes)
    fit = fit_to_budget(
        builtin_plans()[plan_name], build_organization(p, np.random.default_rng(0)), budget, p, 260
    )
    m = CultureModel(p, fit.plan, rng=seed)
    m.run(260)
    return m.summary()


def riot_curve(thresholds: tuple[int, ...], weeks: int) -> list[int]:
    n = len(thresholds)
    quiet = dict(
        w_blame=0.0, w_lead=0.0, w_edu=0.0, w_mech=0.0, w_cust=0.0, w_align=0.0, mood_sd=0.0, drift=0.0
    )
    quiet.update(rung_spacing=0.0, adaptability=1.0, n_customers=0, base_attrition=0.0, shame_attrition=0.0)
    quiet.update(blame_attrition=0.0, own_in_blame_attrition=0.0, cynicism_attrition=0.0)
    p = ModelParams(
        departments=(Department("crowd", n - 1),), span=1000, executives=0, p_within=1.0, w_peer=1.0, **quiet
    )
    m = CultureModel(p, rng=0, initial_rung_shares=(0.0, 0.0, 1.0, 0.0))
    m.workforce.resistance[:] = (np.asarray(thresholds) - 0.5) / (n - 1)
    counts = [int((m.workforce.rung == Rung.OWN).sum())]
    for _ in range(weeks):
        m.step()
        counts.append(int((m.workforce.rung == Rung.OWN).sum()))
    return counts


# -- the experiments ------------------------------------------------------------------------
class Config:
    def __init__(self, quick: bool, workers: int) -> None:
        self.quick, self.workers = quick, workers
        self.seeds = list(range(3 if quick else 20))
        self.many = list(range(6 if quick else 300))


def regimes(cfg: Config) -> pd.DataFrame:
    """Status quo and owning culture: both mixed, both stable, five years with no plan."""
    tasks = [
        (weekly_run, {"seed": s, "weeks": 260, "start_own": own}) for own in (False, True) for s in cfg.seeds
    ]
    runs = run_tasks(tasks, cfg.workers, "regimes")
    rows = []
    for (_, kw), w in zip(tasks, runs, strict=True):
        for week in range(0, 261, 4):
            rows.append(
                {"start": "all own" if kw["start_own"] else "default", "seed": kw["seed"], "week": week}
                | {r: w[f"share_{r}"][week] for r in RUNGS}
            )
    df = pd.DataFrame(rows)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, start in zip(axes, ("default", "all own"), strict=True):
        for seed, g in df[df.start == start].groupby("seed"):
            ax.plot(
                g.week,
                g.own,
                color="tab:blue",
                alpha=0.6,
                label="own (above the line)" if seed == 0 else None,
            )
            ax.plot(g.week, g.blame, color="tab:red", alpha=0.6, label="blame" if seed == 0 else None)
        ax.axhline(ModelParams().tip_level, ls=":", color="k", label="tip level")
        ax.set(title=f"no plan, start: {start}", xlabel="week", ylim=(0, 1))
    axes[0].set_ylabel("share of staff")
    axes[1].legend(loc="center right")
    save_figure(fig, "regimes")
    return df


def leaders(cfg: Config) -> pd.DataFrame:
    """P(an all-OWN organization holds) over w_lead x upward_weight, executives starting at OWN or BLAME."""
    grid = list(itertools.product((Rung.OWN, Rung.BLAME), (1.0, 2.0, 3.0, 4.0), (0.0, 0.3, 0.5, 0.65, 0.8)))
    tasks = [
        (owning_culture_holds, {"seed": s, "executives": ex, "w_lead": wl, "upward_weight": up})
        for ex, wl, up in grid
        for s in cfg.seeds
    ]
    held = run_tasks(tasks, cfg.workers, "leaders")
    df = pd.DataFrame(
        [
            kw | {"executives": kw["executives"].name.lower(), "held": h}
            for (_, kw), h in zip(tasks, held, strict=True)
        ]
    )
    table = (
        df.groupby(["executives", "w_lead", "upward_weight"], as_index=False, sort=False)
        .held.mean()
        .rename(columns={"held": "p_hold"})
    )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, start in zip(axes, ("own", "blame"), strict=True):
        pivot = table[table.executives == start].pivot(
            index="w_lead", columns="upward_weight", values="p_hold"
        )
        im = ax.imshow(pivot.values, origin="lower", cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(pivot.columns)), [f"{c:g}" for c in pivot.columns])
        ax.set_yticks(range(len(pivot.index)), [f"{i:g}" for i in pivot.index])
        for (i, j), v in np.ndenumerate(pivot.values):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="white" if v > 0.6 else "black")
        ax.set(xlabel="upward_weight", title=f"executives start at {start.upper()}")
    axes[0].set_ylabel("w_lead")
    fig.suptitle("All-OWN organization, no plan: share of runs that keep the owning culture for five years")
    fig.colorbar(im, ax=axes, label="P(culture holds)")
    save_figure(fig, "leaders")
    return table


def fatigue(cfg: Config) -> pd.DataFrame:
    """Staged (pilot) vs simultaneous (rocket) over silo_strength x budget, with and without fatigue."""
    silos, budgets = (0.6, 0.85, 0.95), (40_000, 100_000)
    cells = list(itertools.product((0.0, ModelParams().cynicism_rate), silos, budgets))
    tasks = [
        (
            plan_summary,
            {"plan_name": plan, "budget": b, "seed": s, "silo_strength": silo, "cynicism_rate": cyn},
        )
        for cyn, silo, b in cells
        for plan in ("pilot", "rocket")
        for s in cfg.many
    ]
    out = run_tasks(tasks, cfg.workers, "fatigue")
    runs = pd.DataFrame(
        [
            {k: kw[k] for k in ("plan_name", "budget", "seed", "silo_strength", "cynicism_rate")}
            | {"tipped": bool(r["tipped"])}
            for (_, kw), r in zip(tasks, out, strict=True)
        ]
    )
    rows = []
    for (cyn, silo, b), g in runs.groupby(["cynicism_rate", "silo_strength", "budget"]):
        pilot = g[g.plan_name == "pilot"].sort_values("seed").tipped.to_numpy()
        rocket = g[g.plan_name == "rocket"].sort_values("seed").tipped.to_numpy()
        paired = mcnemar_exact(pilot, rocket)
        only_pilot, only_rocket, p = paired.only_first, paired.only_second, paired.p
        rows.append(
            {
                "cynicism_rate": cyn,
                "silo_strength": silo,
                "budget": b,
                "seeds": len(pilot),
                "p_tip_pilot": pilot.mean(),
                "p_tip_rocket": rocket.mean(),
                "only_pilot": only_pilot,
                "only_rocket": only_rocket,
                "mcnemar_p": p,
            }
        )
    table = pd.DataFrame(rows)
    table["holm_p"] = holm(table.mcnemar_p)
    table["winner"] = np.where(
        table.holm_p < 0.05,
        np.where(table.p_tip_pilot > table.p_tip_rocket, "pilot", "rocket"),
        "no clear difference",
    )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, cyn in zip(axes, sorted(table.cynicism_rate.unique()), strict=True):
        t = table[table.cynicism_rate == cyn]
        pivot = t.pivot(index="silo_strength", columns="budget", values="p_tip_pilot") - t.pivot(
            index="silo_strength", columns="budget", values="p_tip_rocket"
        )
        holm_p = t.pivot(index="silo_strength", columns="budget", values="holm_p")
        ax.imshow(pivot.values, origin="lower", cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
        for (i, j), v in np.ndenumerate(pivot.values):
            mark = "*" if holm_p.values[i, j] < 0.05 else ""
            ax.text(j, i, f"{v:+.2f}{mark}", ha="center", va="center")
        ax.set_xticks(range(len(pivot.columns)), [f"{c / 1000:g}k" for c in pivot.columns])
        ax.set_yticks(range(len(pivot.index)), [f"{i:g}" for i in pivot.index])
        ax.set(xlabel="budget", title=f"cynicism_rate = {cyn:g}")
    axes[0].set_ylabel("silo_strength")
    fig.suptitle("P(tip) pilot minus rocket (blue: the staged pilot wins; * Holm-corrected p < 0.05)")
    save_figure(fig, "fatigue")
    save_table(runs, "fatigue-runs")
    return table


def turnover(cfg: Config) -> pd.DataFrame:
    """An owning culture under three full turnovers, by onboarding strength."""
    levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    tasks = [
        (
            weekly_run,
            {"seed": s, "weeks": 156, "start_own": True, "base_attrition": 0.02, "onboarding_base": o},
        )
        for o in levels
        for s in cfg.seeds
    ]
    runs = run_tasks(tasks, cfg.workers, "turnover")
    df = pd.DataFrame(
        [
            {
                "onboarding_base": kw["onboarding_base"],
                "seed": kw["seed"],
                "final_above_line": w["above_line"][-1],
            }
            for (_, kw), w in zip(tasks, runs, strict=True)
        ]
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    for (_, kw), w in zip(tasks, runs, strict=True):
        colour = plt.cm.viridis(kw["onboarding_base"])
        ax.plot(
            w["above_line"],
            color=colour,
            alpha=0.5,
            label=f"onboarding {kw['onboarding_base']:g}" if kw["seed"] == 0 else None,
        )
    ax.set(
        xlabel="week (2% of staff leave each week: a full turnover every year)",
        ylabel="share above the line",
        ylim=(0, 1),
    )
    ax.legend(fontsize=8)
    save_figure(fig, "turnover")
    return df.groupby("onboarding_base", as_index=False).final_above_line.agg(["mean", "min", "max"])


def talent_and_customers(cfg: Config) -> pd.DataFrame:
    """Who leaves when the change stalls: top performers vs the rest, valuable customers vs the rest."""
    plans = ("none", "frontline_pilot", "pilot", "rocket")
    tasks = [
        (plan_summary, {"plan_name": plan, "budget": 300_000, "seed": s}) for plan in plans for s in cfg.seeds
    ]
    out = run_tasks(tasks, cfg.workers, "talent and customers")
    keys = (
        "tipped",
        "attrition_rate_top_performers",
        "attrition_rate_others",
        "customers_lost_share",
        "revenue_lost_share",
    )
    df = pd.DataFrame(
        [
            {"plan": kw["plan_name"], "seed": kw["seed"]} | {k: float(r[k]) for k in keys}
            for (_, kw), r in zip(tasks, out, strict=True)
        ]
    )
    table = df.groupby("plan", sort=False, as_index=False)[list(keys)].mean()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    x = np.arange(len(table))
    axes[0].bar(x - 0.2, 100 * table.attrition_rate_top_performers, 0.4, label="top performance quintile")
    axes[0].bar(x + 0.2, 100 * table.attrition_rate_others, 0.4, label="the rest")
    axes[0].set(ylabel="weekly attrition (%)", title="people leaving")
    axes[1].bar(x - 0.2, 100 * table.revenue_lost_share, 0.4, label="share of revenue lost")
    axes[1].bar(x + 0.2, 100 * table.customers_lost_share, 0.4, label="share of customers lost")
    axes[1].set(ylabel="% over five years", title="customers leaving")
    for ax in axes:
        ax.set_xticks(
            x, [f"{p}\nP(tip) {t:.0%}" for p, t in zip(table.plan, table.tipped, strict=True)], fontsize=9
        )
        ax.legend()
    fig.suptitle("Each plan at 300,000 on the default organization")
    save_figure(fig, "talent-customers")
    return table


def riot(cfg: Config) -> pd.DataFrame:
    """Granovetter's riot: thresholds 0..99 against the same crowd without the person with threshold 1."""
    full = riot_curve(tuple(range(100)), 320)
    gap = riot_curve((0, *range(2, 100)), 320)
    df = pd.DataFrame({"week": range(321), "thresholds_0_to_99": full, "without_threshold_1": gap})
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(df.week, df.thresholds_0_to_99, label="thresholds 0, 1, 2, ..., 99")
    ax.plot(df.week, df.without_threshold_1, label="thresholds 0, 2, 3, ..., 99")
    ax.set(xlabel="week", ylabel="people at OWN (rioting)", title="The rule reduces to Granovetter (1978)")
    ax.legend()
    save_figure(fig, "riot")
    return df


EXPERIMENTS = {
    "regimes": regimes,
    "leaders": leaders,
    "fatigue": fatigue,
    "turnover": turnover,
    "talent_and_customers": talent_and_customers,
    "riot": riot,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds (a smoke run)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--only", nargs="+", choices=list(EXPERIMENTS), help="run only these experiments")
    args = parser.parse_args(argv)
    if args.workers < 1:
        print("mechanism_figures: error: --workers must be >= 1", file=sys.stderr)
        return 2
    cfg = Config(args.quick, args.workers)
    for name in args.only or EXPERIMENTS:
        table = EXPERIMENTS[name](cfg)
        save_table(table, name.replace("_", "-"))
        print(f"{name}:\n{table.to_string(index=False)}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
