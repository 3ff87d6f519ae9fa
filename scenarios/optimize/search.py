"""The search: an Optuna study over the plan family, kept in SQLite in the output folder.

Two objectives: the plan's expected cost (currency, minimised) and the 95%
Wilson lower bound of its P(tip) over the evaluation seeds (maximised),
with the constraint that the lower bound reaches the target, so the
sampler (multi-objective TPE by default, or NSGA-II) spends its trials
near the cheapest plans that tip. Trials are asked in batches of a fixed
size, whatever the number of workers, evaluated together
(:mod:`scenarios.optimize.evaluation`) and told. The sampler is seeded
afresh before each batch from the study's seed and the number of trials
so far, so a study stopped after any batch — or killed inside one, whose
asked trials are evaluated when it resumes — continues exactly as if it
had never stopped, and repeats no finished trial.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.inputs import InputError
from scenarios.optimize.evaluation import Evaluation, evaluate
from scenarios.optimize.family import Dimension, plan_of, used
from sim import ModelParams, Plan, expected_cost
from sim.organization import Organization

STUDY_FILE = "study.sqlite3"
LOCK_FILE = ".study.lock"
STUDY_NAME = "blueline-optimize"
SAMPLERS = ("tpe", "nsga2")
BATCH = 8
"""Trials asked before any is told: fixed, so the study does not depend on the number of workers."""
REPEAT_ALLOWANCE = 3
"""A study stops at this many times the trials asked, however many repeat a plan already run."""
STARTUP_TRIALS = 16
"""Trials TPE samples at random before it models the good ones."""


@dataclass(frozen=True)
class Question:
    """What a study answers; a study folder resumes only the same question.

    Attributes
    ----------
    scenario : str
        The scenario written out in full (TOML), with command-line changes.
    family : dict
        Every dimension of the family (:meth:`Dimension.describe`).
    target : float
        P(tip) the lower bound must reach.
    seeds : tuple of int
        The evaluation seeds.
    sampler : str
        ``tpe`` or ``nsga2``.
    seed : int
        The sampler's seed.
    batch, round_size : int
        Trials per batch; seeds per round of a candidate.
    """

    scenario: str
    family: dict[str, Any]
    target: float
    seeds: tuple[int, ...]
    sampler: str
    seed: int
    batch: int
    round_size: int

    def identity(self) -> dict[str, Any]:
        """The question as plain data (the scenario as a digest)."""
        return {
            "scenario": hashlib.sha256(self.scenario.encode()).hexdigest()[:16],
            "family": self.family,
            "target": self.target,
            "seeds": list(self.seeds),
            "sampler": self.sampler,
            "seed": self.seed,
            "batch": self.batch,
            "round_size": self.round_size,
        }


@dataclass(frozen=True)
class TrialResult:
    """One finished trial: the point of the family, its plan, cost and evaluation."""

    number: int
    point: dict[str, Any]
    plan: Plan
    cost: float
    evaluation: Evaluation
    session: int
    same_as: int | None = None


@dataclass
class SearchReport:
    """What one session of the search did."""

    trials: list[TrialResult]
    new_trials: int = 0
    resumed_trials: int = 0
    runs: int = 0
    seconds: float = 0.0
    session: int = 1
    notes: list[str] = field(default_factory=list)


def quiet_optuna() -> None:
    """One progress display only: Optuna's own log lines and experimental warnings are silenced."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.logging.disable_default_handler()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def suggest(trial: Any, dims: Mapping[str, Dimension]) -> dict[str, Any]:
    """A point of the family from an Optuna trial: only the coordinates that matter at it are asked."""
    point: dict[str, Any] = {}
    for name, dim in dims.items():
        if not used(point, name):
            continue
        if dim.fixed:
            point[name] = dim.choices[0]  # type: ignore[index]
        elif dim.choices is not None:
            point[name] = trial.suggest_categorical(name, list(dim.choices))
        else:
            high = dim.high
            if dim.staged_high is not None and point.get("staging") == "one_at_a_time":
                high = dim.staged_high
            if dim.integer:
                point[name] = trial.suggest_int(name, int(dim.low), int(high))
            else:
                point[name] = trial.suggest_float(name, dim.low, high, log=dim.log)
    return point


def plan_key(plan: Plan) -> str:
    """Two trials with the same key run the same plan (the name aside)."""
    return repr(plan.waves)


class PlanSearch:
    """A resumable study over a plan family for one question.

    Parameters
    ----------
    folder : Path
        The output folder (holds ``study.sqlite3``).
    question : Question
    dims : mapping of str to Dimension
        The family (fitted to the horizon).
    params : ModelParams
        The scenario's parameters.
    org : Organization
        The organization plans are costed on.
    weeks : int
        The horizon.
    """

    def __init__(
        self,
        folder: Path,
        question: Question,
        dims: Mapping[str, Dimension],
        params: ModelParams,
        org: Organization,
        weeks: int,
    ) -> None:
        self.folder, self.question, self.dims = Path(folder), question, dict(dims)
        self.params, self.org, self.weeks = params, org, weeks
        self.study: Any = None
        self._results: dict[int, TrialResult] = {}

    # -- the study on disk --------------------------------------------------------------------------

    @contextmanager
    def opened(self, restart: bool = False, where: str = "--out") -> Iterator[PlanSearch]:
        """Hold the folder's lock and open (or create) the study; check it asks this question.

        Raises
        ------
        InputError
            Another process holds the study, or it answers another question.
        """
        import optuna

        quiet_optuna()
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / LOCK_FILE, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError(
                    f"{where} {self.folder}: another blueline optimize is using this study; wait for it or "
                    "choose another folder"
                ) from None
            path = self.folder / STUDY_FILE
            if restart:
                path.unlink(missing_ok=True)
            storage = optuna.storages.RDBStorage(
                f"sqlite:///{path.resolve()}", engine_kwargs={"creator": lambda: _connect(path)}
            )
            self.study = optuna.create_study(
                storage=storage,
                study_name=STUDY_NAME,
                directions=["minimize", "maximize"],
                load_if_exists=True,
            )
            self._check_question(where)
            try:
                yield self
            finally:
                storage.engine.dispose()
                self.study = None
                self._results = {}

    def _check_question(self, where: str) -> None:
        mine = self.question.identity()
        stored = self.study.user_attrs.get("question")
        if stored is None:
            self.study.set_user_attr("question", mine)
            return
        for key, value in mine.items():
            if json.dumps(stored.get(key), sort_keys=True) != json.dumps(value, sort_keys=True):
                raise InputError(
                    f"{where} {self.folder}: holds a study of another question (its {key} differs: "
                    f"{_short(stored.get(key))} there, {_short(value)} now); choose another folder, or add "
                    "--restart to discard that study"
                )

    def cached(self, key: str) -> Any:
        """Something stored with the study (reference results), or None."""
        return self.study.user_attrs.get(key)

    def cache(self, key: str, value: Any) -> None:
        self.study.set_user_attr(key, value)

    # -- trials -------------------------------------------------------------------------------------

    def finished(self) -> list[TrialResult]:
        """Every complete trial, by number."""
        from optuna.trial import TrialState

        return [self._result(t) for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]

    def distinct(self) -> int:
        """Finished trials that ran a plan of their own (a repeat of an earlier plan is not counted)."""
        return sum(t.same_as is None for t in self.finished())

    def _result(self, frozen: Any) -> TrialResult:
        if frozen.number not in self._results:
            self._results[frozen.number] = self._read(frozen)
        return self._results[frozen.number]

    def _read(self, frozen: Any) -> TrialResult:
        attrs = frozen.user_attrs
        point = dict(attrs["point"])
        return TrialResult(
            number=frozen.number,
            point=point,
            plan=plan_of(point, self.org, self.weeks, name=f"trial-{frozen.number}"),
            cost=float(attrs["cost"]),
            evaluation=Evaluation.from_dict(attrs["evaluation"]),
            session=int(attrs.get("session", 0)),
            same_as=attrs.get("same_as"),
        )

    def sampler(self) -> Any:
        """The sampler for the next batch, seeded from the study's seed and its count of finished trials."""
        import optuna

        seed = self.question.seed + len(self.finished())
        if self.question.sampler == "nsga2":
            return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(4, 4 * self.question.batch))
        return optuna.samplers.TPESampler(
            seed=seed, multivariate=True, group=True, constant_liar=True, n_startup_trials=STARTUP_TRIALS
        )

    def run(
        self,
        n_trials: int,
        executor: Any,
        on_trials: Callable[[int, list[TrialResult]], Any] | None = None,
        on_runs: Callable[[int], Any] | None = None,
    ) -> SearchReport:
        """Finish the trials a killed session left asked, then run batches until ``n_trials`` are complete.

        Parameters
        ----------
        n_trials : int
            Distinct plans the study should have run (earlier sessions' count). A trial that
            repeats a plan costs no runs and is not counted, up to :data:`REPEAT_ALLOWANCE`
            times ``n_trials`` trials in all (a small family has few distinct plans).
        executor : LocalExecutor or DaskExecutor
            Already entered.
        on_trials : callable, optional
            Called after each batch with the number of trials told and every finished trial.
        on_runs : callable, optional
            Called with the number of runs after each finished chunk.
        """
        import time

        started = time.perf_counter()
        session = int(self.study.user_attrs.get("sessions", 0)) + 1
        self.study.set_user_attr("sessions", session)
        report = SearchReport([], session=session)

        def count(n: int) -> None:
            report.runs += n
            if on_runs is not None:
                on_runs(n)

        report.resumed_trials = self._finish_orphans(session, executor, count)
        if report.resumed_trials and on_trials is not None:
            on_trials(report.resumed_trials, self.finished())
        while self.distinct() < n_trials and len(self.finished()) < REPEAT_ALLOWANCE * n_trials:
            self.study.sampler = self.sampler()
            size = min(self.question.batch, n_trials - self.distinct())
            started_at = len(self.finished())
            asked, points = [], []
            for _ in range(size):
                trial = self.study.ask()
                trial.set_user_attr("batch", [started_at, size])
                point = suggest(trial, self.dims)
                trial.set_user_attr("point", point)  # last: a trial with a point was fully asked
                asked.append(trial)
                points.append(point)
            self._evaluate_and_tell(asked, points, session, executor, count)
            report.new_trials += size
            if on_trials is not None:
                on_trials(size, self.finished())
        report.trials = self.finished()
        report.seconds = time.perf_counter() - started
        return report

    def _finish_orphans(self, session: int, executor: Any, on_runs: Callable[[int], Any]) -> int:
        """Evaluate and tell the trials a killed session asked; return how many.

        A batch killed while it was being asked is dropped (its trials marked
        failed, which the samplers ignore) and asked again whole, from the same
        seed; a batch asked in full is evaluated as it was asked.
        """
        from optuna.trial import Trial, TrialState

        orphans = self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))
        batches: dict[int, list[Any]] = {}
        for frozen in orphans:
            start, _ = frozen.user_attrs.get("batch", [-1, 0])
            batches.setdefault(int(start), []).append(frozen)
        finished = 0
        for start, members in sorted(batches.items()):
            size = members[0].user_attrs.get("batch", [-1, 0])[1]
            if start < 0 or len(members) != size or any("point" not in t.user_attrs for t in members):
                for frozen in members:
                    self.study.tell(frozen.number, state=TrialState.FAIL)
                continue
            asked = [Trial(self.study, t._trial_id) for t in members]
            self._evaluate_and_tell(
                asked, [dict(t.user_attrs["point"]) for t in members], session, executor, on_runs
            )
            finished += len(members)
        return finished

    def _evaluate_and_tell(
        self,
        asked: list[Any],
        points: list[dict[str, Any]],
        session: int,
        executor: Any,
        on_runs: Callable[[int], Any],
    ) -> None:
        """Evaluate a batch and tell every trial; a plan evaluated before is not run again."""
        known: dict[str, TrialResult] = {}
        for done in self.finished():
            known.setdefault(plan_key(done.plan), done)
        plans = [
            plan_of(p, self.org, self.weeks, name=f"trial-{t.number}")
            for t, p in zip(asked, points, strict=True)
        ]
        todo: dict[str, Plan] = {}
        for plan in plans:
            key = plan_key(plan)
            if key not in known and key not in todo:
                todo[key] = plan
        fresh = evaluate(
            list(todo.values()),
            self.params,
            self.question.seeds,
            self.weeks,
            self.question.target,
            executor,
            self.question.round_size,
            on_runs=on_runs,
        )
        evaluated = dict(zip(todo, fresh, strict=True))
        first_of = {key: plans[[plan_key(p) for p in plans].index(key)] for key in todo}
        for trial, plan in zip(asked, plans, strict=True):
            key = plan_key(plan)
            same_as = known[key].number if key in known else None
            if key in evaluated and first_of[key] is not plan:
                same_as = int(first_of[key].name.removeprefix("trial-"))
            evaluation = known[key].evaluation if key in known else evaluated[key]
            cost = expected_cost(plan, self.org, self.params, self.weeks)
            trial.set_user_attr("cost", cost)
            trial.set_user_attr("evaluation", evaluation.as_dict())
            trial.set_constraint("lower_bound_below_target", self.question.target - evaluation.lower)
            trial.set_user_attr("session", session)
            trial.set_user_attr("ran", evaluation.runs if same_as is None and key in evaluated else 0)
            if same_as is not None:
                trial.set_user_attr("same_as", same_as)
            self.study.tell(trial.number, [cost, evaluation.lower])


def _connect(path: Path) -> Any:
    """A SQLite connection in write-ahead mode, committed without waiting for the disk.

    A killed process loses nothing it committed (only a crash of the machine
    may lose the last trials); waiting for the disk at every commit made
    bookkeeping, not simulation, the slow part of a search.
    """
    import sqlite3

    connection = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 40 else text[:37] + "..."
