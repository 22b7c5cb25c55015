"""The terminal table without colour, laid out as rich lays out ``box.SIMPLE_HEAD`` — in one pass.

rich measures and renders every cell as styled segments (about half a millisecond a row of nine
cells), so a report of 57,600 segments took minutes. Without colour the layout is plain text: each
column as wide as its widest cell (``rich.cells.cell_len``), cells padded by one space each side and
separated by one more, the header underlined with ``─``, a blank line above and below (the box's empty
top and bottom edges); the title and caption are wrapped by rich itself to the table's width. Tables
wider than the terminal are left to rich, which shrinks and crops them. Equal to rich's output line for
line (``tests/test_plain_table.py`` compares them on random tables).

Cells are shown as text, never as rich markup or emoji codes (a segment named ``[x]`` or ``:smile:``
is shown as it is spelled), and control characters in customer text are replaced (``\\t``, ``\\n`` and
``\\r`` by a space, others by U+FFFD) so that an exported cell cannot move the cursor or colour the terminal.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from rich.cells import cell_len

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[\t\n\r]")


def terminal_text(text: str) -> str:
    """``text`` safe for one line of a terminal table."""
    if text.isprintable():
        return text
    return _CONTROL.sub("\ufffd", _SPACES.sub(" ", text))


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` as rich wraps a table's title or caption to the table's width (left-justified)."""
    from rich.text import Text

    from cxroi.report.formats import make_console

    buf = io.StringIO()
    make_console(buf, width, False).print(Text(text, justify="left"))
    return buf.getvalue().splitlines()


def plain_table(
    title: str | None,
    headings: Sequence[str],
    right: Sequence[bool],
    rows: Sequence[Sequence[str]],
    caption: str | None,
    width: int,
) -> list[str] | None:
    """The lines of the table (trailing spaces removed), or None when it is wider than ``width``."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in headings]
    widths = [max(_width(h), *(_width(c) for c in col)) if col else _width(h)
              for h, col in zip(headings, columns, strict=True)]  # fmt: skip
    total = sum(widths) + 3 * len(widths) + 1
    if not headings or total > width:
        return None

    def line(cells: Sequence[str]) -> str:
        out = []
        for text, w, r in zip(cells, widths, right, strict=True):
            text = text.rstrip() if r else text  # as rich's right justification does
            gap = " " * (w - _width(text))
            out.append(gap + text if r else text + gap)
        return ("  " + "   ".join(out)).rstrip()

    lines: list[str] = []
    if title:
        lines += [t.rstrip() for t in _wrapped(title, total)]
    lines += ["", line(headings), " " + "─" * (total - 2)]
    lines += [line(r) for r in rows]
    lines.append("")
    if caption:
        lines += [t.rstrip() for t in _wrapped(caption, total)]
    return lines
