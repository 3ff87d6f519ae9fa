"""The weekly rule for employees, as pure functions (arrays in, arrays out).

The arithmetic here (:func:`peer_shares`, :func:`leader_signal`,
:func:`drive`, :func:`next_rung`, :func:`leave_probability`...) accepts
numpy arrays or plain scalars and is marked :func:`~sim.kernels.kernel`, so
each Mesa agent, the compiled engine and the mean field run the very same
formula: a term added to the rule reaches every engine. ``p`` is a
:class:`ModelParams` or its numeric view ``ModelParams.numbers``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from sim.kernels import kernel
from sim.ladder import TOP, Rung
from sim.organization import EXECUTIVE, FRONTLINE, Organization
from sim.params import ModelParams


class Workforce(NamedTuple):
    """The changing state of every staff slot (arrays of length n_staff, updated in place).

    Attributes
    ----------
    rung : ndarray of int8
        A :class:`~sim.ladder.Rung` per person.
    education : ndarray of float64
        Grasp of the common service language, in [0, 1].
    alignment : ndarray of float64
        Leadership coaching received (managers, executives), in [0, 1].
    resistance : ndarray of float64
        Personal threshold drawn at hire (drive units).
    cynicism : ndarray of float64
        Resistance added while waiting for a launched programme (drive units).
    engaged : ndarray of bool
        Reached by a wave bringing more than training.
    feedback : ndarray of float64
        Net customer feedback received last week, in [-1, 1].
    performance : ndarray of float64
        Talent drawn at hire: the person's percentile in the labour market,
        in [0, 1); separate from the rung.
    """

    rung: np.ndarray
    education: np.ndarray
    alignment: np.ndarray
    resistance: np.ndarray
    cynicism: np.ndarray
    engaged: np.ndarray
    feedback: np.ndarray
    performance: np.ndarray


def initial_workforce(org: Organization, params: ModelParams, rng: np.random.Generator) -> Workforce:
    """Draw everyone's starting rung, resistance and talent."""
    n = org.n_staff
    return Workforce(
        rung=rng.choice(4, size=n, p=params.initial_rung_shares).astype(np.int8),
        education=np.zeros(n),
        alignment=np.zeros(n),
        resistance=rng.normal(params.resistance_mean, params.resistance_sd, n),
        cynicism=np.zeros(n),
        engaged=np.zeros(n, dtype=bool),
        feedback=np.zeros(n),
        performance=rng.random(n),
    )


@kernel
def peer_shares(
    own_within: Any,
    blame_within: Any,
    own_across: Any,
    blame_across: Any,
    degree: Any,
    cross_blame_weight: float,
) -> tuple[Any, Any]:
    """R and B from counts of colleagues at OWN and at BLAME, inside and across the silo.

    Blame arriving across a silo boundary counts ``cross_blame_weight``
    times (finger pointing between departments); responsibility counts once.
    """
    r = (own_within + own_across) / degree
    b = (blame_within + cross_blame_weight * blame_across) / degree
    return r, b


def leader_weights(org: Organization, p: ModelParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How much of each person's L comes from their bosses, the people they lead, and results."""
    return leader_weights_by_role(org.role, org.has_bosses, p)


def leader_weights_by_role(role: Any, has_bosses: Any, p: ModelParams) -> tuple[Any, Any, Any]:
    """L's weights on bosses, the people led and results, from a role and whether one has bosses.

    Frontline staff read their manager. Managers read their executives and,
    with ``upward_weight``, their own team. Executives read fellow
    executives, the managers below (``upward_weight``) and the customer
    results they watch (``results_weight``). Weights sum to 1 per person.
    Taking roles rather than an organization lets the mean field weigh its
    tiers with the same rule.
    """
    role = np.asarray(role)
    leads = role != FRONTLINE
    executive = role == EXECUTIVE
    team = np.where(leads, p.upward_weight, 0.0)
    results = np.where(executive, p.results_weight, 0.0)
    boss = np.where(has_bosses, 1.0 - team - results, 0.0)
    total = boss + team + results
    safe = np.where(total > 0, total, 1.0)
    return boss / safe, team / safe, results / safe


@kernel
def leader_signal(
    boss_rung: Any, team_rung: Any, results: Any, w_boss: Any, w_team: Any, w_results: Any
) -> Any:
    """L in [0, 1]: what a person reads from above, from below and from results.

    ``boss_rung`` and ``team_rung`` are mean rungs (0..3) of the person's
    bosses and of the people they lead; ``results`` the customer results in
    [0, 1] (0.5 is "as before"). A person with no one to read is neutral.
    """
    neutral = 1.0 - (w_boss + w_team + w_results)
    return w_boss * boss_rung / TOP + w_team * team_rung / TOP + w_results * results + 0.5 * neutral


def outside_push(org: Organization, p: ModelParams) -> np.ndarray:
    """Drive from outside the organization: ``push`` on all, the board's commitment on executives."""
    return np.asarray(outside_push_by_role(org.role, p))


def outside_push_by_role(role: Any, p: ModelParams) -> Any:
    """:func:`outside_push` from roles alone (the mean field's tiers)."""
    return p.push + p.board_commitment * (np.asarray(role) == EXECUTIVE)


@kernel
def drive(
    r: Any,
    b: Any,
    lead: Any,
    education: Any,
    mechanisms: Any,
    feedback: Any,
    alignment: Any,
    outside: Any,
    threshold: Any,
    p: Any,
) -> Any:
    """The drive u of MODEL.md; positive pushes a person up the ladder.

    u = w_peer R - w_blame B + w_lead (2L - 1) + w_edu E H + w_mech M
        + w_cust F + w_align A + outside - (resistance + cynicism),
    with H = 0.5 + 0.5 L: training works half as well under leaders below
    the line ("do what I say, not what I do").
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
        + outside
        - threshold
    )


@kernel
def next_rung(rung: Any, u: Any, draw_move: Any, mood: Any, p: Any) -> Any:
    """With probability ``adaptability`` move one rung, up or down, as this week's drive says.

    This week's drive is u plus a mood shock ``mood_sd * mood`` (a good or a
    bad week). Each step of the ladder has its own threshold, ``rung_spacing``
    apart and centred on the step from SHAME to JUSTIFY: a person at rung k
    climbs when the drive exceeds ``rung_spacing * (k - 1)`` and slides when
    it falls below ``rung_spacing * (k - 2)``. Owning takes a stronger drive
    than excusing, and a person whose drive is near zero settles in the
    middle of the ladder. Besides, with probability ``drift`` a person moves
    one rung up or down at random whatever their drive (life happens), so no
    culture is ever uniform. With ``rung_spacing = 0`` and ``drift = 0``
    this is MODEL.md's rule: up if u > 0, down if u < 0.

    Returns the new rung as an integer (array) of the input's shape.
    """
    v = u + p.mood_sd * mood
    up = v > p.rung_spacing * (rung - 1.0)
    down = v < p.rung_spacing * (rung - 2.0)
    a, half = p.adaptability, 0.5 * p.drift
    step = (draw_move < a) * (1 * up - 1 * down)
    step = (
        step
        + 1 * ((draw_move >= a) & (draw_move < a + half))
        - 1 * ((draw_move >= a + half) & (draw_move < a + 2 * half))
    )
    return np.minimum(np.maximum(rung + step, 0), TOP)


def climb_probabilities(u: Any, rung: Any, p: Any) -> tuple[Any, Any]:
    """Chance of moving up and down one rung this week at drive u: the expectation of :func:`next_rung`."""
    from scipy.special import ndtr

    u = np.asarray(u, dtype=float)
    up_at, down_at = p.rung_spacing * (rung - 1.0), p.rung_spacing * (rung - 2.0)
    if p.mood_sd > 0:
        up, down = ndtr((u - up_at) / p.mood_sd), ndtr((down_at - u) / p.mood_sd)
    else:
        up, down = 1.0 * (u > up_at), 1.0 * (u < down_at)
    half = 0.5 * p.drift
    up = np.where(rung >= Rung.OWN, 0.0, p.adaptability * up + half)
    down = np.where(rung <= Rung.BLAME, 0.0, p.adaptability * down + half)
    return up, down


@kernel
def fade(level: np.ndarray, mechanisms: np.ndarray, decay: float) -> np.ndarray:
    """Training fades at ``decay`` per week, slowed in proportion to mechanisms."""
    return level * (1.0 - decay * (1.0 - mechanisms))


@kernel
def update_cynicism(cynicism: float, engaged: bool, p: Any) -> float:
    """One person's cynicism next week, once a programme is launched: it grows until they are engaged.

    There is no ceiling: the longer a person waits, the more cynical they
    get (the run's horizon bounds it); an engaged person sheds
    ``cynicism_recovery`` of it each week.
    """
    if engaged:
        return cynicism * (1.0 - p.cynicism_recovery)
    return cynicism + p.cynicism_rate


@kernel
def leave_probability(rung: Any, blame_around: Any, cynicism: Any, performance: Any, p: Any) -> Any:
    """Weekly chance each person quits.

    Anyone may leave (``base_attrition``); SHAME, blaming surroundings (for
    OWN people most), and the cynicism of a stalled change push people out,
    and the better a person performs, the more strongly they respond: high
    performers have the best outside options.
    """
    blame = np.minimum(blame_around, 1.0)
    pushed = (
        p.shame_attrition * (rung == Rung.SHAME)
        + p.blame_attrition * blame
        + p.own_in_blame_attrition * blame * (rung == Rung.OWN)
        + p.cynicism_attrition * cynicism
    )
    return np.minimum(p.base_attrition + (1.0 + p.talent_mobility * performance) * pushed, 1.0)


@kernel
def market_rung(draw: Any, p: Any) -> Any:
    """A newcomer's rung drawn from the labour market (``hire_rung_shares``) by inverse CDF."""
    edges = np.cumsum(np.asarray(p.hire_rung_shares))[:-1]
    return np.searchsorted(edges, draw, side="right")


class HiringDraws(NamedTuple):
    """The random numbers one week of hiring uses: one entry per leaver, in slot order."""

    candidate: np.ndarray
    rival: np.ndarray
    select: np.ndarray
    resistance: np.ndarray
    performance: np.ndarray


@kernel
def draw_hiring(rng: np.random.Generator, n: int) -> HiringDraws:
    """Draw a week of :class:`HiringDraws` for ``n`` leavers."""
    return HiringDraws(rng.random(n), rng.random(n), rng.random(n), rng.standard_normal(n), rng.random(n))


@kernel
def onboarding_strength(block_level: float, p: Any) -> float:
    """Recruitment or orientation strength: the organization's own, raised by its building block."""
    return p.onboarding_base + (1.0 - p.onboarding_base) * block_level


@kernel
def hire(
    wf: Workforce, leavers: np.ndarray, recruitment: float, orientation: float, d: HiringDraws, p: Any
) -> None:
    """Replace leavers in place with newcomers from the labour market (``d`` holds one draw per leaver).

    Recruitment selects: with probability ``recruitment`` the better of two
    candidates (by rung) is hired. Orientation teaches the common service
    language (the newcomer's education). Nothing copies the department's
    culture: the department socialises newcomers through the weekly rule.
    """
    for k, i in enumerate(np.flatnonzero(leavers)):
        first, second = market_rung(d.candidate[k], p), market_rung(d.rival[k], p)
        wf.rung[i] = max(first, second) if d.select[k] < recruitment else first
        wf.education[i] = orientation
        wf.alignment[i] = 0.0
        wf.resistance[i] = p.resistance_mean + p.resistance_sd * d.resistance[k]
        wf.cynicism[i] = 0.0
        wf.engaged[i] = False
        wf.feedback[i] = 0.0
        wf.performance[i] = d.performance[k]
