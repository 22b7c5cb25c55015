"""Open-ended answers as terms, in English, Turkish and Hebrew, offline.

Per answer: the language (``detect``: Hebrew script; Turkish letters ğ ş ı İ or Turkish stop words against
English ones; else English when it has Latin letters; ``None`` when it has no letters, e.g. emoji only),
then the words, folded the way the language folds case (Turkish: ``İ`` → ``i`` and ``I`` → ``ı`` before
lowering, so "İADE" is "iade" and "KARGO" is "kargo"; Hebrew: niqqud removed), stop words dropped and
each word stemmed with Snowball (English, Turkish: "kargolar", "kargonun" → "kargo"; Snowball has no
Hebrew). Hebrew words may carry the one-letter prefixes ו ה ב ל מ ש כ ("והמשלוח" = "and the delivery"):
``hebrew_forms`` lists a word with up to three prefix letters removed, so a dictionary word matches every
prefixed form, and ``canonical`` picks the shortest form seen on its own in the corpus for term counts.

References: Porter, M. F., "Snowball: A language for stemming algorithms" (2001); the Turkish stemmer
of Eryiğit & Adalı (2004) as shipped by ``snowballstemmer``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

LANGUAGES = ("en", "tr", "he")
OTHER = "other"  # Latin-script text in another language: shared (``any``) keywords only, no stemming
HEBREW_PREFIXES = frozenset("והבלמשכ")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_HEBREW = re.compile(r"[\u0590-\u05FF]")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]")
_TURKISH_LETTERS = re.compile(r"[ğĞşŞıİ]")
_TURKISH_OR_GERMAN = re.compile(r"[çÇöÖüÜ]")
_OTHER_LATIN = re.compile(r"[ãõáàéêíóúñßäëÃÕÁÀÉÊÍÓÚÑ]")  # Portuguese, Spanish, German, French ... not ours
_NIQQUD = re.compile(r"[\u0591-\u05C7]")

# Stop words: English from scikit-learn's list; Turkish and Hebrew by hand (no maintained offline list
# ships with a package we use): function words, pronouns, particles, common light verbs.
TURKISH_STOP = frozenset(
    [
        "acaba",
        "ama",
        "ancak",
        "artık",
        "aslında",
        "az",
        "bana",
        "bazı",
        "belki",
        "ben",
        "beni",
        "benim",
        "beri",
        "bile",
        "bir",
        "birkaç",
        "biri",
        "birçok",
        "biz",
        "bize",
        "bizi",
        "bu",
        "buna",
        "bunda",
        "bundan",
        "bunu",
        "bunun",
        "burada",
        "böyle",
        "çok",
        "çünkü",
        "da",
        "daha",
        "de",
        "defa",
        "diye",
        "değil",
        "eğer",
        "en",
        "gibi",
        "göre",
        "hem",
        "hep",
        "hepsi",
        "her",
        "hiç",
        "için",
        "ile",
        "ise",
        "işte",
        "kadar",
        "ki",
        "kim",
        "mi",
        "mı",
        "mu",
        "mü",
        "nasıl",
        "ne",
        "neden",
        "nerede",
        "niye",
        "o",
        "olan",
        "olarak",
        "oldu",
        "olduğu",
        "olmak",
        "olur",
        "ona",
        "onlar",
        "onu",
        "onun",
        "öyle",
        "şey",
        "şu",
        "şöyle",
        "tüm",
        "ve",
        "veya",
        "ya",
        "yani",
        "yine",
        "zaten",
        "hâlâ",
        "hala",
        "bence",
        "sizin",
        "siz",
        "size",
        "sadece",
        "gerçekten",
    ]
)
HEBREW_STOP = frozenset(
    [
        "של",
        "את",
        "על",
        "עם",
        "זה",
        "זו",
        "זאת",
        "הוא",
        "היא",
        "הם",
        "הן",
        "אני",
        "אנחנו",
        "אתה",
        "את",
        "אתם",
        "לא",
        "כן",
        "גם",
        "אבל",
        "או",
        "כי",
        "אם",
        "כל",
        "יש",
        "אין",
        "היה",
        "היו",
        "מאוד",
        "רק",
        "עוד",
        "כבר",
        "מה",
        "מי",
        "איך",
        "למה",
        "כמו",
        "אחרי",
        "לפני",
        "בין",
        "אז",
        "פה",
        "שם",
        "הזה",
        "הזאת",
        "שלי",
        "שלנו",
        "שלהם",
        "לי",
        "לנו",
        "להם",
    ]
)
TURKISH_HINTS = frozenset({"ve", "bir", "çok", "bu", "için", "ama", "değil", "ile", "daha", "gibi", "da",
                           "de", "mi", "ne", "hiç", "kadar", "ürün", "teşekkürler", "iyi", "kötü", "fiyat",
                           "kargo", "destek", "harika", "hızlı", "yavaş", "yok", "var", "geç", "ekibi",
                           "olabilir", "sipariş", "müşteri", "hizmet", "uygun", "kolay", "zor"})  # fmt: skip
ENGLISH_HINTS = frozenset({"the", "and", "is", "it", "to", "of", "was", "for", "not", "but", "very",
                           "with", "my", "i", "you", "we", "this", "that", "great", "good"})  # fmt: skip


@functools.lru_cache(maxsize=1)
def _english_stop() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def stop_words(lang: str) -> frozenset[str]:
    if lang == "en":
        return _english_stop()
    return TURKISH_STOP if lang == "tr" else HEBREW_STOP if lang == "he" else frozenset()


def fold(text: str, lang: str | None) -> str:
    """Lower case the way ``lang`` does (Turkish dotted and dotless i); NFC; Hebrew niqqud removed."""
    text = unicodedata.normalize("NFC", text)
    if lang == "tr":
        return text.replace("I", "ı").replace("İ", "i").lower()
    if lang == "he":
        return _NIQQUD.sub("", text).casefold()
    return text.casefold()


def detect(text: str, forced: str | None = None) -> str | None:
    """``en``, ``tr`` or ``he`` from the script and stop-word evidence, ``other`` for Latin text with
    letters neither English nor Turkish use (ã, ñ, ß, é ...); None when there are no letters."""
    if not _WORD.search(text):
        return None
    if forced:
        return forced
    hebrew = len(_HEBREW.findall(text))
    latin = len(_LATIN.findall(text))
    if hebrew and hebrew >= latin:
        return "he"
    if not latin:
        return None
    if _TURKISH_LETTERS.search(text):
        return "tr"
    words = [w.lower() for w in _WORD.findall(text)]
    tr = sum(w in TURKISH_HINTS for w in words)
    en = sum(w in ENGLISH_HINTS for w in words)
    if tr > en:
        return "tr"
    if en == 0 and _OTHER_LATIN.search(text):
        return OTHER
    if en == 0 and _TURKISH_OR_GERMAN.search(text):
        return "tr"
    return "en"


@functools.lru_cache(maxsize=4)
def _stemmer(lang: str) -> object | None:
    if lang not in ("en", "tr"):
        return None
    import snowballstemmer

    found: object = snowballstemmer.stemmer("english" if lang == "en" else "turkish")
    return found


@functools.lru_cache(maxsize=200_000)
def stem(word: str, lang: str | None) -> str:
    stemmer = _stemmer(lang or "")
    if stemmer is None:
        return word
    out: str = stemmer.stemWord(word)  # type: ignore[attr-defined]
    return out


def words(text: str, lang: str | None) -> list[str]:
    """The folded words of ``text`` (letters only; an apostrophe's suffix, as in Turkish "Ali'nin", goes
    with its word)."""
    folded = fold(text, lang)
    out = []
    for w in _WORD.findall(folded):
        if lang == "tr" and ("'" in w or "’" in w):
            w = re.split(r"['’]", w)[0]
        elif "’" in w:
            w = w.replace("’", "'")
        out.append(w)
    return out


def hebrew_forms(word: str) -> list[str]:
    """``word`` and the forms left after removing one to three prefix letters (at least two letters left)."""
    forms = [word]
    for k in range(1, 4):
        if len(word) - k < 2 or word[k - 1] not in HEBREW_PREFIXES:
            break
        forms.append(word[k:])
    return forms


def terms(text: str, lang: str | None) -> list[str]:
    """Stemmed content words of ``text``, in order (stop words out)."""
    stop = stop_words(lang or "")
    return [stem(w, lang) for w in words(text, lang) if w not in stop and len(w) > 1]


def canonical(tokens: Sequence[str], lang: str | None, vocabulary: set[str]) -> list[str]:
    """Hebrew tokens reduced to their shortest prefix-free form that occurs on its own in ``vocabulary``
    ("והמשלוח" → "משלוח" when "משלוח" occurs); other languages unchanged."""
    if lang != "he":
        return list(tokens)
    out = []
    for t in tokens:
        forms = [f for f in hebrew_forms(t)[1:] if f in vocabulary]
        out.append(forms[-1] if forms else t)
    return out


def ngrams(tokens: Sequence[str], sizes: Iterable[int] = (1, 2)) -> list[str]:
    out: list[str] = []
    for n in sizes:
        out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out
