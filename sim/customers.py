"""Customers: who they deal with, what service they get, and how loyal it makes them.

:func:`serve` works on arrays (all contacts of a week) or on scalars (one
customer), so both engines share one formula.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from scipy.special import ndtr

from sim.organization import Organization
from sim.params import ModelParams


@dataclass
class CustomerBase:
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


def market_value(spend: np.ndarray, p: ModelParams) -> np.ndarray:
    """Percentile of a weekly spend among all customers the market offers, in [0, 1]."""
    if p.spend_sd == 0 or p.spend == 0:
        return np.where(spend > p.spend, 1.0 - 0.5 * p.b2b_share, 0.5 * (1.0 - p.b2b_share))
    log_s = np.log(np.maximum(spend, 1e-300))
    single = ndtr((log_s - np.log(p.spend)) / p.spend_sd)
    factor = max(p.b2b_spend_factor, 1e-300)
    b2b = ndtr((log_s - np.log(p.spend * factor)) / p.spend_sd)
    return (1.0 - p.b2b_share) * single + p.b2b_share * b2b


def customer_norm(value: Any, p: ModelParams) -> Any:
    """The service level a customer of this value expects when nothing surprises them."""
    return p.expectation_norm + p.value_expectation * (value - 0.5)


def churn_threshold(value: Any, p: ModelParams) -> Any:
    """Loyalty below which a customer of this value leaves: valuable accounts have more alternatives."""
    return p.churn_loyalty + p.value_alternatives * value


def _new_accounts(
    org: Organization, p: ModelParams, rng: np.random.Generator, n: int
) -> dict[str, np.ndarray]:
    """Draw ``n`` new accounts: journey, spend and value."""
    n_dept = org.n_departments
    width = p.b2b_departments
    first = rng.choice(n_dept, size=n, p=org.customer_weights)
    b2b = rng.random(n) < p.b2b_share
    length = np.where(b2b, rng.integers(2, width + 1, size=n), 1)
    order = rng.random((n, n_dept))
    order[np.arange(n), first] = -1.0
    others = np.argsort(order, axis=1)[:, ::-1][:, : width - 1] if n_dept > 1 else np.zeros((n, 0), np.int64)
    journey = np.full((n, width), -1, dtype=np.int64)
    journey[:, 0] = first
    hand_offs = min(width - 1, n_dept - 1)
    for k in range(hand_offs):
        journey[:, k + 1] = np.where(k + 1 < length, others[:, k], -1)
    spend = p.spend * rng.lognormal(0.0, p.spend_sd, n) * np.where(b2b, p.b2b_spend_factor, 1.0)
    value = market_value(spend, p)
    return {"journey": journey, "spend": spend, "value": value}


def initial_customers(org: Organization, p: ModelParams, rng: np.random.Generator) -> CustomerBase:
    accounts = _new_accounts(org, p, rng, p.n_customers)
    return CustomerBase(
        active=np.ones(p.n_customers, dtype=bool),
        expectation=customer_norm(accounts["value"], p),
        loyalty=np.full(p.n_customers, p.initial_loyalty),
        **accounts,
    )


def pick_server(org: Organization, first: Any, draw: Any) -> Any:
    """A random frontline person of the customer's first department."""
    start = org.frontline_start[first]
    size = org.frontline_start[first + 1] - start
    return org.frontline_slots[start + (draw * size).astype(np.int64)]


def handoff_blame(journey: np.ndarray, blame_share: np.ndarray) -> np.ndarray:
    """Summed BLAME share of the departments a journey hands off to (after the first)."""
    padded = np.r_[blame_share, 0.0]
    return padded[journey[..., 1:]].sum(axis=-1)


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
    p: ModelParams,
) -> tuple[Any, Any, Any, Any, Any]:
    """One contact: quality, failure and recovery, satisfaction, learning.

    Parameters
    ----------
    expectation, loyalty, value : float or ndarray
        The customer's state before the contact, and its value.
    server_rung : int or ndarray
        Rung of the frontline person serving.
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
    quality_by_rung = np.asarray(p.quality_by_rung)
    recovery_by_rung = np.asarray(p.recovery_by_rung)
    failed = draw_fail < p.failure_rate + p.handoff_failure_rate * handoff
    recovered = failed & (draw_recover < recovery_by_rung[server_rung])
    quality = (
        quality_by_rung[server_rung]
        + p.talent_quality * (server_performance - 0.5)
        + p.quality_sd * noise
        - p.failure_penalty * failed
        + p.recovery_restores * p.failure_penalty * recovered
    )
    quality = np.clip(quality, 1.0, 6.0)
    satisfaction = quality - expectation
    new_expectation = (
        expectation
        + p.expectation_ratchet * np.maximum(satisfaction, 0.0)
        + p.expectation_relax * (customer_norm(value, p) - expectation)
    )
    new_loyalty = np.clip(loyalty + p.loyalty_rate * np.clip(satisfaction, -1.0, 1.0), 0.0, 1.0)
    unrecovered = failed & ~recovered
    feedback = 1.0 * (satisfaction > 0.5) - 1.0 * ((satisfaction < -0.5) | unrecovered)
    return satisfaction, new_expectation, new_loyalty, feedback, failed


def settle(cb: CustomerBase, p: ModelParams) -> None:
    """Between contacts, habit and switching costs pull loyalty back toward its start."""
    cb.loyalty += p.loyalty_habit * (p.initial_loyalty - cb.loyalty) * cb.active


def churn(cb: CustomerBase, p: ModelParams) -> np.ndarray:
    """Customers below their churn threshold leave; returns who left this week."""
    leaving = cb.active & (cb.loyalty < churn_threshold(cb.value, p))
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
        padding = {
            "active": np.zeros(grow, dtype=bool),
            "journey": np.full((grow, cb.journey.shape[1]), -1, dtype=np.int64),
        }
        cb = CustomerBase(
            **{
                f.name: np.concatenate([getattr(cb, f.name), padding.get(f.name, np.zeros(grow))])
                for f in fields(cb)
            }
        )
        free = np.flatnonzero(~cb.active)
    slots = free[:n_new]
    accounts = _new_accounts(org, p, rng, n_new)
    cb.active[slots] = True
    cb.journey[slots] = accounts["journey"]
    cb.spend[slots] = accounts["spend"]
    cb.value[slots] = accounts["value"]
    cb.expectation[slots] = customer_norm(accounts["value"], p)
    cb.loyalty[slots] = p.initial_loyalty
    return cb, slots


def weekly_revenue(cb: CustomerBase) -> np.ndarray:
    """Each account's revenue this week: spend, loyal customers spending more (0 when gone)."""
    return cb.spend * (0.5 + cb.loyalty) * cb.active


def revenue(cb: CustomerBase) -> float:
    """This week's revenue of all active customers."""
    return float(weekly_revenue(cb).sum())


def results_signal(cb: CustomerBase, p: ModelParams) -> float:
    """What the executives watch: mean loyalty of active customers (``initial_loyalty`` when none)."""
    n = int(cb.active.sum())
    return float(cb.loyalty[cb.active].mean()) if n else p.initial_loyalty
