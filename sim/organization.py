"""The organization: departments (silos), reporting lines and the colleague network.

People are numbered in slots: each department's frontline staff, then its
managers, department after department, then the executives. A slot keeps its
department and role when its holder leaves and is replaced.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.params import ModelParams

if TYPE_CHECKING:
    import scipy.sparse as sp

FRONTLINE, MANAGER, EXECUTIVE = 0, 1, 2


@dataclass(frozen=True)
class Organization:
    """The fixed structure of an organization, as arrays over staff slots.

    Attributes
    ----------
    department_names : tuple of str
        Departments in order; executives sit in an extra index ``n_departments``.
    role : ndarray of int8, shape (n_staff,)
        ``FRONTLINE``, ``MANAGER`` or ``EXECUTIVE``.
    department : ndarray of int64, shape (n_staff,)
        Department index (``n_departments`` for executives).
    bosses : csr_matrix, shape (n_staff, n_staff)
        0/1; row i marks i's managers (executives: fellow executives).
    n_bosses : ndarray of float64
        Row sums of ``bosses`` (at least 1).
    has_bosses : ndarray of bool
        Whether a person has anyone in ``bosses`` (managers of an
        organization without executives have not).
    reports : csr_matrix, shape (n_staff, n_staff)
        0/1; row i marks the people i leads (a manager's team; for an
        executive, all department managers).
    n_reports : ndarray of float64
        Row sums of ``reports`` (at least 1).
    within, across : csr_matrix, shape (n_staff, n_staff)
        0/1 colleague ties inside a silo (including reporting lines and the
        management team) and between departments.
    degree : ndarray of float64
        Number of ties of each person (at least 1, to divide by).
    cross_degree : ndarray of float64
        Number of cross-department ties of each person.
    frontline_start, frontline_slots : ndarray of int64
        ``frontline_slots[frontline_start[d]:frontline_start[d + 1]]`` are
        department d's frontline slots (who serves its customers).
    customer_weights : ndarray of float64
        Probability that a customer's first contact is each department.
    """

    department_names: tuple[str, ...]
    role: np.ndarray
    department: np.ndarray
    bosses: sp.csr_matrix
    n_bosses: np.ndarray
    has_bosses: np.ndarray
    reports: sp.csr_matrix
    n_reports: np.ndarray
    within: sp.csr_matrix
    across: sp.csr_matrix
    degree: np.ndarray
    cross_degree: np.ndarray
    frontline_start: np.ndarray
    frontline_slots: np.ndarray
    customer_weights: np.ndarray

    @property
    def n_staff(self) -> int:
        return len(self.role)

    @property
    def n_departments(self) -> int:
        return len(self.department_names)

    def role_mask(self, roles: tuple[str, ...]) -> np.ndarray:
        """Boolean mask of slots whose role is one of ``roles`` (ROLE_NAMES)."""
        from sim.params import ROLE_NAMES

        codes = [ROLE_NAMES.index(r) for r in roles]
        return np.isin(self.role, codes)


def _random_pairs(
    rng: np.random.Generator, first: np.ndarray, second: np.ndarray | None, p: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair of slots tied independently with probability p (G(n, p) block)."""
    n1 = len(first)
    n_pairs = n1 * (n1 - 1) // 2 if second is None else n1 * len(second)
    if n_pairs == 0 or p <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    m = int(rng.binomial(n_pairs, p))
    k = rng.choice(n_pairs, size=m, replace=False).astype(np.int64)
    if second is not None:
        return first[k // len(second)], second[k % len(second)]
    # decode k into the upper triangle (i < j) of an n1 x n1 matrix
    b = 2 * n1 - 1
    i = np.floor((b - np.sqrt(b * b - 8.0 * k)) / 2).astype(np.int64)
    offset = i * (b - i) // 2
    i = np.where(offset > k, i - 1, i)
    offset = i * (b - i) // 2
    nxt = (i + 1) * (b - i - 1) // 2
    i = np.where(nxt <= k, i + 1, i)
    offset = i * (b - i) // 2
    j = k - offset + i + 1
    return first[i], first[j]


def _symmetric(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    import scipy.sparse as sp

    data = np.ones(2 * len(rows))
    m = sp.coo_matrix((data, (np.r_[rows, cols], np.r_[cols, rows])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return m


def build_organization(params: ModelParams, rng: np.random.Generator) -> Organization:
    """Lay out slots, reporting lines and a seeded colleague network.

    Ties inside a department (frontline and its managers) form with
    probability ``p_within``; ties between two departments with
    ``p_across``. Each frontline person is tied to their manager, every
    manager to every executive, and the executives to each other.
    """
    import scipy.sparse as sp  # slow to import: only when an organization is built

    n_dept = len(params.departments)
    role, dept, members, frontline_groups = [], [], [], []
    manager_of: list[int] = []
    slot = 0
    for d, department in enumerate(params.departments):
        n_front = department.frontline
        n_mgr = -(-n_front // params.span)
        front = np.arange(slot, slot + n_front)
        mgrs = np.arange(slot + n_front, slot + n_front + n_mgr)
        manager_of.extend(mgrs[np.arange(n_front) // params.span])
        manager_of.extend([-1] * n_mgr)
        role += [FRONTLINE] * n_front + [MANAGER] * n_mgr
        dept += [d] * (n_front + n_mgr)
        members.append(np.arange(slot, slot + n_front + n_mgr))
        frontline_groups.append(front)
        slot += n_front + n_mgr
    execs = np.arange(slot, slot + params.executives)
    role += [EXECUTIVE] * params.executives
    dept += [n_dept] * params.executives
    manager_of.extend([-1] * params.executives)
    n = slot + params.executives
    role_a = np.array(role, dtype=np.int8)
    dept_a = np.array(dept, dtype=np.int64)
    managers = np.flatnonzero(role_a == MANAGER)

    # reporting lines: frontline -> manager, manager -> executives, executive -> peers
    mo = np.array(manager_of)
    front_all = np.flatnonzero(mo >= 0)
    b_rows = [front_all, np.repeat(managers, len(execs))]
    b_cols = [mo[front_all], np.tile(execs, len(managers))]
    ex_i, ex_j = np.meshgrid(execs, execs, indexing="ij")
    off = ex_i != ex_j
    b_rows.append(ex_i[off])
    b_cols.append(ex_j[off])
    if len(execs) == 1:
        b_rows.append(execs)
        b_cols.append(execs)
    rows, cols = np.concatenate(b_rows), np.concatenate(b_cols)
    bosses = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    bosses.sort_indices()
    boss_counts = np.asarray(bosses.sum(axis=1)).ravel()
    n_bosses = np.maximum(boss_counts, 1.0)
    up_rows = np.concatenate([mo[front_all], np.repeat(execs, len(managers))])
    up_cols = np.concatenate([front_all, np.tile(managers, len(execs))])
    reports = sp.csr_matrix((np.ones(len(up_rows)), (up_rows, up_cols)), shape=(n, n))
    reports.sort_indices()
    n_reports = np.maximum(np.asarray(reports.sum(axis=1)).ravel(), 1.0)

    # colleague ties
    w_rows, w_cols = (
        [front_all, np.repeat(managers, len(execs))],
        [mo[front_all], np.tile(execs, len(managers))],
    )
    iu, ju = np.triu_indices(len(execs), 1)
    w_rows.append(execs[iu])
    w_cols.append(execs[ju])
    x_rows, x_cols = [], []
    for d in range(n_dept):
        r, c = _random_pairs(rng, members[d], None, params.p_within)
        w_rows.append(r)
        w_cols.append(c)
        for e in range(d + 1, n_dept):
            r, c = _random_pairs(rng, members[d], members[e], params.p_across)
            x_rows.append(r)
            x_cols.append(c)
    within = _symmetric(np.concatenate(w_rows), np.concatenate(w_cols), n)
    if x_rows:
        across = _symmetric(np.concatenate(x_rows), np.concatenate(x_cols), n)
    else:
        across = sp.csr_matrix((n, n))
    cross_degree = np.asarray(across.sum(axis=1)).ravel()
    degree = np.maximum(np.asarray(within.sum(axis=1)).ravel() + cross_degree, 1.0)

    sizes = np.array([len(g) for g in frontline_groups], dtype=np.int64)
    weights = np.array(
        [
            dep.customer_share if dep.customer_share is not None else dep.frontline
            for dep in params.departments
        ],
        dtype=float,
    )
    if weights.sum() <= 0:
        weights = sizes.astype(float)
    return Organization(
        department_names=params.department_names,
        role=role_a,
        department=dept_a,
        bosses=bosses,
        n_bosses=n_bosses,
        has_bosses=boss_counts > 0,
        reports=reports,
        n_reports=n_reports,
        within=within,
        across=across,
        degree=degree,
        cross_degree=cross_degree,
        frontline_start=np.r_[0, np.cumsum(sizes)],
        frontline_slots=np.concatenate(frontline_groups),
        customer_weights=weights / weights.sum(),
    )


def redraw_across(org: Organization, params: ModelParams, rng: np.random.Generator) -> Organization:
    """The same organization with its cross-department ties drawn again (a reorganization).

    Each pair of people in different departments is tied with probability
    ``params.p_across``; departments, reporting lines and ties inside a
    department stay as they were.
    """
    members = [np.flatnonzero(org.department == d) for d in range(org.n_departments)]
    rows, cols = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for d in range(org.n_departments):
        for e in range(d + 1, org.n_departments):
            r, c = _random_pairs(rng, members[d], members[e], params.p_across)
            rows.append(r)
            cols.append(c)
    across = _symmetric(np.concatenate(rows), np.concatenate(cols), org.n_staff)
    cross_degree = np.asarray(across.sum(axis=1)).ravel()
    within_degree = np.asarray(org.within.sum(axis=1)).ravel()
    return dataclasses.replace(
        org, across=across, cross_degree=cross_degree, degree=np.maximum(within_degree + cross_degree, 1.0)
    )
