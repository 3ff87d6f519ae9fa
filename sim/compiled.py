"""The compiled week: the model's weekly phases, and whole runs, as numba code.

Every engine runs its weeks through these phases, so they draw the same
random numbers in the same order from the model's ``numpy`` Generator
(numba shares its state) and sum in the same order. The ``agents`` engine
lets each Mesa agent decide (:meth:`sim.agents.Employee.step`,
:meth:`sim.agents.Customer.step`) between the phases; the ``compiled``
engine decides in :func:`decide_all` and :func:`serve_all` and can run many
weeks in one call (:func:`run_weeks`). Both call the same rule functions
(:mod:`sim.dynamics`, :mod:`sim.customers`): those are
:func:`~sim.kernels.kernel` functions that numba compiles from their source.

Compiled code is cached on disk (:func:`sim.kernels.cache_dir`), keyed by
the source of ``sim/``: the first run after a change compiles for a while.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np

from sim import customers as cust
from sim import dynamics as dyn
from sim import interventions as iv
from sim import kernels
from sim import metrics as mx
from sim.ladder import Rung
from sim.organization import Organization
from sim.params import ModelParams

kernels.register()
numba.config.CACHE_DIR = str(kernels.cache_dir())  # type: ignore[attr-defined]
jit = numba.njit(cache=True)

TOP_PERFORMERS = 0.8
"""Performance percentile from which a person counts as a top performer (the top quintile)."""


class Structure(NamedTuple):
    """The organization as flat arrays (CSR rows for ties), plus what in the rule never changes."""

    within_ptr: np.ndarray
    within_idx: np.ndarray
    across_ptr: np.ndarray
    across_idx: np.ndarray
    bosses_ptr: np.ndarray
    bosses_idx: np.ndarray
    reports_ptr: np.ndarray
    reports_idx: np.ndarray
    n_bosses: np.ndarray
    n_reports: np.ndarray
    degree: np.ndarray
    cross_degree: np.ndarray
    role: np.ndarray
    department: np.ndarray
    n_departments: int
    frontline_start: np.ndarray
    frontline_slots: np.ndarray
    customer_weights: np.ndarray
    w_boss: np.ndarray
    w_team: np.ndarray
    w_results: np.ndarray
    outside: np.ndarray


def structure(org: Organization, params: ModelParams) -> Structure:
    """Flatten an organization for the compiled phases (leader weights and outside push resolved)."""
    w_boss, w_team, w_results = dyn.leader_weights(org, params)

    def csr(m: Any) -> tuple[np.ndarray, np.ndarray]:
        return m.indptr.astype(np.int64), m.indices.astype(np.int32)

    (wp, wi), (ap, ai), (bp, bi), (rp, ri) = (
        csr(m) for m in (org.within, org.across, org.bosses, org.reports)
    )
    return Structure(
        wp,
        wi,
        ap,
        ai,
        bp,
        bi,
        rp,
        ri,
        org.n_bosses.astype(np.float64),
        org.n_reports.astype(np.float64),
        org.degree.astype(np.float64),
        org.cross_degree.astype(np.float64),
        org.role.astype(np.int64),
        org.department.astype(np.int64),
        org.n_departments,
        org.frontline_start.astype(np.int64),
        org.frontline_slots.astype(np.int64),
        org.customer_weights.astype(np.float64),
        w_boss,
        w_team,
        w_results,
        dyn.outside_push(org, params).astype(np.float64),
    )


@jit
def draw_accounts(
    weights: np.ndarray, p: Any, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sim.customers.new_accounts`, compiled."""
    return cust.new_accounts(weights, p, rng, n)


@jit
def above_line_by_department(o: Structure, rung: np.ndarray) -> np.ndarray:
    """Share above the line in each department (frontline and managers)."""
    own = np.zeros(o.n_departments)
    size = np.zeros(o.n_departments)
    for i in range(len(rung)):
        d = o.department[i]
        if d < o.n_departments:
            size[d] += 1
            own[d] += rung[i] == Rung.OWN
    return own / np.maximum(size, 1.0)


@numba.njit(cache=True, inline="always")
def count_at(ptr: np.ndarray, idx: np.ndarray, i: int, rung: np.ndarray) -> tuple[int, int, int]:
    """Among row i's ties: how many are at OWN, how many at BLAME, and the sum of their rungs."""
    own = 0
    blame = 0
    total = 0
    for k in range(ptr[i], ptr[i + 1]):
        r = rung[idx[k]]
        own += r == Rung.OWN
        blame += r == Rung.BLAME
        total += r
    return own, blame, total


class PeerCounts(NamedTuple):
    """Each person's colleagues at OWN and at BLAME (inside, inside, across, across), as of ``rung``.

    Brought up to date at the start of each week by visiting only the ties
    of people whose rung changed since (decisions, hires, or a user's edit).
    """

    counts: np.ndarray
    rung: np.ndarray


def count_peers(o: Structure, rung: np.ndarray) -> PeerCounts:
    """Count everyone's colleagues at OWN and at BLAME from scratch.

    The counts take the narrowest integer that holds any person's degree
    (int16 in all but huge, dense departments): the weekly updates land at
    random rows, and a smaller table stays in the processor's cache.
    """
    widest = max(np.diff(o.within_ptr).max(initial=0), np.diff(o.across_ptr).max(initial=0))
    counts = np.zeros((len(rung), 4), dtype=np.int16 if widest < np.iinfo(np.int16).max else np.int32)
    fill_peer_counts(o, rung, counts)
    return PeerCounts(counts, rung.copy())


@jit
def fill_peer_counts(o: Structure, rung: np.ndarray, counts: np.ndarray) -> None:
    """:func:`count_peers` into ``counts``, in place."""
    for i in range(len(rung)):
        counts[i, 0], counts[i, 1], _ = count_at(o.within_ptr, o.within_idx, i, rung)
        counts[i, 2], counts[i, 3], _ = count_at(o.across_ptr, o.across_idx, i, rung)


@jit
def follow_rung_changes(o: Structure, counts: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
    """Keep :func:`count_peers` up to date, in place, when some rungs changed: only their ties are visited.

    Ties are symmetric, so a person's row lists the colleagues who count them.
    """
    for j in np.flatnonzero(before != after):
        d_own = (after[j] == Rung.OWN) - (before[j] == Rung.OWN)
        d_blame = (after[j] == Rung.BLAME) - (before[j] == Rung.BLAME)
        if d_own == 0 and d_blame == 0:
            continue
        for k in range(o.within_ptr[j], o.within_ptr[j + 1]):
            counts[o.within_idx[k], 0] += d_own
            counts[o.within_idx[k], 1] += d_blame
        for k in range(o.across_ptr[j], o.across_ptr[j + 1]):
            counts[o.across_idx[k], 2] += d_own
            counts[o.across_idx[k], 3] += d_blame


@jit
def peer_signals(o: Structure, counts: np.ndarray, p: Any) -> tuple[np.ndarray, np.ndarray]:
    """R and B of every person from last week's rungs (:func:`sim.dynamics.peer_shares`)."""
    n = len(counts)
    r = np.empty(n)
    b = np.empty(n)
    for i in range(n):
        r[i], b[i] = dyn.peer_shares(
            counts[i, 0], counts[i, 1], counts[i, 2], counts[i, 3], o.degree[i], p.cross_blame_weight
        )
    return r, b


class WeekSignals(NamedTuple):
    """Last week's state read once for the week, and the week's decision draws."""

    mechanisms: np.ndarray
    own: np.ndarray
    blame: np.ndarray
    results: float
    move: np.ndarray
    mood: np.ndarray


@jit
def begin_week(
    week: int,
    o: Structure,
    st: iv.StageArrays,
    wf: dyn.Workforce,
    cb: cust.CustomerBase,
    peers: PeerCounts,
    local: np.ndarray,
    orgwide: np.ndarray,
    rng: np.random.Generator,
    p: Any,
    tally: np.ndarray,
    totals: np.ndarray,
) -> WeekSignals:
    """Waves (gates first), their spend, then the signals everyone decides on and their draws.

    ``totals[0]`` accumulates the cumulative cost (currency).
    """
    follow_rung_changes(o, peers.counts, peers.rung, wf.rung)
    peers.rung[:] = wf.rung
    if ((st.start < 0) & (st.after >= 0)).any():  # a gated stage still waits: read the departments
        iv.open_gated_stages(st, week, above_line_by_department(o, wf.rung))
    spend = iv.apply_stages(week, st, wf, o.role, local, orgwide, rng, p)
    tally[mx.COST_PEOPLE] = spend[0]
    tally[mx.COST_COACHING] = spend[1]
    tally[mx.COST_MECHANISMS] = spend[2]
    tally[mx.REACHED] = spend[3]
    totals[0] += spend[0] + spend[1] + spend[2]
    mechanisms = iv.mechanism_strength(local, orgwide)[o.department]
    own, blame = peer_signals(o, peers.counts, p)
    results = cust.results_signal(cb, p)
    n = len(wf.rung)
    move = rng.random(n)
    mood = rng.standard_normal(n)
    return WeekSignals(mechanisms, own, blame, results, move, mood)


@jit
def decide_all(o: Structure, wf: dyn.Workforce, s: WeekSignals, p: Any) -> None:
    """Everyone decides next week's rung from last week's state (MODEL.md, weekly rule), in place."""
    rung = wf.rung
    n = len(rung)
    new = np.empty(n, dtype=rung.dtype)
    bp, bi, rp, ri, n_bosses, n_reports = (
        o.bosses_ptr,
        o.bosses_idx,
        o.reports_ptr,
        o.reports_idx,
        o.n_bosses,
        o.n_reports,
    )
    w_boss, w_team, w_results, outside = o.w_boss, o.w_team, o.w_results, o.outside
    education, feedback, alignment, resistance, cynicism = (
        wf.education,
        wf.feedback,
        wf.alignment,
        wf.resistance,
        wf.cynicism,
    )
    own, blame, mechanisms, move, mood = s.own, s.blame, s.mechanisms, s.move, s.mood
    for i in range(n):
        _, _, boss_total = count_at(bp, bi, i, rung)
        _, _, team_total = count_at(rp, ri, i, rung)
        lead = dyn.leader_signal(
            boss_total / n_bosses[i], team_total / n_reports[i], s.results, w_boss[i], w_team[i], w_results[i]
        )
        u = dyn.drive(
            own[i],
            blame[i],
            lead,
            education[i],
            mechanisms[i],
            feedback[i],
            alignment[i],
            outside[i],
            resistance[i] + cynicism[i],
            p,
        )
        new[i] = dyn.next_rung(rung[i], u, move[i], mood[i], p)
    rung[:] = new


@jit
def after_decisions(week: int, st: iv.StageArrays, wf: dyn.Workforce, s: WeekSignals, p: Any) -> None:
    """Training fades; once a programme has started, those it has not engaged grow cynical."""
    launched = ((st.start >= 0) & (st.start <= week)).any()
    education, alignment, cynicism, engaged, mechanisms = (
        wf.education,
        wf.alignment,
        wf.cynicism,
        wf.engaged,
        s.mechanisms,
    )
    for i in range(len(education)):
        education[i] = dyn.fade(education[i], mechanisms[i], p.education_decay)
        alignment[i] = dyn.fade(alignment[i], mechanisms[i], p.education_decay)
        if launched:
            cynicism[i] = dyn.update_cynicism(cynicism[i], engaged[i], p)


class Contacts(NamedTuple):
    """The customers served this week (slots, ascending), their draws, and what each contact left behind.

    Every array but ``blame_share`` has one entry per served customer, in the
    order of ``served``.
    """

    served: np.ndarray
    server_draw: np.ndarray
    fail: np.ndarray
    recover: np.ndarray
    noise: np.ndarray
    blame_share: np.ndarray
    server: np.ndarray
    satisfaction: np.ndarray
    feedback: np.ndarray
    failed: np.ndarray


@jit
def begin_contacts(
    o: Structure, wf: dyn.Workforce, cb: cust.CustomerBase, rng: np.random.Generator, p: Any
) -> Contacts:
    """Draw who is served this week, their draws, and read each department's BLAME share (for hand-offs).

    Draws, in order: one uniform per active customer (served when below
    ``contact_rate``), then for the served the server, failure and recovery
    uniforms and the quality noise, one array each.
    """
    active = np.flatnonzero(cb.active)
    served = active[rng.random(len(active)) < p.contact_rate]
    m = len(served)
    server_draw = rng.random(m)
    fail = rng.random(m)
    recover = rng.random(m)
    noise = rng.standard_normal(m)
    blame = np.zeros(o.n_departments)
    size = np.zeros(o.n_departments)
    for i in range(len(wf.rung)):
        d = o.department[i]
        if d < o.n_departments:
            size[d] += 1
            blame[d] += wf.rung[i] == Rung.BLAME
    return Contacts(
        served,
        server_draw,
        fail,
        recover,
        noise,
        blame / np.maximum(size, 1.0),
        np.full(m, -1, dtype=np.int64),
        np.full(m, np.nan),
        np.zeros(m),
        np.zeros(m, dtype=np.bool_),
    )


@jit
def serve_all(o: Structure, wf: dyn.Workforce, cb: cust.CustomerBase, k: Contacts, p: Any) -> None:
    """Every served customer's contact this week, in slot order (:func:`sim.customers.serve`).

    The same as each :meth:`sim.agents.Customer.step` in turn.
    """
    start, slots, rung, performance = o.frontline_start, o.frontline_slots, wf.rung, wf.performance
    journey, value, expectation, loyalty = cb.journey, cb.value, cb.expectation, cb.loyalty
    for j in range(len(k.served)):
        c = k.served[j]
        server = cust.pick_server(start, slots, journey[c, 0], k.server_draw[j])
        sat, expectation[c], loyalty[c], fb, failed = cust.serve(
            expectation[c],
            loyalty[c],
            value[c],
            rung[server],
            performance[server],
            cust.handoff_blame(journey[c], k.blame_share),
            k.fail[j],
            k.recover[j],
            k.noise[j],
            p,
        )
        k.server[j] = server
        k.satisfaction[j] = sat
        k.feedback[j] = fb
        k.failed[j] = failed


@jit
def end_contacts(wf: dyn.Workforce, k: Contacts, tally: np.ndarray) -> None:
    """Feedback to staff (mean over their contacts) and the week's contact counts."""
    n = len(wf.rung)
    total = np.zeros(n)
    count = np.zeros(n)
    contacts = 0
    failures = 0
    satisfaction = 0.0
    for j in range(len(k.server)):
        s = k.server[j]
        if s < 0:
            continue
        total[s] += k.feedback[j]
        count[s] += 1
        contacts += 1
        failures += k.failed[j]
        satisfaction += k.satisfaction[j]
    wf.feedback[:] = total / np.maximum(count, 1.0)
    tally[mx.CONTACTS] = contacts
    tally[mx.FAILURES] = failures
    tally[mx.SATISFACTION] = satisfaction / contacts if contacts else np.nan


class Turnover(NamedTuple):
    """Who came and went this week."""

    customers: cust.CustomerBase
    churned: np.ndarray
    arrived: np.ndarray
    leavers: np.ndarray


@jit
def end_week(
    o: Structure,
    wf: dyn.Workforce,
    cb: cust.CustomerBase,
    local: np.ndarray,
    orgwide: np.ndarray,
    s: WeekSignals,
    rng: np.random.Generator,
    p: Any,
    tally: np.ndarray,
    totals: np.ndarray,
    out: np.ndarray,
) -> Turnover:
    """Customers settle, churn and arrive; people leave and are replaced; blocks decay; metrics into ``out``."""
    cust.settle(cb, p)
    churned = cust.churn(cb, p)
    lost = 0.0
    for gone in np.flatnonzero(churned):
        lost += cust.account_revenue(cb.spend[gone], cb.loyalty[gone])
    cb, arrived_slots = cust.arrive(cb, o.customer_weights, p, rng)
    gained = 0.0
    for new in arrived_slots:
        gained += cust.account_revenue(cb.spend[new], cb.loyalty[new])
    tally[mx.CHURNED] = len(np.flatnonzero(churned))
    tally[mx.CHURNED_REVENUE] = lost
    tally[mx.ARRIVED] = len(arrived_slots)
    tally[mx.ARRIVED_REVENUE] = gained
    tally[mx.REVENUE] = cust.revenue(cb)

    n = len(wf.rung)
    leave_draw = rng.random(n)
    leavers = np.zeros(n, dtype=np.bool_)
    n_leavers = 0
    top = 0
    top_leavers = 0
    rung, blame, cynicism, performance = wf.rung, s.blame, wf.cynicism, wf.performance
    for i in range(n):
        chance = dyn.leave_probability(rung[i], blame[i], cynicism[i], performance[i], p)
        leavers[i] = leave_draw[i] < chance
        n_leavers += leavers[i]
        if performance[i] >= TOP_PERFORMERS:
            top += 1
            top_leavers += leavers[i]
    draws = dyn.draw_hiring(rng, n_leavers)
    recruitment = dyn.onboarding_strength(orgwide[iv.RECRUITMENT], p)
    orientation = dyn.onboarding_strength(orgwide[iv.ORIENTATION], p)
    tally[mx.LEAVERS] = n_leavers
    tally[mx.TOP_PERFORMERS] = top
    tally[mx.TOP_PERFORMER_LEAVERS] = top_leavers
    dyn.hire(wf, leavers, recruitment, orientation, draws, p)

    decay = 1.0 - p.mechanism_decay
    local *= decay
    orgwide *= decay
    mx.measure(
        o.department,
        o.role,
        o.n_departments,
        o.cross_degree,
        wf.rung,
        wf.education,
        s.mechanisms,
        cb.loyalty,
        cb.active,
        tally,
        totals[0],
        out,
    )
    return Turnover(cb, churned, arrived_slots, leavers)


@jit
def run_weeks(
    first_week: int,
    weeks: int,
    o: Structure,
    st: iv.StageArrays,
    wf: dyn.Workforce,
    cb: cust.CustomerBase,
    peers: PeerCounts,
    local: np.ndarray,
    orgwide: np.ndarray,
    rng: np.random.Generator,
    p: Any,
    totals: np.ndarray,
    history: np.ndarray,
) -> cust.CustomerBase:
    """Simulate ``weeks`` weeks from ``first_week`` in place; week w's metrics go to ``history[w + 1]``.

    Returns the customer base (a new one when it had to grow).
    """
    for week in range(first_week, first_week + weeks):
        tally = np.zeros(len(mx.TALLY_FIELDS))
        tally[mx.SATISFACTION] = np.nan
        s = begin_week(week, o, st, wf, cb, peers, local, orgwide, rng, p, tally, totals)
        decide_all(o, wf, s, p)
        after_decisions(week, st, wf, s, p)
        k = begin_contacts(o, wf, cb, rng, p)
        serve_all(o, wf, cb, k, p)
        end_contacts(wf, k, tally)
        cb = end_week(o, wf, cb, local, orgwide, s, rng, p, tally, totals, history[week + 1]).customers
    return cb


@jit
def measure_now(
    o: Structure,
    wf: dyn.Workforce,
    cb: cust.CustomerBase,
    mechanisms: np.ndarray,
    tally: np.ndarray,
    cost: float,
    out: np.ndarray,
) -> None:
    """Metrics of the current state (week 0)."""
    mx.measure(
        o.department,
        o.role,
        o.n_departments,
        o.cross_degree,
        wf.rung,
        wf.education,
        mechanisms,
        cb.loyalty,
        cb.active,
        tally,
        cost,
        out,
    )


@jit
def total_revenue(cb: cust.CustomerBase) -> float:
    """:func:`sim.customers.revenue`, compiled."""
    return cust.revenue(cb)
