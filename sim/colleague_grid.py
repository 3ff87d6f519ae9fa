"""The colleague network as a Mesa space: one cell per staff slot, for Mesa's own tools.

The weekly rule reads the organization's sparse matrices; this
:class:`mesa.discrete_space.Network` mirrors them (a cell per slot, an edge
per colleague or reporting tie) so that ``mesa.visualization``'s
``make_space_component``, cell neighbourhoods and ``CellAgent`` movement
work as in any Mesa model. A slot keeps its cell when its holder leaves:
the new hire is placed in the same cell. Positions are fixed, not drawn
(departments on a ring of small circles, executives in the middle), so a
seed gives the same picture and building the space draws no random numbers.
"""

from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Network

from sim.organization import Organization


def colleague_graph(org: Organization) -> nx.Graph:
    """Staff slots as nodes; colleague ties (within and across departments) and reporting lines as edges."""
    ties = sp.triu(org.within + org.across + org.bosses + org.bosses.T, k=1).tocoo()
    graph = nx.Graph()
    graph.add_nodes_from(range(org.n_staff))
    graph.add_edges_from(zip(ties.row.tolist(), ties.col.tolist(), strict=True))
    return graph


def slot_positions(org: Organization) -> dict[int, tuple[float, float]]:
    """Each slot's place: one small circle per department on a ring, the executives at the centre."""
    positions: dict[int, tuple[float, float]] = {}
    n_groups = org.n_departments
    for group in range(n_groups + 1):
        slots = np.flatnonzero(org.department == group)
        if group == n_groups:
            cx = cy = 0.0
        else:
            cx, cy = math.cos(2 * math.pi * group / n_groups), math.sin(2 * math.pi * group / n_groups)
        radius = 0.08 + 0.02 * math.sqrt(len(slots))
        for k, slot in enumerate(slots):
            angle = 2 * math.pi * k / max(1, len(slots))
            positions[int(slot)] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    return positions


def colleague_grid(org: Organization, rng: random.Random) -> Network:
    """The Mesa space of the organization: one cell (capacity 1) per staff slot."""
    return Network(colleague_graph(org), capacity=1, random=rng, layout=slot_positions(org))
