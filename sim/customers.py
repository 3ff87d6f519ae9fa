"""Customers: who they deal with, what service they get, and how loyal it makes them.

:func:`serve` works on arrays (all contacts of a week) or on scalars (one
customer), so both engines share one formula.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from sim.kernels import kernel
from sim.organization import Organization
from sim.params import ModelParams


class CustomerBase(NamedTuple):
    """Customer accounts as arrays; a churned slot is reused by a newcomer.

    Attributes
    ----------
    active : ndarray of bool
    journey : ndarray of int64, shape (capacity, b2b_departments)
        Departments a customer's journey passes through: the first one
        (whose frontline serves them), then the ones it hands off to; -1
        pads shorter journeys.
    value : ndarray of float64
        The account's value: its spend's percentile in the market, in [0, 1].
    expectation : ndarray of float64
        Expected service level (Kaufman scale 1..6).
    loyalty : ndarray of float64
        In [0, 1].
    spend : ndarray of float64
        Weekly spend at loyalty 0.5 (currency/week).
    """

    active: np.ndarray
    journey: np.ndarray
    value: np.ndarray
    expectation: np.ndarray
    loyalty: np.ndarray
    spend: np.ndarray

    @property
    def capacity(self) -> int:
        return len(self.active)

    @property
    def first(self) -> np.ndarray:
        """The department each customer deals with first."""
        return self.journey[:, 0]


SQRT2 = math.sqrt(2.0)


@kernel
def normal_cdf(x: float) -> float:
    """Standard normal CDF of a scalar."""
    return 0.5 * math.erfc(-x / SQRT2)


@kernel
def market_value(spend: float, p: Any) -> float:
    """Percentile of a weekly spend among all customers the market offers, in [0, 1]."""
    if p.spend_sd == 0 or p.spend == 0:
        return 1.0 - 0.5 * p.b2b_share if spend > p.spend else 0.5 * (1.0 - p.b2b_share)
    log_s = math.log(max(spend, 1e-300))
    single = normal_cdf((log_s - math.log(p.spend)) / p.spend_sd)
    factor = max(p.b2b_spend_factor, 1e-300)
    b2b = normal_cdf((log_s - math.log(p.spend * factor)) / p.spend_sd)
    return (1.0 - p.b2b_share) * single + p.b2b_share * b2b


@kernel
def customer_norm(value: Any, p: Any) -> Any:
    """The service level a customer of this value expects when nothing surprises them."""
    return p.expectation_norm + p.value_expectation * (value - 0.5)


@kernel
def churn_threshold(value: Any, p: Any) -> Any:
    """Loyalty below which a customer of this value leaves: valuable accounts have more alternatives."""
    return p.churn_loyalty + p.value_alternatives * value


@kernel
def new_accounts(
    weights: np.ndarray, p: Any, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` new accounts: journey, spend and value.

    Draws, in order: the first department (one uniform each, by inverse CDF
    of ``weights``), B2B or not, a B2B journey's length, a random order of
    the other departments, log spend.
    """
    n_dept = len(weights)
    width = p.b2b_departments
    cdf = np.cumsum(weights)
    cdf = cdf / cdf[-1]
    first = np.searchsorted(cdf, rng.random(n), side="right")
    b2b = rng.random(n) < p.b2b_share
    length = np.ones(n, dtype=np.int64)
    for i in range(n):
        drawn = rng.integers(2, width + 1)
        if b2b[i]:
            length[i] = drawn
    order = rng.random((n, n_dept))
    journey = np.full((n, width), -1, dtype=np.int64)
    hand_offs = min(width - 1, n_dept - 1)
    for i in range(n):
        journey[i, 0] = first[i]
        order[i, first[i]] = -1.0
        ranked = np.argsort(order[i])[::-1]
        for k in range(hand_offs):
            if k + 1 < length[i]:
                journey[i, k + 1] = ranked[k]
    spend = np.empty(n)
    value = np.empty(n)
    for i in range(n):
        spend[i] = (
            p.spend * math.exp(p.spend_sd * rng.standard_normal()) * (p.b2b_spend_factor if b2b[i] else 1.0)
        )
    for i in range(n):
        value[i] = market_value(spend[i], p)
    return journey, spend, value


def initial_customers(org: Organization, p: ModelParams, rng: np.random.Generator) -> CustomerBase:
    """The customers at the start: ``n_customers`` new accounts at their norm and ``initial_loyalty``."""
    from sim.compiled import draw_accounts

    journey, spend, value = draw_accounts(org.customer_weights, p.numbers, rng, p.n_customers)
    return CustomerBase(
        active=np.ones(p.n_customers, dtype=bool),
        journey=journey,
        value=value,
        expectation=customer_norm(value, p),
        loyalty=np.full(p.n_customers, p.initial_loyalty),
        spend=spend,
    )


@kernel
def pick_server(frontline_start: np.ndarray, frontline_slots: np.ndarray, first: int, draw: float) -> int:
    """A random frontline person of the customer's first department."""
    start = frontline_start[first]
    size = frontline_start[first + 1] - start
    return frontline_slots[start + int(draw * size)]


@kernel
def handoff_blame(journey: np.ndarray, blame_share: np.ndarray) -> float:
    """Summed BLAME share of the departments one journey hands off to (after the first)."""
    total = 0.0
    for d in journey[1:]:
        if d >= 0:
            total += blame_share[d]
    return total


@kernel
def serve(
    expectation: Any,
    loyalty: Any,
    value: Any,
    server_rung: Any,
    server_performance: Any,
    handoff: Any,
    draw_fail: Any,
    draw_recover: Any,
    noise: Any,
    p: Any,
) -> tuple[Any, Any, Any, Any, Any]:
    """One contact: quality, failure and recovery, satisfaction, learning.

    Parameters
    ----------
    expectation, loyalty, value : float or ndarray
        The customer's state before the contact, and its value.
    server_rung : int
        Rung of the frontline person serving (one contact's; the other
        arguments may be arrays of that server's contacts).
    server_performance : float or ndarray
        Their talent, in [0, 1).
    handoff : float or ndarray
        Summed BLAME share of the departments the journey hands off to: a
        failure there lands on the serving person whatever their rung.
    draw_fail, draw_recover : float or ndarray
        Uniform draws in [0, 1).
    noise : float or ndarray
        Standard normal draw.

    Returns
    -------
    satisfaction, expectation, loyalty, feedback, failed
        ``feedback`` is +1 (compliment), -1 (complaint) or 0.
    """
    failed = draw_fail < p.failure_rate + p.handoff_failure_rate * handoff
    recovered = failed & (draw_recover < p.recovery_by_rung[server_rung])
    quality = (
        p.quality_by_rung[server_rung]
        + p.talent_quality * (server_performance - 0.5)
        + p.quality_sd * noise
        - p.failure_penalty * failed
        + p.recovery_restores * p.failure_penalty * recovered
    )
    quality = np.minimum(np.maximum(quality, 1.0), 6.0)
    satisfaction = quality - expectation
    new_expectation = (
        expectation
        + p.expectation_ratchet * np.maximum(satisfaction, 0.0)
        + p.expectation_relax * (customer_norm(value, p) - expectation)
    )
    felt = np.minimum(np.maximum(satisfaction, -1.0), 1.0)
    new_loyalty = np.minimum(np.maximum(loyalty + p.loyalty_rate * felt, 0.0), 1.0)
    unrecovered = np.logical_and(failed, np.logical_not(recovered))
    feedback = 1.0 * (satisfaction > 0.5) - 1.0 * ((satisfaction < -0.5) | unrecovered)
    return satisfaction, new_expectation, new_loyalty, feedback, failed


@kernel
def settle(cb: CustomerBase, p: Any) -> None:
    """Between contacts, habit and switching costs pull loyalty back toward its start."""
    for c in np.flatnonzero(cb.active):
        cb.loyalty[c] += p.loyalty_habit * (p.initial_loyalty - cb.loyalty[c])


@kernel
def churn(cb: CustomerBase, p: Any) -> np.ndarray:
    """Customers below their churn threshold leave; returns who left this week."""
    leaving = np.zeros(len(cb.active), dtype=np.bool_)
    for c in np.flatnonzero(cb.active):
        if cb.loyalty[c] < churn_threshold(cb.value[c], p):
            leaving[c] = True
            cb.active[c] = False
    return leaving


@kernel
def arrive(
    cb: CustomerBase, weights: np.ndarray, p: Any, rng: np.random.Generator
) -> tuple[CustomerBase, np.ndarray]:
    """New customers arrive, more of them when loyal customers refer.

    Arrivals reach only the part of the market not yet served (``market_size``
    times the initial customers): at the initial rates while the customer
    base is as large as at the start, slowing as the market fills, so an
    owning culture grows its customer base toward the market, not without end.

    Returns the (possibly grown) customer base and the slots of newcomers.
    """
    n_loyal = 0
    n_active = 0
    for c in np.flatnonzero(cb.active):
        n_loyal += cb.loyalty[c] >= p.loyal_level
        n_active += 1
    untapped = 0.0
    if p.market_size > 1.0 and p.n_customers > 0:
        untapped = max(
            0.0, (p.market_size * p.n_customers - n_active) / ((p.market_size - 1.0) * p.n_customers)
        )
    n_new = rng.poisson((p.arrival_rate * p.n_customers + p.referral_rate * n_loyal) * untapped)
    free = np.flatnonzero(~cb.active)
    if n_new > len(free):
        capacity = len(cb.active)
        grow = max(n_new - len(free), capacity // 2, 1)
        journey = np.full((capacity + grow, cb.journey.shape[1]), -1, dtype=np.int64)
        journey[:capacity] = cb.journey
        cb = CustomerBase(
            np.concatenate((cb.active, np.zeros(grow, dtype=np.bool_))),
            journey,
            np.concatenate((cb.value, np.zeros(grow))),
            np.concatenate((cb.expectation, np.zeros(grow))),
            np.concatenate((cb.loyalty, np.zeros(grow))),
            np.concatenate((cb.spend, np.zeros(grow))),
        )
        free = np.flatnonzero(~cb.active)
    slots = free[:n_new]
    journey, spend, value = new_accounts(weights, p, rng, n_new)
    for k in range(n_new):
        c = slots[k]
        cb.active[c] = True
        cb.journey[c] = journey[k]
        cb.spend[c] = spend[k]
        cb.value[c] = value[k]
        cb.expectation[c] = customer_norm(value[k], p)
        cb.loyalty[c] = p.initial_loyalty
    return cb, slots


@kernel
def account_revenue(spend: Any, loyalty: Any) -> Any:
    """An active account's revenue this week: spend, loyal customers spending more."""
    return spend * (0.5 + loyalty)


def weekly_revenue(cb: CustomerBase) -> np.ndarray:
    """Each account's revenue this week (0 when gone)."""
    return account_revenue(cb.spend, cb.loyalty) * cb.active


@kernel
def revenue(cb: CustomerBase) -> float:
    """This week's revenue of all active customers."""
    total = 0.0
    for c in np.flatnonzero(cb.active):
        total += account_revenue(cb.spend[c], cb.loyalty[c])
    return total


@kernel
def results_signal(cb: CustomerBase, p: Any) -> float:
    """What the executives watch: mean loyalty of active customers (``initial_loyalty`` when none)."""
    total = 0.0
    n = 0
    for c in np.flatnonzero(cb.active):
        total += cb.loyalty[c]
        n += 1
    return total / n if n else p.initial_loyalty
