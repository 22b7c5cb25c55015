"""NPS against published values (../shared/metrics.md): R package NPS (brendan-r/NPS) and Wald examples."""

from __future__ import annotations

import math

import pytest

from cxroi.metrics.nps import nps, nps_change_test, nps_variance


def counts(answers: list[int], detr: int = 6, pas: int = 8) -> tuple[int, int, int]:
    p = sum(a > pas for a in answers)
    pa = sum(detr < a <= pas for a in answers)
    d = sum(a <= detr for a in answers)
    return p, pa, d


@pytest.mark.parametrize(
    ("answers", "score", "var", "se"),
    [
        ([0, 7, 7, 9, 9, 9], 1 / 3, 5 / 9, 0.304),
        ([1, 9], 0.0, 1.0, 0.707),
        ([7, 9], 0.5, 0.25, 0.354),
        ([0, 7, 9], 0.0, 2 / 3, 0.471),
    ],
)
def test_r_package_examples(answers: list[int], score: float, var: float, se: float) -> None:
    r = nps(*counts(answers))
    assert r.value == pytest.approx(score * 100, abs=1e-12)
    assert r.variance == pytest.approx(var, abs=1e-12)
    assert r.se == pytest.approx(se, abs=5e-4)
    assert r.n == len(answers)


@pytest.mark.parametrize(("answer", "score"), [(0, -100.0), (10, 100.0), (7, 0.0)])
def test_single_answers(answer: int, score: float) -> None:
    r = nps(*counts([answer]), interval="wald")
    assert r.value == score
    assert r.variance == 0.0
    assert r.moe == 0.0  # Wald collapses: "100 +- 0" from one answer


def test_adjusted_wald_is_the_default_and_holds_for_one_answer() -> None:
    # Rocks (2016) by hand, one promoter: counts + (0.75, 1.5, 0.75) -> 1.75 / 1.5 / 0.75, n' = 4;
    # NPS' = (1.75 - 0.75) / 4 = 0.25; var' = (1.75 + 0.75) / 4 - 0.25^2 = 0.5625;
    # half = 1.959964 * sqrt(0.5625 / 4) = 0.7349865 -> -48.49865 .. 98.49865
    r = nps(1, 0, 0)
    assert r.value == 100.0
    assert r.ci_low == pytest.approx(-48.49865, abs=1e-9)
    assert r.ci_high == pytest.approx(98.49865, abs=1e-9)
    assert r.moe == pytest.approx(73.49865, abs=1e-9)  # the printed interval's half-width


def test_adjusted_wald_twelve_of_twelve_promoters() -> None:
    # 12.75 / 1.5 / 0.75 of 15: NPS' = 0.8, var' = 0.9 - 0.64 = 0.26,
    # half = 1.959964 * sqrt(0.26 / 15) = 0.258041 -> 54.1959 .. 100 (clipped from 105.80)
    r = nps(12, 0, 0)
    assert r.ci_low == pytest.approx(80 - 25.80406, abs=1e-4)
    assert r.ci_high == 100.0
    assert r.moe == pytest.approx((100 - r.ci_low) / 2)


def test_custom_breaks_on_1_to_15() -> None:
    # R: nps(1:15 with breaks (0, 6, 8, 15)) -> 2/30 ... var 0.8622 (values 1..15 each twice)
    answers = list(range(1, 16)) * 2
    p, pa, d = counts(answers, detr=6, pas=8)
    r = nps(p, pa, d)
    assert r.value == pytest.approx(2 / 30 * 100)
    assert r.variance == pytest.approx(0.8622, abs=5e-5)


def test_wald_100_60_40() -> None:
    r = nps(100, 60, 40, interval="wald")
    assert r.value == pytest.approx(30.0)
    assert r.moe == pytest.approx(10.82, abs=0.005)
    assert (r.ci_low, r.ci_high) == (pytest.approx(19.18, abs=0.005), pytest.approx(40.82, abs=0.005))


def test_adjusted_wald_100_60_40() -> None:
    r = nps(100, 60, 40, interval="adjusted-wald")
    assert r.value == pytest.approx(30.0)  # the point estimate stays the observed NPS
    assert r.ci_low == pytest.approx(18.82, abs=0.005)
    assert r.ci_high == pytest.approx(40.30, abs=0.005)
    # adjusted centre 60/203 = 29.56
    assert (r.ci_low + r.ci_high) / 2 == pytest.approx(29.56, abs=0.005)


def test_wald_50_30_20() -> None:
    r = nps(50, 30, 20, interval="wald")
    assert r.value == pytest.approx(30.00, abs=0.005)
    assert r.moe == pytest.approx(15.31, abs=0.005)


def test_wald_18_11_2() -> None:
    # Published as 51.61 +- 21.67, which is z = 1.96 (21.6653); z = 1.959964 gives 21.6649 (21.66).
    assert nps(18, 11, 2).value == pytest.approx(51.61, abs=0.005)
    assert nps(18, 11, 2, z=1.96, interval="wald").moe == pytest.approx(21.67, abs=0.005)
    assert nps(18, 11, 2, interval="wald").moe == pytest.approx(21.6649, abs=5e-5)


def test_two_period_test() -> None:
    a, b = nps(100, 60, 40), nps(80, 70, 50)
    delta, p = nps_change_test(b, a)
    assert delta == pytest.approx(15.0)
    se = math.sqrt(a.variance / a.n + b.variance / b.n)
    assert se == pytest.approx(0.07866, abs=5e-6)
    assert p == pytest.approx(0.0565, abs=5e-5)


def test_empty_is_nan() -> None:
    r = nps(0, 0, 0)
    assert r.n == 0 and math.isnan(r.value) and math.isnan(r.moe)


def test_variance_formula() -> None:
    assert nps_variance(0.5, 0.2) == pytest.approx(0.5 + 0.2 - 0.09)
