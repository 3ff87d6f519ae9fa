"""``blueline optimize`` end to end: search, the written plans' cheapest budgets, fresh-seed verification.

:func:`optimize` does the work on an open executor and returns an
:class:`Optimization`; :mod:`scenarios.optimize.results` writes it out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scenarios.optimize.evaluation import Evaluation
from scenarios.optimize.family import Dimension
from scenarios.optimize.references import Reference, best_reference, cheapest_budgets
from scenarios.optimize.search import PlanSearch, Question, SearchReport, TrialResult
from scenarios.optimize.verification import Verification, fresh_seeds, verify
from scenarios.runner import costing_organization
from scenarios.scenario import Scenario
from sim import Plan, fit_to_budget

REFERENCES_KEY = "references"


@dataclass
class Optimization:
    """What one ``blueline optimize`` produced.

    Attributes
    ----------
    scenario : Scenario
        As searched (its seeds are the evaluation seeds).
    question : Question
    search : SearchReport
        This session's search, with every finished trial.
    chosen : TrialResult or None
        The cheapest trial whose lower bound reaches the target; if none
        does, the trial with the highest lower bound (``reaches`` is False).
    reaches : bool
    plan : Plan or None
        The chosen trial's plan under its final name.
    front : list of TrialResult
        The Pareto front of expected cost against the lower bound, by cost.
    references : list of Reference
        Every written plan at its cheapest budget reaching the target.
    reference : Reference or None
        The best of them (:func:`best_reference`).
    verification : Verification or None
    notes : list of str
    seconds : float
        Wall time of this session.
    """

    scenario: Scenario
    question: Question
    search: SearchReport
    chosen: TrialResult | None
    reaches: bool
    plan: Plan | None
    front: list[TrialResult]
    references: list[Reference]
    reference: Reference | None
    verification: Verification | None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def target(self) -> float:
        return self.question.target

    @property
    def saving_confirmed(self) -> bool | None:
        """Whether the fresh seeds bear the saving out: the chosen plan reaches the target there, and the
        best written plan spending the same does not (None without a saving to check)."""
        if self.saving is None or self.verification is None or self.reference is None or self.plan is None:
            return None
        reaches = dict(zip(*[self.verification.table()[c] for c in ("plan", "reaches_target")], strict=True))
        return bool(reaches[self.plan.name]) and not reaches[f"{self.reference.name}_same_cost"]

    @property
    def saving(self) -> float | None:
        """How much cheaper the chosen plan is than the best written plan reaching the target (share of its cost)."""
        if not (self.reaches and self.reference is not None and self.reference.reaches and self.chosen):
            return None
        return 1 - self.chosen.cost / self.reference.cost


def pareto_front(trials: Sequence[TrialResult]) -> list[TrialResult]:
    """Trials no other trial beats on both cost (lower) and lower bound (higher), by cost; repeats left out."""
    distinct = [t for t in trials if t.same_as is None]
    front = []
    for t in distinct:
        dominated = any(
            o.cost <= t.cost
            and o.evaluation.lower >= t.evaluation.lower
            and (o.cost < t.cost or o.evaluation.lower > t.evaluation.lower)
            for o in distinct
        )
        if not dominated:
            front.append(t)
    return sorted(front, key=lambda t: (t.cost, t.number))


def choose(trials: Sequence[TrialResult], target: float) -> tuple[TrialResult | None, bool]:
    """The cheapest trial whose lower bound reaches ``target``; else the one with the highest lower bound."""
    reaching = [t for t in trials if t.evaluation.lower >= target]
    if reaching:
        return min(reaching, key=lambda t: (t.cost, t.number)), True
    best = max(trials, key=lambda t: (t.evaluation.lower, -t.cost, -t.number), default=None)
    return best, False


def optimize(
    folder: Path,
    scenario: Scenario,
    dims: Mapping[str, Dimension],
    question: Question,
    n_trials: int,
    references: Mapping[str, Plan],
    verify_seeds: int,
    executor: Any,
    plan_name: str = "optimized",
    restart: bool = False,
    min_effect: float = 0.10,
    on_trials: Callable[[int, list[TrialResult]], Any] | None = None,
    on_runs: Callable[[int], Any] | None = None,
    where: str = "--out",
) -> Optimization:
    """Search, price the written plans, verify; every step's runs through ``executor`` (already entered)."""
    started = time.perf_counter()
    params, weeks = scenario.params, scenario.weeks
    org = costing_organization(params)
    search = PlanSearch(folder, question, dims, params, org, weeks)
    with search.opened(restart=restart, where=where):
        report = search.run(n_trials, executor, on_trials=on_trials, on_runs=on_runs)

        def counted(n: int) -> None:
            report.runs += n
            if on_runs is not None:
                on_runs(n)

        cached = search.cached(REFERENCES_KEY)
        known = {r["name"]: Reference.from_dict(r) for r in cached} if cached else {}
        todo = {n: p for n, p in references.items() if n not in known and p.waves}
        if todo:
            for ref in cheapest_budgets(
                dict(todo),
                params,
                org,
                scenario.budget,
                question.seeds,
                weeks,
                question.target,
                executor,
                question.round_size,
                on_runs=counted,
            ):
                known[ref.name] = ref
            search.cache(REFERENCES_KEY, [r.as_dict() for r in known.values()])
    refs = [known[n] for n in references if n in known]
    reference = best_reference(refs)
    chosen, reaches = choose(report.trials, question.target)
    plan = None
    verification = None
    if chosen is not None:
        plan = replace(chosen.plan, name=plan_name, description=_description(chosen, question, reaches))
        plans: dict[str, Plan] = {plan_name: plan}
        costs: dict[str, float] = {plan_name: chosen.cost}
        if reference is not None:
            at_own = fit_to_budget(references[reference.name], org, reference.budget, params, weeks)
            at_chosen = fit_to_budget(references[reference.name], org, chosen.cost, params, weeks)
            plans[reference.name] = replace(at_own.plan, name=reference.name)
            costs[reference.name] = at_own.expected_spend
            same = f"{reference.name}_same_cost"
            plans[same] = replace(at_chosen.plan, name=same)
            costs[same] = at_chosen.expected_spend
        seeds = fresh_seeds(question.seeds, verify_seeds)
        verification = verify(
            plans, costs, params, seeds, weeks, question.target, executor, min_effect, on_runs=counted
        )
    return Optimization(
        scenario=scenario,
        question=question,
        search=report,
        chosen=chosen,
        reaches=reaches,
        plan=plan,
        front=pareto_front(report.trials),
        references=refs,
        reference=reference,
        verification=verification,
        notes=list(report.notes),
        seconds=time.perf_counter() - started,
    )


def _description(chosen: TrialResult, question: Question, reaches: bool) -> str:
    ev: Evaluation = chosen.evaluation
    if reaches:
        how = f"the cheapest plan of the family whose 95% lower bound of P(tip) reached the target {question.target:g}"
    else:
        how = f"no plan reached the target {question.target:g}; this one had the highest 95% lower bound of P(tip)"
    return (
        f"blueline optimize, trial {chosen.number}: {how} ({ev.lower:.3f}; tipped {ev.tipped}/{ev.runs} evaluation "
        f"seeds). {chosen.plan.description}"
    )
