"""The one verdict: paired, corrected statistics on plans run with the same seeds.

Runs of different plans with the same seed share the organization and its
starting state (common random numbers), so plans are compared seed by seed:

- tipping: exact McNemar test on the discordant seeds (one plan tipped, the
  other not): ``binomtest(only_first, only_first + only_second, 0.5)``;
- the final share above the line: Wilcoxon signed-rank test on the paired
  differences;
- intervals (95%): Wilson for a tipping probability, a seeded percentile
  bootstrap (:func:`scipy.stats.bootstrap`) for a mean or a paired difference;
- Holm's step-down correction over every test of a family: all pairs of
  plans in a comparison, all pairs in all cells of an atlas;
- a minimum effect (default 10 percentage points): a smaller difference is
  "no clear difference" whatever its p-value.

The same functions serve ``blueline compare``, ``blueline atlas`` and the
dashboard: :func:`paired_evidence` per set of plans, :func:`holm_corrected`
over the family, :func:`decide` per set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
MIN_EFFECT = 0.10
"""Smallest difference worth a verdict: of P(tip), and of the final share above the line."""
POWER = 0.8
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
NO_CLEAR_DIFFERENCE = "no clear difference"
TIPPING = "tipping probability"
SHARE = "final above-the-line share"


@dataclass(frozen=True)
class Interval:
    """An estimate with a 95% interval."""

    estimate: float
    lo: float
    hi: float


def wilson_interval(successes: int, n: int) -> Interval:
    """Proportion with its 95% Wilson score interval (good at 0 and n out of n)."""
    if n == 0:
        return Interval(math.nan, 0.0, 1.0)
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return Interval(successes / n, float(ci.low), float(ci.high))


def bootstrap_interval(values: np.ndarray | Sequence[float], statistic: str = "mean") -> Interval:
    """Mean (or median) with a 95% percentile bootstrap interval, reproducible (seeded).

    NaNs are dropped; one value, or values all equal, give a zero-width interval.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return Interval(math.nan, math.nan, math.nan)
    func = np.mean if statistic == "mean" else np.median
    estimate = float(func(x))
    if len(x) == 1 or np.ptp(x) == 0:
        return Interval(estimate, estimate, estimate)
    result = stats.bootstrap(
        (x,),
        func,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
        vectorized=True,
        axis=-1,
    )
    return Interval(estimate, float(result.confidence_interval.low), float(result.confidence_interval.high))


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test: seeds where only one plan tipped, and the two-sided p-value."""

    only_first: int
    only_second: int
    p: float


def mcnemar_exact(first: np.ndarray, second: np.ndarray) -> McNemar:
    """Exact McNemar test on paired 0/1 outcomes (1.0 when no seed is discordant).

    Under "no difference" a discordant seed is equally likely to favour
    either plan, so the count favouring the first is Binomial(discordant, 1/2).
    """
    a, b = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    only_first, only_second = int((a & ~b).sum()), int((~a & b).sum())
    discordant = only_first + only_second
    p = 1.0 if discordant == 0 else float(stats.binomtest(only_first, discordant, 0.5).pvalue)
    return McNemar(only_first, only_second, p)


def wilcoxon_paired(first: np.ndarray, second: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (1.0 when all are zero)."""
    d = np.asarray(first, dtype=float) - np.asarray(second, dtype=float)
    d = d[~np.isnan(d)]
    if not np.any(d != 0):
        return 1.0
    return float(stats.wilcoxon(d, zero_method="wilcox").pvalue)


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), in the input order; NaNs stay NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


def detectable_difference(
    n_pairs: int, n_tests: int = 1, alpha: float = ALPHA, power: float = POWER
) -> float:
    """Smallest difference in P(tip) that ``n_pairs`` paired seeds detect with probability ``power``.

    Exact McNemar at Holm's first-step level ``alpha / n_tests``, in the case
    most favourable under common random numbers: every discordant seed
    favours the better plan, so a difference ``delta`` gives
    Binomial(n_pairs, delta) discordant seeds and the test rejects once
    there are ``d`` of them, ``2 * 0.5**d <= alpha / n_tests``. Discordance
    both ways needs a larger difference: this is a lower bound. NaN when no
    difference can be detected (``d > n_pairs``).
    """
    level = alpha / max(1, n_tests)
    d = 1
    while 2 * 0.5**d > level:
        d += 1
    if d > n_pairs:
        return math.nan
    # P(Binomial(n, delta) >= d) is the regularised incomplete beta I_delta(d, n - d + 1)
    return float(stats.beta.ppf(power, d, n_pairs - d + 1))


@dataclass(frozen=True)
class PairTest:
    """Two plans compared seed by seed; differences are ``first - second``.

    ``*_holm`` are the p-values after Holm's correction over the family
    (NaN until :func:`holm_corrected` has run).
    """

    first: str
    second: str
    pairs: int
    tip_difference: Interval
    share_difference: Interval
    mcnemar: McNemar
    wilcoxon_p: float
    mcnemar_p_holm: float = math.nan
    wilcoxon_p_holm: float = math.nan

    def oriented(self, first: str) -> PairTest:
        """The same test with ``first`` as the first plan."""
        if first == self.first:
            return self
        return replace(
            self,
            first=self.second,
            second=self.first,
            tip_difference=_negated(self.tip_difference),
            share_difference=_negated(self.share_difference),
            mcnemar=McNemar(self.mcnemar.only_second, self.mcnemar.only_first, self.mcnemar.p),
        )


@dataclass(frozen=True)
class Standing:
    """One plan's tipping count and mean final share over its seeds."""

    plan: str
    runs: int
    tipped: int
    final_above_line: float

    @property
    def p_tip(self) -> float:
        return self.tipped / self.runs if self.runs else math.nan


@dataclass(frozen=True)
class Evidence:
    """Plans ranked by P(tip) then mean final share, with every pair tested on shared seeds."""

    standings: tuple[Standing, ...]
    ranks: Mapping[str, int]
    """1 + the number of plans strictly ahead (tied plans share a rank)."""
    pairs: tuple[PairTest, ...]
    family: int = 0
    """Number of tests Holm's correction ran over (0: not corrected yet)."""

    @property
    def ranking(self) -> list[str]:
        return [s.plan for s in self.standings]

    def pair(self, first: str, second: str) -> PairTest:
        """The test of ``first`` against ``second``."""
        for p in self.pairs:
            if {p.first, p.second} == {first, second}:
                return p.oriented(first)
        raise KeyError((first, second))


def paired_evidence(runs: pd.DataFrame, plans: Sequence[str], pair_on: Sequence[str] = ("seed",)) -> Evidence:
    """Rank ``plans`` and test every pair on the runs both share.

    Parameters
    ----------
    runs : DataFrame
        One row per run, columns ``plan``, ``tipped``, ``final_above_line`` and ``pair_on``.
    plans : sequence of str
        The plans, in the order ties keep.
    pair_on : sequence of str
        Columns that identify a run of a plan and pair it with another plan's
        (the seed; with the design point too when a table holds several points).

    Raises
    ------
    ValueError
        If two runs of one plan share the ``pair_on`` values.
    """
    by_plan = {p: runs[runs["plan"] == p].set_index(list(pair_on)) for p in plans}
    for p, r in by_plan.items():
        if not r.index.is_unique:
            raise ValueError(
                f"runs of plan {p} repeat {', '.join(pair_on)}: pair on columns that tell them apart"
            )
    standings = [
        Standing(
            p,
            len(r),
            int(r["tipped"].astype(bool).sum()),
            float(r["final_above_line"].mean()) if len(r) else math.nan,
        )
        for p, r in by_plan.items()
    ]

    def key(s: Standing) -> tuple[float, float]:
        share = -math.inf if math.isnan(s.final_above_line) else s.final_above_line
        return (-math.inf if math.isnan(s.p_tip) else s.p_tip, share)

    ranked = tuple(sorted(standings, key=key, reverse=True))
    ranks = {s.plan: 1 + sum(key(o) > key(s) for o in standings) for s in standings}
    pairs = tuple(_pair_test(a, b, by_plan[a], by_plan[b]) for a, b in combinations(plans, 2))
    return Evidence(ranked, ranks, pairs)


def _pair_test(first: str, second: str, a: pd.DataFrame, b: pd.DataFrame) -> PairTest:
    seeds = a.index.intersection(b.index)
    tip_a = a.loc[seeds, "tipped"].to_numpy(dtype=bool)
    tip_b = b.loc[seeds, "tipped"].to_numpy(dtype=bool)
    share_a = a.loc[seeds, "final_above_line"].to_numpy(dtype=float)
    share_b = b.loc[seeds, "final_above_line"].to_numpy(dtype=float)
    return PairTest(
        first=first,
        second=second,
        pairs=len(seeds),
        tip_difference=bootstrap_interval(tip_a.astype(float) - tip_b.astype(float)),
        share_difference=bootstrap_interval(share_a - share_b),
        mcnemar=mcnemar_exact(tip_a, tip_b),
        wilcoxon_p=wilcoxon_paired(share_a, share_b),
    )


def holm_corrected(family: Sequence[Evidence]) -> list[Evidence]:
    """Holm's correction over every McNemar and Wilcoxon test of every evidence in ``family``."""
    raw = [p for e in family for t in e.pairs for p in (t.mcnemar.p, t.wilcoxon_p)]
    adjusted = iter(holm(raw))
    out = []
    for e in family:
        pairs = tuple(
            replace(t, mcnemar_p_holm=next(adjusted), wilcoxon_p_holm=next(adjusted)) for t in e.pairs
        )
        out.append(replace(e, pairs=pairs, family=len(raw)))
    return out


@dataclass(frozen=True)
class Verdict:
    """Which plan is better, on what, by how much, and how sure.

    Attributes
    ----------
    best : str
        The winner when ``clear``, otherwise the plan ranked first.
    runner_up : str or None
        The plan it was tested against (ranked second).
    criterion : str
        :data:`TIPPING`, :data:`SHARE`, :data:`NO_CLEAR_DIFFERENCE` or ``"only one plan"``.
    clear : bool
        The difference is at least the minimum effect and significant after Holm.
    p_value : float
        Holm-adjusted p-value of the deciding test (NaN with one plan).
    difference : Interval
        ``best - runner_up`` on the deciding outcome (P(tip) when nothing decides).
    text : str
        The verdict in one paragraph.
    """

    best: str
    runner_up: str | None
    criterion: str
    clear: bool
    p_value: float
    difference: Interval
    text: str


def decide(
    evidence: Evidence,
    min_effect: float = MIN_EFFECT,
    alpha: float = ALPHA,
    spend_notes: Mapping[str, str] | None = None,
) -> Verdict:
    """The verdict on Holm-corrected evidence: leader against runner-up.

    Tipping decides when the two differ by at least ``min_effect``; otherwise
    the final share above the line does, with the same minimum effect.
    A difference that is large enough but not significant after Holm is
    "no clear difference" too.

    Parameters
    ----------
    spend_notes : mapping of str to str, optional
        A note on each plan that did not spend the budget (could not, or
        spent more or less than expected); the verdict repeats those on the
        plans it names.
    """
    if not evidence.family and evidence.pairs:
        raise ValueError("decide() needs Holm-corrected evidence: call holm_corrected() first")
    leader = evidence.standings[0]
    last_named = evidence.standings[min(1, len(evidence.standings) - 1)].plan  # the runner-up and its ties
    notes = "".join(
        f" Note: {spend_notes[s.plan]}."
        for s in evidence.standings
        if evidence.ranks[s.plan] <= evidence.ranks[last_named] and s.plan in (spend_notes or {})
    )
    if len(evidence.standings) == 1:
        text = f"Verdict: only one plan ({leader.plan}); nothing to compare.{notes}"
        return Verdict(
            leader.plan, None, "only one plan", False, math.nan, Interval(math.nan, math.nan, math.nan), text
        )
    second = evidence.standings[1]
    test = evidence.pair(leader.plan, second.plan)
    tied = [s.plan for s in evidence.standings[1:] if evidence.ranks[s.plan] == evidence.ranks[second.plan]]
    others = second.plan if len(tied) == 1 else f"{', '.join(tied[:-1])} and {tied[-1]} (tied)"
    tips = f"tipping {_count(leader)} vs {_count(second)}"
    shares = f"mean final share above the line {leader.final_above_line:.2f} vs {second.final_above_line:.2f}"
    tail = f"over {evidence.family} tests"
    if abs(test.tip_difference.estimate) >= min_effect:
        criterion, diff, p = TIPPING, test.tip_difference, test.mcnemar_p_holm
        best, beaten = leader.plan, others
        how = (
            f"{tips}, difference {points_text(diff)}; exact McNemar on {test.pairs} paired seeds "
            f"({test.mcnemar.only_first} where only {leader.plan} tipped, {test.mcnemar.only_second} where only "
            f"{second.plan} did), Holm-adjusted p = {_p(p)} {tail}"
        )
    elif abs(test.share_difference.estimate) >= min_effect:
        criterion, p, best, beaten = SHARE, test.wilcoxon_p_holm, leader.plan, others
        if test.share_difference.estimate < 0:  # the runner-up has the higher share
            best, beaten = second.plan, leader.plan
            test = test.oriented(best)
        diff = test.share_difference
        how = (
            f"{shares}, difference {share_text(test.oriented(leader.plan).share_difference)}; Wilcoxon signed-rank "
            f"on {test.pairs} paired seeds, Holm-adjusted p = {_p(p)} {tail}; {tips} (less than the minimum "
            f"effect of {100 * min_effect:.0f} points)"
        )
    else:
        text = (
            f"Verdict: {NO_CLEAR_DIFFERENCE} between {leader.plan} and {others}: {tips} "
            f"(difference {points_text(test.tip_difference)}) and {shares} (difference {share_text(test.share_difference)}) "
            f"are both below the minimum effect of {100 * min_effect:.0f} points ({min_effect:.2f} in share; "
            f"--min-effect).{notes}"
        )
        return Verdict(
            leader.plan,
            second.plan,
            NO_CLEAR_DIFFERENCE,
            False,
            test.mcnemar_p_holm,
            test.tip_difference,
            text,
        )
    if p < alpha:
        text = f"Verdict: {best} is better than {beaten} on {criterion}: {how}.{notes}"
        return Verdict(best, test.second, criterion, True, p, diff, text)
    text = (
        f"Verdict: {NO_CLEAR_DIFFERENCE} between {leader.plan} and {others}: {best} leads on {criterion} "
        f"but the lead is not significant at the {100 * alpha:.0f}% level after Holm's correction: {how}. "
        f"More seeds (--n-seeds) may tell them apart.{notes}"
    )
    return Verdict(leader.plan, second.plan, NO_CLEAR_DIFFERENCE, False, p, diff, text)


def seeds_needed(delta: float, n_tests: int = 1, alpha: float = ALPHA, power: float = POWER) -> int:
    """The fewest paired seeds whose :func:`detectable_difference` is at most ``delta`` (0 < delta <= 1)."""
    lo, hi = 1, 1
    while not detectable_difference(hi, n_tests, alpha, power) <= delta:  # NaN: not yet detectable
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if detectable_difference(mid, n_tests, alpha, power) <= delta else (mid, hi)
    return hi


def power_note(n_pairs: int, n_tests: int, min_effect: float = MIN_EFFECT, alpha: float = ALPHA) -> str:
    """What the number of seeds can tell apart, in one sentence."""
    delta = detectable_difference(n_pairs, n_tests, alpha)
    needed = (
        f" Detecting the minimum effect of {100 * min_effect:.0f} points would take about "
        f"{seeds_needed(min_effect, n_tests, alpha):,} seeds."
        if 0 < min_effect <= 1
        else ""
    )
    method = (
        f"exact McNemar at Holm's first-step level {alpha:g}/{n_tests}, {100 * POWER:.0f}% power, in the most "
        "favourable case where every seed on which only one plan tips favours the same plan"
    )
    if math.isnan(delta):
        return (
            f"Power: with {n_pairs} paired seeds and {n_tests} tests no difference in P(tip) can be significant "
            f"({method}); use more seeds.{needed}"
        )
    return (
        f"Power: with {n_pairs} paired seeds and {n_tests} tests, the smallest difference in P(tip) detected is "
        f"{100 * delta:.0f} percentage points ({method}; discordance both ways needs more); differences below "
        f"the minimum effect of {100 * min_effect:.0f} points are called {NO_CLEAR_DIFFERENCE} whatever the "
        f"p-value.{needed}"
    )


def _negated(iv: Interval) -> Interval:
    return Interval(-iv.estimate, -iv.hi, -iv.lo)


def _count(s: Standing) -> str:
    return f"{s.tipped}/{s.runs}"


def points_text(iv: Interval) -> str:
    """A difference in a probability as percentage points with its interval: ``+35 pts (+15 to +55)``."""
    if not all(map(math.isfinite, (iv.lo, iv.estimate, iv.hi))):
        return "–"
    lo, est, hi = (round(100 * x) for x in (iv.lo, iv.estimate, iv.hi))
    return f"{est:+} pts ({lo:+} to {hi:+})"


def share_text(iv: Interval) -> str:
    """A difference in a share with its interval: ``+0.24 (+0.20 to +0.28)``."""
    if not all(map(math.isfinite, (iv.lo, iv.estimate, iv.hi))):
        return "–"
    lo, est, hi = (round(x, 2) + 0.0 for x in (iv.lo, iv.estimate, iv.hi))  # + 0.0: no "-0.00"
    return f"{est:+.2f} ({lo:+.2f} to {hi:+.2f})"


def _p(p: float) -> str:
    return "n/a" if math.isnan(p) else f"{p:.2g}"
