"""Mesa agents: frontline staff, managers (executives are managers at level 2), customers.

An agent is a thin view of one slot of the model's state arrays: its
attributes read the live state. ``step`` is the per-agent rule of MODEL.md;
the ``agents`` engine calls it for every agent, the ``vectorized`` engine
runs the same formula on whole arrays (``sim.dynamics``, ``sim.customers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.customers import pick_server, serve
from sim.dynamics import drive, next_rung
from sim.params import ROLE_NAMES, RUNG_NAMES

if TYPE_CHECKING:
    from sim.model import CultureModel


class Employee(mesa.Agent):
    """A person in a staff slot; ``rung``, ``education``... read the live state."""

    model: CultureModel

    def __init__(self, model: CultureModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot
        self._next_rung = 0

    @property
    def rung(self) -> int:
        """0 BLAME, 1 SHAME, 2 JUSTIFY, 3 OWN."""
        return int(self.model.workforce.rung[self.slot])

    @property
    def rung_name(self) -> str:
        return RUNG_NAMES[self.rung]

    @property
    def above_the_line(self) -> bool:
        return self.rung == 3

    @property
    def education(self) -> float:
        return float(self.model.workforce.education[self.slot])

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
        org, wf, p = m.organization, m.workforce, m.params
        own = blame = 0.0
        for j in org.within.indices[org.within.indptr[i] : org.within.indptr[i + 1]]:
            own += wf.rung[j] == 3
            blame += wf.rung[j] == 0
        own_x = blame_x = 0.0
        for j in org.across.indices[org.across.indptr[i] : org.across.indptr[i + 1]]:
            own_x += wf.rung[j] == 3
            blame_x += wf.rung[j] == 0
        r = (own + own_x) / org.degree[i]
        b = (blame + p.cross_blame_weight * blame_x) / org.degree[i]
        bosses = org.bosses.indices[org.bosses.indptr[i] : org.bosses.indptr[i + 1]]
        lead = float(sum(int(wf.rung[j]) for j in bosses)) / (3.0 * org.n_bosses[i])
        u = drive(
            r,
            b,
            lead,
            wf.education[i],
            m.mechanism_by_person[i],
            wf.feedback[i],
            wf.alignment[i],
            wf.resistance[i] + wf.cynicism[i],
            p,
        )
        self._next_rung = int(next_rung(wf.rung[i], u, m.draws["move"][i], p.adaptability))

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
    """A customer account: its journey, expectation, loyalty and spend."""

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
    def departments(self) -> tuple[str, ...]:
        """Departments this customer's journey passes through."""
        cb, names = self.model.customers, self.model.organization.department_names
        second = int(cb.second[self.slot])
        first = names[int(cb.first[self.slot])]
        return (first,) if second < 0 else (first, names[second])

    def step(self) -> None:
        """Maybe deal with a frontline person this week, and learn from it."""
        m, c = self.model, self.slot
        cb, d, p = m.customers, m.draws, m.params
        if not d["contact"][c] < p.contact_rate:
            return
        server = pick_server(m.organization, cb.first[c], d["server"][c])
        sat, cb.expectation[c], cb.loyalty[c], fb, failed = serve(
            cb.expectation[c],
            cb.loyalty[c],
            m.workforce.rung[server],
            m.handoff_blame[cb.second[c]],
            d["fail"][c],
            d["recover"][c],
            d["noise"][c],
            p,
        )
        m.record_contact(c, server, sat, fb, failed)
