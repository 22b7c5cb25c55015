"""The one-GROUP-BY counts (``cxroi.engine.wide_counts``) against the GROUPING SETS query they replaced:
whatever list of expected texts is given — the full one, a partial one, an empty one — the long table of
every metric holds the same (keys, answer, count) rows, and texts outside the list are counted by the
targeted second query. The CLI case checks hand-counted figures and row numbers for texts the sniffed
sample (the first 400 rows) never showed."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cxroi.cli import app
from cxroi.engine.duckdb_scores import DuckScores, Reduced
from cxroi.engine.wide_counts import MAX_SAMPLED, expected_texts
from cxroi.errors import DataError
from cxroi.io import TableSource

ANSWERS = ["", " 9 ", "9,0", "10 - Extremely likely", "x", "Very satisfied", "'", 'a "b"']


def rows_of(r: Reduced) -> Counter[tuple[Any, ...]]:
    """(state, period, segments..., answer) -> count, from the reduced rows and the counts in them; the
    empty text is a blank (None), as the answer rules read it: the wide path counts it with the NULLs."""
    out: Counter[tuple[Any, ...]] = Counter()
    where = r.rows.tolist()
    segs = [s.to_pylist() for s in r.segments]
    states, days = r.state.tolist(), r.day.tolist()
    for row, answer, n in zip(where, r.answer.to_pylist(), r.n.tolist(), strict=True):
        state = states[row]
        out[(state, days[row] if state in (0, 3) else 0, *[s[row] for s in segs], answer or None)] += n
    return out


def reduce(path: Path, vocab: dict[str, list[str]] | None, period: str) -> tuple[int, dict[str, Reduced]]:
    source = TableSource(str(path))
    resolved = {"date": "date", "by0": "region", "nps": "nps", "csat": "csat"}
    duck = DuckScores(source, resolved, dt.date(2026, 6, 30))
    try:
        return duck.reduce(["nps", "csat"], ["by0"], period, vocab)
    finally:
        duck.close()


cells = st.one_of(st.integers(-1, 12).map(str), st.sampled_from(ANSWERS))
table = st.lists(
    st.tuples(
        st.one_of(st.dates(dt.date(2024, 1, 1), dt.date(2027, 1, 1)).map(str), st.sampled_from(["", "not a date"])),
        st.sampled_from(["EMEA", "APAC", " EMEA", "", "Ünal, A.Ş."]),
        cells,
        cells,
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=table,
    period=st.sampled_from(["month", "quarter", "week"]),
    listed=st.lists(st.one_of(st.integers(0, 11).map(str), st.sampled_from(ANSWERS)), max_size=8),
)
def test_any_list_of_texts_gives_the_grouping_sets_counts(
    data: list[tuple[Any, ...]], period: str, listed: list[str], tmp_path_factory: Any
) -> None:
    path = tmp_path_factory.mktemp("wide") / "s.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "region", "nps", "csat"])
        w.writerow(["2025-01-01", "EMEA", "9", "4"])  # the date format is sniffed from a readable date
        for row in data:
            w.writerow(["" if v is None else v for v in row])
    try:
        rows_sets, oracle = reduce(path, None, period)
    except DataError:  # mostly "not a date": no format to read them by, on either path
        with pytest.raises(DataError):
            reduce(path, {"nps": listed, "csat": listed}, period)
        return
    for vocab in ({"nps": listed, "csat": listed[::-1]}, {"nps": [], "csat": []}):
        rows_wide, wide = reduce(path, vocab, period)
        assert rows_wide == rows_sets == len(data) + 1
        for m in ("nps", "csat"):
            assert rows_of(wide[m]) == rows_of(oracle[m])


def test_expected_texts_lists_the_scale_labels_and_the_common_sample_texts() -> None:
    sample = ["10 - Extremely likely"] * 3 + ["9"] * 5 + ["N/A"] * 2 + [f"t{i}" for i in range(100)]
    texts = expected_texts(0, 10, ["Promoter"], sample)
    assert texts[:12] == [*map(str, range(11)), "Promoter"]  # no "": a blank, counted with the NULLs
    assert texts[12:14] == ["10 - Extremely likely", "N/A"]  # the most common first
    assert len(texts) == 12 + MAX_SAMPLED
    assert "" not in expected_texts(1, 5, [""], ["", "", "4"])


def test_texts_the_sample_never_showed_are_counted_and_reported(tmp_path: Path) -> None:
    """500 answers: the first 400 (the sniffed sample) are 10s and 7s; after them come a label, an invalid
    text and a blank, at answers 450, 460 and 470 (even: they replace three 10s). Counted by hand:
    247 tens + the label = 248 promoters, 250 sevens = 250 passives, n = 498, NPS = 248/498 = 49.799...%."""
    path = tmp_path / "late.csv"
    lines = ["date,nps"]
    special = {450: '"10 - Extremely likely"', 460: "abc", 470: ""}
    for i in range(500):
        lines.append(f"2025-0{1 + i % 3}-1{i % 10},{special.get(i, '10' if i % 2 == 0 else '7')}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scores", str(path), "--nps", "nps", "--format", "json", "-v"])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert (record["n"], record["promoters"], record["passives"], record["detractors"]) == (498, 248, 250, 0)
    assert record["value"] == 100 * 248 / 498
    assert "row 462" in result.stderr and "'abc'" in result.stderr  # the header is row 1: answer 460 is row 462
    assert "3 queries" in result.stderr  # the counts, the unlisted texts, the invalid answer's rows
