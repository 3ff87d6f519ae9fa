"""Mesa agents: frontline staff, managers (executives are managers at level 2), customers.

An agent is a thin view of one slot of the model's state arrays: its
attributes read the live state. ``step`` is the per-agent rule of MODEL.md,
written with the same functions (:mod:`sim.dynamics`, :mod:`sim.customers`)
the compiled engine applies in its loops (:mod:`sim.compiled`); here they
run as plain Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.discrete_space import CellAgent

from sim import customers as cust
from sim import dynamics as dyn
from sim.ladder import RUNG_NAMES, Rung
from sim.params import ROLE_NAMES

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from sim.model import CultureModel


def _neighbours(matrix: csr_matrix, i: int) -> np.ndarray:
    return matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]


class Employee(CellAgent):
    """A person in a staff slot; ``rung``, ``education``... read the live state.

    The person sits in the slot's cell of ``model.grid`` (see :mod:`sim.colleague_grid`).
    """

    model: CultureModel

    def __init__(self, model: CultureModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot
        self._next_rung = 0

    @property
    def rung(self) -> Rung:
        return Rung(int(self.model.workforce.rung[self.slot]))

    @property
    def rung_name(self) -> str:
        return RUNG_NAMES[self.rung]

    @property
    def above_the_line(self) -> bool:
        return self.rung == Rung.OWN

    @property
    def education(self) -> float:
        return float(self.model.workforce.education[self.slot])

    @property
    def performance(self) -> float:
        """Talent drawn at hire: percentile in the labour market."""
        return float(self.model.workforce.performance[self.slot])

    @property
    def resistance(self) -> float:
        """Resistance drawn at hire plus the cynicism accumulated since."""
        wf = self.model.workforce
        return float(wf.resistance[self.slot] + wf.cynicism[self.slot])

    @property
    def department(self) -> str:
        """Department name (``executives`` for the top team)."""
        org = self.model.organization
        d = int(org.department[self.slot])
        return org.department_names[d] if d < org.n_departments else "executives"

    @property
    def role(self) -> str:
        return ROLE_NAMES[int(self.model.organization.role[self.slot])]

    def step(self) -> None:
        """Decide next week's rung from last week's state (MODEL.md, weekly rule)."""
        m, i = self.model, self.slot
        org, wf, p, s, o = m.organization, m.workforce, m.numbers, m.signals, m.structure
        assert s is not None
        inside, across = wf.rung[_neighbours(org.within, i)], wf.rung[_neighbours(org.across, i)]
        r, b = dyn.peer_shares(
            np.count_nonzero(inside == Rung.OWN),
            np.count_nonzero(inside == Rung.BLAME),
            np.count_nonzero(across == Rung.OWN),
            np.count_nonzero(across == Rung.BLAME),
            org.degree[i],
            p.cross_blame_weight,
        )
        bosses, team = wf.rung[_neighbours(org.bosses, i)], wf.rung[_neighbours(org.reports, i)]
        lead = dyn.leader_signal(
            int(bosses.sum()) / org.n_bosses[i],
            int(team.sum()) / org.n_reports[i],
            s.results,
            o.w_boss[i],
            o.w_team[i],
            o.w_results[i],
        )
        u = dyn.drive(
            r,
            b,
            lead,
            wf.education[i],
            s.mechanisms[i],
            wf.feedback[i],
            wf.alignment[i],
            o.outside[i],
            wf.resistance[i] + wf.cynicism[i],
            p,
        )
        self._next_rung = int(dyn.next_rung(wf.rung[i], u, s.move[i], s.mood[i], p))

    def advance(self) -> None:
        """Adopt the rung decided in :meth:`step` (everyone decides at once)."""
        self.model.workforce.rung[self.slot] = self._next_rung


class FrontlineStaff(Employee):
    """Serves customers of one department."""


class Manager(Employee):
    """Heads a team in a department (level 1), or sits on the executive team (level 2)."""

    @property
    def level(self) -> int:
        return 2 if self.role == "executives" else 1


class Customer(mesa.Agent):
    """A customer account: its journey, value, expectation, loyalty and spend."""

    model: CultureModel

    def __init__(self, model: CultureModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    @property
    def loyalty(self) -> float:
        return float(self.model.customers.loyalty[self.slot])

    @property
    def expectation(self) -> float:
        return float(self.model.customers.expectation[self.slot])

    @property
    def value(self) -> float:
        """The account's spend percentile in the market."""
        return float(self.model.customers.value[self.slot])

    @property
    def departments(self) -> tuple[str, ...]:
        """Departments this customer's journey passes through."""
        names = self.model.organization.department_names
        return tuple(names[d] for d in self.model.customers.journey[self.slot] if d >= 0)

    def step(self) -> None:
        """Maybe deal with a frontline person this week, and learn from it."""
        m, c = self.model, self.slot
        cb, k, p, org = m.customers, m.contacts, m.numbers, m.organization
        assert k is not None
        j = m.contact_index(c)
        if j is None:
            return
        server = cust.pick_server(
            org.frontline_start, org.frontline_slots, cb.journey[c, 0], k.server_draw[j]
        )
        sat, cb.expectation[c], cb.loyalty[c], fb, failed = cust.serve(
            cb.expectation[c],
            cb.loyalty[c],
            cb.value[c],
            m.workforce.rung[server],
            m.workforce.performance[server],
            cust.handoff_blame(cb.journey[c], k.blame_share),
            k.fail[j],
            k.recover[j],
            k.noise[j],
            p,
        )
        m.record_contact(j, server, sat, fb, failed)
