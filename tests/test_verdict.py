"""The verdict's statistics against hand-computed cases, and the verdict's rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scenarios.verdict import (
    NO_CLEAR_DIFFERENCE,
    SHARE,
    TIPPING,
    bootstrap_interval,
    decide,
    detectable_difference,
    holm,
    holm_corrected,
    mcnemar_exact,
    paired_evidence,
    seeds_needed,
    wilcoxon_paired,
    wilson_interval,
)


def paired_runs(tipped: dict[str, list[int]], final: dict[str, list[float]] | None = None) -> pd.DataFrame:
    """Run rows, seed k of every plan paired; final share defaults to the tipping flag."""
    rows = []
    for plan, flags in tipped.items():
        shares = final[plan] if final else [float(t) for t in flags]
        for seed, (t, f) in enumerate(zip(flags, shares, strict=True)):
            rows.append({"plan": plan, "seed": seed, "tipped": bool(t), "final_above_line": f})
    return pd.DataFrame(rows)


def verdict_of(runs: pd.DataFrame, plans: list[str], **kwargs):
    return decide(holm_corrected([paired_evidence(runs, plans)])[0], **kwargs)


# -- the tests, by hand ----------------------------------------------------------------------------


def test_mcnemar_counts_only_discordant_seeds():
    a = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    b = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    result = mcnemar_exact(a, b)
    assert (result.only_first, result.only_second) == (8, 0)
    assert result.p == pytest.approx(2 * 0.5**8)  # 8 of 8 discordant seeds one way


def test_mcnemar_two_sided_p_by_hand():
    # 5 seeds favour the first plan, 1 the second: P(X <= 1) + P(X >= 5), X ~ Binomial(6, 1/2)
    a = np.array([1, 1, 1, 1, 1, 0, 1, 0], dtype=bool)
    b = np.array([0, 0, 0, 0, 0, 1, 1, 0], dtype=bool)
    result = mcnemar_exact(a, b)
    assert (result.only_first, result.only_second) == (5, 1)
    assert result.p == pytest.approx((1 + 6 + 6 + 1) / 64)


def test_mcnemar_ignores_concordant_seeds_and_is_one_without_discordance():
    same = np.array([1, 0, 1, 0], dtype=bool)
    assert mcnemar_exact(same, same).p == 1.0


def test_wilcoxon_paired_p_by_hand():
    # all five differences positive: the exact two-sided p is 2 / 2**5
    assert wilcoxon_paired(np.arange(1.0, 6.0), np.zeros(5)) == pytest.approx(2 / 32)
    # differences 1, 2, 3, 4, -5: W- = 5; 10 of the 32 sign patterns have W- <= 5
    assert wilcoxon_paired(np.array([1.0, 2, 3, 4, -5]), np.zeros(5)) == pytest.approx(20 / 32)


def test_wilcoxon_is_one_when_every_pair_is_equal():
    x = np.array([0.3, 0.5, 0.7])
    assert wilcoxon_paired(x, x) == 1.0


def test_holm_on_a_known_set_of_p_values():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_nan():
    adjusted = holm([0.5, math.nan, 0.9])
    assert adjusted[0] == 1.0 and adjusted[2] == 1.0 and math.isnan(adjusted[1])


def test_wilson_interval_matches_known_values():
    iv = wilson_interval(0, 20)
    assert iv.estimate == 0 and iv.lo == 0
    assert iv.hi == pytest.approx(0.1611, abs=1e-4)
    iv = wilson_interval(10, 20)
    assert (iv.lo, iv.hi) == pytest.approx((0.2993, 0.7007), abs=1e-4)
    iv = wilson_interval(1, 4)
    assert (iv.lo, iv.hi) == pytest.approx((0.0456, 0.6994), abs=1e-4)
    iv = wilson_interval(10, 10)
    assert (iv.lo, iv.hi) == pytest.approx((0.7225, 1.0), abs=1e-4)


def test_bootstrap_interval_is_reproducible_and_brackets_the_mean():
    x = np.random.default_rng(5).normal(10, 2, size=30)
    a, b = bootstrap_interval(x), bootstrap_interval(x)
    assert a == b
    assert a.estimate == pytest.approx(x.mean())
    assert a.lo < a.estimate < a.hi
    assert a.hi - a.lo < 4 * 2 / np.sqrt(30)  # about 2 x 1.96 standard errors wide


def test_detectable_difference_is_where_mcnemar_power_reaches_80_percent():
    # 10 pairs, one test: 6 one-way discordant seeds are needed (2 / 2**6 <= 0.05 < 2 / 2**5)
    delta = detectable_difference(10, 1)
    assert stats.binom.sf(5, 10, delta) == pytest.approx(0.8)
    assert detectable_difference(10, 12) > delta  # Holm over more tests needs a larger difference
    assert detectable_difference(100, 12) < detectable_difference(20, 12)
    assert math.isnan(detectable_difference(5, 1))  # 2 / 2**5 > 0.05: nothing can be detected


def test_seeds_needed_is_the_fewest_that_detect_the_difference():
    n = seeds_needed(0.10, 12)
    assert detectable_difference(n, 12) <= 0.10 < detectable_difference(n - 1, 12)


# -- the verdict ------------------------------------------------------------------------------------


@pytest.mark.parametrize("names", [("alpha", "beta"), ("rocket", "pilot"), ("pilot", "rocket")])
def test_verdict_follows_the_numbers_not_the_names(names):
    strong, weak = names
    runs = paired_runs({strong: [1] * 10, weak: [0] * 10})
    for order in ([strong, weak], [weak, strong]):
        verdict = verdict_of(runs, order)
        assert verdict.best == strong and verdict.clear and verdict.criterion == TIPPING
        assert verdict.p_value == pytest.approx(min(1.0, 2 * 2 * 0.5**10))  # Holm over 2 tests
        assert f"{strong} is better than {weak}" in verdict.text


def test_pairs_are_tested_on_their_discordant_seeds_and_oriented_on_request():
    # 7 of 20 seeds tip under a, none under b: McNemar sees 7 discordant seeds, p = 2 / 2**7
    runs = paired_runs({"a": [1] * 7 + [0] * 13, "b": [0] * 20})
    evidence = holm_corrected([paired_evidence(runs, ["a", "b"])])[0]
    assert evidence.pair("a", "b").mcnemar.p == pytest.approx(2 * 0.5**7)
    assert evidence.pair("b", "a").tip_difference.estimate == pytest.approx(-0.35)


def test_a_difference_below_the_minimum_effect_is_no_clear_difference():
    runs = paired_runs({"a": [1] * 6 + [0] * 94, "b": [0] * 100})  # 6 points apart, p = 0.03 before Holm
    verdict = verdict_of(runs, ["a", "b"])
    assert verdict.criterion == NO_CLEAR_DIFFERENCE and not verdict.clear
    assert "below the minimum effect of 10 points" in verdict.text
    assert verdict_of(runs, ["a", "b"], min_effect=0.05).criterion == TIPPING


def test_a_large_lead_that_is_not_significant_is_no_clear_difference():
    runs = paired_runs({"a": [1, 1, 0, 0], "b": [1, 0, 0, 0]})
    verdict = verdict_of(runs, ["a", "b"])
    assert verdict.best == "a" and not verdict.clear
    assert "not significant" in verdict.text and "More seeds" in verdict.text


def test_equal_tipping_falls_back_to_the_final_share():
    runs = paired_runs(
        {"a": [0] * 8, "b": [0] * 8}, {"a": [0.1] * 8, "b": [0.3, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36, 0.37]}
    )
    verdict = verdict_of(runs, ["a", "b"])
    assert verdict.best == "b" and verdict.criterion == SHARE and verdict.clear
    assert verdict.p_value == pytest.approx(2 * 2 / 2**8)  # Wilcoxon exact, 8 positive, Holm over 2


def test_holm_counts_every_pair_of_every_cell():
    runs = paired_runs({"a": [1] * 10, "b": [0] * 10, "c": [0] * 10})
    one = holm_corrected([paired_evidence(runs, ["a", "b", "c"])])
    assert one[0].family == 6  # 3 pairs x (McNemar, Wilcoxon)
    two = holm_corrected([paired_evidence(runs, ["a", "b", "c"])] * 2)
    assert two[0].family == 12
    assert two[0].pair("a", "b").mcnemar_p_holm > one[0].pair("a", "b").mcnemar_p_holm


def test_a_plan_that_cannot_spend_is_named_in_the_verdict():
    runs = paired_runs({"a": [1] * 10, "b": [0] * 10})
    note = "b cannot spend the budget (expected spend 1,000 of 5,000)"
    verdict = verdict_of(runs, ["a", "b"], spend_notes={"b": note})
    assert note in verdict.text


def test_the_verdict_repeats_spend_notes_only_for_the_plans_it_names():
    runs = paired_runs({"a": [1] * 10, "b": [0] * 10, "c": [0] * 5 + [1] * 5})
    notes = {"a": "a spent +3.0% against the budget", "b": "b spent -5.0% against the budget"}
    verdict = verdict_of(runs, ["a", "b", "c"], spend_notes=notes)
    assert notes["a"] in verdict.text and notes["b"] not in verdict.text  # b ranks third


def test_decide_refuses_uncorrected_evidence():
    runs = paired_runs({"a": [1] * 3, "b": [0] * 3})
    with pytest.raises(ValueError, match="holm_corrected"):
        decide(paired_evidence(runs, ["a", "b"]))


def test_runs_that_repeat_a_seed_cannot_be_paired():
    runs = pd.concat([paired_runs({"a": [1, 0], "b": [0, 0]})] * 2)
    with pytest.raises(ValueError, match="runs of plan a repeat seed"):
        paired_evidence(runs, ["a", "b"])
