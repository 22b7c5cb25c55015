"""Recognise survey export layouts and map the names a user may give to a column.

Layouts (see ../shared/formats.md):

* ``qualtrics`` - three header rows: field IDs, question text, ImportId JSON (``{"ImportId":"QID1"}``, or the
  older single-quoted ``{'ImportId': 'QID1'}``). A column can be named ``Q1``, ``QID1`` or by its
  question text.
* ``qualtrics-legacy`` - two header rows: ``V1,V2,...`` then ``ResponseID,ResponseSet,...`` / question text.
* ``surveymonkey`` - two header rows: metadata names then question texts (blank after the first column of a
  multi-column question); row two blank under the metadata, then ``Response``, ``Open-Ended Response`` or a
  choice label. Column names become the question text, or ``question - label`` for multi-column questions.
* ``plain`` - one header row.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from cxroi.errors import DataError

_IMPORT_ID = re.compile(r"""^\s*\{\s*["']ImportId["']\s*:""")
_SM_SUBHEADERS = {"response", "open-ended response", "other (please specify)"}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Layout:
    """Where the data starts and what each column may be called."""

    kind: str
    names: tuple[str, ...]
    header_rows: int
    import_ids: dict[str, str] = field(default_factory=dict)  # column name -> ImportId (QID1, QID4_2 ...)
    questions: dict[str, str] = field(default_factory=dict)  # column name -> question text

    # headers that several columns share in the file (kept as name, name_2 ... ): 1-based positions
    repeated: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def resolve(self, spec: str, source: str = "input") -> str:
        """Return the column name that ``spec`` refers to: a header, an ImportId or a question text.
        A header that two or more columns share is refused, never guessed."""
        if spec in self.names:
            if spec in self.repeated:
                where = self.repeated[spec]
                aliases = ", ".join(f"{self.names[i - 1]!r} (column {i})" for i in where)
                raise DataError(
                    f"{source}: {len(where)} columns are named {spec!r} (columns {', '.join(map(str, where))}); "
                    "cxroi will not guess which one holds the answers",
                    f"rename one of them in the export, or name one as cxroi lists them: {aliases}",
                )
            return spec
        wanted = _norm(spec)
        for candidates in (
            {n: n for n in self.names},
            self.import_ids,
            self.questions,
        ):
            hits = [name for name, label in candidates.items() if _norm(label) == wanted]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise DataError(
                    f"column {spec!r} is ambiguous in {source}: it matches {', '.join(map(repr, hits))}",
                    "name the column by its header instead",
                )
        raise DataError(f"column {spec!r} not found in {source}", self.suggest(spec))

    def suggest(self, spec: str) -> str:
        labels = list(self.names) + list(self.import_ids.values())
        close = difflib.get_close_matches(spec, labels, n=4, cutoff=0.5)
        if not close:
            lowered = {label.casefold(): label for label in labels}
            close = [lowered[c] for c in difflib.get_close_matches(spec.casefold(), list(lowered), 4, 0.5)]
        if close:
            return "closest columns: " + ", ".join(repr(c) for c in close)
        shown = ", ".join(repr(n) for n in self.names[:12])
        more = f" (+{len(self.names) - 12} more)" if len(self.names) > 12 else ""
        return f"available columns: {shown}{more}"


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, raw in enumerate(names):
        name = raw.strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        out.append(name)
    return tuple(out)


def _parse_import_id(cell: str) -> str | None:
    if not _IMPORT_ID.match(cell):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        try:
            value = ast.literal_eval(cell.strip())
        except (ValueError, SyntaxError):
            return None
    if not isinstance(value, dict) or "ImportId" not in value:
        return None
    ident = str(value["ImportId"])
    if "choiceId" in value:
        ident = f"{ident}_{value['choiceId']}"
    return ident


def detect_layout(records: Sequence[Sequence[str]]) -> Layout:
    """Recognise the export layout from its first parsed records; headers shared by several columns are
    remembered (``Layout.repeated``) so that naming one of them is refused, not guessed."""
    layout = _detect_layout(records)
    if not records or layout.kind == "surveymonkey":
        return layout
    positions: dict[str, list[int]] = {}
    for i, raw in enumerate(records[0]):
        if raw.strip():
            positions.setdefault(raw.strip(), []).append(i + 1)
    repeated = {name: tuple(p) for name, p in positions.items() if len(p) > 1}
    return replace(layout, repeated=repeated) if repeated else layout


def _detect_layout(records: Sequence[Sequence[str]]) -> Layout:
    if not records:
        return Layout("plain", (), 1)
    first = list(records[0])
    if len(records) >= 3:
        third = records[2]
        filled = [c for c in third if c.strip()]
        ids = [_parse_import_id(c) for c in third]
        if filled and sum(i is not None for i in ids) >= max(1, len(filled) // 2):
            names = _unique(first)
            second = list(records[1]) + [""] * (len(names) - len(records[1]))
            return Layout(
                "qualtrics",
                names,
                3,
                {n: i for n, i in zip(names, ids, strict=False) if i},
                {n: q for n, q in zip(names, second, strict=False) if q.strip()},
            )
    if len(first) >= 2 and first[0] == "V1" and first[1] == "V2" and len(records) >= 2:
        names = _unique(first)
        second = list(records[1])
        return Layout("qualtrics-legacy", names, 2, {}, dict(zip(names, second, strict=False)))
    if len(records) >= 2:
        second = list(records[1]) + [""] * max(0, len(first) - len(records[1]))
        if not second[0].strip() and any(_norm(c) in _SM_SUBHEADERS for c in second):
            return _surveymonkey(first, second)
    return Layout("plain", _unique(first), 1)


def _surveymonkey(first: list[str], second: list[str]) -> Layout:
    names: list[str] = []
    questions: dict[str, str] = {}
    current = ""
    for i, top in enumerate(first):
        sub = second[i].strip() if i < len(second) else ""
        top = top.strip()
        if top:
            current = top
        if not sub or _norm(sub) in {"response", "open-ended response"}:
            names.append(top or f"{current} - {sub}" if (top or current) else f"column_{i + 1}")
        else:
            names.append(f"{current} - {sub}" if current else sub)
        if top:
            questions[str(i)] = top
    unique = _unique(names)
    # question text -> first column of that question, so `--nps "How likely ..."` works for any shape
    by_question = {unique[int(i)]: q for i, q in questions.items() if unique[int(i)] != q}
    return Layout("surveymonkey", unique, 2, {}, by_question)
