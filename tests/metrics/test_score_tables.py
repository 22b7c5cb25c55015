"""The vectorised score tables give the scalar functions' values to the last bit, for every interval and
CES mode, on random histograms (many small n, where the edge cases live) and on their changes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxroi.metrics.ces import ces, ces_change_test
from cxroi.metrics.csat import csat, csat_change_test
from cxroi.metrics.nps import nps, nps_change_test
from cxroi.metrics.tables import (
    ces_table,
    nps_change,
    nps_table,
    proportion_change,
    proportion_table,
    welch_change,
)

counts = st.lists(st.integers(0, 40) | st.integers(0, 3) | st.integers(0, 100_000), min_size=3, max_size=3)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def hists(k: int) -> st.SearchStrategy[list[list[int]]]:
    cell = st.integers(0, 3) | st.integers(0, 50) | st.integers(0, 50_000)
    return st.lists(st.lists(cell, min_size=k, max_size=k), min_size=2, max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=2, max_size=40), st.sampled_from(["adjusted-wald", "wald"]))
def test_nps_table_is_the_scalar_nps(groups: list[list[int]], interval: str) -> None:
    g = np.array(groups)
    t = nps_table(g[:, 0], g[:, 1], g[:, 2], interval=interval)
    scalar = [nps(p, pa, d, interval=interval) for p, pa, d in groups]  # type: ignore[arg-type]
    for i, r in enumerate(scalar):
        for name in ("value", "variance", "moe", "ci_low", "ci_high"):
            assert same(float(t[name][i]), getattr(r, name)), (name, groups[i])
    before, after = scalar[:-1], scalar[1:]
    _d, p = nps_change(
        t["value"][:-1], t["variance"][:-1], t["n"][:-1], t["value"][1:], t["variance"][1:], t["n"][1:]
    )
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        if b.n and a.n:
            assert same(float(p[i]), nps_change_test(b, a)[1])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=2, max_size=40),
    st.sampled_from(["wilson", "wald"]),
)
def test_proportion_table_is_the_scalar_csat(pairs: list[tuple[int, int]], interval: str) -> None:
    groups = [(min(s, s + f), s + f) for s, f in pairs if s + f > 0]
    if len(groups) < 2:
        return
    g = np.array(groups)
    t = proportion_table(g[:, 0], g[:, 1], interval=interval)
    scalar = [csat(s, n, interval=interval) for s, n in groups]  # type: ignore[arg-type]
    for i, r in enumerate(scalar):
        for name in ("value", "moe", "ci_low", "ci_high"):
            assert same(float(t[name][i]), getattr(r, name)), (name, groups[i])
    p = proportion_change(g[:-1, 0], g[:-1, 1], g[1:, 0], g[1:, 1])
    for i, (b, a) in enumerate(itertools.pairwise(scalar)):
        assert same(float(p[i]), csat_change_test(b, a)[1])


@pytest.mark.parametrize("mode,interval", [("mean", "t"), ("mean", "z"), ("agree", "t"), ("net", "t")])
@settings(max_examples=150, deadline=None)
@given(data=hists(7))
def test_ces_table_is_the_scalar_ces(mode: str, interval: str, data: list[list[int]]) -> None:
    groups = [h for h in data if sum(h)]
    if len(groups) < 2:
        return
    values = list(range(1, 8))
    h = np.array(groups)
    agree, disagree = h[:, 4:].sum(axis=1), h[:, :3].sum(axis=1)
    t = ces_table(np.array(values), h, agree, disagree, mode=mode, interval=interval)
    scalar = [
        ces(values, row, int(a), int(d), mode, interval=interval)  # type: ignore[arg-type]
        for row, a, d in zip(groups, agree, disagree, strict=True)
    ]
    for i, r in enumerate(scalar):
        for name in ("mean", "sd", "value", "moe", "ci_low", "ci_high"):
            assert same(float(t[name][i]), getattr(r, name)), (name, mode, groups[i])
    b_, a_ = slice(None, -1), slice(1, None)
    if mode == "mean":
        p = welch_change(t["mean"][b_], t["sd"][b_], t["n"][b_], t["mean"][a_], t["sd"][a_], t["n"][a_])
    elif mode == "agree":
        p = proportion_change(t["agree"][b_], t["n"][b_], t["agree"][a_], t["n"][a_])
    else:
        p = nps_change(
            t["value"][b_], t["variance"][b_], t["n"][b_], t["value"][a_], t["variance"][a_], t["n"][a_]
        )[1]
    for i, (b, a) in enumerate(itertools.pairwise(scalar)):
        assert same(float(p[i]), ces_change_test(b, a)[1]), (mode, groups[i], groups[i + 1])


def test_known_values_through_the_tables() -> None:
    """Hand values (../shared/metrics.md style): 40 promoters, 30 passives, 30 detractors -> NPS 10, Wald
    margin 1.959964 * sqrt((0.7 - 0.01) / 100) * 100 = 16.2806...; 45 of 50 satisfied -> CSAT 90."""
    t = nps_table(np.array([40]), np.array([30]), np.array([30]), interval="wald")
    assert t["value"][0] == 10.0
    assert t["moe"][0] == pytest.approx(1.959964 * math.sqrt(0.69 / 100) * 100, rel=1e-15)
    c = proportion_table(np.array([45]), np.array([50]), interval="wald")
    assert c["value"][0] == 90.0
    assert c["moe"][0] == pytest.approx(1.959964 * math.sqrt(0.9 * 0.1 / 50) * 100, rel=1e-15)
