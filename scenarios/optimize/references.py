"""The written plans the optimizer must beat: the cheapest budget at which each reaches the target.

A written plan (built-in, or the scenario's own) has a shape but no price:
``compare`` scales it to a budget. Here each is scaled (:func:`sim.fit_to_budget`)
to budgets between :data:`LOW_SHARE` and :data:`HIGH_SHARE` times the
scenario's budget, searched by bisection on a log scale, each budget run on
the same evaluation seeds with the same stopping rule as the trials. The
bisection assumes that more money does not lower P(tip); where it does, the
budget found is one that reaches the target, not surely the lowest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scenarios.optimize.evaluation import Evaluation, evaluate
from sim import ModelParams, Plan, fit_to_budget
from sim.organization import Organization

LOW_SHARE = 1 / 64
HIGH_SHARE = 4.0
STEPS = 7
"""Bisection steps: the budget found is within (HIGH/LOW)^(1/2^STEPS), about 3.3%, of the threshold."""


@dataclass(frozen=True)
class Reference:
    """A written plan at the cheapest budget found that reaches the target (or at the highest tried).

    Attributes
    ----------
    name : str
    reaches : bool
        Whether any budget tried reaches the target.
    budget : float
        The cheapest budget that reaches it; the highest tried when none does (currency).
    cost : float
        The fitted plan's expected spend at that budget (below ``budget`` when it cannot spend it).
    evaluation : Evaluation
        Its runs at that budget.
    probes : list of dict
        Every budget tried, in order, with its runs and tips.
    """

    name: str
    reaches: bool
    budget: float
    cost: float
    evaluation: Evaluation
    probes: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reaches": self.reaches,
            "budget": self.budget,
            "cost": self.cost,
            "evaluation": self.evaluation.as_dict(),
            "probes": list(self.probes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        return cls(
            str(data["name"]),
            bool(data["reaches"]),
            float(data["budget"]),
            float(data["cost"]),
            Evaluation.from_dict(data["evaluation"]),
            tuple(data["probes"]),
        )


def cheapest_budgets(
    plans: dict[str, Plan],
    params: ModelParams,
    org: Organization,
    budget: float,
    seeds: Sequence[int],
    weeks: int,
    target: float,
    executor: Any,
    round_size: int,
    on_runs: Callable[[int], Any] | None = None,
) -> list[Reference]:
    """Each plan's cheapest budget reaching ``target``, all plans bisected together (one batch per step)."""
    names = [n for n, p in plans.items() if p.waves]
    lo = {n: math.log(budget * LOW_SHARE) for n in names}
    hi = {n: math.log(budget * HIGH_SHARE) for n in names}
    best: dict[str, tuple[float, float, Evaluation] | None] = dict.fromkeys(names)
    probes: dict[str, list[dict[str, Any]]] = {n: [] for n in names}

    def probe(asked: dict[str, float]) -> dict[str, tuple[float, Evaluation]]:
        fits = {n: fit_to_budget(plans[n], org, b, params, weeks) for n, b in asked.items()}
        results = evaluate(
            [f.plan for f in fits.values()],
            params,
            seeds,
            weeks,
            target,
            executor,
            round_size,
            on_runs=on_runs,
        )
        out = {}
        for (n, b), fit, ev in zip(asked.items(), fits.values(), results, strict=True):
            probes[n].append({"budget": b, "cost": fit.expected_spend, "runs": ev.runs, "tipped": ev.tipped})
            out[n] = (fit.expected_spend, ev)
        return out

    top = probe({n: math.exp(hi[n]) for n in names})
    live = []
    for n, (cost, ev) in top.items():
        best[n] = (math.exp(hi[n]), cost, ev)
        if ev.lower >= target:
            live.append(n)
    for _ in range(STEPS):
        if not live:
            break
        mids = {n: math.exp(0.5 * (lo[n] + hi[n])) for n in live}
        for n, (cost, ev) in probe(mids).items():
            if ev.lower >= target:
                hi[n] = math.log(mids[n])
                best[n] = (mids[n], cost, ev)
            else:
                lo[n] = math.log(mids[n])
    out = []
    for n in names:
        b, cost, ev = best[n]  # type: ignore[misc]
        out.append(Reference(n, ev.lower >= target, b, cost, ev, tuple(probes[n])))
    return out


def best_reference(references: Sequence[Reference]) -> Reference | None:
    """The cheapest that reaches the target; if none does, the one with the highest lower bound."""
    reaching = [r for r in references if r.reaches]
    if reaching:
        return min(reaching, key=lambda r: (r.cost, r.name))
    return max(
        references, key=lambda r: (r.evaluation.lower, r.evaluation.p_tip.estimate, -r.cost), default=None
    )
