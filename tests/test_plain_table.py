"""The plain terminal table (``cxroi.report.plain_table``) is rich's ``SIMPLE_HEAD`` table line for line:
random headings, cells (accents, CJK wide characters, Hebrew, spaces), alignments, titles, captions and
widths, rendered both ways. And customer text stays text: no rich markup, no emoji codes, no control
characters reaching the terminal."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.table import Table
from rich.text import Text

from cxroi.report.formats import make_console, render_pivot, render_table
from cxroi.report.plain_table import plain_table, terminal_text

TEXT = st.text(alphabet="abcXYZ019 .,-%éğא漢字", max_size=12)
WORDS = st.lists(st.text(alphabet="abcdefgh漢", min_size=1, max_size=9), min_size=1, max_size=12).map(" ".join)


def rich_lines(title: str | None, headings: list[str], right: list[bool], rows: list[list[str]],
               caption: str | None, width: int) -> list[str]:  # fmt: skip
    table = Table(title=Text(title) if title else None, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for h, r in zip(headings, right, strict=True):
        table.add_column(Text(h), justify="right" if r else "left", no_wrap=True)
    for row in rows:
        table.add_row(*map(Text, row))
    if caption:
        table.caption = caption
        table.caption_justify = "left"
    buf = io.StringIO()
    make_console(buf, width, False).print(table)
    return [line.rstrip() for line in buf.getvalue().splitlines()]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_plain_table_is_rich_line_for_line(data: st.DataObject) -> None:
    k = data.draw(st.integers(1, 5))
    headings = data.draw(st.lists(TEXT.filter(bool), min_size=k, max_size=k))
    right = data.draw(st.lists(st.booleans(), min_size=k, max_size=k))
    rows = data.draw(st.lists(st.lists(TEXT, min_size=k, max_size=k), max_size=8))
    title = data.draw(st.none() | WORDS)
    caption = data.draw(st.none() | WORDS)
    width = data.draw(st.integers(20, 140))
    got = plain_table(title, headings, right, rows, caption, width)
    if got is not None:  # None: wider than the terminal, rich draws it
        assert got == rich_lines(title, headings, right, rows, caption, width)


def test_customer_text_is_shown_as_spelled_and_cannot_reach_the_terminal_as_control() -> None:
    recs = [
        {"metric": "nps", "store": "[red]Main[/red]", "n": 1},
        {"metric": "nps", "store": ":smile: café", "n": 2},
        {"metric": "nps", "store": "tab\there\x1b[2J", "n": 3},
    ]
    for color in (False, True):
        out = render_table(recs, ["metric", "store", "n"], color=color)
        assert "[red]Main[/red]" in out and ":smile: café" in out
        assert "tab here\ufffd[2J" in out and "\x1b[2J" not in out
    assert terminal_text("a\u200fb") == "a\u200fb"  # format characters (RLM in Hebrew) are printable text here


def test_a_wide_table_is_left_to_rich() -> None:
    assert plain_table(None, ["a" * 30, "b" * 30], [False, True], [["x", "y"]], None, 40) is None


def test_pivot_column_labels_are_text_too() -> None:
    recs = [{"quarter": "2025-Q1", "Plan": "[bold]Pro[/bold]", "customers": 3}]
    out = render_pivot(recs, ["quarter", "Plan", "customers"], "quarter", ["Plan"], title="Economics")
    assert "[bold]Pro[/bold]" in out


def test_a_long_table_is_drawn_plain_even_in_colour() -> None:
    recs = [{"metric": "nps", "store": f"s{i}", "n": i} for i in range(2_001)]
    out = render_table(recs, ["metric", "store", "n"], color=True)
    assert "\x1b[" not in out and out == render_table(recs, ["metric", "store", "n"], color=False)
    assert "\x1b[" in render_table(recs[:10], ["metric", "store", "n"], color=True)
