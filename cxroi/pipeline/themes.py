"""``cxroi themes``: what the open-ended reasons talk about, per NPS group, segment and period.

Every distinct comment is read once (language, words, themes, terms) and its results spread to the
answers that gave it, so a million comments cost what their distinct texts cost. See
``cxroi.metrics.text`` for the language work and ``cxroi.metrics.themes`` for the formulas.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cxroi.metrics.text import canonical, detect, ngrams, stop_words, words
from cxroi.metrics.themes import DETRACTOR, GROUPS, PROMOTER, Dictionary, log_odds, theme_rows
from cxroi.pipeline.answer_rows import Rows
from cxroi.report.privacy import REDACTED, scrub_text

NO_THEME = "(no theme)"
ALL = "(all)"
EXAMPLE_CHARS = 200
_WORDISH = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass
class Comments:
    """The distinct comments of the answers with text and what each says."""

    rows: np.ndarray  # index of each answer with text into Rows
    code: np.ndarray  # distinct-comment code of each of those answers
    texts: list[str]
    langs: list[str | None]
    mentions: np.ndarray  # distinct comments x themes (bool)
    tokens: list[list[str]] = field(default_factory=list)  # stems per distinct comment (terms view)
    surface: dict[tuple[str | None, str], Counter[str]] = field(default_factory=dict)


def read_comments(rows: Rows, dictionary: Dictionary, language: str | None, want_terms: bool) -> Comments:
    index: dict[str, int] = {}
    code: list[int] = []
    keep: list[int] = []
    for i, t in enumerate(rows.text):
        if t is None or not t.strip():
            continue  # blank and whitespace-only: not an answer with text
        keep.append(i)
        code.append(index.setdefault(t, len(index)))
    texts = list(index)
    langs = [detect(t, language) for t in texts]
    mentions = np.zeros((len(texts), len(dictionary.names)), dtype=bool)
    col = {n: j for j, n in enumerate(dictionary.names)}
    for k, (t, lang) in enumerate(zip(texts, langs, strict=True)):
        for theme in dictionary.match(t, lang):
            mentions[k, col[theme]] = True
    out = Comments(np.array(keep, dtype=np.int64), np.array(code, dtype=np.int64), texts, langs, mentions)
    if want_terms:
        _terms(out)
    return out


def _terms(c: Comments) -> None:
    from cxroi.metrics.text import stem

    raw: list[list[str]] = []
    for t, lang in zip(c.texts, c.langs, strict=True):
        stop = stop_words(lang or "")
        toks = []
        for w in words(t, lang):
            if w in stop or len(w) < 2:
                continue
            s = stem(w, lang)
            c.surface.setdefault((lang, s), Counter())[w] += 1
            toks.append(s)
        raw.append(toks)
    vocab = {s for _lang, s in c.surface}
    c.tokens = [canonical(toks, lang, vocab) for toks, lang in zip(raw, c.langs, strict=True)]


def display(c: Comments, lang: str | None, term: str) -> str:
    """A stemmed term in the words people wrote (the most frequent surface form of each stem)."""
    parts = []
    for s in term.split(" "):
        forms = c.surface.get((lang, s))
        parts.append(forms.most_common(1)[0][0] if forms else s)
    return " ".join(parts)


def redact_example(text: str, names: set[str]) -> str:
    text = scrub_text(" ".join(text.split()))
    if names:
        text = _WORDISH.sub(lambda m: REDACTED if m.group(0).casefold() in names else m.group(0), text)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1].rstrip() + "…"


def theme_records(
    rows: Rows, c: Comments, names: Sequence[str], by: Sequence[str], period: bool, examples: int
) -> list[dict[str, Any]]:
    """One record per theme (and ``(no theme)``) overall, then per (period, segments) group."""
    mention = c.mentions[c.code] if len(c.code) else np.zeros((0, len(names)), dtype=bool)
    mention = (
        np.column_stack([mention, ~mention.any(axis=1)]) if len(names) else np.ones((len(c.code), 1), bool)
    )
    all_names = [*names, NO_THEME]
    bands = rows.band[c.rows]
    keys: list[tuple[str, ...]] = [
        tuple([*([rows.period[i] or ALL] if period else []), *[seg[i] for seg in rows.segments]])
        for i in c.rows.tolist()
    ]
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for j, key in enumerate(keys):
        groups[key].append(j)
    scopes: list[tuple[tuple[str, ...], np.ndarray]] = [
        (tuple([ALL] * ((1 if period else 0) + len(by))), np.arange(len(c.code)))
    ]
    if period or by:
        scopes += [
            (k, np.array(v)) for k, v in sorted(groups.items(), key=lambda kv: [(s == ALL, s) for s in kv[0]])
        ]
    records: list[dict[str, Any]] = []
    for key, idx in scopes:
        table = theme_rows(mention[idx], bands[idx], all_names)
        for j, rec in enumerate(table):
            head: dict[str, Any] = {}
            if period:
                head["period"] = key[0]
            head.update(dict(zip(by, key[1 if period else 0 :], strict=True)))
            rec = {**head, **rec, "answers_with_text": len(idx)}
            if examples:
                rec.update(_examples(rows, c, idx, mention[idx, j], bands[idx], examples))
            records.append(rec)
    return records


def _examples(
    rows: Rows, c: Comments, idx: np.ndarray, hit: np.ndarray, bands: np.ndarray, k: int
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for g, name in enumerate(GROUPS):
        seen: list[str] = []
        for j in np.flatnonzero(hit & (bands == g)).tolist():
            text = c.texts[int(c.code[idx[j]])]
            if text not in seen:
                seen.append(text)
            if len(seen) == k:
                break
        out[f"examples_{name}"] = [redact_example(t, rows.names) for t in seen]
    return out


def term_records(rows: Rows, c: Comments, top: int, prior_size: float = 1000.0) -> list[dict[str, Any]]:
    """Terms (1 and 2 words) most over-represented among detractors and among promoters."""
    bands = rows.band[c.rows]
    per: dict[str, Counter[tuple[str | None, str]]] = {"d": Counter(), "p": Counter(), "all": Counter()}
    grams = [ngrams(t) for t in c.tokens]
    weights = np.zeros((len(c.texts), 3), dtype=np.int64)
    np.add.at(weights, (c.code[bands >= 0], bands[bands >= 0]), 1)
    every = np.bincount(c.code, minlength=len(c.texts)) if len(c.code) else np.zeros(len(c.texts), np.int64)
    for k, (g, lang) in enumerate(zip(grams, c.langs, strict=True)):
        for term in g:
            key = (lang, term)
            if weights[k, DETRACTOR]:
                per["d"][key] += int(weights[k, DETRACTOR])
            if weights[k, PROMOTER]:
                per["p"][key] += int(weights[k, PROMOTER])
            per["all"][key] += int(every[k])

    def enc(counter: Counter[tuple[str | None, str]]) -> dict[str, int]:
        return {f"{lang or ''}\x00{t}": n for (lang, t), n in counter.items()}

    flat = enc(per["all"])
    scored = log_odds(enc(per["d"]), enc(per["p"]), flat, prior_size)
    out: list[dict[str, Any]] = []
    head = scored[:top]
    tail = [s for s in reversed(scored[-top:]) if s not in head]
    for coded, delta, z in head + tail:
        code, term = coded.split("\x00")
        lang = code or None
        out.append(
            {
                "term": display(c, lang, term),
                "stem": term,
                "language": lang,
                "leans": "detractors" if z > 0 else "promoters",
                "detractors": per["d"].get((lang, term), 0),
                "promoters": per["p"].get((lang, term), 0),
                "mentions": flat[coded],
                "log_odds": delta,
                "z": z,
            }
        )
    return out


def discover(
    c: Comments, topics: int, seed: int, min_answers: int = 10, top_terms: int = 6
) -> list[dict[str, Any]]:
    """Topics of the comments no theme covers, per language: TF-IDF of their 1- and 2-word terms and a
    seeded NMF (scikit-learn); each topic's top terms, in the words people wrote."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    uncovered = np.asarray(~c.mentions.any(axis=1), dtype=bool)
    counts = np.bincount(c.code, minlength=len(c.texts)) if len(c.code) else np.zeros(len(c.texts), np.int64)
    out: list[dict[str, Any]] = []
    for lang in ("en", "tr", "he"):
        docs = [k for k in range(len(c.texts)) if uncovered[k] and c.langs[k] == lang and c.tokens[k]]
        if int(counts[docs].sum()) < min_answers or len(docs) < 2:
            continue
        vec = TfidfVectorizer(analyzer=lambda d: d, min_df=1, sublinear_tf=True)
        m = vec.fit_transform([ngrams(c.tokens[k]) for k in docs])
        k_topics = max(1, min(topics, m.shape[0] - 1, m.shape[1]))
        model = NMF(n_components=k_topics, init="nndsvda", random_state=seed, max_iter=1000)
        with warnings.catch_warnings():  # a few hundred short texts rarely converge to 1e-4; the topics hold
            warnings.simplefilter("ignore")
            w = model.fit_transform(m.multiply(counts[docs][:, None]).tocsr())
        vocab = np.array(vec.get_feature_names_out())
        assign = w.argmax(axis=1)
        for t in range(k_topics):
            order = np.argsort(-model.components_[t])[:top_terms]
            terms = [display(c, lang, str(vocab[i])) for i in order if model.components_[t, i] > 0]
            answers = int(counts[[d for d, a in zip(docs, assign, strict=True) if a == t]].sum())
            if terms and answers:
                out.append({"topic": f"{lang}_{t + 1}", "language": lang, "terms": terms, "answers": answers})
    return out


def discovered_yaml(found: Sequence[Mapping[str, Any]]) -> str:
    """The topics as a ``themes:`` block to paste into the config (names to rename)."""
    import yaml

    block = {
        f"topic_{t['topic']}_{_slug(t['terms'][0])}": {t["language"]: list(dict.fromkeys(
            w for term in t["terms"] for w in [term]))} for t in found
    }  # fmt: skip
    lines = ["# suggested by cxroi themes --discover: rename, merge and prune before use", "themes:"]
    body = yaml.safe_dump(block, allow_unicode=True, sort_keys=False, default_flow_style=None)
    lines += ["  " + line for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text.casefold()).strip("_")[:24] or "topic"
