"""Regenerate the validation figures and tables of ``docs/validation.md`` and ``docs/ODD.md``.

Runs the agent model against its mean-field companion (``sim.meanfield``)
and checks the stylized facts; writes ``docs/img/validation-*.png``, one
table per figure in ``docs/data/validation-*.csv``, and the generated blocks
of ``docs/ODD.md`` (parameter table, calibration table).

Usage::

    .venv/bin/python docs/validation_figures.py            # everything (about 20 minutes on 2 cores)
    .venv/bin/python docs/validation_figures.py --quick    # fewer seeds and levels, to try it out
    .venv/bin/python docs/validation_figures.py --only hysteresis contagion
    .venv/bin/python docs/validation_figures.py --parameters-only   # after changing ModelParams

Every run is seeded (``rng=seed``); results do not depend on ``--workers``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tqdm import tqdm  # noqa: E402

from scenarios.plans import builtin_plans  # noqa: E402
from sim import CultureModel, Department, ModelParams, Plan, Wave, scale_to_budget  # noqa: E402
from sim import meanfield as mf  # noqa: E402
from sim.ladder import Rung  # noqa: E402
from sim.organization import EXECUTIVE, build_organization  # noqa: E402

DOCS = Path(__file__).resolve().parent
IMG, DATA = DOCS / "img", DOCS / "data"
ODD = DOCS / "ODD.md"


# -- writing outputs atomically --------------------------------------------------------------
def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp creates owner-only files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_table(df: pd.DataFrame, name: str) -> None:
    _atomic_write(DATA / f"validation-{name}.csv", lambda p: df.to_csv(p, index=False, float_format="%.6g"))


def save_figure(fig: Any, name: str) -> None:
    _atomic_write(IMG / f"validation-{name}.png", lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)


# -- agent-model experiments (top-level functions, so worker processes can run them) ----------
def scaled_default(scale: int, **changes: Any) -> ModelParams:
    """The default six departments (and executive team) times ``scale``."""
    base = ModelParams()
    depts = tuple(Department(d.name, d.frontline * scale) for d in base.departments)
    return base.replace(departments=depts, executives=base.executives * scale, **changes)


def final_above_line(params: ModelParams, seed: int, weeks: int, **overrides: Any) -> float:
    m = CultureModel(params, rng=seed, **overrides)
    m.run(weeks)
    return float(m.metrics["above_line"])


def agent_tipping_share(params: ModelParams, seed: int, weeks: int = 300, tol: float = 0.01) -> float:
    """Smallest initial OWN share q (rest BLAME) from which this seed ends above the line."""

    def high(q: float) -> bool:
        return final_above_line(params, seed, weeks, initial_rung_shares=(1.0 - q, 0.0, 0.0, q)) > 0.5

    if high(0.0):
        return 0.0
    if not high(1.0):
        return math.nan
    lo, hi = 0.0, 1.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if high(mid) else (mid, hi)
    return 0.5 * (lo + hi)


def agent_critical_push(
    params: ModelParams,
    seed: int,
    direction: str = "up",
    bracket: tuple[float, float] = (0.0, 2.5),
    weeks: int = 300,
    tol: float = 0.01,
) -> float:
    """Push at which this seed's all-BLAME (``up``) or all-OWN (``down``) organization switches."""
    start = mf.ALL_BLAME if direction == "up" else mf.ALL_OWN

    def high(push: float) -> bool:
        return final_above_line(params, seed, weeks, push=push, initial_rung_shares=start) > 0.5

    lo, hi = bracket
    if high(lo) or not high(hi):
        return math.nan
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if high(mid) else (mid, hi)
    return 0.5 * (lo + hi)


def agent_hysteresis(
    params: ModelParams, seed: int, pushes: Sequence[float], weeks_per_level: int
) -> list[float]:
    """One run: the push stepped through ``pushes``, above-the-line share at the end of each level."""
    m = CultureModel(params.replace(push=float(pushes[0])), rng=seed, initial_rung_shares=mf.ALL_BLAME)
    out = []
    for push in pushes:
        m.params = m.params.replace(push=float(push))
        m.run(weeks_per_level)
        out.append(float(m.metrics["above_line"]))
    return out


TRACKED = ("above_line", "above_line.frontline", "above_line.managers", "above_line.executives", "education")


def agent_trajectory(
    params: ModelParams, seed: int, weeks: int, plan: Plan | None = None, **overrides: Any
) -> dict[str, list[float]]:
    m = CultureModel(params, plan, rng=seed, **overrides)
    m.run(weeks)
    w = m.weekly()
    return {k: list(map(float, w[k])) for k in TRACKED}


def feedback_by_rung(params: ModelParams, seed: int, weeks: int = 40) -> list[float]:
    """Mean customer feedback a frontline person receives at each rung (rungs frozen, three starts)."""
    total, count = np.zeros(4), np.zeros(4)
    for start in (mf.ALL_BLAME, mf.ALL_OWN, (0.25, 0.25, 0.25, 0.25)):
        m = CultureModel(params, rng=seed, initial_rung_shares=start, adaptability=0.0)
        frontline = m.organization.role == 0
        for week in range(weeks):
            m.step()
            if week >= weeks // 2:
                rung, fb = m.workforce.rung[frontline], m.workforce.feedback[frontline]
                total += np.bincount(rung, weights=fb, minlength=4)
                count += np.bincount(rung, minlength=4)
    return list(total / np.maximum(count, 1))


def spread_time(params: ModelParams, seed: int, weeks: int = 260, with_executives: bool = True) -> float:
    """Weeks until the other departments are half at OWN, from one owning department.

    The largest department (index 0: its frontline and managers) starts at
    OWN, with the executive team too when ``with_executives`` (a sponsored
    success; leave them at BLAME when w_lead = 0 makes them carry nothing);
    everyone else starts at BLAME. Infinity when it does not spread within ``weeks``.
    """
    m = CultureModel(params, rng=seed, initial_rung_shares=mf.ALL_BLAME)
    org = m.organization
    m.workforce.rung[(org.department == 0) | (with_executives & (org.role == EXECUTIVE))] = Rung.OWN
    others = (org.department > 0) & (org.department < org.n_departments)
    for week in range(1, weeks + 1):
        m.step()
        if (m.workforce.rung[others] == Rung.OWN).mean() >= 0.5:
            return float(week)
    return math.inf


def plan_outcome(params: ModelParams, plan: Plan, budget: float, seed: int, weeks: int = 260) -> dict:
    org = build_organization(params, np.random.default_rng(0))
    scaled = scale_to_budget(plan, org, budget, params, weeks)
    m = CultureModel(params, scaled, rng=seed)
    m.run(weeks)
    s = m.summary()
    return {"tipped": bool(s["tipped"]), "final_above_line": s["final_above_line"], "cost": s["total_cost"]}


# -- running many tasks ---------------------------------------------------------------------
def _call(task: tuple[Callable[..., Any], dict[str, Any]]) -> Any:
    fn, kwargs = task
    return fn(**kwargs)


def run_tasks(tasks: list[tuple[Callable[..., Any], dict[str, Any]]], workers: int, desc: str) -> list[Any]:
    """Run tasks in order (results in submission order, whatever the number of workers)."""
    if workers <= 1:
        return [_call(t) for t in tqdm(tasks, desc=desc, unit="run")]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(tqdm(pool.map(_call, tasks, chunksize=1), total=len(tasks), desc=desc, unit="run"))


# -- the experiments ------------------------------------------------------------------------
class Config:
    def __init__(self, quick: bool, workers: int) -> None:
        self.quick = quick
        self.workers = workers
        self.seeds = list(range(3 if quick else 10))
        self.few_seeds = list(range(2 if quick else 6))


_FEEDBACK: dict[bool, mf.Levers] = {}


def measured_feedback(cfg: Config) -> mf.Levers:
    """Mean-field levers carrying the customer feedback by rung measured in the default agent model."""
    if cfg.quick not in _FEEDBACK:
        p = ModelParams()
        tasks = [(feedback_by_rung, {"params": p, "seed": s}) for s in cfg.few_seeds]
        f = [float(x) for x in np.mean(run_tasks(tasks, cfg.workers, "F by rung"), axis=0)]
        _FEEDBACK[cfg.quick] = mf.Levers(feedback_by_rung=(f[0], f[1], f[2], f[3]))
    return _FEEDBACK[cfg.quick]


def regime(cfg: Config) -> dict[str, Any]:
    """The regime at defaults: drift, bistability, tipping point, critical pushes (agent and mean field)."""
    p = ModelParams()
    levers = measured_feedback(cfg)
    f_rung = levers.feedback_by_rung

    starts = {
        "default start": None,
        "all BLAME": mf.ALL_BLAME,
        "all OWN": mf.ALL_OWN,
        "60% OWN": (0.4, 0.0, 0.0, 0.6),
        "70% OWN": (0.3, 0.0, 0.0, 0.7),
    }
    tasks = []
    for shares in starts.values():
        over = {} if shares is None else {"initial_rung_shares": shares}
        for s in cfg.seeds:
            tasks.append((agent_trajectory, {"params": p, "seed": s, "weeks": 260, **over}))
    trajs = run_tasks(tasks, cfg.workers, "regime trajectories")

    push_tasks = [
        (agent_critical_push, {"params": p, "seed": s, "direction": d, "bracket": b})
        for d, b in (("up", (0.0, 2.5)), ("down", (-2.0, 0.0)))
        for s in cfg.seeds
    ]
    share_tasks = [(agent_tipping_share, {"params": p, "seed": s}) for s in cfg.seeds]
    agent = run_tasks(push_tasks + share_tasks, cfg.workers, "regime thresholds")
    n = len(cfg.seeds)
    up, down, share = agent[:n], agent[n : 2 * n], agent[2 * n :]

    rows = []
    variants = (("mean field, no customers", mf.Levers()), ("mean field, F by rung", levers))
    mf_tasks: list[tuple[Callable[..., Any], dict[str, Any]]] = []
    for _, lv in variants:
        mf_tasks += [
            (mf.stable_states, {"params": p, "levers": lv}),
            (mf.tipping_share, {"params": p, "levers": lv}),
            (mf.critical_push, {"params": p, "levers": lv}),
            (mf.critical_push, {"params": p, "levers": lv, "direction": "down"}),
        ]
    mf_out = run_tasks(mf_tasks, cfg.workers, "regime (mean field)")
    for j, (label, _) in enumerate(variants):
        (low, high), share_mf, up_mf, down_mf = mf_out[4 * j : 4 * j + 4]
        rows.append(
            {
                "model": label,
                "low_state": low,
                "high_state": high,
                "tipping_share": share_mf,
                "critical_push_up": up_mf,
                "critical_push_down": down_mf,
            }
        )
    for s, u, d, q in zip(cfg.seeds, up, down, share, strict=True):
        rows.append(
            {
                "model": f"agent seed {s}",
                "low_state": None,
                "high_state": None,
                "tipping_share": q,
                "critical_push_up": u,
                "critical_push_down": d,
            }
        )
    thresholds = pd.DataFrame(rows)
    save_table(thresholds, "regime-thresholds")

    # trajectories: agent (each seed) vs mean field
    weeks = np.arange(261)
    traj_rows = []
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    colors = dict(zip(starts, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    s_mf = mf.setting(p, levers)
    k = 0
    for label, shares in starts.items():
        for s in cfg.seeds:
            a = trajs[k]["above_line"]
            k += 1
            ax.plot(weeks, a, color=colors[label], lw=0.6, alpha=0.5)
            traj_rows += [
                {"start": label, "source": f"agent seed {s}", "week": w, "above_line": a[w]} for w in weeks
            ]
        m_tr = mf.trajectory(s_mf, 260, mf.initial_state(s_mf, shares))["above_line"]
        ax.plot(weeks, m_tr, color=colors[label], lw=2.2, ls="--", label=f"{label} (mean field dashed)")
        traj_rows += [
            {"start": label, "source": "mean field", "week": w, "above_line": m_tr[w]} for w in weeks
        ]
    ax.set(xlabel="week", ylabel="share above the line (OWN)", ylim=(-0.02, 1.02))
    ax.set_title("Default organization: agent runs (thin) and mean field (dashed)")
    ax.legend(fontsize=8, loc="center right")
    save_figure(fig, "regime")
    save_table(pd.DataFrame(traj_rows), "regime")

    summary = {
        "feedback_by_rung": f_rung,
        "thresholds": thresholds,
        "trajectories": trajs,
        "starts": list(starts),
    }
    return summary


def convergence(cfg: Config) -> pd.DataFrame:
    """Tipping share and critical push: agent (per seed) vs mean field, as N grows and silos open."""
    sizes = [75, 150, 300, 600] if cfg.quick else [75, 150, 300, 600, 1200]
    silos = [1.0, 0.5, 0.0] if cfg.quick else [1.0, 0.85, 0.5, 0.0]
    scales = [1] if cfg.quick else [1, 3]
    cases: list[tuple[str, float, ModelParams]] = [("one department", n, mf.one_department(n)) for n in sizes]
    for scale in scales:
        for silo in silos:
            cases.append(
                (
                    f"six departments x{scale}",
                    silo,
                    scaled_default(scale, silo_strength=silo, **mf.MEANFIELD_WORLD),
                )
            )
    tasks: list[tuple[Callable[..., Any], dict[str, Any]]] = []
    for _, _, p in cases:
        tasks += [(mf.tipping_share, {"params": p}), (mf.critical_push, {"params": p})]
        for s in cfg.few_seeds:
            tasks.append((agent_tipping_share, {"params": p, "seed": s}))
            tasks.append((agent_critical_push, {"params": p, "seed": s}))
    results = run_tasks(tasks, cfg.workers, "convergence")
    rows, k = [], 0
    for family, x, p in cases:
        n_staff = sum(d.frontline + -(-d.frontline // p.span) for d in p.departments) + p.executives
        mf_share, mf_push = results[k], results[k + 1]
        k += 2
        for s in cfg.few_seeds:
            rows.append(
                {
                    "family": family,
                    "x": x,
                    "n_staff": n_staff,
                    "seed": s,
                    "agent_tipping_share": results[k],
                    "agent_critical_push": results[k + 1],
                    "meanfield_tipping_share": mf_share,
                    "meanfield_critical_push": mf_push,
                }
            )
            k += 2
    df = pd.DataFrame(rows)
    save_table(df, "convergence")

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for col, family_filter, xlabel in (
        (0, "one department", "staff (one department; log scale)"),
        (1, "six departments", "silo_strength"),
    ):
        sub = df[df.family.str.startswith(family_filter)]
        for row, (agent_col, mf_col, ylabel) in enumerate(
            (
                ("agent_tipping_share", "meanfield_tipping_share", "tipping share (initial OWN share)"),
                ("agent_critical_push", "meanfield_critical_push", "critical push (drive units)"),
            )
        ):
            ax = axes[row, col]
            for j, (family, g) in enumerate(sub.groupby("family", sort=False)):
                xs = g["n_staff"] if col == 0 else g["x"]
                offset = 0 if col == 0 else 0.012 * (j - 0.5)
                ax.scatter(
                    xs + offset, g[agent_col], s=12, alpha=0.6, color=f"C{j}", label=f"agent, {family}"
                )
                stats = g.groupby(xs)[[agent_col, mf_col]].agg(["mean", "std"])
                ax.errorbar(
                    stats.index + offset,
                    stats[(agent_col, "mean")],
                    yerr=stats[(agent_col, "std")],
                    color=f"C{j}",
                    lw=1.2,
                    capsize=3,
                )
                ax.plot(stats.index, stats[(mf_col, "mean")], "k--" if j == 0 else "k:", lw=1.5)
            ax.plot([], [], "k--", label="mean field")
            if col == 0:
                ax.set_xscale("log")
            ax.set(xlabel=xlabel, ylabel=ylabel)
            ax.legend(fontsize=7)
    axes[0, 0].set_title("One department, N grows (silos irrelevant)")
    axes[0, 1].set_title("Six departments: silos open (mean field: dotted x3)")
    fig.tight_layout()
    save_figure(fig, "convergence")
    return df


def hysteresis(cfg: Config) -> pd.DataFrame:
    """Sweep a constant push up then down: agent runs (default org) and the mean-field continuation."""
    step = 0.1 if cfg.quick else 0.05
    up = np.round(np.arange(-1.2, 1.8 + 1e-9, step), 3)
    pushes = np.r_[up, up[::-1]]
    weeks = 100
    variants = {
        "customers and attrition off": (ModelParams(**mf.MEANFIELD_WORLD), mf.Levers()),
        "full default model": (ModelParams(), measured_feedback(cfg)),
    }
    tasks: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (mf.hysteresis, {"params": p, "pushes": list(pushes), "weeks_per_level": weeks, "levers": lv})
        for p, lv in variants.values()
    ]
    tasks += [
        (agent_hysteresis, {"params": p, "seed": s, "pushes": list(pushes), "weeks_per_level": weeks})
        for p, _ in variants.values()
        for s in cfg.few_seeds[:3]
    ]
    out = run_tasks(tasks, cfg.workers, "hysteresis")
    curves, agent = out[: len(variants)], out[len(variants) :]
    rows = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True)
    k = 0
    branch = np.r_[np.zeros(len(up), dtype=int), np.ones(len(up), dtype=int)]
    for ax, label, m_curve in zip(axes, variants, curves, strict=True):
        for s in cfg.few_seeds[:3]:
            a = np.asarray(agent[k])
            k += 1
            ax.plot(up, a[: len(up)], "C0-", lw=0.8, alpha=0.7)
            ax.plot(up, a[len(up) :][::-1], "C3-", lw=0.8, alpha=0.7)
            rows += [
                {
                    "model": label,
                    "source": f"agent seed {s}",
                    "sweep": ("up", "down")[b],
                    "push": c,
                    "above_line": v,
                }
                for c, v, b in zip(pushes, a, branch, strict=True)
            ]
        ax.plot(up, m_curve[: len(up)], "C0--", lw=2, label="sweep up (mean field dashed)")
        ax.plot(up, m_curve[len(up) :][::-1], "C3--", lw=2, label="sweep down (mean field dashed)")
        rows += [
            {"model": label, "source": "mean field", "sweep": ("up", "down")[b], "push": c, "above_line": v}
            for c, v, b in zip(pushes, m_curve, branch, strict=True)
        ]
        ax.axvline(0, color="grey", lw=0.5)
        ax.set(xlabel="push (constant extra drive)", title=label)
    axes[0].set_ylabel("share above the line after 100 weeks at each level")
    axes[0].legend(fontsize=8, loc="center left")
    fig.suptitle("Hysteresis: the push is stepped up, then down, in the same run")
    fig.tight_layout()
    save_figure(fig, "hysteresis")
    df = pd.DataFrame(rows)
    save_table(df, "hysteresis")
    return df


def contagion(cfg: Config) -> pd.DataFrame:
    """Spread from one owning department vs silo_strength, at low and high resistance."""
    mus = [-0.2, 0.2] if cfg.quick else [-0.4, -0.2, 0.0, 0.2]
    silos = [0.95, 0.7, 0.5] if cfg.quick else [0.95, 0.85, 0.7, 0.5, 0.3, 0.0]
    designs = {
        "default model (sponsored department)": (True, ModelParams(), mus),
        "same, cross ties carry no extra blame": (True, ModelParams(cross_blame_weight=1.0), mus),
        "single threshold, network only": (
            False,
            ModelParams(**mf.MEANFIELD_WORLD).replace(w_lead=0.0, resistance_sd=0.0, cross_blame_weight=1.0),
            [-0.7, -0.6, -0.5, -0.4] if not cfg.quick else [-0.7, -0.4],
        ),
    }
    cases = []
    for design, (with_executives, p, levels) in designs.items():
        for mu in levels:
            for silo in silos:
                for s in cfg.few_seeds:
                    q = p.replace(resistance_mean=mu, silo_strength=silo)
                    cases.append(
                        (
                            design,
                            mu,
                            silo,
                            s,
                            (spread_time, {"params": q, "seed": s, "with_executives": with_executives}),
                        )
                    )
    out = run_tasks([c[4] for c in cases], cfg.workers, "contagion")
    df = pd.DataFrame(
        [
            {"design": d, "resistance_mean": mu, "silo_strength": silo, "seed": s, "spread_weeks": t}
            for (d, mu, silo, s, _), t in zip(cases, out, strict=True)
        ]
    )
    df["spread_rate"] = 1.0 / df["spread_weeks"]
    save_table(df, "contagion")
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for ax, (design, g) in zip(axes, df.groupby("design", sort=False), strict=True):
        for j, (mu, h) in enumerate(g.groupby("resistance_mean")):
            med = h.groupby("silo_strength")["spread_weeks"].median()
            ax.plot(
                med.index,
                np.where(np.isinf(med), np.nan, med),
                "o-",
                color=f"C{j}",
                label=f"resistance_mean {mu}",
            )
            never = med[np.isinf(med)]
            ax.plot(never.index, np.full(len(never), 265), "x", color=f"C{j}", ms=9)
        ax.set(
            xlabel="silo_strength (lower = more random cross-department ties)",
            ylabel="median weeks to spread",
        )
        ax.set_ylim(0, 275)
        ax.invert_xaxis()
        ax.set_title(design, fontsize=10)
        ax.legend(fontsize=8)
    axes[0].text(
        0.02, 0.97, "x at top: did not spread in 260 weeks", transform=axes[0].transAxes, fontsize=8, va="top"
    )
    fig.suptitle("Spread from one owning department as silos open")
    fig.tight_layout()
    save_figure(fig, "contagion")
    return df


TRAINING_PLANS = {
    "none": None,
    "frontline training only": Plan(
        "frontline", (Wave(0, 26, roles=("frontline",), coverage=0.5, education=0.9),)
    ),
    "frontline training + leaders coached": Plan(
        "frontline_and_leaders",
        (
            Wave(0, 26, roles=("frontline",), coverage=0.5, education=0.9),
            Wave(0, 26, roles=("managers", "executives"), coverage=0.5, education=0.9, leadership=0.9),
        ),
    ),
}


def training(cfg: Config) -> pd.DataFrame:
    """Frontline-only training with managers below the line, against the same training with coached leaders."""
    p = ModelParams()
    tasks = [
        (agent_trajectory, {"params": p, "seed": s, "weeks": 156, "plan": plan})
        for plan in TRAINING_PLANS.values()
        for s in cfg.seeds
    ]
    out = run_tasks(tasks, cfg.workers, "training")
    rows, k = [], 0
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharex=True)
    for j, label in enumerate(TRAINING_PLANS):
        runs = out[k : k + len(cfg.seeds)]
        k += len(cfg.seeds)
        for col, ax in zip(("above_line.frontline", "above_line.managers", "education"), axes, strict=True):
            arr = np.array([r[col] for r in runs])
            ax.plot(arr.mean(axis=0), color=f"C{j}", lw=2, label=label)
            ax.fill_between(
                np.arange(arr.shape[1]), arr.min(axis=0), arr.max(axis=0), color=f"C{j}", alpha=0.15
            )
            ax.set(title=col, xlabel="week")
        for s, r in zip(cfg.seeds, runs, strict=True):
            rows += [
                {"plan": label, "seed": s, "week": w, **{c: r[c][w] for c in TRACKED}}
                for w in range(len(r["above_line"]))
            ]
    for ax in axes:
        ax.axvspan(0, 26, color="grey", alpha=0.1)
    axes[0].legend(fontsize=8)
    fig.suptitle("Training only the frontline while managers stay below the line (mean and range over seeds)")
    fig.tight_layout()
    save_figure(fig, "training")
    df = pd.DataFrame(rows)
    save_table(df, "training")
    return df


def rocket_vs_pilot(cfg: Config) -> pd.DataFrame:
    """Probability of tipping at equal budget, over budget x cynicism_rate and budget x silo_strength."""
    plans = builtin_plans()
    budgets = (
        [100_000, 300_000, 600_000]
        if cfg.quick
        else [50_000, 100_000, 150_000, 200_000, 300_000, 450_000, 600_000]
    )
    cynicism = [0.0, 0.004] if cfg.quick else [0.0, 0.002, 0.004, 0.008]
    silos = [0.5, 0.85] if cfg.quick else [0.5, 0.7, 0.85, 0.95]
    base = ModelParams()
    grid = [("cynicism_rate", c) for c in cynicism] + [
        ("silo_strength", s) for s in silos if s != base.silo_strength
    ]
    names = ("rocket", "pilot", "frontline_pilot")
    cases = []
    for axis, value in grid:
        p = base.replace(**{axis: value})
        for budget in budgets:
            for name in names:
                for s in cfg.seeds:
                    task = (plan_outcome, {"params": p, "plan": plans[name], "budget": budget, "seed": s})
                    cases.append((axis, value, budget, name, s, task))
    out = run_tasks([c[5] for c in cases], cfg.workers, "rocket vs pilot")
    rows = []
    for (axis, value, budget, name, s, _), r in zip(cases, out, strict=True):
        row = {"axis": axis, "value": value, "budget": budget, "plan": name, "seed": s, **r}
        row["cynicism_rate"] = value if axis == "cynicism_rate" else base.cynicism_rate
        row["silo_strength"] = value if axis == "silo_strength" else base.silo_strength
        rows.append(row)
    df = pd.DataFrame(rows)
    save_table(df, "rocket-vs-pilot")

    prob = df.groupby(["cynicism_rate", "silo_strength", "budget", "plan"])["tipped"].mean().unstack("plan")
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")
    for ax, cynicism_rate in ((axes[0, 0], base.cynicism_rate), (axes[1, 0], min(cynicism))):
        sub = prob.xs((cynicism_rate, base.silo_strength), level=("cynicism_rate", "silo_strength"))
        for name, style in (("rocket", "C3o-"), ("pilot", "C0s-"), ("frontline_pilot", "C2^:")):
            ax.plot(sub.index / 1000, sub[name], style, label=name)
        ax.set(xlabel="budget (thousands)", ylabel="P(tipped)", ylim=(-0.05, 1.05))
        ax.set_title(f"default organization, cynicism_rate = {cynicism_rate:g}", fontsize=10)
        ax.legend(fontsize=8)
    im = None
    for row, other in ((0, "pilot"), (1, "frontline_pilot")):
        for col, fixed, vary in (
            (1, ("silo_strength", base.silo_strength), "cynicism_rate"),
            (2, ("cynicism_rate", base.cynicism_rate), "silo_strength"),
        ):
            ax = axes[row, col]
            sub = prob.xs(fixed[1], level=fixed[0])
            diff = (sub["rocket"] - sub[other]).unstack("budget")
            im = ax.imshow(diff.values, origin="lower", cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
            ax.set_xticks(range(diff.shape[1]), [f"{b // 1000}k" for b in diff.columns], fontsize=8)
            ax.set_yticks(range(diff.shape[0]), [f"{v:g}" for v in diff.index])
            for (i, j), v in np.ndenumerate(diff.values):
                ax.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=7)
            ax.set(xlabel="budget", ylabel=vary)
            ax.set_title(f"P(rocket tips) - P({other} tips), {fixed[0]} = {fixed[1]:g}", fontsize=10)
    fig.colorbar(im, ax=axes[:, 1:], shrink=0.7, label="rocket tips more often (red) / less often (blue)")
    fig.suptitle(f"Equal budget, {len(cfg.seeds)} seeds per cell, 260 weeks")
    save_figure(fig, "rocket-vs-pilot")
    return df


# -- generated blocks of docs/ODD.md ----------------------------------------------------------
def _format_default(value: Any) -> str:
    if isinstance(value, tuple) and value and hasattr(value[0], "frontline"):
        return ", ".join(f"{d.name} {d.frontline}" for d in value)
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:g}" for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parameter_table() -> str:
    """Markdown table of every ModelParams field, from ``ModelParams.describe()``."""
    lines = ["| group | name | default | unit | range | meaning |", "|---|---|---|---|---|---|"]
    for row in ModelParams.describe():
        lo, hi = row.get("lo"), row.get("hi")
        rng = "" if lo is None and hi is None else f"[{lo:g}, {hi:g}]"
        lines.append(
            f"| {row['group']} | `{row['name']}` | {_format_default(row['default'])} | {row['unit']} | {rng} | {row['doc']} |"
        )
    return "\n".join(lines)


def calibration_table(
    thresholds: pd.DataFrame, trajectories: list[dict], starts: list[str], seeds: list[int]
) -> str:
    agent = thresholds[thresholds.model.str.startswith("agent")]
    field = thresholds[thresholds.model.str.startswith("mean field")].set_index("model")

    def span(col: str) -> str:
        v = agent[col].dropna()
        return f"{v.mean():.3f} (range {v.min():.3f} to {v.max():.3f}, {len(v)} seeds)"

    per_start: dict[str, np.ndarray] = {}
    for k, label in enumerate(starts):
        runs = trajectories[k * len(seeds) : (k + 1) * len(seeds)]
        per_start[label] = np.array([r["above_line"] for r in runs])
    d = per_start["default start"]
    weeks_below = [str(int(np.argmax(row < 0.01))) if (row < 0.01).any() else "never" for row in d]
    lines = [
        "| quantity | agent model (default organization, full model) | mean field (F by rung / no customers) |",
        "|---|---|---|",
        f"| above the line from the default start, week 0 -> 52 -> 260 | {d[:, 0].mean():.3f} -> {d[:, 52].mean():.3f} -> {d[:, 260].mean():.3f} (mean) | see figure |",
        f"| weeks until below 1% above the line (default start) | {', '.join(weeks_below)} | |",
        f"| max above the line from all-BLAME (260 weeks) | {per_start['all BLAME'].max():.3f} | {field.iloc[1]['low_state']:.3f} / {field.iloc[0]['low_state']:.3f} |",
        f"| min above the line from all-OWN (260 weeks) | {per_start['all OWN'].min():.3f} | {field.iloc[1]['high_state']:.3f} / {field.iloc[0]['high_state']:.3f} |",
        f"| tipping share (initial OWN share, rest BLAME, that tips) | {span('tipping_share')} | {field.iloc[1]['tipping_share']:.3f} / {field.iloc[0]['tipping_share']:.3f} |",
        f"| critical push up (all-BLAME tips) | {span('critical_push_up')} | {field.iloc[1]['critical_push_up']:.3f} / {field.iloc[0]['critical_push_up']:.3f} |",
        f"| critical push down (all-OWN falls) | {span('critical_push_down')} | {field.iloc[1]['critical_push_down']:.3f} / {field.iloc[0]['critical_push_down']:.3f} |",
    ]
    return "\n".join(lines)


def replace_block(path: Path, name: str, body: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in a file."""
    text = path.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"validation_figures: error: {path} lacks the markers {start} ... {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    new = f"{head}{start}\n{body}\n{end}{tail}"
    _atomic_write(path, lambda p: p.write_text(new))


EXPERIMENTS = ("regime", "convergence", "hysteresis", "contagion", "training", "rocket_vs_pilot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and levels (a smoke run)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--only", nargs="+", choices=EXPERIMENTS, help="run only these experiments")
    parser.add_argument(
        "--parameters-only", action="store_true", help="only rewrite the parameter table of docs/ODD.md"
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        print("validation_figures: error: --workers must be >= 1", file=sys.stderr)
        return 2
    cfg = Config(args.quick, args.workers)
    chosen = args.only or EXPERIMENTS
    replace_block(ODD, "parameters", parameter_table())
    if args.parameters_only:
        print(f"wrote the parameter table of {ODD}")
        return 0
    for name in tqdm(chosen, desc="experiments", unit="exp", position=0):
        result = globals()[name](cfg)
        if name == "regime":
            body = calibration_table(
                result["thresholds"], result["trajectories"], result["starts"], cfg.seeds
            )
            f = ", ".join(f"{x:+.2f}" for x in result["feedback_by_rung"])
            body += f"\n\nMean customer feedback F by rung used by the mean field (frontline, measured): {f}."
            if cfg.quick:
                body += " (quick run: fewer seeds)"
            replace_block(ODD, "calibration", body)
    print(f"wrote {IMG}/validation-*.png, {DATA}/validation-*.csv and the generated blocks of {ODD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
