"""Customers: who they deal with, what service they get, and how loyal it makes them.

:func:`serve` works on arrays (all contacts of a week) or on scalars (one
customer), so both engines share one formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.organization import OWN, Organization
from sim.params import ModelParams


@dataclass
class CustomerBase:
    """Customer accounts as arrays; a churned slot is reused by a newcomer.

    Attributes
    ----------
    active : ndarray of bool
    first, second : ndarray of int64
        First department of the journey, and the department it hands off to
        (-1 when the journey stays in one department).
    expectation : ndarray of float64
        Expected service level (Kaufman scale 1..6).
    loyalty : ndarray of float64
        In [0, 1].
    spend : ndarray of float64
        Weekly spend at loyalty 0.5 (currency/week).
    """

    active: np.ndarray
    first: np.ndarray
    second: np.ndarray
    expectation: np.ndarray
    loyalty: np.ndarray
    spend: np.ndarray

    @property
    def capacity(self) -> int:
        return len(self.active)


def _journeys(org: Organization, p: ModelParams, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    first = rng.choice(org.n_departments, size=n, p=org.customer_weights)
    b2b = rng.random(n) < p.b2b_share
    if org.n_departments > 1:
        shift = rng.integers(1, org.n_departments, size=n)
        second = np.where(b2b, (first + shift) % org.n_departments, -1)
    else:
        second = np.full(n, -1)
    spend = p.spend * rng.lognormal(0.0, 0.5, n) * np.where(b2b, p.b2b_spend_factor, 1.0)
    return first, second, spend


def initial_customers(org: Organization, p: ModelParams, rng: np.random.Generator) -> CustomerBase:
    n = p.n_customers
    first, second, spend = _journeys(org, p, rng, n)
    return CustomerBase(
        active=np.ones(n, dtype=bool),
        first=first,
        second=second,
        expectation=np.full(n, p.expectation_norm),
        loyalty=np.full(n, p.initial_loyalty),
        spend=spend,
    )


def pick_server(org: Organization, first: Any, draw: Any) -> Any:
    """A random frontline person of the customer's first department."""
    start = org.frontline_start[first]
    size = org.frontline_start[first + 1] - start
    return org.frontline_slots[start + (draw * size).astype(np.int64)]


def serve(
    expectation: Any,
    loyalty: Any,
    server_rung: Any,
    handoff_blame: Any,
    draw_fail: Any,
    draw_recover: Any,
    noise: Any,
    p: ModelParams,
) -> tuple[Any, Any, Any, Any, Any]:
    """One contact: quality, failure and recovery, satisfaction, learning.

    Parameters
    ----------
    expectation, loyalty : float or ndarray
        The customer's state before the contact.
    server_rung : int or ndarray
        Rung of the frontline person serving.
    handoff_blame : float or ndarray
        BLAME share of the department the journey hands off to (0 if none);
        an OWN server bridges the silo and is spared that extra risk.
    draw_fail, draw_recover : float or ndarray
        Uniform draws in [0, 1).
    noise : float or ndarray
        Standard normal draw.

    Returns
    -------
    satisfaction, expectation, loyalty, feedback, failed
        ``feedback`` is +1 (compliment), -1 (complaint) or 0.
    """
    quality_by_rung = np.asarray(p.quality_by_rung)
    recovery_by_rung = np.asarray(p.recovery_by_rung)
    p_fail = p.failure_rate + p.handoff_failure_rate * handoff_blame * (server_rung != OWN)
    failed = draw_fail < p_fail
    recovered = failed * (draw_recover < recovery_by_rung[server_rung])
    quality = (
        quality_by_rung[server_rung]
        + p.quality_sd * noise
        - p.failure_penalty * (failed ^ recovered)
        + p.recovery_bonus * recovered
    )
    quality = np.clip(quality, 1.0, 6.0)
    satisfaction = quality - expectation
    new_expectation = (
        expectation
        + p.expectation_ratchet * np.maximum(satisfaction, 0.0)
        + p.expectation_relax * (p.expectation_norm - expectation)
    )
    new_loyalty = np.clip(loyalty + p.loyalty_rate * np.clip(satisfaction, -1.0, 1.0), 0.0, 1.0)
    feedback = 1.0 * (satisfaction > 0.5) - 1.0 * ((satisfaction < -0.5) | (failed ^ recovered))
    return satisfaction, new_expectation, new_loyalty, feedback, failed


def settle(cb: CustomerBase, p: ModelParams) -> None:
    """Between contacts, habit and switching costs pull loyalty back toward its start."""
    cb.loyalty += p.loyalty_habit * (p.initial_loyalty - cb.loyalty) * cb.active


def churn(cb: CustomerBase, p: ModelParams) -> np.ndarray:
    """Customers below ``churn_loyalty`` leave; returns who left this week."""
    leaving = cb.active & (cb.loyalty < p.churn_loyalty)
    cb.active &= ~leaving
    return leaving


def arrive(
    cb: CustomerBase, org: Organization, p: ModelParams, rng: np.random.Generator
) -> tuple[CustomerBase, np.ndarray]:
    """New customers arrive, more of them when loyal customers refer.

    Returns the (possibly grown) customer base and the slots of newcomers.
    """
    n_loyal = int(np.count_nonzero(cb.active & (cb.loyalty >= p.loyal_level)))
    n_new = int(rng.poisson(p.arrival_rate * p.n_customers + p.referral_rate * n_loyal))
    free = np.flatnonzero(~cb.active)
    if n_new > len(free):
        grow = max(n_new - len(free), cb.capacity // 2, 1)
        cb = CustomerBase(
            active=np.r_[cb.active, np.zeros(grow, dtype=bool)],
            first=np.r_[cb.first, np.zeros(grow, dtype=np.int64)],
            second=np.r_[cb.second, np.full(grow, -1)],
            expectation=np.r_[cb.expectation, np.zeros(grow)],
            loyalty=np.r_[cb.loyalty, np.zeros(grow)],
            spend=np.r_[cb.spend, np.zeros(grow)],
        )
        free = np.flatnonzero(~cb.active)
    slots = free[:n_new]
    first, second, spend = _journeys(org, p, rng, n_new)
    cb.active[slots] = True
    cb.first[slots] = first
    cb.second[slots] = second
    cb.expectation[slots] = p.expectation_norm
    cb.loyalty[slots] = p.initial_loyalty
    cb.spend[slots] = spend
    return cb, slots


def revenue(cb: CustomerBase) -> float:
    """This week's revenue: active customers' spend, loyal ones spending more."""
    return float(np.sum(cb.spend * (0.5 + cb.loyalty) * cb.active))
