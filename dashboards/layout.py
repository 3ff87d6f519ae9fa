"""Where the organization's people and departments sit in the network picture.

Computed once per organization: the structure never changes mid-run
(a reorganization redraws only the ties between departments), only rungs do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.ladder import Rung
from sim.organization import MANAGER, Organization

AGGREGATE_ABOVE = 1000
"""Above this many people the picture shows departments, not people (a dot per person becomes a solid disc)."""


@dataclass(frozen=True)
class NetworkLayout:
    """Where each person sits in the picture: departments as clusters, executives in the middle.

    Computed once per organization (the structure never changes; only rungs do).

    Attributes
    ----------
    xy : ndarray, shape (n_staff, 2)
        Position of each staff slot.
    centres : ndarray, shape (n_departments, 2)
        Centre of each department's cluster (labels go just outside).
    radii : ndarray, shape (n_departments,)
        Radius of each cluster.
    """

    xy: np.ndarray
    centres: np.ndarray
    radii: np.ndarray


def _sunflower(n: int) -> np.ndarray:
    """n points spread evenly over a unit disc, the first ones at the centre."""
    k = np.arange(n) + 0.5
    r = np.sqrt(k / max(n, 1))
    theta = k * np.pi * (3 - np.sqrt(5))
    return np.c_[r * np.cos(theta), r * np.sin(theta)]


def network_layout(org: Organization) -> NetworkLayout:
    """Lay departments out as clusters on a ring, managers at each cluster's heart.

    Cluster areas are proportional to headcount, so a large department looks
    large; the ring leaves the middle to the executive team.
    """
    n_dept = org.n_departments
    sizes = np.bincount(org.department, minlength=n_dept + 1)[:n_dept].astype(float)
    radii = 0.16 * np.sqrt(sizes / max(sizes.max(), 1.0))
    angle = np.pi / 2 - 2 * np.pi * np.arange(n_dept) / max(n_dept, 1)
    ring = 0.0 if n_dept == 1 else max(0.62, 1.25 * radii.max() / np.sin(np.pi / n_dept))
    centres = ring * np.c_[np.cos(angle), np.sin(angle)]
    xy = np.zeros((org.n_staff, 2))
    for d in range(n_dept):
        members = np.flatnonzero(org.department == d)
        # managers first: they take the centre of the sunflower
        members = members[np.argsort(org.role[members] != MANAGER, kind="stable")]
        xy[members] = centres[d] + radii[d] * _sunflower(len(members))
    execs = np.flatnonzero(org.department == n_dept)
    if len(execs):
        # in the middle of the ring; with one department, above its cluster
        middle = np.array([0.0, 0.0]) if n_dept > 1 else np.array([0.0, radii[0] + 0.12])
        xy[execs] = middle + 0.05 * _sunflower(len(execs)) * (len(execs) > 1)
    return NetworkLayout(xy, centres, radii)


def across_ends(org: Organization) -> np.ndarray:
    """Slots at the two ends of each cross-department tie, shape (n_ties, 2)."""
    upper = org.across.tocoo()
    keep = upper.row < upper.col
    return np.c_[upper.row[keep], upper.col[keep]]


@dataclass(frozen=True)
class DepartmentFlows:
    """The organization summed by department: headcount, rung mix, and ties between departments.

    Attributes
    ----------
    headcount : ndarray, shape (n_departments,)
        People per department (people).
    rung_mix : ndarray, shape (n_departments, 4)
        Share of each department at each rung, BLAME first.
    pairs : ndarray, shape (n_pairs, 2)
        Department pairs joined by at least one tie.
    ties : ndarray, shape (n_pairs,)
        Cross-department ties per pair.
    blame_share, own_share : ndarray, shape (n_pairs,)
        Share of a pair's ties with a BLAME end, and with both ends at OWN.
    """

    headcount: np.ndarray
    rung_mix: np.ndarray
    pairs: np.ndarray
    ties: np.ndarray
    blame_share: np.ndarray
    own_share: np.ndarray


def department_flows(org: Organization, rung: np.ndarray) -> DepartmentFlows:
    """Bundle people into departments and their cross-department ties into one flow per pair."""
    n = org.n_departments
    dept = org.department
    staff = dept < n
    headcount = np.bincount(dept[staff], minlength=n).astype(float)
    counts = np.bincount(dept[staff] * 4 + rung[staff], minlength=4 * n).reshape(n, 4)
    rung_mix = counts / np.maximum(headcount[:, None], 1.0)
    ends = across_ends(org)
    if len(ends) == 0:
        empty = np.zeros(0)
        return DepartmentFlows(headcount, rung_mix, np.zeros((0, 2), int), empty, empty, empty)
    a, b = np.sort(dept[ends], axis=1).T
    key = a * (n + 1) + b
    pairs_key, index, ties = np.unique(key, return_inverse=True, return_counts=True)
    blame = np.bincount(index, weights=(rung[ends] == Rung.BLAME).any(axis=1), minlength=len(ties))
    own = np.bincount(index, weights=(rung[ends] == Rung.OWN).all(axis=1), minlength=len(ties))
    pairs = np.c_[pairs_key // (n + 1), pairs_key % (n + 1)]
    return DepartmentFlows(headcount, rung_mix, pairs, ties.astype(float), blame / ties, own / ties)
