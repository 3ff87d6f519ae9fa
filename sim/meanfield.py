"""Mean-field companion of the weekly rule: what the theory says the agent model should do.

The agent model is a threshold model of *complex contagion* (Granovetter
1978; Centola and Macy 2007) with personal thresholds (``resistance``) drawn
once at hire. This module replaces the random colleague network by its
expected composition (a well-mixed organization in which every department is
in the same state) and follows the expected rung shares week by week with a
deterministic map. Its fixed points, their stability and the critical
``push`` at which the blaming state disappears are the theory's predictions
that ``tests/test_validity.py`` and ``docs/validation.md`` hold the agent
model to.

What is kept from the agent model
    The weekly rule itself, through the very functions the agent model
    calls (:mod:`sim.dynamics`): R and B from :func:`~sim.dynamics.peer_shares`
    on expected tie counts (``p_within``, ``p_across``, reporting lines,
    blame on cross-department ties weighing ``cross_blame_weight``), L from
    :func:`~sim.dynamics.leader_signal` with each tier's weights
    (:func:`~sim.dynamics.leader_weights_by_role`), the drive from
    :func:`~sim.dynamics.drive` and the week's move from
    :func:`~sim.dynamics.climb_probabilities`, the expectation of the
    agent's move (one rung with probability ``adaptability`` past the
    rung's own threshold after a mood shock, plus random ``drift``). So a
    term added to the rule reaches the map without being written here. All
    people decide at once from last week's state. Resistance is *quenched*:
    each person keeps the threshold drawn at hire, so each tier is split
    into about ``n_classes`` resistance classes of Normal(resistance_mean,
    resistance_sd) (:func:`resistance_classes`); the weekly mood is
    *annealed* (a fresh draw each week) and enters through the move's
    probabilities. The three tiers keep their own leader signal: a frontline
    person's L is the rung of *their own* manager (the frontline state is
    tracked jointly with the manager's); a manager's L mixes the
    executives' mean rung with the expected rung of their own team given
    the manager's state; an executive's L mixes their fellow executives
    (a lone executive reads themself, as in the agent model), the managers'
    mean rung and the customer results (:attr:`Levers.results`).

What is left out (the simplifications)
    Finite, random degrees (R and B are expected shares, not a sample of a
    few colleagues; a manager's L reads the expected rung of a team, not ten
    people's), correlations between colleagues beyond a person and their
    manager, differences between departments (one representative
    department, headcount-weighted), customers (their feedback F enters only
    as a fixed value per rung, ``Levers.feedback_by_rung``, zero by default,
    and the results executives watch as a constant, ``Levers.results``),
    attrition and hiring, cynicism, and waves (education, mechanisms and
    alignment enter only as constant levels, :class:`Levers`).
    The agent model should approach this map when degrees are large (large
    departments, weak silos) and customers and attrition are switched off.

:func:`pooled_fixed_points` gives the textbook one-dimensional reduction
(leaders pooled with everyone, infinite degree) of the rule's skeleton
(no rung spacing, mood or drift) in closed form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from sim import dynamics as dyn
from sim.declared import ParameterError
from sim.ladder import RUNG_NAMES, TOP, Rung
from sim.organization import EXECUTIVE, FRONTLINE, MANAGER
from sim.params import Department, ModelParams

RUNG_VALUES = np.array([float(r) for r in Rung])
"""Height of each rung, BLAME to OWN."""

TIERS = np.array([FRONTLINE, MANAGER, EXECUTIVE])
"""The roles of the map's three tiers, in the order of the organization's role codes."""

Shares = Sequence[float] | np.ndarray
"""Rung shares (BLAME, SHAME, JUSTIFY, OWN), summing to 1."""


@dataclass(frozen=True)
class Levers:
    """Constant levels of the programme's levers, held fixed in the mean field.

    Parameters
    ----------
    education : float
        Education E of everyone, in [0, 1] (enters as ``w_edu * E * H``).
    mechanisms : float
        Mechanism strength M of everyone's department, in [0, 1].
    alignment : float
        Leadership alignment A of managers and executives, in [0, 1].
    feedback_by_rung : tuple of 4 floats
        Mean customer feedback F of a frontline person at each rung, in
        [-1, 1]; zero means "no customers".
    results : float, optional
        The customer results executives watch (mean loyalty, in [0, 1]);
        by default ``params.initial_loyalty``, what the agent model shows
        them when there are no customers.
    """

    education: float = 0.0
    mechanisms: float = 0.0
    alignment: float = 0.0
    feedback_by_rung: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    results: float | None = None


@dataclass(frozen=True)
class Setting:
    """Everything the map needs, computed once from :class:`ModelParams`.

    Attributes
    ----------
    params : ModelParams
        The weights, resistance and ``push`` used.
    levers : Levers
        Constant programme levels.
    theta, weights : ndarray
        Resistance of each class of frontline people and managers, and the
        share of people in it (see :func:`resistance_classes`).
    theta_executives, weights_executives : ndarray
        The same for the executive team: one equally likely class per
        executive when the team is smaller than ``n_classes`` (a team of
        four is four people, not a continuum).
    n_frontline, n_managers, n_executives : float
        Headcounts of the three tiers.
    ties_within, ties_across : float
        Expected random colleague ties of a department member inside and
        across departments (headcount-weighted over departments).
    reports : float
        Frontline staff per manager (mean).
    leader_weights : tuple of 3 ndarrays
        Weights of L on bosses, the people led and results, by tier
        (frontline, managers, executives), from
        :func:`dynamics.leader_weights_by_role`.
    outside : ndarray
        Outside drive by tier (:func:`dynamics.outside_push_by_role`).
    results : float
        The customer results executives read, in [0, 1].
    """

    params: ModelParams
    levers: Levers
    theta: np.ndarray
    weights: np.ndarray
    theta_executives: np.ndarray
    weights_executives: np.ndarray
    n_frontline: float
    n_managers: float
    n_executives: float
    ties_within: float
    ties_across: float
    reports: float
    leader_weights: tuple[np.ndarray, np.ndarray, np.ndarray]
    outside: np.ndarray
    results: float

    @property
    def n_classes(self) -> int:
        return len(self.theta)

    @property
    def n_staff(self) -> float:
        return self.n_frontline + self.n_managers + self.n_executives


@dataclass(frozen=True)
class State:
    """Expected shares of each tier by rung and resistance class.

    Attributes
    ----------
    frontline : ndarray, shape (4, K, 4, K)
        Joint share of frontline people by (own rung, own class, their
        manager's rung, manager's class); sums to 1. Tracking the manager
        jointly keeps "my own boss is below the line" exact.
    executives : ndarray, shape (4, K_e)
        Share of executives by (rung, class); sums to 1.
    """

    frontline: np.ndarray
    executives: np.ndarray

    @property
    def managers(self) -> np.ndarray:
        """Share of managers by (rung, class), shape (4, K): the frontline's manager marginal."""
        return self.frontline.sum(axis=(0, 1))


def resistance_classes(params: ModelParams, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Discretize Normal(resistance_mean, resistance_sd) into about ``n_classes`` threshold classes.

    Half of the bin edges are equally likely quantiles (resolving the bulk,
    where the tipping share lies), half are evenly spaced in z on [-3.5, 3.5]
    (resolving the tails, where a cascade starts and so the critical push
    is decided). Each class sits at its bin's conditional mean.

    Returns
    -------
    theta : ndarray
        Resistance of each class (drive units), increasing.
    weights : ndarray
        Share of people in each class (sums to 1).
    """
    half = max(n_classes // 2, 1)
    quantile_edges = stats.norm.ppf(np.linspace(0.0, 1.0, half + 1)[1:-1])
    even_edges = np.linspace(-3.5, 3.5, max(n_classes - half, 2) - 1)
    edges = np.unique(np.round(np.r_[quantile_edges, even_edges], 9))
    a, b = np.r_[-np.inf, edges], np.r_[edges, np.inf]
    weights = stats.norm.cdf(b) - stats.norm.cdf(a)
    z = (stats.norm.pdf(a) - stats.norm.pdf(b)) / weights
    return params.resistance_mean + params.resistance_sd * z, weights


def _team_classes(params: ModelParams, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One equally likely class per member of a small team, at the midpoint quantiles."""
    q = (np.arange(size) + 0.5) / size
    return params.resistance_mean + params.resistance_sd * stats.norm.ppf(q), np.full(size, 1.0 / size)


def setting(params: ModelParams, levers: Levers | None = None, n_classes: int = 48) -> Setting:
    """Collect headcounts and expected tie counts of an organization for the map.

    Parameters
    ----------
    params : ModelParams
        The organization (departments, span, executives, p_within,
        silo_strength) and the rule's weights.
    levers : Levers, optional
        Constant programme levels; none by default.
    n_classes : int
        About this many resistance classes (the resolution of the threshold
        distribution; the cost of a step grows with its square).
    """
    sizes = np.array([d.frontline for d in params.departments], dtype=float)
    managers = np.ceil(sizes / params.span)
    members = sizes + managers
    headcount_share = members / members.sum()
    within = params.p_within * (members - 1.0)
    across = params.p_across * (members.sum() - members)
    theta, weights = resistance_classes(params, n_classes)
    if params.executives < n_classes:
        theta_e, weights_e = _team_classes(params, params.executives)
    else:
        theta_e, weights_e = theta, weights
    levers = levers or Levers()
    has_bosses = np.array([True, params.executives > 0, True])
    w_boss, w_team, w_results = dyn.leader_weights_by_role(TIERS, has_bosses, params)
    return Setting(
        params=params,
        levers=levers,
        theta=theta,
        weights=weights,
        theta_executives=theta_e,
        weights_executives=weights_e,
        n_frontline=float(sizes.sum()),
        n_managers=float(managers.sum()),
        n_executives=float(params.executives),
        ties_within=float(headcount_share @ within),
        ties_across=float(headcount_share @ across),
        reports=float(sizes.sum() / managers.sum()),
        leader_weights=(np.asarray(w_boss), np.asarray(w_team), np.asarray(w_results)),
        outside=np.asarray(dyn.outside_push_by_role(TIERS, params), dtype=float),
        results=params.initial_loyalty if levers.results is None else levers.results,
    )


def initial_state(s: Setting, shares: Shares | None = None, executive_shares: Shares | None = None) -> State:
    """Rungs drawn independently of resistance and of one's manager, as the agent model does.

    Parameters
    ----------
    shares : 4 floats, optional
        Rung shares of everyone (defaults to ``params.initial_rung_shares``).
    executive_shares : 4 floats, optional
        Rung shares of the executives, if different.
    """
    x = np.asarray(shares if shares is not None else s.params.initial_rung_shares, dtype=float)
    e = np.asarray(executive_shares, dtype=float) if executive_shares is not None else x
    person = np.outer(x, s.weights)
    return State(
        frontline=np.einsum("rk,sj->rksj", person, person),
        executives=np.outer(e, s.weights_executives),
    )


def _move(shares: np.ndarray, u: Any, p: ModelParams) -> np.ndarray:
    """Expected shares a week later when each cell (rung on axis 0) moves as :func:`dynamics.climb_probabilities` says."""
    rung = RUNG_VALUES.reshape((len(Rung),) + (1,) * (shares.ndim - 1))
    up, down = dyn.climb_probabilities(u, rung, p)
    flow_up = shares * np.broadcast_to(up, shares.shape)
    flow_down = shares * np.broadcast_to(down, shares.shape)
    out = shares - flow_up - flow_down
    out[1:] += flow_up[:-1]
    out[:-1] += flow_down[1:]
    return out


def tier_shares(state: State, s: Setting) -> dict[str, np.ndarray]:
    """Rung shares (shape (4,)) of the ``frontline``, ``managers``, ``executives`` and a ``department``."""
    f = state.frontline.sum(axis=(1, 2, 3))
    m = state.managers.sum(axis=1)
    e = state.executives.sum(axis=1)
    dept = (s.n_frontline * f + s.n_managers * m) / (s.n_frontline + s.n_managers)
    return {"frontline": f, "managers": m, "executives": e, "department": dept}


def _fellow_executives(state: State, s: Setting) -> np.ndarray:
    """Expected rung shares of an executive's fellows, by the executive's class: shape (4, K_e)."""
    e = state.executives.sum(axis=1)
    own = state.executives / np.maximum(s.weights_executives, 1e-300)
    n = s.n_executives
    if n <= 1:
        return np.zeros_like(own)
    return (n * e[:, None] - own) / (n - 1.0)


def drives(state: State, s: Setting) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This week's drive u of every cell, read from last week's state through :mod:`sim.dynamics`.

    Expected tie counts stand in for the counts of colleagues at OWN and at
    BLAME (:func:`dynamics.peer_shares`), expected rungs of one's bosses and
    of the people one leads for theirs (:func:`dynamics.leader_signal`), and
    the drive itself is :func:`dynamics.drive`: a term added there reaches
    the map.

    Returns
    -------
    u_frontline : ndarray, shape (4, K, 4, 1)
        By own rung, own class and the manager's rung.
    u_managers : ndarray, shape (4, K)
        By the manager's rung and class.
    u_executives : ndarray, shape (4, K_e)
        By rung and class.
    """
    p, lv = s.params, s.levers
    sh = tier_shares(state, s)
    dept, m, e = sh["department"], sh["managers"], sh["executives"]
    own_in, blame_in = s.ties_within * dept[Rung.OWN], s.ties_within * dept[Rung.BLAME]
    own_x, blame_x = s.ties_across * dept[Rung.OWN], s.ties_across * dept[Rung.BLAME]
    random_ties = s.ties_within + s.ties_across
    w_boss, w_team, w_results = s.leader_weights
    results = s.results

    # frontline: random ties see the department; one more tie, and their leader, is their own manager
    boss = RUNG_VALUES
    r_f, b_f = dyn.peer_shares(
        own_in + (boss == Rung.OWN),
        blame_in + (boss == Rung.BLAME),
        own_x,
        blame_x,
        random_ties + 1.0,
        p.cross_blame_weight,
    )
    lead_f = dyn.leader_signal(boss, 0.0, results, w_boss[FRONTLINE], w_team[FRONTLINE], w_results[FRONTLINE])
    by_boss = (None, None, slice(None), None)
    feedback = np.asarray(lv.feedback_by_rung, dtype=float)[:, None, None, None]
    u_f = dyn.drive(
        r_f[by_boss],
        b_f[by_boss],
        lead_f[by_boss],
        lv.education,
        lv.mechanisms,
        feedback,
        0.0,
        s.outside[FRONTLINE],
        s.theta[None, :, None, None],
        p,
    )

    # managers: random ties, their own team (given the manager's state), the executives
    team = state.frontline.sum(axis=1)
    team = team / np.maximum(team.sum(axis=0, keepdims=True), 1e-300)
    r_m, b_m = dyn.peer_shares(
        own_in + s.reports * team[Rung.OWN] + s.n_executives * e[Rung.OWN],
        blame_in + s.reports * team[Rung.BLAME] + s.n_executives * e[Rung.BLAME],
        own_x,
        blame_x,
        random_ties + s.reports + s.n_executives,
        p.cross_blame_weight,
    )
    lead_m = dyn.leader_signal(
        float(e @ RUNG_VALUES),
        np.tensordot(RUNG_VALUES, team, axes=1),
        results,
        w_boss[MANAGER],
        w_team[MANAGER],
        w_results[MANAGER],
    )
    u_m = dyn.drive(
        r_m,
        b_m,
        lead_m,
        lv.education,
        lv.mechanisms,
        0.0,
        lv.alignment,
        s.outside[MANAGER],
        s.theta[None, :],
        p,
    )

    # executives: every manager and their fellow executives (a lone executive reads themself)
    fellows = _fellow_executives(state, s)
    n_fellows = max(s.n_executives - 1.0, 0.0)
    r_e, b_e = dyn.peer_shares(
        s.n_managers * m[Rung.OWN] + n_fellows * fellows[Rung.OWN],
        s.n_managers * m[Rung.BLAME] + n_fellows * fellows[Rung.BLAME],
        0.0,
        0.0,
        max(s.n_managers + n_fellows, 1.0),
        p.cross_blame_weight,
    )
    boss_e = RUNG_VALUES[:, None] if s.n_executives <= 1 else (RUNG_VALUES @ fellows)[None, :]
    lead_e = dyn.leader_signal(
        boss_e, float(m @ RUNG_VALUES), results, w_boss[EXECUTIVE], w_team[EXECUTIVE], w_results[EXECUTIVE]
    )
    u_e = dyn.drive(
        r_e[None, :],
        b_e[None, :],
        lead_e,
        lv.education,
        lv.mechanisms,
        0.0,
        lv.alignment,
        s.outside[EXECUTIVE],
        s.theta_executives[None, :],
        p,
    )
    return u_f, u_m, np.broadcast_to(u_e, state.executives.shape)


def step(state: State, s: Setting) -> State:
    """One week of the expected dynamics: everyone decides from last week's state.

    The frontline move (depending on their own rung, class and their
    manager's rung) and the managers' move act on different axes of the joint
    frontline array with independent draws, so applying them one after the
    other is the exact product of the two transitions.
    """
    p = s.params
    u_f, u_m, u_e = drives(state, s)
    frontline = _move(state.frontline, u_f, p)
    moved = _move(np.moveaxis(frontline, 2, 0), u_m[:, None, None, :], p)
    return State(frontline=np.moveaxis(moved, 0, 2), executives=_move(state.executives, u_e, p))


def above_line(state: State, s: Setting) -> float:
    """Share of all staff at OWN (the agent model's ``above_line``)."""
    f = state.frontline[Rung.OWN].sum()
    m = state.managers[Rung.OWN].sum()
    e = state.executives[Rung.OWN].sum()
    return float((s.n_frontline * f + s.n_managers * m + s.n_executives * e) / s.n_staff)


def trajectory(s: Setting, weeks: int, state: State | None = None) -> dict[str, np.ndarray]:
    """Weekly expected shares, week 0 first (columns named like the agent model's).

    Returns
    -------
    dict
        ``above_line``, ``share_<rung>`` overall and ``above_line.<tier>``
        for ``frontline``, ``managers`` and ``executives``; arrays of
        length ``weeks + 1``.
    """
    state = state if state is not None else initial_state(s)
    rows = []
    n = np.array([s.n_frontline, s.n_managers, s.n_executives])
    for week in range(weeks + 1):
        if week:
            state = step(state, s)
        sh = tier_shares(state, s)
        overall = (n[0] * sh["frontline"] + n[1] * sh["managers"] + n[2] * sh["executives"]) / n.sum()
        rows.append(
            np.r_[overall, sh["frontline"][Rung.OWN], sh["managers"][Rung.OWN], sh["executives"][Rung.OWN]]
        )
    data = np.array(rows)
    out = {f"share_{name}": data[:, k] for k, name in enumerate(RUNG_NAMES)}
    out["above_line"] = data[:, 3]
    for k, tier in enumerate(("frontline", "managers", "executives")):
        out[f"above_line.{tier}"] = data[:, 4 + k]
    return out


def settle(s: Setting, state: State, max_weeks: int = 4000, tol: float = 1e-9) -> tuple[State, int]:
    """Iterate the map until no share changes by more than ``tol`` in a week.

    Returns
    -------
    state : State
        The (nearly) fixed state reached.
    weeks : int
        Weeks taken (``max_weeks`` if it did not settle: near a
        saddle-node the map slows down).
    """
    for week in range(1, max_weeks + 1):
        new = step(state, s)
        change = _change(new, state)
        state = new
        if change < tol:
            return state, week
    return state, max_weeks


def _change(new: State, old: State) -> float:
    """Largest change of any share in a week."""
    return max(
        float(np.abs(new.frontline - old.frontline).max()),
        float(np.abs(new.executives - old.executives).max()),
    )


ALL_BLAME = (1.0, 0.0, 0.0, 0.0)
ALL_OWN = (0.0, 0.0, 0.0, 1.0)

OWNING = 0.5
"""Above-the-line share from which a settled state counts as the owning one (as the agent tests judge a run)."""

SETTLED = 1e-7
"""Largest weekly change of a share at which :func:`tipping_share` and :func:`critical_push` judge where a start ends."""

MEANFIELD_WORLD: dict[str, float] = {
    "n_customers": 0,
    "base_attrition": 0.0,
    "shame_attrition": 0.0,
    "blame_attrition": 0.0,
    "own_in_blame_attrition": 0.0,
}
"""The mean field's simplifications applied to the agent model: no customers, no attrition."""


def one_department(frontline: int, **changes: Any) -> ModelParams:
    """The agent model in the mean field's world: one department, one executive per
    75 frontline staff, customers and attrition off."""
    return ModelParams().replace(
        departments=(Department("dept", frontline),),
        executives=max(1, round(frontline / 75)),
        **MEANFIELD_WORLD,
        **changes,
    )


def stable_states(
    params: ModelParams, levers: Levers | None = None, n_classes: int = 48
) -> tuple[float, float]:
    """Above-the-line share of the states reached from an all-BLAME and from an all-OWN start.

    Two different values mean two stable states (bistability) at these
    parameters; equal values mean a single attractor.
    """
    s = setting(params, levers, n_classes)
    low, _ = settle(s, initial_state(s, ALL_BLAME))
    high, _ = settle(s, initial_state(s, ALL_OWN))
    return above_line(low, s), above_line(high, s)


def _ends_high(s: Setting, shares: Shares, max_weeks: int) -> bool:
    """Whether the map settles above :data:`OWNING` from ``shares``.

    Both stable states are mixed (mood, drift and the middle rungs), so the
    map runs until it barely moves; near the saddle it moves slowly too, but
    only from starts within a sliver far below any bisection's tolerance.
    """
    final, _ = settle(s, initial_state(s, shares), max_weeks=max_weeks, tol=SETTLED)
    return above_line(final, s) > OWNING


def tipping_share(
    params: ModelParams,
    levers: Levers | None = None,
    n_classes: int = 48,
    base: Shares = ALL_BLAME,
    tol: float = 1e-3,
    max_weeks: int = 3000,
) -> float:
    """The tipping point: the initial above-the-line share that separates the two basins.

    The start is ``(1 - q) * base + q * ALL_OWN``, rungs placed independently
    of resistance (as the agent model's ``initial_rung_shares``). Returns the
    smallest q from which the map ends above the line (bisection to
    ``tol``): 0.0 if even q = 0 tips, NaN if even q = 1 falls back.
    """
    s = setting(params, levers, n_classes)
    b = np.asarray(base, dtype=float)

    def start(q: float) -> np.ndarray:
        return (1.0 - q) * b + q * np.asarray(ALL_OWN)

    if _ends_high(s, start(0.0), max_weeks):
        return 0.0
    if not _ends_high(s, start(1.0), max_weeks):
        return float("nan")
    lo, hi = 0.0, 1.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if _ends_high(s, start(mid), max_weeks):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def critical_push(
    params: ModelParams,
    levers: Levers | None = None,
    n_classes: int = 48,
    direction: str = "up",
    bracket: tuple[float, float] = (-3.0, 3.0),
    tol: float = 1e-3,
    max_weeks: int = 3000,
) -> float:
    """The push at which one of the two stable states disappears (a saddle-node).

    Parameters
    ----------
    direction : {"up", "down"}
        ``up``: the smallest push from which an all-BLAME organization ends
        above the line (the blaming state is gone). ``down``: the largest
        push at which an all-OWN organization falls below the line.
    bracket : (float, float)
        Search interval for the push (drive units); NaN if the switch is
        not inside it.
    """
    if direction not in ("up", "down"):
        raise ParameterError(f"direction={direction!r}: allowed: up, down")
    start = ALL_BLAME if direction == "up" else ALL_OWN

    def high(push: float) -> bool:
        return _ends_high(setting(params.replace(push=push), levers, n_classes), start, max_weeks)

    lo, hi = bracket
    if high(lo) or not high(hi):
        return float("nan")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if high(mid):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point of the pooled one-dimensional reduction.

    Attributes
    ----------
    above_line : float
        Share at OWN (everyone else at BLAME).
    stable : bool
        True where the slope of the map at the point is below 1.
    """

    above_line: float
    stable: bool


def pooled_signal(params: ModelParams, x: np.ndarray | float, cross_share: float = 0.0) -> np.ndarray | float:
    """Drive (before resistance) when a share x is at OWN and 1 - x at BLAME, leaders pooled.

    ``cross_share`` is the share of colleague ties that cross departments,
    on which blame weighs ``cross_blame_weight`` times. One's leaders are
    the same population (L = x), nothing else acts; the arithmetic is
    :mod:`sim.dynamics`'s.
    """
    c = cross_share
    r, b = dyn.peer_shares((1 - c) * x, (1 - c) * (1 - x), c * x, c * (1 - x), 1.0, params.cross_blame_weight)
    lead = dyn.leader_signal(TOP * x, 0.0, 0.5, 1.0, 0.0, 0.0)
    return dyn.drive(r, b, lead, 0.0, 0.0, 0.0, 0.0, params.push, 0.0, params)


def pooled_fixed_points(params: ModelParams, cross_share: float = 0.0, grid: int = 4001) -> list[FixedPoint]:
    """Fixed points of x = Phi((S(x) - resistance_mean) / resistance_sd), leaders pooled.

    The textbook reduction of the rule's skeleton, MODEL.md's sign rule
    (``rung_spacing``, ``mood_sd`` and ``drift`` at 0, which it ignores):
    infinite degree, one's leaders a random draw of the same population
    (L = x), resistance quenched so that at a fixed point exactly the people
    with resistance below S(x) are at OWN and the rest at BLAME. With a
    spacing, a mood or drift, people also settle on the middle rungs and the
    state is no longer one number; :func:`stable_states` handles that.
    Roots are bracketed on a grid and polished with ``brentq``.
    """
    p = params

    def g(x: np.ndarray | float) -> np.ndarray | float:
        z = (pooled_signal(p, x, cross_share) - p.resistance_mean) / p.resistance_sd
        return stats.norm.cdf(z)

    xs = np.linspace(0.0, 1.0, grid)
    h = np.asarray(g(xs)) - xs
    points = []
    for i in np.flatnonzero(np.sign(h[:-1]) * np.sign(h[1:]) <= 0):
        if h[i] == 0.0 and i > 0 and h[i - 1] == 0.0:
            continue
        a, b = xs[i], xs[i + 1]
        root = a if h[i] == 0.0 else float(optimize.brentq(lambda x: float(g(x)) - x, a, b))
        eps = 1e-6
        slope = (float(g(min(root + eps, 1.0))) - float(g(max(root - eps, 0.0)))) / (
            min(root + eps, 1.0) - max(root - eps, 0.0)
        )
        points.append(FixedPoint(above_line=float(root), stable=slope < 1.0))
    return points


def hysteresis(
    params: ModelParams,
    pushes: Sequence[float],
    weeks_per_level: int = 200,
    levers: Levers | None = None,
    n_classes: int = 48,
    start: Shares = ALL_BLAME,
) -> np.ndarray:
    """Sweep the push through ``pushes`` in order, carrying the state from level to level.

    A quasi-static continuation: sweeping up then down traces the two
    branches of a bistable culture; the jumps sit near :func:`critical_push`.

    Returns
    -------
    ndarray
        Above-the-line share at the end of each level.
    """
    state = initial_state(setting(params, levers, n_classes), start)
    out = []
    for push in pushes:
        s = setting(params.replace(push=float(push)), levers, n_classes)
        for _ in range(weeks_per_level):
            state = step(state, s)
        out.append(above_line(state, s))
    return np.asarray(out)
