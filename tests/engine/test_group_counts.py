"""Counts and records held as columns (``cxroi.pipeline.group_counts``, ``cxroi.report.record_table``)
against the plain Python they replaced: a dict of key tuples to histograms, records built as dicts and
written by ``csv.writer`` and ``json.dumps`` record by record. Random keys, labels and counts
(hypothesis); and the two things the column path borrows from libraries, checked over their whole range:
Arrow's trim is ``str.strip()`` for every code point, DuckDB's ``CAST(DOUBLE AS VARCHAR)`` is ``repr``."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cxroi.cli import app
from cxroi.pipeline import group_counts
from cxroi.pipeline.group_counts import GroupCounts
from cxroi.pipeline.scores_engine import _codes
from cxroi.report.formats import render_csv, render_json, render_ndjson, safe_cell
from cxroi.report.record_table import Block, Labels, RecordTable

WIDTH = 4
LABELS = st.sampled_from(["a", "b", " b ", "(blank)", "", "=1+1", 'x,"y"', "line\nbreak", "ç", "Z", "10", "9"])


def dict_counts(keys: list[tuple[Any, ...]], hists: list[list[int]]) -> dict[tuple[Any, ...], list[int]]:
    out: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * WIDTH)
    for k, h in zip(keys, hists, strict=True):
        out[k] = [a + b for a, b in zip(out[k], h, strict=True)]
    return dict(out)


def as_dict(g: GroupCounts) -> dict[tuple[Any, ...], list[int]]:
    """The keys decoded from labels and codes, one per group (a key seen twice would be a bug)."""
    out = {tuple(g.labels[k][c] for k, c in enumerate(row)): [int(x) for x in h]
           for row, h in zip(g.codes.tolist(), g.hist, strict=True)}  # fmt: skip
    assert len(out) == len(g)
    return out


def encoded(rows: list[tuple[tuple[Any, ...], list[int]]], n_keys: int) -> GroupCounts:
    """``GroupCounts.build`` of (key tuple, histogram) pairs, with each column's labels in first-seen order."""
    labels: list[dict[Any, int]] = [{} for _ in range(n_keys)]
    codes = [[labels[k].setdefault(v, len(labels[k])) for k, v in enumerate(key)] for key, _ in rows]
    hist = np.array([h for _, h in rows], dtype=np.int64)
    return GroupCounts.build([list(d) for d in labels], np.array(codes, dtype=np.int64).reshape(len(rows), n_keys), hist)


KEYS = st.integers(0, 3).flatmap(
    lambda n_keys: st.lists(
        st.tuples(st.tuples(*[LABELS] * n_keys), st.lists(st.integers(0, 5), min_size=WIDTH, max_size=WIDTH)),
        max_size=30,
    ).map(lambda rows: (n_keys, rows))
)


@pytest.mark.parametrize("radix_limit", [1 << 62, 1])  # 1: the keys too many to combine into one integer
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=KEYS, second=KEYS)
def test_build_merge_select_match_a_dict_of_histograms(
    first: Any, second: Any, radix_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(group_counts, "_RADIX_LIMIT", radix_limit)
    n_keys, rows = first
    other = [(k[:n_keys] + ("pad",) * (n_keys - len(k)), h) for k, h in second[1]]
    a = encoded(rows, n_keys) if rows else None
    b = encoded(other, n_keys) if other else None
    if a is not None:
        assert as_dict(a) == dict_counts([k for k, _ in rows], [h for _, h in rows])
    if a is not None and b is not None:
        merged = a.merge(b)
        expected = dict_counts([k for k, _ in rows + other], [h for _, h in rows + other])
        assert as_dict(merged) == expected
        for keep in ([], [0], list(range(n_keys))[::-1]):
            keep = [k for k in keep if k < n_keys]
            collapsed = dict_counts([tuple(k[i] for i in keep) for k in expected], list(expected.values()))
            assert as_dict(merged.select(keep)) == collapsed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(LABELS, st.integers(0, 40)), min_size=1, max_size=40))
def test_order_sorts_like_sorted_keys(rows: list[tuple[str, int]]) -> None:
    g = encoded([((seg, day), [1, 0, 0, 0]) for seg, day in rows], 2)

    def ranks(labels: Any) -> np.ndarray:
        out = np.empty(len(labels), dtype=np.int64)
        out[sorted(range(len(labels)), key=lambda i: labels[i])] = np.arange(len(labels))
        return out

    order = g.order([(0, ranks), (1, ranks)])
    assert list(as_dict(g.take(order))) == sorted(as_dict(g))


def test_from_key_rows_adds_key_rows_sharing_a_key_and_leaves_out_keys_without_counts() -> None:
    # key rows 0 and 2 share the label "a"; key row 1 has no count
    parts = [(np.array([0, 1, 0]), ("a", "b"))]
    g = GroupCounts.from_key_rows(parts, rows=np.array([0, 2, 2]), pos=np.array([1, 1, 3]), n=np.array([2, 5, 7]), width=4)
    assert as_dict(g) == {("a",): [0, 7, 0, 7]}
    none = GroupCounts.from_key_rows([], rows=np.array([0, 0]), pos=np.array([0, 2]), n=np.array([1, 1]), width=3)
    assert as_dict(none) == {(): [1, 0, 1]}


def test_arrow_trim_is_str_strip_for_every_code_point() -> None:
    points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    texts = [f"{chr(c)}x{chr(c)}" for c in points]
    trimmed = pc.utf8_trim_whitespace(pa.array(texts)).to_pylist()
    assert [t for t, got in zip(texts, trimmed, strict=True) if t.strip() != got] == []


def test_segment_codes_label_as_the_python_rule() -> None:
    texts = [" a", "a ", None, "", "  ", "(blank)", "b\u3000", "\x1cc\x1f", "a"]
    codes, labels = _codes(pa.array(texts, pa.string()))
    assert [labels[c] for c in codes] == [(t or "").strip() or "(blank)" for t in texts]
    assert len(set(labels)) == len(labels)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_duckdb_double_text_is_repr(values: list[float]) -> None:
    import duckdb

    con = duckdb.connect()
    con.register("t", pa.table({"x": pa.array(values, pa.float64())}))
    got = con.sql("SELECT CAST(x AS VARCHAR) AS s FROM t").to_arrow_table().column("s").to_pylist()
    assert got == [repr(v) for v in values]


CELLS = st.one_of(
    st.floats(allow_infinity=True, allow_nan=True),
    st.integers(-(2**62), 2**62),
    st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_csv_by_columns_is_the_csv_of_the_records(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 12))
    blocks = []
    for b in range(data.draw(st.integers(1, 3))):
        labels = data.draw(st.lists(st.text(max_size=6) | LABELS, min_size=1, max_size=5))
        codes = np.array(data.draw(st.lists(st.integers(0, len(labels) - 1), min_size=n, max_size=n)))
        kind = data.draw(st.sampled_from(["f", "i", "b"]))
        if kind == "f":
            values = np.array(data.draw(st.lists(st.floats(), min_size=n, max_size=n)), dtype=np.float64)
        elif kind == "i":
            values = np.array(data.draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)), dtype=np.int64)
        else:
            values = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        gone = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        columns: dict[str, Any] = {"metric": Labels(np.zeros(n, dtype=np.int64), [f"m{b}"]), "seg": Labels(codes, labels)}
        columns["x" if b != 1 else "y"] = values
        blocks.append(Block(list(columns), columns, n, {"x": gone} if b == 0 else {}))
    table = RecordTable(blocks)
    fields = ["metric", "seg", "x", "y", "absent"]
    records = table.rows()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows([[safe_cell(r.get(f)) for f in fields] for r in records])
    assert render_csv(table, fields) == buf.getvalue()
    assert render_csv(records, fields) == buf.getvalue()
    for render in (render_json, render_ndjson):
        assert render(table, fields) == render(records, fields)
        assert render(table, ["absent", "other"]) == render(records, ["absent", "other"])  # records with no field
    assert len(table) == len(records) and list(table) == records
    assert all(r["x"] is None for r, g in zip(records, blocks[0].absent["x"].tolist(), strict=False) if g)


def test_csv_by_columns_keeps_the_record_order_over_many_batches() -> None:
    """The numbers are formatted by DuckDB in batches of 8,192 rows on every core: 30,000 records (four
    batches) of distinct floats, ints and booleans come out in their order, as ``csv.writer`` writes them."""
    n = 30_000
    rng = np.random.default_rng(7)
    values = rng.normal(size=n) * 1e3
    columns: dict[str, Any] = {
        "seg": Labels(np.arange(n, dtype=np.int64) % 97, [f"s{i}" for i in range(97)]),
        "x": values,
        "k": np.arange(n, dtype=np.int64)[::-1].copy(),
        "b": values > 0,
    }
    table = RecordTable([Block(list(columns), columns, n, {"x": np.arange(n) % 1000 == 3})])
    fields = ["seg", "x", "k", "b"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for i in range(n):  # by hand: each record's cells from the arrays, not from the table
        x = "" if i % 1000 == 3 else repr(float(values[i]))
        writer.writerow([f"s{i % 97}", x, n - 1 - i, "true" if values[i] > 0 else "false"])
    assert render_csv(table, fields) == buf.getvalue()


def test_records_keep_nan_and_absent_apart() -> None:
    block = Block(["d"], {"d": np.array([math.nan, 1.5, math.nan])}, 3, {"d": np.array([True, False, False])})
    rows = RecordTable([block]).rows()
    assert rows[0]["d"] is None and rows[1]["d"] == 1.5 and math.isnan(rows[2]["d"])


def test_many_segments_give_the_records_of_a_hand_count(tmp_path: Path) -> None:
    """600 stores, each with its own known answers: every record is the hand-counted one, CSV and JSON."""
    path = tmp_path / "stores.csv"
    expected: dict[str, tuple[int, int, int]] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["store", "nps"])
        for s in range(600):
            name = f"store {s:03d}" if s % 7 else f"=store, {s}"  # a comma and a formula start
            answers = [10] * (s % 5) + [8] * (s % 3) + [2] * (s % 4 + 1)
            expected[name] = (s % 5, s % 3, s % 4 + 1)
            for a in answers:
                w.writerow([f" {name} " if a == 8 else name, a])
    res = CliRunner().invoke(app, ["scores", str(path), "--nps", "nps", "--by", "store", "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 600
    assert [r["store"] for r in rows] == sorted(("'" + k if k.startswith("=") else k) for k in expected)
    for r in rows:
        name = r["store"][1:] if r["store"].startswith("'=") else r["store"]
        p, q, d = expected[name]
        n = p + q + d
        assert (int(r["n"]), int(r["promoters"]), int(r["passives"]), int(r["detractors"])) == (n, p, q, d)
        assert float(r["value"]) == 100 * (p - d) / n
    js = CliRunner().invoke(app, ["scores", str(path), "--nps", "nps", "--by", "store", "--format", "json"])
    shown = [(r["store"].removeprefix("'"), int(r["n"])) for r in rows]
    assert [(j["store"], j["n"]) for j in json.loads(js.stdout)] == shown


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=4) | LABELS, unique=True, max_size=12), st.booleans())
def test_segment_ranks_are_python_order_with_blank_last(labels: list[str], surrogate: bool) -> None:
    """Arrow's sort of text labels (and Python's, for a label Arrow cannot hold) is ``sorted`` by code
    point, with ``(blank)`` after everything."""
    from cxroi.pipeline.score_records import _segment_ranks

    if surrogate:
        labels = [*labels, "\ud800"]
    ranks = _segment_ranks(labels)
    by_rank = [lab for _, lab in sorted(zip(ranks.tolist(), labels, strict=True))]
    assert by_rank == sorted(t for t in labels if t != "(blank)") + (["(blank)"] if "(blank)" in labels else [])
