"""One or two culture models stepped together: what the dashboard plays.

Side by side, both runs get the same parameters and the same seed, so they
start from the same organization, the same people and the same customers:
only the plan differs, and any gap between them is the plan's doing.
"""

from __future__ import annotations

from typing import Any

import mesa

from dashboards.settings import Settings
from sim import CultureModel


class Lockstep(mesa.Model):
    """A Mesa model holding one :class:`sim.CultureModel` per chosen plan, stepped in lockstep.

    Parameters
    ----------
    settings : Settings, optional
        The page's controls; defaults to ``Settings()``.

    Attributes
    ----------
    runs : list of CultureModel
        One per plan in ``settings.plan_names``, in that order.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings = settings or Settings()
        super().__init__(rng=int(settings.seed))
        params = settings.params()
        self.runs: list[CultureModel] = [
            CultureModel(params, plan, rng=int(settings.seed)) for plan in settings.plans(params)
        ]
        self.running = settings.weeks > 0

    @property
    def week(self) -> int:
        """Weeks simulated so far (the same for every run)."""
        return self.runs[0].week

    @property
    def organization(self) -> Any:
        """The organization all runs share (same parameters, same seed)."""
        return self.runs[0].organization

    def step(self) -> None:
        """One week for every run; stops running at the horizon ``settings.weeks``."""
        if self.week >= self.settings.weeks:
            self.running = False
            return
        for run in self.runs:
            run.step()
        self.running = self.week < self.settings.weeks
