"""Themes of open-ended answers: dictionary matching, the theme table, and over-represented terms.

A theme's keywords are words or phrases (matched on stems, in order, so "delivery" matches "deliveries"
and "kargo" matches "kargonun"; Hebrew words also with prefix letters) or regular expressions
(``re:`` then the pattern, matched case-insensitively on the folded text). An answer can carry several
themes. For one set of answers with text (N of them; P, A, D with a promoter, passive, detractor score):

    share            = 100 * mentions / N
    share_<group>    = 100 * mentions in the group / answers with text in the group
    lift             = share_detractors / share_promoters            (None when share_promoters = 0)
    p_value          = pooled two-proportion z-test, detractors against promoters
    q_value          = Benjamini & Hochberg (1995) over the themes of the table:
                       q_(i) = min_{j >= i} m p_(j) / j, capped at 1 (m = themes with a p-value)
    nps_with/without = NPS (100 * (promoters - detractors) / n) of the answers with text that do / do not
                       mention the theme

Terms over-represented among detractors against promoters: the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' words", eq. 22 and 24), the prior being the
counts of every answer's terms (all groups) scaled to ``prior_size`` pseudo-counts:

    delta_w = log((y_dw + a_w) / (n_d + a_0 - y_dw - a_w)) - log((y_pw + a_w) / (n_p + a_0 - y_pw - a_w))
    var     ~ 1 / (y_dw + a_w) + 1 / (y_pw + a_w),     z_w = delta_w / sqrt(var)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxroi.metrics.stats import two_proportion_test
from cxroi.metrics.text import LANGUAGES, fold, hebrew_forms, stem, words

SHARED = "any"
DETRACTOR, PASSIVE, PROMOTER, NO_SCORE = 0, 1, 2, -1
GROUPS = ("detractors", "passives", "promoters")


@dataclass(frozen=True)
class Keyword:
    theme: str
    text: str
    lang: str | None  # None: for every language
    pattern: re.Pattern[str] | None = None


class Dictionary:
    """Compiled themes: name -> keywords per language (``en``, ``tr``, ``he``) or shared (``any``)."""

    def __init__(self, themes: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        self.names = list(themes)
        self.keywords: list[Keyword] = []
        for name, spec in themes.items():
            for lang, items in spec.items():
                for kw in items:
                    pattern = re.compile(kw[3:], re.IGNORECASE) if kw.startswith("re:") else None
                    self.keywords.append(Keyword(name, kw, None if lang == SHARED else lang, pattern))
        self._cache: dict[tuple[str, str | None], tuple[str, ...]] = {}

    def _stems(self, kw: Keyword, lang: str | None) -> tuple[str, ...]:
        key = (kw.text, lang)
        if key not in self._cache:
            self._cache[key] = tuple(stem(w, lang) for w in words(kw.text, lang))
        return self._cache[key]

    def match(self, text: str, lang: str | None) -> list[str]:
        """The themes ``text`` (in ``lang``) mentions, in dictionary order."""
        if lang is None:
            return []
        folded = fold(text, lang)
        tokens = [stem(w, lang) for w in words(text, lang)]
        forms = [set(hebrew_forms(t)) if lang == "he" else {t} for t in tokens]
        hits: set[str] = set()
        for kw in self.keywords:
            if kw.theme in hits or (kw.lang is not None and kw.lang != lang):
                continue
            if kw.pattern is not None:
                if kw.pattern.search(folded):
                    hits.add(kw.theme)
                continue
            seq = self._stems(kw, lang)
            if seq and _contains(forms, seq):
                hits.add(kw.theme)
        return [n for n in self.names if n in hits]


def _contains(forms: Sequence[set[str]], seq: Sequence[str]) -> bool:
    k = len(seq)
    return any(all(seq[j] in forms[i + j] for j in range(k)) for i in range(len(forms) - k + 1))


def bh_qvalues(pvalues: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values (None stays None and is not counted in m)."""
    idx = [i for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    m = len(idx)
    out: list[float | None] = [None] * len(pvalues)
    if not m:
        return out
    order = sorted(idx, key=lambda i: float(pvalues[i]))  # type: ignore[arg-type]
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, float(pvalues[i]) * m / rank)  # type: ignore[arg-type]
        out[i] = min(running, 1.0)
    return out


def _nps(bands: np.ndarray) -> float | None:
    n = int((bands >= 0).sum())
    if n == 0:
        return None
    return 100.0 * (int((bands == PROMOTER).sum()) - int((bands == DETRACTOR).sum())) / n


def _pct(x: int, n: int) -> float | None:
    return 100.0 * x / n if n else None


def theme_rows(mentions: np.ndarray, bands: np.ndarray, names: Sequence[str]) -> list[dict[str, Any]]:
    """One row per theme (columns of ``mentions``, a bool matrix over the answers with text) with the
    counts, shares, lift, p- and q-values and NPS with/without (see the module doc)."""
    n = len(bands)
    totals = [int((bands == g).sum()) for g in (DETRACTOR, PASSIVE, PROMOTER)]
    rows: list[dict[str, Any]] = []
    for j, name in enumerate(names):
        m = mentions[:, j] if n else np.zeros(0, dtype=bool)
        counts = [int((m & (bands == g)).sum()) for g in (DETRACTOR, PASSIVE, PROMOTER)]
        shares = [_pct(c, t) for c, t in zip(counts, totals, strict=True)]
        lift = shares[0] / shares[2] if shares[0] is not None and shares[2] else None
        p = two_proportion_test(counts[0], totals[0], counts[2], totals[2])
        rows.append(
            {
                "theme": name,
                "mentions": int(m.sum()),
                "share": _pct(int(m.sum()), n),
                **dict(zip(GROUPS, counts, strict=True)),
                **{f"share_{g}": s for g, s in zip(GROUPS, shares, strict=True)},
                "lift": lift,
                "p_value": None if math.isnan(p) else p,
                "nps_with": _nps(bands[m]),
                "nps_without": _nps(bands[~m]),
            }
        )
    for row, q in zip(rows, bh_qvalues([r["p_value"] for r in rows]), strict=True):
        row["q_value"] = q
    return rows


def log_odds(
    detractors: Mapping[str, int], promoters: Mapping[str, int], prior: Mapping[str, int], prior_size: float
) -> list[tuple[str, float, float]]:
    """(term, delta, z) for every term of ``prior`` (see the module doc), most detractor-heavy first."""
    total = sum(prior.values())
    if not total:
        return []
    n_d, n_p = sum(detractors.values()), sum(promoters.values())
    a0 = float(prior_size)
    out = []
    for term, count in prior.items():
        a = a0 * count / total
        yd, yp = detractors.get(term, 0), promoters.get(term, 0)
        delta = math.log((yd + a) / (n_d + a0 - yd - a)) - math.log((yp + a) / (n_p + a0 - yp - a))
        z = delta / math.sqrt(1.0 / (yd + a) + 1.0 / (yp + a))
        out.append((term, delta, z))
    out.sort(key=lambda t: (-t[2], t[0]))
    return out


def term_counts(token_lists: Iterable[Sequence[str]]) -> Counter[str]:
    c: Counter[str] = Counter()
    for tokens in token_lists:
        c.update(tokens)
    return c


__all__ = ["GROUPS", "LANGUAGES", "Dictionary", "bh_qvalues", "log_odds", "theme_rows"]
