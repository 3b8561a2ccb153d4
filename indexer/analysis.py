"""Kyrgyz-aware text analysis: the one analyzer used to index and to query.

The pipeline is Whoosh-style, ``Tokenizer | Filter | Filter``, each filter a
small generator over tokens:

    KyTokenizer      words (Cyrillic incl. ң ө ү, Latin, hyphen compounds), numbers
    CleanFilter      NFC, invisible characters, letters standing for ң ө ү, Latin look-alikes, ё→е,
                     abbreviation endings, lowercase
    CompoundFilter   ``Ысык-Көл`` → whole + parts; ``2025-жылдын`` → ``2025`` + ``жыл``
    StemFilter       the Kyrgyz / Russian stemmer (cached)

Each indexed word also has its exact form ``=коррупцияга`` and its 5-letter prefix ``^корру``:
terms that only score, counted per document by ``marked_counts`` and kept beside Whoosh's
segments (indexer/marked.py).

``ANALYZER`` (``KyAnalyzer``) runs the four as one loop with one cache lookup per
plain token; the chain is kept for the rare options that loop does not take.
``stem(word)`` is exactly what one indexed word goes through.  ``ANALYZER``
lives at module level so that the schema Whoosh pickles into the index
reopens in any process.  Stop words are kept in the index (a quoted phrase with
them still matches exactly); the query builder drops them with ``is_stopword``.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from whoosh.analysis import CompositeAnalyzer, Filter, Tokenizer
from whoosh.analysis.acore import Token

from indexer import lang, morphology
from indexer.morphology import stem_word

# Version of everything that decides which terms a text becomes.  Bump it when
# the tokenizer, the normalizer, the stemmer or their data change: an index
# built with another version needs a reindex.
# ky-5: each word indexed three ways (stem, exact form, 5-letter prefix), all three in Whoosh;
# ky-6: the same terms, the marked ones in the marked postings beside Whoosh (indexer/marked.py).
# ky-7: the letters that stand for ң ө ү read as them (data/lang/letter_variants.tsv).
# ky-8: frequent news nouns protected (абал|ды, мыйзам|ын, жаран|ын: ky_protected_roots.tsv);
#       a protected root or a Russian dictionary noun keeps its final б/г (штаб|дын, психолог|дор).
# ky-9: the bare -а/-е converb cut after a listed verb stem (бар|а, кел|е, текшер|е: ky_verb_roots.tsv).
# ky-10: the progressive passive read as the verb (сакта|л|ууда, not сакта|луу|да → сак); no voice
#       suffix cut after the verbal noun -оо (каржыл|оо, as каржыла|ды); a Russian noun made a verb by -ла
#       goes to the noun (реформа|ла|ды, модернизация|л|оо); диалог|у keeps its г; пайда, бүгүн, үст protected.
# ky-11: the -кы adjective of time words (бүгүн|кү, кийин|ки), the future participle -ар after a listed
#       verb (бол|ор|у|н), the negated verbal noun (бер|бе|ш|и), the 1st plural past after a vowel
#       (сура|дык), the agent -чу only after a rounded vowel; place names of data/places/units.tsv and
#       frequent nouns protected (Нарын, Өзгөн; айып "fine" was ай "month", башчы, элчи, тууган, колдон-).
ANALYZER_VERSION = "ky-11"

# Each indexed word counts in its field three ways (bench/eval/RESULTS.md: the three summed beat
# any one): its stem (unmarked, Whoosh's: what counting, phrases, ``корр*`` prefixes and
# highlighting use), its exact form after normalization (``=коррупцияга``) and its first
# PREFIX_LEN letters (``^корру``), both only scoring (``marked_counts``).  A word shorter than
# PREFIX_LEN has no prefix term: its prefix would be its exact form, with the same postings (a
# query gives that exact term the prefix's weight too: ``representation_terms``).  The marks never
# begin a token, so marked terms never meet the stems, or a typed prefix.
EXACT_MARK = "="
PREFIX_MARK = "^"
MARKS = (EXACT_MARK, PREFIX_MARK)
PREFIX_LEN = 5


def is_marked(term: str) -> bool:
    """A word's exact-form or prefix term (kept in the marked postings, never in Whoosh)."""
    return term[:1] in MARKS

_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_COMBINING = "\u0300-\u036f"
_HYPHENS = "\\-\u2010\u2011\u2013"
# A word starts and ends with a letter; soft hyphens, zero-width characters and
# combining marks may sit inside it.
_WORD = rf"[^\W\d_](?:[{_INVISIBLE}{_COMBINING}]*[^\W\d_])*[{_COMBINING}]*"
# A token: a word or a number, optionally joined by hyphens to further words
# (Ысык-Көл, иш-аракет, 2025-жылдын, 9-декабрында).
TOKEN_RE = re.compile(rf"(?:{_WORD}|\d+)(?:[{_HYPHENS}](?:{_WORD}|\d+))*")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_HYPHEN_RE = re.compile(f"[{_HYPHENS}]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
# A Latin letter the repair inside a Cyrillic word changes (look-alikes, ö ü ɵ: homoglyphs.tsv).
_LATIN_RE = re.compile("[" + "".join(sorted(lang.HOMOGLYPHS)) + "]")
# Letters that always stand for ң ө ү (жаӊы, ѳкмѳт).
_VARIANT_RE = re.compile("[" + "".join(sorted(lang.LETTER_VARIANTS)) + "]")
# An upper-case abbreviation with a lower-case case ending glued on (УКМКнын, ИИМдин)
# or hyphened on (УКМК-нын, 10-да).
_ABBREV_RE = re.compile(r"^([A-ZА-ЯЁҢӨҮ]{2,}|\d+)[-\u2010\u2011]?([a-zа-яёңөү]{1,8})$")

FOLD_TABLE = str.maketrans(lang.KEYBOARD_FOLD)
HOMOGLYPH_TABLE = str.maketrans(lang.HOMOGLYPHS)
VARIANT_TABLE = str.maketrans(lang.LETTER_VARIANTS)


@lru_cache(maxsize=262_144)
def normalize(word: str) -> str:
    """NFC, no invisible characters, the Cyrillic letters standing for ң ө ү read as them (жаӊы →
    жаңы, ``data/lang/letter_variants.tsv``), Latin look-alikes (and ɵ ö ü) inside Cyrillic words
    repaired,
    lower case, ё → е, one kind of hyphen."""
    if word.isascii():
        return word.lower()
    word = unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", word))
    if _VARIANT_RE.search(word):
        word = word.translate(VARIANT_TABLE)
    if _LATIN_RE.search(word) and _CYRILLIC_RE.search(word):
        word = word.translate(HOMOGLYPH_TABLE)
    word = word.lower()
    if "ё" in word:
        word = word.replace("ё", "е")
    if not word.isalnum():
        word = _HYPHEN_RE.sub("-", word)
    return word


def fold(text: str) -> str:
    """What a Russian keyboard types for Kyrgyz letters: ң→н, ө→о, ү→у."""
    return text.translate(FOLD_TABLE)


def has_kyrgyz_letters(text: str) -> bool:
    return fold(text) != text


# What the stemmer gave for the word forms of an open index, under this analyzer and these
# tables (indexer/stems.py, loaded when a search process opens a generation): a lookup instead
# of a run of the stemmer.  Never consulted for anything the stemmer would answer otherwise.
_KNOWN_STEMS: dict[str, str] = {}


def remember_stems(pairs: dict[str, str]) -> None:
    _KNOWN_STEMS.update(pairs)


def stem_normalized(word: str) -> str:
    """The stem of a normalized token, as the analyzer computes it (what ``=word`` stands beside)."""
    return _stem_normalized(word)


@lru_cache(maxsize=262_144)
def _stem_normalized(word: str) -> str:
    """Stem of a normalized token (a hyphen compound keeps its head, the last part is stemmed)."""
    known = _KNOWN_STEMS.get(word)
    if known is not None:
        return known
    if "-" in word:
        head, _, last = word.rpartition("-")
        if not last or not head:
            return word
        return f"{head}-{_stem_normalized(last)}"
    if word.isdigit():
        return word
    return stem_word(word) or word


def clear_caches() -> None:
    """Empty every cache of the analyzer and the stemmer: a fresh process's state
    (for benchmarks and tests that measure or check the cold path)."""
    for fn in (normalize, _clean, _stem_normalized, _plain_terms, marked_terms, _token_marked):
        fn.cache_clear()
    _KNOWN_STEMS.clear()
    morphology.clear_caches()


def stem(word: str) -> str:
    """Normalize and stem one word: exactly what an indexed token goes through."""
    return _stem_normalized(_clean(word)) or word


def is_stopword(word: str) -> bool:
    """True for a Kyrgyz or Russian function word (a surface word, in any case; a Kyrgyz
    one also when typed on a Russian keyboard: учун = үчүн)."""
    word = normalize(word)
    return word in lang.STOPWORDS or word in lang.STOPWORDS_FOLDED


@lru_cache(maxsize=262_144)
def _clean(text: str) -> str:
    """What CleanFilter makes of one raw token."""
    m = _ABBREV_RE.match(text)
    if m and m.group(2) in lang.ABBREVIATION_ENDINGS:
        text = m.group(1)
    return normalize(text)


class KyTokenizer(Tokenizer):
    """Splits text into words and numbers; hyphen-joined runs stay one token here."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        pos = start_pos
        for match in TOKEN_RE.finditer(value):
            t.text = match.group()
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = t.text
            if positions:
                t.pos = pos
                pos += 1
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t


class CleanFilter(Filter):
    """Normalizes each token; strips a case ending glued to an abbreviation (УКМКнын → укмк)."""

    def __call__(self, tokens):
        clean = _clean
        for t in tokens:
            t.raw = t.text  # CompoundFilter finds the parts' offsets in it
            t.text = clean(t.text)
            yield t


class CompoundFilter(Filter):
    """Hyphen compounds: the whole word and each part; a number with a suffix: number + word.

    ``mode`` decides what a compound becomes: at index time the whole token and its
    parts (the parts on consecutive positions, later tokens shifted); in a query the
    whole token; in a phrase the parts, so that a phrase lines up with the index.
    """

    def __call__(self, tokens):
        shift = 0
        for t in tokens:
            text = t.text
            if "-" not in text:
                if shift and t.positions:
                    t.pos += shift
                yield t
                continue
            plan = _compound_plan(text, getattr(t, "mode", ""))
            if plan is None:
                continue
            yield from _emit_compound(t, text, plan, t.pos + shift if t.positions else 0)
            shift += plan[2]


def _compound_plan(text: str, mode: str) -> tuple[list[str], bool, int, bool] | None:
    """(parts, emit the whole token, positions the parts add, emit the parts) for a token
    with a hyphen; None when nothing is left of it."""
    parts = [p for p in text.split("-") if p]
    if not parts:
        return None
    numeric = parts[0].isdigit()
    mode = mode or "index"
    emit_whole = not numeric and len(parts) > 1 and mode in ("index", "query")
    emit_parts = numeric or len(parts) == 1 or mode in ("index", "phrase")
    return parts, emit_whole, len(parts) - 1 if emit_parts else 0, emit_parts


def _emit_compound(t, text: str, plan, base_pos: int):
    """The tokens of the hyphen compound ``text`` (``plan`` from ``_compound_plan``), ``t`` reused."""
    parts, emit_whole, _, emit_parts = plan
    if emit_whole:
        t.text = "-".join(parts)
        if t.positions:
            t.pos = base_pos
        yield t
    if emit_parts:
        spans = _part_spans(getattr(t, "raw", text), len(parts)) if t.chars else None
        start = t.startchar if t.chars else 0
        for i, part in enumerate(parts):
            t.text = part
            if t.positions:
                t.pos = base_pos + i
            if spans:
                t.startchar = start + spans[i][0]
                t.endchar = start + spans[i][1]
            yield t


def _part_spans(raw: str, n: int) -> list[tuple[int, int]] | None:
    """Offsets of the hyphen-separated parts inside the raw token text."""
    spans = []
    at = 0
    for m in _HYPHEN_RE.finditer(raw):
        if m.start() > at:
            spans.append((at, m.start()))
        at = m.end()
    if at < len(raw):
        spans.append((at, len(raw)))
    return spans if len(spans) == n else None


@lru_cache(maxsize=262_144)
def marked_terms(surface: str) -> tuple[str, ...]:
    """The marked terms indexed beside a word's stem: its exact form, and its prefix when the
    word has ``PREFIX_LEN`` letters or more.  A number has none: it is its own stem and exact
    form (``representation_terms`` scores its term three times instead)."""
    if surface.isdigit():
        return ()
    if len(surface) < PREFIX_LEN:
        return (EXACT_MARK + surface,)
    return (EXACT_MARK + surface, PREFIX_MARK + surface[:PREFIX_LEN])


def representation_terms(surface: str) -> list[tuple[str, float]]:
    """(term, weight) that score a typed word besides its stem, as its three representations
    would at equal weights: its exact form and its prefix; a word without a prefix term, its
    exact form twice; a number (its own exact form and prefix), itself twice more."""
    reps = marked_terms(surface)
    if not reps:
        return [(surface, 2.0)]
    return [(reps[0], 1.0), (reps[1], 1.0)] if len(reps) == 2 else [(reps[0], 2.0)]


class StemFilter(Filter):
    """Replaces each token by its stem (numbers pass through), keeping the unstemmed text in
    ``t.surface``."""

    is_morph = True

    def __call__(self, tokens):
        stem_ = _stem_normalized
        for t in tokens:
            t.surface = surface = t.text
            t.text = stem_(surface)
            yield t


class KyAnalyzer(CompositeAnalyzer):
    """``KyTokenizer | CleanFilter | CompoundFilter | StemFilter`` run as one loop.

    The same tokens as the chain of four generators (``tests/test_analyzer_identity.py``), with
    one cache lookup per plain token (``_plain_terms``) instead of four generator hops and two
    lookups.  Any other composition, ``no_morph`` or ``tokenize=False`` runs as the usual chain;
    an index pickled with the plain ``CompositeAnalyzer`` of the four stages still works.
    """

    def __call__(self, value, no_morph=False, **kwargs):
        if no_morph or not kwargs.get("tokenize", True) or list(map(type, self.items)) != _STAGES:
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return _analyze_fused(value, **kwargs)


_STAGES = [KyTokenizer, CleanFilter, CompoundFilter, StemFilter]


@lru_cache(maxsize=262_144)
def _plain_terms(raw: str) -> tuple[str, str] | None:
    """(surface, stem) of one raw token without a hyphen (None for a compound: CompoundFilter's
    work)."""
    text = _clean(raw)
    return None if "-" in text else (text, _stem_normalized(text))


def _analyze_fused(value, positions=False, chars=False, keeporiginal=False, removestops=True,
                   start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
    t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
    plain, stem_ = _plain_terms, _stem_normalized
    pos = start_pos
    shift = 0
    for match in TOKEN_RE.finditer(value):
        raw = match.group()
        t.boost = 1.0
        t.stopped = False
        if keeporiginal:
            t.original = raw
        if positions:
            t.pos = pos + shift
            pos += 1
        if chars:
            t.startchar = start_char + match.start()
            t.endchar = start_char + match.end()
        got = plain(raw)
        if got is not None:
            t.surface, t.text = got
            yield t
            continue
        t.raw = raw
        t.text = text = _clean(raw)
        plan = _compound_plan(text, mode)
        if plan is None:
            continue
        for part in _emit_compound(t, text, plan, t.pos if positions else 0):
            part.surface = surface = part.text
            part.text = stem_(surface)
            yield part
        shift += plan[2]


def plain_token_terms(raw: str, is_token: bool = False) -> tuple[str, str] | None:
    """(surface, stem) when ``ANALYZER`` reads ``raw`` as one plain token spanning all of it —
    exactly the one token it would yield — else None (a compound, several tokens, none, or an
    analyzer composed otherwise: run the analyzer then).  ``is_token``: the caller knows ``raw``
    is one whole ``TOKEN_RE`` match (skips matching it again)."""
    if not _FUSED:
        return None
    if not is_token:
        m = TOKEN_RE.match(raw)
        if m is None or m.end() != len(raw):
            return None
    return _plain_terms(raw)


def make_analyzer():
    return KyAnalyzer(KyTokenizer(), CleanFilter(), CompoundFilter(), StemFilter())


# The one analyzer: the schema's text fields, the query builder, highlighting and everything
# that reads terms use it.
ANALYZER = make_analyzer()
_FUSED = type(ANALYZER) is KyAnalyzer and list(map(type, ANALYZER.items)) == _STAGES


def marked_counts(text: str) -> dict[str, int]:
    """The marked terms of a field's text as indexing counts them: for each position ``ANALYZER``
    gives in mode ``index``, the ``marked_terms`` of the words there, each once (a compound's
    whole word and its first part share a position and often their prefix), summed over the
    positions.  No stemming: one cache lookup per distinct token."""
    counts: dict[str, int] = {}
    get = counts.get
    for raw, n in Counter(TOKEN_RE.findall(text)).items():
        for rep in _token_marked(raw):
            counts[rep] = get(rep, 0) + n
    return counts


@lru_cache(maxsize=262_144)
def _token_marked(raw: str) -> tuple[str, ...]:
    """The marked terms of one raw token, position by position, each once a position."""
    text = _clean(raw)
    if "-" not in text:
        return marked_terms(text)
    plan = _compound_plan(text, "index")
    if plan is None:
        return ()
    t = Token(positions=True, chars=False, mode="index")
    t.raw = raw
    out: list[str] = []
    seen: set = set()
    at = None
    for part in _emit_compound(t, text, plan, 0):
        if part.pos != at:
            at, seen = part.pos, set()
        for rep in marked_terms(part.text):
            if rep not in seen:
                seen.add(rep)
                out.append(rep)
    return tuple(out)


@dataclass(frozen=True)
class Term:
    text: str
    pos: int
    start: int
    end: int
    surface: str = ""      # the token before stemming (what ``representation_terms`` takes)


def analyze(text: str, mode: str = "index") -> list[Term]:
    """Run ``ANALYZER`` over ``text``; ``mode`` is ``index``, ``query`` or ``phrase``."""
    return [Term(t.text, t.pos, t.startchar, t.endchar, t.surface)
            for t in ANALYZER(text, positions=True, chars=True, mode=mode)]
