"""XLSX workbooks: the rows of one sheet (openpyxl, read-only) and their cells as text."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from cxroi.errors import InputError


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def read_xlsx(path: Path, sheet: str | None, display: str) -> list[tuple[Any, ...]]:
    """The non-blank rows of ``sheet`` (default: the first). Opened as a file object, so a workbook whose
    name does not end in .xlsx (standard input, spooled to a temporary file) reads the same."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    fh = open(path, "rb")  # noqa: SIM115 - closed below, after the read-only workbook
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, InvalidFileException) as exc:
        fh.close()
        if isinstance(exc, KeyError) and "[Content_Types].xml" in str(exc):
            raise InputError(
                f"{display}: this is a ZIP archive, not an XLSX workbook", "extract the CSV or XLSX inside it first"
            ) from exc
        raise InputError(
            f"{display}: not a readable XLSX workbook ({exc})", "save it again from Excel"
        ) from exc
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise InputError(
                    f"{display}: no sheet named {sheet!r}", "sheets: " + ", ".join(map(repr, wb.sheetnames))
                )
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        rows = [r for r in ws.iter_rows(values_only=True) if any(v not in (None, "") for v in r)]
    finally:
        wb.close()
        fh.close()
    return rows


def cell_float(v: float) -> float:
    """A spreadsheet number as a float; an integer too large for one is infinite (an invalid answer)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf
