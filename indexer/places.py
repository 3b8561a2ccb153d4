"""Districts and oblasts mentioned in Kyrgyz (and Russian) text.

The gazetteer is data under ``data/places/``:

* ``units.tsv``      7 oblasts, Бишкек and Ош (first-level cities), 40 districts, Бишкек's 4
                     city districts; towns of oblast significance (kind ``city``: Каракол,
                     Балыкчы, Кызыл-Кыя …); towns of district significance and district-centre
                     villages (kind ``town``, with ``district_ky``: Кара-Балта, Кант, Чолпон-Ата,
                     Кочкор айылы …); Kyrgyz + Russian names, source column
* ``aliases.tsv``    older names and renames (Кара-Буура району → Айтматов району; Жалал-Абад
                     шаары → Манас шаары), older forms (областы), Russian variants
* ``heads.tsv``      level words: району / облусу / шаары / айылы / район / область / город /
                     село / РИИБ …; plural ones say which other levels a listed name may have
* ``suffixes.tsv``   Kyrgyz case endings (and Russian ones) a bare name may carry
* ``bare_names.tsv`` the few names that count without a level word, and in which cases
* ``joiners.tsv``    жана / менен / же / и / или — lists before a plural level word
* ``not_places.tsv`` word pairs that undo a reading (Ош базары, Бишкек убактысы, X көчөсү …)

TOWNS ROLL UP: the facets are districts and oblasts only.  A town or village is not a facet
value of its own; a mention tags the district it lies in (``district_ky``, for towns of district
significance and district centres: "Кара-Балтада" → Жайыл району + Чүй облусу) and its oblast.
Towns of oblast significance lie in no district (Каракол, Балыкчы, Токмок, Нарын, Талас,
Баткен, Кызыл-Кыя, Сүлүктү, Таш-Көмүр, Кара-Көл, Майлуу-Суу, Манас/Жалал-Абад): they tag the
oblast only.  Neither kind is in ``DISTRICTS`` or ``OBLASTS``; ``explain_places`` names the town.

Matching works on lowercased, keyboard-folded words (ң→н ө→о ү→у, Latin look-alikes
repaired; folding keeps lengths, so capitals are checked on the original); names are looked up
in dicts built at import.  A scan jumps from one word that may start a name (or a level word
written before its name) to the next, found in the original text by one regular expression
(``_START_RE``: a trie whose letters match everything that folds to them), and splits into
words and folds only what a reading looks at.

Rules:

1. NAME + LEVEL WORD: a name followed by a level word of a matching level is that unit, in
   any case and spelling: ``Тоң районунда``, ``тон району``, ``Ысык-Көл облусундагы``,
   ``Нарын областынын``, ``Бишкек шаарынын``, ``Кемин РИИБнын``, ``Кочкор айылында``.  The
   level word decides between units of the same name (Нарын району / облусу / шаары; Кара-Суу
   району / шаары; Манас району / шаары; Чүй району / облусу; Ош облусу / шаары; Талас облусу /
   шаары).  A name + a level word of a level it does not have (``Москва шаары``, ``Чүй
   өрөөнү``, ``Каракол районунда``) is nothing.
2. RUSSIAN: adjective + level word (``Тонский район``, ``Иссык-Кульской области``,
   ``Ак-Сыйского района``), and ``город``/``г.``/``село`` + name (``г. Ош``, ``в городе Оше``,
   ``в селе Беловодское``).
3. LISTS: names joined by commas / жана / менен / же / и / или before a PLURAL level word all
   take it (``Ноокат, Алай жана Кара-Суу райондорунда``, ``в Тонском и Иссык-Кульском районах``,
   ``Бишкек жана Ош шаарларында``); the adjectives облустук / райондук / шаардык are
   number-neutral and count as plural (``Жалал-Абад, Ош, Талас облустук сотторуна``).  A plural
   level word's ``list_also`` levels let a listed town stand among districts (``Тон, Ысык-Көл,
   Балыкчы райондорунун``: Балыкчы is the town).  A singular level word belongs to the last name.
4. BARE NAMES (no level word): only the names in ``bare_names.tsv``, written with a capital
   (Бишкек also lowercase), carrying only the listed Kyrgyz/Russian case endings
   (``Бишкекте``, ``Ошто``, ``Ноокатта``, ``Нарында``, ``Балыкчыда``, ``Кара-Балтадагы`` — but not
   ``Ошондой``, ``Нарын дарыясы``, ``Балыкчы — Кочкор темир жолу``: towns are bare only in oblique
   cases), not glued by a hyphen to another word (``Бишкек-Ош жолу``, ``Кара-Кочкор``), and not
   followed by a word of ``not_places.tsv`` (``Ош көчөсү``, ``Ош — Баткен жолу``).  Манас,
   Москва, Ленин, Свердлов, Панфилов, Айтматов, Октябрь, Биринчи май, Кемин, Алай, Тоң, Кант,
   Токтогул, Кербен … are never bare (see the comment in bare_names.tsv).

A district implies its oblast; a city or town implies its oblast (and a town its district);
Бишкек шаары and Ош шаары are first-level units themselves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from indexer import lang

PLACES_DIR = lang.DATA_DIR / "places"


def _read(name: str) -> list[dict[str, str]]:
    return lang.read_table(name, PLACES_DIR)


_fold = lang.match_fold

_WORD_RE = re.compile(r"[^\W_]+")
_SPLIT_RE = re.compile(r"[-\s]+")
_RN_RE = re.compile(r"(?<![^\W_])р-н(?![^\W_])")   # Russian abbreviation of район


def _words(label: str) -> tuple[str, ...]:
    return tuple(w for w in _SPLIT_RE.split(_fold(label).strip(" .")) if w)


# ------------------------------------------------------------ gazetteer

@dataclass(frozen=True)
class Unit:
    kind: str         # oblast | city | district | town
    name_ky: str
    name_ru: str
    oblast_ky: str    # "" for first-level cities
    source: str
    district_ky: str = ""   # towns: the district they lie in

    @property
    def level(self) -> str:
        """The level a label without a level word has ("Беловодское" alone is a town: city)."""
        return "city" if self.kind == "town" else self.kind

    @property
    def first_level(self) -> str:
        return self.oblast_ky or self.name_ky


UNITS: dict[str, Unit] = {}
for _row in _read("units.tsv"):
    _u = Unit(_row["kind"], _row["name_ky"], _row["name_ru"], _row["oblast_ky"], _row["source"],
              _row.get("district_ky") or "")
    if _u.name_ky in UNITS:
        raise ValueError(f"units.tsv: {_u.name_ky!r} is listed twice")
    UNITS[_u.name_ky] = _u


def check_units(units: dict[str, Unit], table: str = "units.tsv") -> None:
    """Raise ValueError naming the row when a unit's kind, oblast or district does not fit."""
    for u in units.values():
        where = f"{table}: {u.name_ky!r}"
        if u.kind not in ("oblast", "city", "district", "town"):
            raise ValueError(f"{where}: unknown kind {u.kind!r}")
        if not u.source.strip():
            raise ValueError(f"{where}: no source")
        if u.oblast_ky and (u.oblast_ky not in units or units[u.oblast_ky].first_level != u.oblast_ky):
            raise ValueError(f"{where}: oblast_ky {u.oblast_ky!r} is not a first-level unit")
        if (u.kind == "town") != bool(u.district_ky):
            raise ValueError(f"{where}: a town needs district_ky, and only a town has one")
        if u.district_ky:
            d = units.get(u.district_ky)
            if d is None or d.kind != "district" or d.oblast_ky != u.oblast_ky:
                raise ValueError(f"{where}: district_ky {u.district_ky!r} is not a district of "
                                 f"{u.oblast_ky!r}")


check_units(UNITS)

OBLASTS: tuple[str, ...] = tuple(
    u.name_ky for u in UNITS.values() if u.kind == "oblast" or (u.kind == "city" and not u.oblast_ky))
DISTRICTS: tuple[str, ...] = tuple(u.name_ky for u in UNITS.values() if u.kind == "district")

_SUFFIX_CLASSES: dict[str, frozenset[str]] = {}
for _row in _read("suffixes.tsv"):
    _SUFFIX_CLASSES[_row["class"]] = frozenset(
        "" if s == "-" else _fold(s) for s in _row["suffixes"].split())
_CASE_CLASSES = tuple(c for c in _SUFFIX_CLASSES if c not in ("ru_adj", "ru_a"))   # = forms "all"
_RU_ADJ = _SUFFIX_CLASSES["ru_adj"]
_ALL_SUFFIXES = frozenset().union(*_SUFFIX_CLASSES.values())
_MAX_SUFFIX = max(len(s) for s in _ALL_SUFFIXES)


@dataclass(frozen=True)
class _Head:
    level: str
    plural: bool
    before: bool
    also: tuple[str, ...] = ()   # other levels a name listed before this plural word may have


_HEAD_EXACT: dict[str, _Head] = {}
_HEAD_PREFIX: list[tuple[str, _Head]] = []
for _row in _read("heads.tsv"):
    _h = _Head(_row["level"], _row["number"] == "pl", _row["position"] == "before",
               tuple((_row.get("list_also") or "").split()))
    _p = _fold(_row["prefix"])
    if _row["match"] == "exact":
        _HEAD_EXACT[_p] = _h
    else:
        _HEAD_PREFIX.append((_p, _h))
_HEAD_PREFIX.sort(key=lambda ph: -len(ph[0]))
_HEAD_FIRST2 = frozenset(p[:2] for p, _ in _HEAD_PREFIX) | frozenset(p[:2] for p in _HEAD_EXACT)

_JOINERS = frozenset(_fold(r["word"]) for r in _read("joiners.tsv"))
_NOT_BEFORE: dict[str, tuple[str, ...]] = {}
for _row in _read("not_places.tsv"):
    _key = _fold(_row["word"])
    _NOT_BEFORE[_key] = _NOT_BEFORE.get(_key, ()) + (_fold(_row["next"]),)
_ANY_NOT_BEFORE = _NOT_BEFORE.pop("*", ("\0",))


def _head(word: str) -> _Head | None:
    if word[:2] not in _HEAD_FIRST2:
        return None
    h = _HEAD_EXACT.get(word)
    if h is not None:
        return h
    for prefix, h in _HEAD_PREFIX:
        if word.startswith(prefix):
            return h
    return None


def _is_ru_adjective(word: str) -> bool:
    return word.endswith(("ский", "ская", "ское", "цкий", "цкая"))


def _parse_label(label: str) -> tuple[str | None, tuple[str, ...], bool]:
    """A gazetteer label or a typed filter value → (level or None, name words, is adjective).

    "Тоң району" → ("district", ("тон",), False); "Иссык-Кульская обл." →
    ("oblast", ("иссык", "кульск"), True); "город Бишкек" → ("city", ("бишкек",), False).
    """
    words = list(_words(_RN_RE.sub("район", _fold(label))))
    level = None
    if len(words) > 1:
        h = _head(words[-1])
        if h is not None and not h.before:
            level = h.level
            words.pop()
        else:
            h = _head(words[0])
            if h is not None and h.before:
                level = h.level
                words.pop(0)
    is_adj = False
    if words and _is_ru_adjective(words[-1]):
        words[-1] = words[-1][:-2]
        is_adj = True
    return level, tuple(words), is_adj


# (name words, level) → unit name; adjective stems likewise.
_NAMES: dict[tuple[str, ...], dict[str, str]] = {}
_ADJS: dict[tuple[str, ...], dict[str, str]] = {}


def _add(label: str, unit: Unit) -> None:
    level, words, is_adj = _parse_label(label)
    if not words:
        return
    level = level or unit.level
    table = _ADJS if is_adj else _NAMES
    slot = table.setdefault(words, {})
    slot.setdefault(level, unit.name_ky)   # first (canonical) reading wins


for _u in UNITS.values():
    _add(_u.name_ky, _u)
for _u in UNITS.values():
    _add(_u.name_ru, _u)
for _row in _read("aliases.tsv"):
    _add(_row["alias"], UNITS[_row["name_ky"]])


@dataclass(frozen=True)
class _Bare:
    unit: str
    suffixes: frozenset[str]
    any_case: bool


_BARE: dict[tuple[str, ...], _Bare] = {}
for _row in _read("bare_names.tsv"):
    if _row["unit"] not in UNITS:
        raise ValueError(f"bare_names.tsv: unknown unit {_row['unit']!r}")
    _classes = _CASE_CLASSES if _row["forms"] == "all" else tuple(_row["forms"].split(","))
    _sfx = frozenset().union(*(_SUFFIX_CLASSES[c] for c in _classes))
    _BARE[_words(_row["name"])] = _Bare(_row["unit"], _sfx, _row["case"] == "any")

# First word of every name → the names starting with it (longest first).
_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _w in set(_NAMES) | set(_ADJS) | set(_BARE):
    _BY_FIRST.setdefault(_w[0], []).append(_w)
for _lst in _BY_FIRST.values():
    _lst.sort(key=len, reverse=True)
_FIRST2 = frozenset(w[:2] for w in _BY_FIRST)


# ------------------------------------------------------------ matching

@dataclass(frozen=True)
class Places:
    districts: tuple[str, ...] = ()
    oblasts: tuple[str, ...] = ()


_NO_PLACES = Places()


@lru_cache(maxsize=200_000)
def _first_matches(w0: str) -> tuple[tuple[str, str], ...]:
    """(stem, ending) readings of a word whose stem starts some name; () for most words."""
    if w0[:2] not in _FIRST2:
        return ()
    out = []
    if w0 in _BY_FIRST:
        out.append((w0, ""))
    for k in range(1, min(_MAX_SUFFIX, len(w0) - 2) + 1):
        if w0[-k:] in _ALL_SUFFIXES and w0[:-k] in _BY_FIRST:
            out.append((w0[:-k], w0[-k:]))
    return tuple(out)


def _candidates(scan: "_Scan", i: int):
    """Names starting at word i: (name words, index after the name, ending of its last word)."""
    words = scan.words
    splits = _first_matches(words[i][2])
    if not splits:
        return ()
    out = []
    for stem, suffix in splits:
        for name in _BY_FIRST.get(stem, ()):
            n = len(name)
            if n == 1:
                out.append((name, i + 1, suffix))
                continue
            if suffix or not scan.has(i + n - 1):
                continue
            ok = True
            for k in range(1, n):
                w = words[i + k][2]
                if scan.gap(i + k) not in ("-", " "):
                    ok = False
                    break
                if k < n - 1:
                    if w != name[k]:
                        ok = False
                        break
                elif w != name[k]:
                    if not w.startswith(name[k]) or w[len(name[k]):] not in _ALL_SUFFIXES:
                        ok = False
                        break
                    out.append((name, i + n, w[len(name[k]):]))
                    ok = False
                    break
            if ok:
                out.append((name, i + n, ""))
    out.sort(key=lambda c: c[1], reverse=True)
    return out


def _unfolded() -> dict[str, str]:
    """Each folded letter → a character class of every character that folds to it."""
    sources: dict[str, set[str]] = {}
    for code, to in lang.MATCH_TABLE.items():
        sources.setdefault(to, set()).add(chr(code))
    classes = {}
    for to, chars in sources.items():
        if ord(to) not in lang.MATCH_TABLE:
            chars = chars | {to}
        classes[to] = "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"
    return classes


def _starts_pattern(prefixes, exact) -> re.Pattern:
    """A word (of ``_WORD_RE``) of the *original* text whose folded form starts with one of
    ``prefixes`` (folded) or is one of ``exact``.

    Each letter matches every character that folds to it, so the text need not be folded first
    (folding keeps letters letters and other characters not letters: the words are the same);
    the prefixes are compiled as a trie, so the text is scanned once at the speed of ``re``.
    """
    classes = _unfolded()

    def char(c: str) -> str:
        if c in classes:
            return classes[c]
        if ord(c) in lang.MATCH_TABLE:
            return "(?!)"          # a character folding changes: no folded text has it
        return re.escape(c)

    def trie(strings: list[str]) -> str:
        if "" in strings:
            return ""                      # a shorter prefix already matches
        groups: dict[str, list[str]] = {}
        for x in strings:
            groups.setdefault(x[0], []).append(x[1:])
        parts = [char(c) + trie(rest) for c, rest in sorted(groups.items())]
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    branches = []
    if prefixes:
        branches.append(trie(sorted(set(prefixes))))
    if exact:
        branches.append("(?:" + "|".join("".join(map(char, x)) for x in
                                         sorted(set(exact), key=len, reverse=True))
                        + r")(?![^\W_])")
    return re.compile(r"(?<![^\W_])(?:" + "|".join(branches) + ")")


# Every word a scan starts from begins with the first word of a name or is (begins with) a level
# word that stands before its name (город, село, г.); the scan jumps from one such word to the next.
_START_RE = _starts_pattern(
    list(_BY_FIRST) + [p for p, h in _HEAD_PREFIX if h.before],
    [w for w, h in _HEAD_EXACT.items() if h.before])
_WORD_CHAR_RE = re.compile(r"[^\W_]")


class _Scan:
    """One text: finds the words a name or a level word may start at (``_START_RE``), and reads
    the words from each such start on, only as far as a reading looks (``has``).  Only the
    words and gaps it reads are folded."""
    __slots__ = ("text", "words", "_more", "districts", "oblasts", "found")

    def __init__(self, text: str):
        self.text = text
        self.words: list[tuple[int, int, str]] = []   # (start, end, folded word)
        self._more = iter(())
        self.districts: set[str] = set()
        self.oblasts: set[str] = set()
        self.found: list[tuple[str, int, int]] | None = None

    def window(self, pos: int) -> None:
        """Words 0, 1, … are now the text's words from the one starting at ``pos``."""
        self.words = []
        self._more = _WORD_RE.finditer(self.text, pos)

    def has(self, j: int) -> bool:
        """Whether the text has a word j (of the window); reads words up to it."""
        words = self.words
        while len(words) <= j:
            m = next(self._more, None)
            if m is None:
                return False
            words.append((m.start(), m.end(), _fold(m.group())))
        return True

    def gap(self, i: int) -> str:
        """Text between word i-1 and word i (i ≥ 1)."""
        return _fold(self.text[self.words[i - 1][1]:self.words[i][0]])

    def dash_before(self, pos: int) -> bool:
        """The word at ``pos`` follows another word across a hyphen (ends a compound)."""
        t = self.text
        return pos >= 2 and _fold(t[pos - 1]) == "-" and _WORD_CHAR_RE.match(t, pos - 2) is not None

    def emit(self, unit_name: str, i: int = 0, j: int = 0) -> None:
        """Record a unit found in words i..j-1 (j exclusive)."""
        if self.found is not None:
            self.found.append((unit_name, self.words[i][0], self.words[max(i, j - 1)][1]))
        unit = UNITS[unit_name]
        if unit.kind == "district":
            self.districts.add(unit.name_ky)
        elif unit.district_ky:
            self.districts.add(unit.district_ky)   # a town rolls up into its district
        self.oblasts.add(unit.first_level)

    def resolve(self, name, suffix, level) -> str | None:
        if suffix == "":
            unit = _NAMES.get(name, {}).get(level)
            if unit:
                return unit
        if name in _ADJS and (suffix in _RU_ADJ or suffix == ""):
            return _ADJS[name].get(level)
        return None

    def cancelled(self, j: int) -> bool:
        """Word j is followed by a word that undoes its reading (not_places.tsv)."""
        nexts = _NOT_BEFORE.get(self.words[j][2])
        return bool(nexts) and self.has(j + 1) and self.words[j + 1][2].startswith(nexts)

    def head_at(self, j: int) -> _Head | None:
        if not self.has(j):
            return None
        if not self.gap(j).isspace():
            return None
        h = _head(self.words[j][2])
        if h is None or h.before or (h.plural and self.cancelled(j)):
            return None
        return h

    def try_list(self, i: int) -> int:
        """Names (joined by , жана и) followed by a level word.  Returns the index after it, or 0."""
        items = []
        k = i
        words = self.words
        while True:
            cands = [c for c in _candidates(self, k)
                     if (c[2] == "" and c[0] in _NAMES) or (c[0] in _ADJS and c[2] in _RU_ADJ)]
            if not cands:
                return 0
            name, end, suffix = cands[0]
            # prefer a candidate that is directly followed by a level word
            for c in cands:
                if self.head_at(c[1]) is not None:
                    name, end, suffix = c
                    break
            items.append((name, suffix, k, end))
            h = self.head_at(end)
            if h is not None:
                break
            if not self.has(end) or len(items) > 8:
                return 0
            sep = self.gap(end).strip()
            if words[end][2] in _JOINERS and sep in ("", ","):
                if not self.has(end + 1) or self.gap(end + 1).strip() not in ("", ","):
                    return 0
                k = end + 1
            elif sep == ",":
                k = end
            else:
                return 0
        last = len(items) - 1
        for n, (name, suffix, start, stop) in enumerate(items):
            unit = None
            if n == last or h.plural:
                unit = self.resolve(name, suffix, h.level)
                if unit is None and h.plural:
                    for level in h.also:
                        unit = self.resolve(name, suffix, level)
                        if unit:
                            break
            if unit:
                self.emit(unit, start, items[-1][3] + 1)
            elif n != last:
                self.try_bare(start, stop, name, suffix)
        return items[-1][3] + 1

    def try_bare(self, i: int, end: int, name, suffix) -> bool:
        bare = _BARE.get(name)
        if bare is None or suffix not in bare.suffixes:
            return False
        start = self.words[i][0]
        stop = self.words[end - 1][1]
        if not bare.any_case and not self.text[start].isupper():
            return False
        if self.cancelled(end - 1):
            return False
        self.has(end + 2)         # read the (up to) three words after the name the test looks at
        if suffix == "" and any(w[2].startswith(_ANY_NOT_BEFORE) for w in self.words[end:end + 3]):
            return False  # "Токмок жана Жеңиш проспектилери", "Лейлек туюк көчөсү": a street
        t = self.text
        if start >= 2:
            before = _fold(t[start - 2:start])
            if before[1] == "-" and before[0].isalpha():
                return False
        if stop + 1 < len(t):
            after = _fold(t[stop:stop + 2])
            if after[0] == "-" and after[1].isalpha():
                return False
        self.emit(bare.unit, i, end)
        return True

    def read_at(self, pos: int) -> int:
        """Read what starts at the word at ``pos`` (word 0 of a new window); the index of the
        word the scan goes on from."""
        self.window(pos)
        self.has(0)
        w = self.words[0][2]
        if w[:2] in _HEAD_FIRST2 and self.has(1):
            h = _head(w)
            if h is not None and h.before and self.gap(1).strip(" ") in ("", "."):
                for name, end, suffix in _candidates(self, 1):
                    ok = suffix == "" or suffix in _SUFFIX_CLASSES["ru"]
                    unit = _NAMES.get(name, {}).get(h.level) if ok else None
                    if unit is None and suffix in _RU_ADJ and name in _ADJS:
                        unit = _ADJS[name].get(h.level)   # село Беловодское
                    if unit:
                        self.emit(unit, 0, end)
                        return end
                return 1
        if not _first_matches(w) or self.dash_before(pos):
            return 1   # no name starts here, or the word ends a compound (Кара-Кочкор, Бишкек-Ош)
        after = self.try_list(0)
        if after:
            return after
        for name, end, suffix in _candidates(self, 0):
            if self.head_at(end) is not None:
                continue  # a level word of a level this name does not have
            if self.try_bare(0, end, name, suffix):
                return end
        return 1

    def run(self) -> None:
        text = self.text
        pos = 0
        while True:
            m = _START_RE.search(text, pos)
            if m is None:
                return
            after = self.read_at(m.start())
            if not self.has(after):
                return
            pos = self.words[after][0]


def detect_places(text: str) -> Places:
    """The districts and first-level units (oblasts, Бишкек, Ош) a text mentions."""
    if not text:
        return _NO_PLACES
    scan = _Scan(text)
    scan.run()
    if not scan.oblasts:
        return _NO_PLACES
    return Places(tuple(sorted(scan.districts)), tuple(sorted(scan.oblasts)))


def explain_places(text: str) -> list[tuple[str, str]]:
    """Each unit found with the stretch of text it was read from (for reviewing precision)."""
    scan = _Scan(text or "")
    scan.found = []
    scan.run()
    return [(unit, text[a:b]) for unit, a, b in scan.found]


# ------------------------------------------------------------ filter values

def _lookup(value: str, level: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    typed_level, words, is_adj = _parse_label(value)
    if not words:
        return None
    if typed_level is not None and typed_level != level:
        if not (level == "oblast" and typed_level == "city"):
            return None
    tables = [_ADJS] if is_adj else [_NAMES, _ADJS]
    levels = [typed_level] if typed_level else [level]
    if level == "oblast":
        levels = [typed_level] if typed_level else ["oblast", "city"]
    for lv in levels:
        for table in tables:
            unit = table.get(words, {}).get(lv)
            if unit and (level != "oblast" or unit in OBLASTS):
                return unit
    if not is_adj and typed_level is None and words in _BARE:
        return _BARE[words].unit
    return None


def canonical_district(name: str) -> str | None:
    """A typed district (canonical, alias, Russian, folded, any case, with or without
    району) → its canonical name, or None."""
    unit = _lookup(name, "district")
    return unit if unit in UNITS and UNITS[unit].kind == "district" else None


def canonical_oblast(name: str) -> str | None:
    """A typed oblast or first-level city (Бишкек, Ош шаары, Иссык-Кульская область, чуй) →
    its canonical name, or None.  A bare "Ош" is Ош облусу; "Ош шаары" is the city."""
    unit = _lookup(name, "oblast")
    return unit if unit in OBLASTS else None


def oblast_of(district: str) -> str:
    """The first-level unit of a district (canonical name or anything canonical_district takes)."""
    canonical = district if district in DISTRICTS else canonical_district(district)
    if canonical is None:
        raise KeyError(f"unknown district: {district!r}")
    return UNITS[canonical].oblast_ky
