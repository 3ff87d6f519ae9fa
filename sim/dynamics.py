"""The weekly rule for employees, as pure functions (arrays in, arrays out).

The arithmetic functions here (:func:`drive`, :func:`next_rung`) accept numpy
arrays or plain scalars, so the vectorised engine and the per-agent engine
run the very same formula and agree to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.organization import BLAME, OWN, SHAME, Organization
from sim.params import ModelParams


@dataclass
class Workforce:
    """The changing state of every staff slot (arrays of length n_staff).

    Attributes
    ----------
    rung : ndarray of int8
        0 BLAME, 1 SHAME, 2 JUSTIFY, 3 OWN.
    education : ndarray of float64
        Grasp of the common service language, in [0, 1].
    alignment : ndarray of float64
        Leadership coaching received (managers), in [0, 1].
    resistance : ndarray of float64
        Personal threshold drawn at hire (drive units).
    cynicism : ndarray of float64
        Resistance added while waiting for a launched programme (drive units).
    engaged : ndarray of bool
        Reached by a wave bringing more than training.
    feedback : ndarray of float64
        Net customer feedback received last week, in [-1, 1].
    """

    rung: np.ndarray
    education: np.ndarray
    alignment: np.ndarray
    resistance: np.ndarray
    cynicism: np.ndarray
    engaged: np.ndarray
    feedback: np.ndarray


def initial_workforce(org: Organization, params: ModelParams, rng: np.random.Generator) -> Workforce:
    """Draw everyone's starting rung and resistance."""
    n = org.n_staff
    return Workforce(
        rung=rng.choice(4, size=n, p=params.initial_rung_shares).astype(np.int8),
        education=np.zeros(n),
        alignment=np.zeros(n),
        resistance=rng.normal(params.resistance_mean, params.resistance_sd, n),
        cynicism=np.zeros(n),
        engaged=np.zeros(n, dtype=bool),
        feedback=np.zeros(n),
    )


def peer_signals(
    org: Organization, rung: np.ndarray, cross_blame_weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """R and B: weighted shares of a person's colleagues at OWN and at BLAME.

    Blame arriving across a silo boundary counts ``cross_blame_weight`` times.
    """
    own_blame = np.stack([rung == OWN, rung == BLAME], axis=1).astype(float)
    inside, outside = org.within @ own_blame, org.across @ own_blame
    r = (inside[:, 0] + outside[:, 0]) / org.degree
    b = (inside[:, 1] + cross_blame_weight * outside[:, 1]) / org.degree
    return r, b


def leader_signal(org: Organization, rung: np.ndarray) -> np.ndarray:
    """L: mean rung / 3 of each person's managers (executives: of fellow executives)."""
    return (org.bosses @ rung.astype(float)) / (3.0 * org.n_bosses)


def drive(
    r: Any,
    b: Any,
    lead: Any,
    education: Any,
    mechanisms: Any,
    feedback: Any,
    alignment: Any,
    threshold: Any,
    p: ModelParams,
) -> Any:
    """The drive u of MODEL.md; positive pushes a person up the ladder.

    u = w_peer R - w_blame B + w_lead (2L - 1) + w_edu E H + w_mech M
        + w_cust F + w_align A + push - (resistance + cynicism), with H = 0.5 + 0.5 L.
    """
    h = 0.5 + 0.5 * lead
    return (
        p.w_peer * r
        - p.w_blame * b
        + p.w_lead * (2.0 * lead - 1.0)
        + p.w_edu * education * h
        + p.w_mech * mechanisms
        + p.w_cust * feedback
        + p.w_align * alignment
        + p.push
        - threshold
    )


def next_rung(rung: Any, u: Any, draw: Any, adaptability: float) -> Any:
    """With probability ``adaptability`` move one rung in the direction of u."""
    step = (draw < adaptability) * np.sign(u)
    return np.clip(rung + step, BLAME, OWN).astype(np.int8)


def fade(level: np.ndarray, mechanisms: np.ndarray, decay: float) -> np.ndarray:
    """Training fades at ``decay`` per week, slowed in proportion to mechanisms."""
    return level * (1.0 - decay * (1.0 - mechanisms))


def update_cynicism(cynicism: np.ndarray, engaged: np.ndarray, launched: bool, p: ModelParams) -> np.ndarray:
    """Waiting people grow cynical once a programme is launched; engaged ones recover."""
    if not launched:
        return cynicism
    waiting = np.minimum(cynicism + p.cynicism_rate, p.cynicism_max)
    return np.where(engaged, cynicism * (1.0 - p.cynicism_recovery), waiting)


def leave_probability(rung: np.ndarray, blame_around: np.ndarray, p: ModelParams) -> np.ndarray:
    """Weekly chance each person quits: SHAME and blaming surroundings push people out."""
    return (
        p.base_attrition
        + p.shame_attrition * (rung == SHAME)
        + p.blame_attrition * np.minimum(blame_around, 1.0)
        + p.own_in_blame_attrition * np.minimum(blame_around, 1.0) * (rung == OWN)
    )


def dominant_rung(org: Organization, rung: np.ndarray) -> np.ndarray:
    """The most common rung of each department (and of the executives), ties to the lower rung."""
    counts = np.bincount(org.department * 4 + rung, minlength=4 * (org.n_departments + 1))
    return counts.reshape(-1, 4).argmax(axis=1).astype(np.int8)


def hire(
    wf: Workforce,
    org: Organization,
    leavers: np.ndarray,
    onboarding: float,
    draw_onboard: np.ndarray,
    draw_resistance: np.ndarray,
    p: ModelParams,
) -> None:
    """Replace leavers in place: strong recruitment and orientation hire OWN people,
    otherwise newcomers adopt their department's dominant rung."""
    if not leavers.any():
        return
    dominant = dominant_rung(org, wf.rung)[org.department]
    idx = np.flatnonzero(leavers)
    wf.rung[idx] = np.where(draw_onboard[idx] < onboarding, OWN, dominant[idx])
    wf.education[idx] = onboarding
    wf.alignment[idx] = 0.0
    wf.resistance[idx] = p.resistance_mean + p.resistance_sd * draw_resistance[idx]
    wf.cynicism[idx] = 0.0
    wf.engaged[idx] = False
    wf.feedback[idx] = 0.0
