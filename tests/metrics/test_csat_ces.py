"""CSAT and CES against published values (Delighted, Intercom) and hand calculations."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from cxroi.metrics.ces import ces, ces_change_test, mean_sd
from cxroi.metrics.csat import csat, csat_change_test
from cxroi.metrics.stats import two_proportion_test, welch_test


def test_delighted_csat() -> None:
    # 5 -> 42, 4 -> 32, 3 -> 10, 2 -> 9, 1 -> 14: 74/107 = 69.16 %
    r = csat(42 + 32, 42 + 32 + 10 + 9 + 14, interval="wald")
    assert r.n == 107
    assert r.value == pytest.approx(69.16, abs=0.005)
    p = 74 / 107
    assert r.moe == pytest.approx(1.959964 * math.sqrt(p * (1 - p) / 107) * 100)


def test_intercom_csat_and_mean() -> None:
    # 10x5, 20x4, 10x3, 5x2, 5x1 -> 60 %. metrics.md quotes a mean of 3.6, but by hand
    # (50 + 80 + 30 + 10 + 5) / 50 = 175 / 50 = 3.5.
    r = csat(10 + 20, 50)
    assert r.value == pytest.approx(60.0)
    n, mean, _sd = mean_sd([1, 2, 3, 4, 5], [5, 5, 10, 20, 10])
    assert (n, mean) == (50, pytest.approx(3.5))


def test_csat_wald_all_satisfied_has_zero_margin() -> None:
    r = csat(10, 10, interval="wald")
    assert r.value == 100.0 and r.moe == 0.0 and r.ci_high == 100.0


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson)
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_csat_wilson_is_the_default(k: int, n: int, low: float, high: float) -> None:
    r = csat(k, n)
    assert r.ci_low / 100 == pytest.approx(low, abs=5e-5)
    assert r.ci_high / 100 == pytest.approx(high, abs=5e-5)
    assert r.moe == pytest.approx((r.ci_high - r.ci_low) / 2)


def test_csat_wilson_all_satisfied_keeps_a_width() -> None:
    # 10 of 10: Wilson low = n / (n + z^2) = 10 / 13.841459 = 0.72247
    r = csat(10, 10)
    assert r.ci_high == 100.0
    assert r.ci_low == pytest.approx(1000 / (10 + 1.959964**2), abs=1e-9)


def test_delighted_ces_percent_agree() -> None:
    # 5-point: disagree 5, neutral 5, agree 10 -> 50 % agree
    r = ces([1, 2, 3, 4, 5], [3, 2, 5, 6, 4], agree=10, disagree=5, mode="agree")
    assert r.value == pytest.approx(50.0)
    assert r.neutral == 5


def test_ces_mean_margin_by_hand() -> None:
    # answers 5,6,7,7 : mean 6.25, s = sqrt(((1.25^2) + (0.25^2) + 2*(0.75^2)) / 3) = 0.9574271
    r = ces([1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 1, 1, 2], agree=4, disagree=0, mode="mean")
    assert r.value == pytest.approx(6.25)
    assert r.sd == pytest.approx(0.9574271077563381)
    # t_{0.975, 3} = 3.182446 (Student's table)
    assert r.moe == pytest.approx(3.182446305284263 * 0.9574271077563381 / 2)
    assert r.ci_high == 7.0  # clipped to the scale
    z = ces([1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 1, 1, 2], agree=4, disagree=0, mode="mean", interval="z")
    assert z.moe == pytest.approx(1.959964 * 0.9574271077563381 / 2)


def test_ces_mean_t_interval_at_n_5() -> None:
    # answers 1,2,3,4,5: mean 3, s = sqrt(10 / 4) = 1.5811388; t_{0.975, 4} = 2.776445
    # margin 2.776445 * 1.5811388 / sqrt(5) = 1.963243 (z would give 1.385904: 29% narrower)
    r = ces([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], agree=2, disagree=2, mode="mean")
    assert r.moe == pytest.approx(1.963243, abs=5e-6)
    assert (r.ci_low, r.ci_high) == (
        pytest.approx(3 - 1.963243, abs=5e-6),
        pytest.approx(3 + 1.963243, abs=5e-6),
    )


def test_ces_net() -> None:
    r = ces([1, 2, 3, 4, 5, 6, 7], [1, 1, 1, 2, 2, 2, 1], agree=5, disagree=3, mode="net")
    assert r.value == pytest.approx((5 - 3) / 10 * 100)


def test_ces_single_answer_has_no_margin() -> None:
    r = ces([1, 2, 3], [0, 1, 0], agree=0, disagree=0)
    assert r.value == 2.0 and math.isnan(r.moe)


def test_welch_matches_scipy() -> None:
    a, b = [1, 2, 3, 4, 5, 5, 6], [3, 4, 5, 6, 7, 7, 7, 6]
    ref = stats.ttest_ind(a, b, equal_var=False).pvalue
    ma, sa = sum(a) / len(a), stats.tstd(a)
    mb, sb = sum(b) / len(b), stats.tstd(b)
    assert welch_test(ma, sa, len(a), mb, sb, len(b)) == pytest.approx(ref, rel=1e-9)


def test_two_proportion_by_hand() -> None:
    # 40/100 vs 55/100: pooled p = .475, se = sqrt(.475*.525*.02) = .070622, z = 2.1240 -> p = .03367
    assert two_proportion_test(40, 100, 55, 100) == pytest.approx(0.03367, abs=5e-5)


def test_change_tests_run() -> None:
    d, p = csat_change_test(csat(40, 100), csat(55, 100))
    assert d == pytest.approx(15.0) and p == pytest.approx(0.03367, abs=5e-5)
    a = ces([1, 2, 3], [1, 1, 1], 1, 1)
    b = ces([1, 2, 3], [0, 1, 2], 2, 0)
    d, p = ces_change_test(a, b)
    assert d == pytest.approx(8 / 3 - 2)
    assert 0 < p < 1
