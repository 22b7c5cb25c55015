"""Text cells read in SQL: string literals, and ISO dates read as cxroi's reader reads them
(``cxroi.io.dates.ISO_CELL``)."""

from __future__ import annotations

from cxroi.io.dates import ISO8601, ISO_CELL

# the spaces RE2's ``\\s`` matches (ISO_CELL's around a date), for trim()
_SPACES = "chr(9) || chr(10) || chr(12) || chr(13) || chr(32)"


def literal(text: str) -> str:
    """A SQL string literal of ``text``."""
    return "'" + text.replace("'", "''") + "'"


def iso_sql(col: str, fmt: str) -> str:
    """The timestamp of an ISO cell ``col`` in SQL: ``iso_parts``' fast one, else the slow one."""
    fast, slow = iso_parts(col, fmt)
    return f"coalesce({fast}, {slow})"


def iso_parts(col: str, fmt: str) -> tuple[str, str]:
    """The fast and the slow SQL of an ISO cell's timestamp, read as the reader reads it: the cells
    ``ISO_CELL`` (the same RE2 pattern) matches, others NULL; only its day is kept exact, which is all SQL
    uses (periods, the as-of day). ``iso_sql`` takes the slow one only where the fast one is NULL.

    Fast path: a cell written exactly as DuckDB writes the value it casts it to (``2025-01-02``,
    ``2025-01-02 10:00:00``, ``T`` for the space, in the sniffed form's length) is one ISO_CELL matches,
    with the same day; DuckDB's casts alone are laxer than the reader (``2024-09-29 09:00: 1``, ``2024-9-29``
    and spaces inside fields are read), so only that round trip is trusted. Every other cell takes the
    pattern (evaluated only for them), then ``TRY_CAST`` of its day, which refuses 2025-02-30. On 10M
    ``YYYY-MM-DD`` transactions the pattern on every cell took about 1 s more than ``try_strptime``; the
    round trip takes the same."""
    width = {"%Y-%m-%d": 10, "%Y-%m-%d %H:%M": 16}.get(fmt, 19)
    # a form with ``T`` (sniffed as ISO8601) is compared as DuckDB writes it, with a space; the others as
    # they are (a ``T`` among spaces takes the pattern), sparing them a replace() on every cell
    written = f"replace({col}, 'T', ' ')" if fmt == ISO8601 else col
    kind = "DATE" if width == 10 else "TIMESTAMP"
    value = f"TRY_CAST({written} AS {kind})"
    # DuckDB writes seconds always (a 16-character form is the start of what it writes); five-digit years
    # are beyond ISO_CELL's four. No strlen test: with one (and left() for every width) the query on the
    # 10M transactions took 0.3-0.4 s more in four alternating rounds
    back = f"left(CAST({value} AS VARCHAR), 16)" if width == 16 else f"CAST({value} AS VARCHAR)"
    fast = f"CASE WHEN {back} = {written} AND {value} < {kind} '10000-01-01' THEN CAST({value} AS TIMESTAMP) END"
    day = f"CASE WHEN ascii({col}) BETWEEN 48 AND 57 THEN left({col}, 10) ELSE trim({col}, {_SPACES}) END"
    slow = (
        f"CASE WHEN regexp_full_match({col}, {literal(ISO_CELL)}) "
        f"THEN CAST(TRY_CAST(left({day}, 10) AS DATE) AS TIMESTAMP) END"
    )
    return fast, slow
