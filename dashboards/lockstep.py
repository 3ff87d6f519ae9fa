"""One or two culture models and the no-plan baseline, stepped together: what the dashboard plays.

Every run gets the same parameters and the same seed, so they start from
the same organization, the same people and the same customers: only the
plan differs, and any gap between them is the plan's doing. The baseline
runs no plan at all, so a collapse that would have happened anyway is
visible as such.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import mesa

from dashboards.settings import Settings
from sim import CultureModel, Plan
from sim.interventions import Wave

Move = tuple[int, Literal["adjust", "launch"], Any]
"""A lever moved mid-run: (week, kind, changes dict or Wave)."""


class Lockstep(mesa.Model):
    """A Mesa model holding one :class:`sim.CultureModel` per chosen plan and a baseline, stepped in lockstep.

    Parameters
    ----------
    settings : Settings, optional
        The page's controls; defaults to ``Settings()``.

    Attributes
    ----------
    runs : list of CultureModel
        One per plan in ``settings.plan_names``, in that order.
    baseline : CultureModel
        The same organization and seed with no plan.
    moves : list of Move
        Levers moved mid-run, replayed when jumping back in time.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings = settings or Settings()
        super().__init__(rng=int(settings.seed))
        self.moves: list[Move] = []
        self._start()

    def _start(self) -> None:
        settings = self.settings
        params = settings.params()
        self.runs: list[CultureModel] = [
            CultureModel(params, plan, rng=int(settings.seed)) for plan in settings.plans(params)
        ]
        self.baseline = CultureModel(params, Plan("none", description="no plan"), rng=int(settings.seed))
        self.running = settings.weeks > 0

    @property
    def every_run(self) -> list[CultureModel]:
        """The plans' runs, then the baseline."""
        return [*self.runs, self.baseline]

    @property
    def week(self) -> int:
        """Weeks simulated so far (the same for every run)."""
        return self.runs[0].week

    @property
    def organization(self) -> Any:
        """The organization all runs share (same parameters, same seed, same reorganizations)."""
        return self.runs[0].organization

    def step(self) -> None:
        """One week for every run; stops running at the horizon ``settings.weeks``."""
        if self.week >= self.settings.weeks:
            self.running = False
            return
        for run in self.every_run:
            run.step()
        self.running = self.week < self.settings.weeks

    # -- levers ------------------------------------------------------------------------------------
    def adjust(self, **changes: Any) -> None:
        """Move parameter levers from this week on, in every run and the baseline.

        A reorganization (``silo_strength``) is drawn once and given to every
        run, so side by side the plans still share one organization.
        """
        self._apply((self.week, "adjust", dict(changes)))

    def launch(self, wave: Wave) -> None:
        """Start ``wave`` now in every plan's run (not in the baseline, which has no plan)."""
        self._apply((self.week, "launch", wave))

    def _apply(self, move: Move) -> None:
        _, kind, payload = move
        if kind == "adjust":
            first, *others = self.every_run
            first.adjust(**payload)
            for run in others:
                run.adjust(**payload)
                run.organization = first.organization
        else:
            for run in self.runs:
                run.launch(payload)
        self.moves.append(move)

    # -- jumping -----------------------------------------------------------------------------------
    def jump_to(self, week: int, progress: Callable[[int], None] | None = None) -> None:
        """Run to ``week`` (capped at the horizon) without drawing; back in time replays from week 0.

        Levers moved before ``week`` are moved again at their weeks, so
        jumping back and forth gives the same numbers as playing through;
        levers moved at ``week`` or later are forgotten (that future is open again).
        """
        week = max(0, min(int(week), int(self.settings.weeks)))
        if week < self.week:
            moves, self.moves = self.moves, []
            self._start()
        else:
            moves = []
        pending = [m for m in moves if m[0] < week]
        while self.week < week:
            for move in [m for m in pending if m[0] == self.week]:
                self._apply(move)
            self.step()
            if progress is not None:
                progress(self.week)
        self.running = self.week < self.settings.weeks
