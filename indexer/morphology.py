"""Stemming of one normalized, lower-case word.

Russian words go through Snowball Russian (PyStemmer); Kyrgyz words through a
suffix-stripping stemmer that follows Kyrgyz morphotactics.

The Kyrgyz stemmer is an automaton read from ``data/lang/ky_suffixes.tsv``: in
each state (word end, after a case, after a possessive, after a verbal
inflection, ...) a set of suffixes may be cut, each leading to a next state.
Suffixes are written with archiphonemes (``ЛАр``, ``НЫн``, ``ГАн``); their
variants, the vowel-harmony check and the consonant alternations are data
(``ky_archiphonemes.tsv``, ``ky_harmony.tsv``, ``ky_letters.tsv``), not code.
All ways of cutting a word are explored (they are few); the shortest stem that
ends in an accepting state wins, unless a protected root is reached.

The harmony table accepts о/у after any vowel (they may be a folded ө/ү typed on a
Russian keyboard), so that ``stem(fold(w)) == fold(stem(w))`` for most words: the
search layer relies on that to match queries typed without ң ө ү.
"""
from __future__ import annotations

import itertools

import Stemmer

from indexer import lang

_RUSSIAN = Stemmer.Stemmer("russian")

# ----------------------------------------------------------------- tables


_RAW_CLASSES = {row["class"]: row["letters"] for row in lang.read_table("ky_letters.tsv")}


def _class(spec: str) -> frozenset[str]:
    """A class name of ky_letters.tsv, or a spec of '+class' references and literal letters."""
    if spec in _RAW_CLASSES:
        spec = _RAW_CLASSES[spec]
    letters: set[str] = set()
    for part in spec.split():
        letters |= _class(part[1:]) if part.startswith("+") else set(part)
    return frozenset(letters)


LETTERS = {name: _class(name) for name in _RAW_CLASSES}
VOWELS = LETTERS["V"]


def _archiphonemes() -> dict[str, list[tuple[str, frozenset[str]]]]:
    table: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for row in lang.read_table("ky_archiphonemes.tsv"):
        table.setdefault(row["symbol"], []).append((row["letter"], _class(row["after"])))
    return table


ARCHI = _archiphonemes()
HARMONY = {row["suffix_vowel"]: frozenset(row["stem_vowels"]) for row in lang.read_table("ky_harmony.tsv")}
VERB_STEM_ENDINGS = tuple(row["ending"] for row in lang.read_table("ky_verb_stem_endings.tsv"))
FINAL_CLUSTERS = frozenset(row["cluster"] for row in lang.read_table("ky_final_clusters.tsv"))
CLUSTER_FREE_FIRST = frozenset("йрл")
PROTECTED = lang.read_words("ky_protected_roots.tsv")
EXCEPTIONS = {row["form"]: row["stem"] for row in lang.read_table("ky_stem_exceptions.tsv")}
DEVOICE = {"г": "к", "б": "п"}
HIGH_VOWELS = frozenset("ыиуү")
GLIDES = {"ю": "йу", "ё": "йо"}


class Rule:
    """One variant of one suffix: cut ``text`` in state ``src`` → state ``dst``."""

    __slots__ = ("text", "src", "dst", "morph", "before", "harmony", "min_stem",
                 "syll2", "verbstem", "devoice")

    def __init__(self, text, src, dst, morph, before, harmony, min_stem, flags):
        self.text = text
        self.src = src
        self.dst = dst
        self.morph = morph
        self.before = before          # letters the stem may end in
        self.harmony = harmony        # vowels the stem's last vowel may be (None: no vowel in suffix)
        self.min_stem = min_stem
        self.syll2 = "syll2" in flags
        self.verbstem = "verbstem" in flags
        self.devoice = text[0] in VOWELS

    def __repr__(self):
        return f"Rule({self.src}->{self.dst} {self.morph} -{self.text})"


def _expand(pattern: str):
    """All (variant, letters allowed before it) of an archiphonemic pattern."""
    slots = []
    for i, ch in enumerate(pattern):
        if ch in ARCHI:
            slots.append([(letter, after if i == 0 else None) for letter, after in ARCHI[ch]])
        else:
            slots.append([(ch, None)])
    for combo in itertools.product(*slots):
        text = "".join(letter for letter, _ in combo)
        yield text, combo[0][1]


def _load_rules():
    by_state: dict[str, dict[str, list[Rule]]] = {}
    any_letter = LETTERS["any"]
    for row in lang.read_table("ky_suffixes.tsv"):
        after = _class(row["after"])
        flags = set(row["flags"].split(",")) - {"-", ""}
        for text, first_after in _expand(row["pattern"]):
            before = after & first_after if first_after is not None else after
            vowel = next((c for c in text if c in VOWELS), None)
            harmony = HARMONY.get(vowel) if vowel else None
            for src in row["from"].split(","):
                rule = Rule(text, src, row["to"], row["morph"], before if before != any_letter else None,
                            harmony, int(row["min_stem"]), flags)
                by_state.setdefault(src, {}).setdefault(text, []).append(rule)
    lengths = {state: sorted({len(t) for t in table}, reverse=True) for state, table in by_state.items()}
    return by_state, lengths


RULES, RULE_LENGTHS = _load_rules()
_STATES = lang.read_table("ky_states.tsv")
NON_FINAL = frozenset(row["state"] for row in _STATES if row["final"] != "yes")
VERBAL = frozenset(row["state"] for row in _STATES if row["verbal"] == "yes")
LOW_VOWELS = frozenset("аеоө")

# ----------------------------------------------------------------- Kyrgyz stemmer


def _syllables(word: str) -> int:
    return sum(1 for c in word if c in VOWELS)


def _last_vowel(word: str) -> str | None:
    for c in reversed(word):
        if c in VOWELS:
            return c
    return None


def _stem_ok(stem: str, rule: Rule) -> bool:
    if len(stem) < rule.min_stem:
        return False
    last = stem[-1]
    if len(stem) == 2 and last in VOWELS and stem not in PROTECTED:
        return False  # Kyrgyz roots are not CV (бо|лор|у, ке|лер|и)
    if rule.before is not None and last not in rule.before:
        return False
    vowel = _last_vowel(stem)
    if vowel is None:
        return False
    if rule.harmony is not None and vowel not in rule.harmony:
        return False
    if last not in VOWELS and stem[-2] not in VOWELS:
        if last not in FINAL_CLUSTERS_LAST.get(stem[-2], ()) and stem[-2] not in CLUSTER_FREE_FIRST:
            return False
    if rule.syll2 and _syllables(stem) < 2:
        return False
    if rule.verbstem and _syllables(stem) >= 2 and not stem.endswith(VERB_STEM_ENDINGS):
        return False
    return True


FINAL_CLUSTERS_LAST: dict[str, set[str]] = {}
for _c in FINAL_CLUSTERS:
    FINAL_CLUSTERS_LAST.setdefault(_c[0], set()).add(_c[1])


def _cut(stem: str, rule: Rule) -> str:
    if rule.devoice and stem[-1] in DEVOICE:
        stem = stem[:-1] + DEVOICE[stem[-1]]
    return stem


def _candidates(word: str, state: str, out: list, depth: int = 0) -> None:
    """Collect (stem, protected) for every way of cutting ``word`` from ``state``."""
    if word in EXCEPTIONS:
        out.append((EXCEPTIONS[word], True))
        return
    if state not in NON_FINAL:
        if state in VERBAL and word[-1] in LOW_VOWELS and word[-2] not in VOWELS \
                and _syllables(word) >= 2 and word not in PROTECTED:
            out.append((word[:-1], False))
        else:
            out.append((word, word in PROTECTED))
    if word in PROTECTED or depth > 8:
        return
    table = RULES.get(state)
    if not table:
        return
    n = len(word)
    for k in RULE_LENGTHS[state]:
        if k >= n:
            continue
        rules = table.get(word[n - k:])
        if not rules:
            continue
        stem = word[: n - k]
        for rule in rules:
            if _stem_ok(stem, rule):
                _candidates(_cut(stem, rule), rule.dst, out, depth + 1)


def _choose(word: str) -> str:
    out: list[tuple[str, bool]] = []
    _candidates(word, "W", out)
    protected = [s for s, p in out if p]
    if protected:
        return min(protected, key=len)
    return min((s for s, _ in out), key=_rank, default=word)


def _rank(stem: str) -> tuple[int, int]:
    """Shortest stem first, but a stem ending in consonant + high vowel (облу|су, not облус|у)
    only if nothing else is left."""
    weak = len(stem) >= 3 and stem[-1] in HIGH_VOWELS and stem[-2] not in VOWELS
    return (1 if weak else 0, len(stem))


def _final_devoice(stem: str) -> str:
    if len(stem) >= 3 and stem[-1] in DEVOICE and stem[-2] in VOWELS:
        return stem[:-1] + DEVOICE[stem[-1]]
    return stem


def stem_kyrgyz(word: str) -> str:
    """Kyrgyz suffix stripping to a fixpoint (so the result is idempotent)."""
    if "ю" in word or "ё" in word:
        return _unglide(_stem_fixpoint(_glide(word)))
    return _stem_fixpoint(word)


def _glide(word: str) -> str:
    """After a vowel ю and ё are й + у / й + о (кой+ул+ган is written коюлган)."""
    out = []
    prev = ""
    for c in word:
        if c in GLIDES and prev in VOWELS:
            out.append(GLIDES[c])
        else:
            out.append(c)
        prev = c
    return "".join(out)


def _unglide(word: str) -> str:
    for letter, pair in GLIDES.items():
        if pair in word:
            word = "".join(_rejoin(word, pair, letter))
    return word


def _rejoin(word: str, pair: str, letter: str):
    i = 0
    while i < len(word):
        if word.startswith(pair, i) and i > 0 and word[i - 1] in VOWELS:
            yield letter
            i += 2
        else:
            yield word[i]
            i += 1


def _stem_fixpoint(word: str) -> str:
    current = word
    for _ in range(4):
        nxt = _final_devoice(_choose(current))
        if nxt == current:
            break
        current = nxt
    return current or word


# ----------------------------------------------------------------- Russian


def _russian_data():
    letters, endings, words, kyrgyz = set(), [], set(), set()
    for row in lang.read_table("ru_detect.tsv"):
        kind, value = row["kind"], row["value"]
        if kind == "letter":
            letters.add(value)
        elif kind == "kyrgyz_letter":
            kyrgyz.add(value)
        elif kind == "ending":
            endings.append(value)
        elif kind == "word":
            words.add(value)
    return frozenset(letters), tuple(sorted(endings, key=len, reverse=True)), frozenset(words), frozenset(kyrgyz)


RU_LETTERS, RU_ENDINGS, RU_WORDS, KY_LETTERS = _russian_data()


def is_russian(word: str) -> bool:
    """A lower-case word looks Russian rather than Kyrgyz (decided from data/lang/ru_detect.tsv).

    Kyrgyz letters (ң ө ү) mean Kyrgyz.  Otherwise a word is Russian when it is in the
    small Russian lexicon, ends in a Russian inflection that Kyrgyz words do not have
    (-ого, -ский, -ции, -ости, ...), or has a letter Kyrgyz words do not use (щ ъ ь ё,
    э inside a word) and no Kyrgyz ending can be cut from it.
    """
    for c in word:
        if c in KY_LETTERS:
            return False
    if word in RU_WORDS:
        return True
    if len(word) >= 4 and word.endswith(RU_ENDINGS):
        return True
    for i, c in enumerate(word):
        if c in RU_LETTERS and (c != "э" or i > 0):
            return stem_kyrgyz(word) == word
    return False


def stem_word(word: str) -> str:
    """Stem one normalized lower-case word (no hyphens)."""
    if not word or not word.isalpha():
        return word
    if is_russian(word):
        return _RUSSIAN.stemWord(word) or word
    return stem_kyrgyz(word)
