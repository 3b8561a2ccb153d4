"""Stemming of one normalized, lower-case word.

Russian words go through Snowball Russian (PyStemmer); Kyrgyz words through a
suffix-stripping stemmer that follows Kyrgyz morphotactics.  ``is_russian``
decides from ``data/lang/ru_detect.tsv`` (Kyrgyz letters, Russian-only letters,
Russian endings, a small lexicon).

The Kyrgyz stemmer is an automaton read from ``data/lang/ky_suffixes.tsv``: in
each state (word end, after a case, after a possessive, after a verbal
inflection, ...; ``ky_states.tsv``) a set of suffixes may be cut, each leading to
a next state, so the order plural → possessive → case → -дагы (read right to
left) and participle/verbal noun → negation → voice is built in.  Suffixes are
written with archiphonemes (``ЛАр``, ``НЫн``, ``ГАн``); their variants, the
vowel-harmony check and the consonant alternations are data
(``ky_archiphonemes.tsv``, ``ky_harmony.tsv``, ``ky_letters.tsv``), not code.
Every way of cutting a word is explored (they are few); the shortest stem that
ends in a final state wins, a protected root (``ky_protected_roots.tsv``) first.
Cuts that leave an impossible stem are refused: no vowel, a two-letter stem that
is not a root (``ky_short_roots.tsv``), a final consonant pair Kyrgyz stems do
not end in (``ky_final_clusters.tsv``); a suffix flagged ``verbroot`` (the bare
-а/-е converb) only after a verb stem of ``ky_verb_roots.tsv``, alone or with a
voice suffix.  A vowel-initial suffix undoes к/г, п/б
voicing (аймагы → аймак).  The result is stemmed again until it no longer
changes, so ``stem(stem(w)) == stem(w)``.

The harmony table accepts о/у after any vowel and the tables list ң like н (the
letters a Russian keyboard types for ө/ү/ң), so that
``stem(fold(w)) == fold(stem(w))`` for ~98% of the corpus words with ң ө ү: the
search layer relies on that to match queries typed without them.
"""
from __future__ import annotations

import itertools
import re
from functools import lru_cache

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
_PROTECTED = lang.read_words("ky_protected_roots.tsv")
FOLD = str.maketrans(lang.KEYBOARD_FOLD)
# compared folded, so that үй typed as уй is a root too
SHORT_ROOTS = frozenset(w.translate(FOLD) for w in lang.read_words("ky_short_roots.tsv"))
# protected also as typed on a Russian keyboard (күнөө → куноо)
PROTECTED = _PROTECTED | frozenset(w.translate(FOLD) for w in _PROTECTED)
NAME_ENDINGS = tuple(row["ending"] for row in lang.read_table("ky_name_endings.tsv"))
LOAN_NOUN_ENDINGS = tuple(row["ending"] for row in lang.read_table("ky_loan_noun_endings.tsv"))
# verb stems a bare -а/-е converb may be cut from, compared folded (like SHORT_ROOTS)
VERB_ROOTS = frozenset(w.translate(FOLD) for w in lang.read_words("ky_verb_roots.tsv"))
VOICE_ENDINGS = tuple(e.translate(FOLD) for e in VERB_STEM_ENDINGS if e[0] in "ыиуүаеоө")
EXCEPTIONS = {row["form"]: row["stem"] for row in lang.read_table("ky_stem_exceptions.tsv")}
DEVOICE = {"г": "к", "б": "п"}
HIGH_VOWELS = frozenset("ыиуү")
GLIDES = {"ю": "йу"}  # (ё is normalized to е before stemming)
GLIDE_VOWELS = VOWELS - {"и"}  # июн, июль: Russian, not и+й+у
ROUNDED = frozenset("оөуүюё")  # as typed on a Russian keyboard too: ө → о, ү → у


class Rule:
    """One variant of one suffix: cut ``text`` in state ``src`` → state ``dst``."""

    __slots__ = ("text", "src", "dst", "morph", "before", "harmony", "min_stem",
                 "syll2", "verbstem", "verbroot", "notname", "loannoun", "vowelgone", "devoice")

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
        self.verbroot = "verbroot" in flags
        self.notname = "notname" in flags
        self.loannoun = "loannoun" in flags
        self.vowelgone = "vowelgone" in flags
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
            if "rounded" in flags and vowel in ("у", "ү"):
                harmony = harmony & ROUNDED  # a rounded variant only after a rounded vowel
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
# The shortest Russian dictionary noun the Kyrgyz stemmer keeps whole as a loanword stem
LOAN_MIN_LENGTH = 5

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
    if len(stem) == 2 and stem.translate(FOLD) not in SHORT_ROOTS \
            and _cut(stem, rule).translate(FOLD) not in SHORT_ROOTS:
        return False  # бо|лор|у, ке|лер|и, ап|та: not roots
    if rule.before is not None and last not in rule.before:
        return False
    vowel = _last_vowel(stem)
    if vowel is None:
        return False
    if rule.harmony is not None and vowel not in rule.harmony:
        return False
    if last not in VOWELS and stem[-2] not in VOWELS and not rule.vowelgone:
        if last not in FINAL_CLUSTERS_LAST.get(stem[-2], ()) and stem[-2] not in CLUSTER_FREE_FIRST:
            return False
    if rule.syll2 and _syllables(stem) < 2:
        return False
    if rule.verbstem and _syllables(stem) >= 2 and not stem.endswith(VERB_STEM_ENDINGS) \
            and not _is_verb_root(stem):
        return False  # маалым|ат, кызм|ат are nouns; колдон|от, текшер|ет verbs
    if rule.verbroot and not _is_verb_root(_cut(stem, rule)):
        return False
    if rule.loannoun and not (_loan_noun(stem) or (len(stem) >= LOAN_MIN_LENGTH
                                                    and stem.endswith(LOAN_NOUN_ENDINGS))):
        return False
    return True


@lru_cache(maxsize=65_536)
def _is_verb_root(stem: str) -> bool:
    """A listed verb stem (ky_verb_roots.tsv), alone or with one voice suffix (сат|ыл, кел|иш)."""
    folded = stem.translate(FOLD)
    if folded in VERB_ROOTS:
        return True
    return any(folded.endswith(e) and folded[: -len(e)] in VERB_ROOTS for e in VOICE_ENDINGS)


FINAL_CLUSTERS_LAST: dict[str, set[str]] = {}
for _c in FINAL_CLUSTERS:
    FINAL_CLUSTERS_LAST.setdefault(_c[0], set()).add(_c[1])


def _cut(stem: str, rule: Rule) -> str:
    """The stem left by a vowel-initial suffix, its к/г, п/б voicing undone (аймаг|ы → аймак),
    except in a protected root or a Russian dictionary noun (диалог|у, штаб|ы keep their letter)."""
    if rule.devoice and stem not in PROTECTED and stem[-1] in DEVOICE and len(stem) >= 2 and stem[-2] in VOWELS \
            and not _loan_noun(stem):
        stem = stem[:-1] + DEVOICE[stem[-1]]
    return stem


KEPT_VOWEL = "о"  # the low vowel a verb stem keeps when dropping it would leave a noun root


def _root_like(stem: str) -> bool:
    """One syllable ending in one consonant (тон, сан, түз): what a noun root looks like."""
    return len(stem) >= 2 and stem[-1] not in VOWELS and stem[-2] in VOWELS and _syllables(stem) == 1


def _candidates(word: str, state: str, out: list, depth: int = 0) -> None:
    """Collect (stem, output, protected, verbal) for every way of cutting ``word`` from ``state``.

    ``output`` is the stem as returned: a verb stem of two or more syllables ending in
    consonant + low vowel loses that vowel (ky_states.tsv).  Candidates are compared by
    ``stem``, so that this does not make a verbal reading win over a nominal one.
    """
    if word in EXCEPTIONS:
        out.append((word, EXCEPTIONS[word], True, False))
        return
    if state not in NON_FINAL:
        verbal = state in VERBAL
        if verbal and word[-1] in LOW_VOWELS and word[-2] not in VOWELS \
                and _syllables(word) >= 2 and word not in PROTECTED:
            short = word[:-1]
            out.append((word, short + KEPT_VOWEL if _root_like(short) else short, False, True))
        elif state == "VO" and _root_like(word) and word not in PROTECTED:
            out.append((word, word + KEPT_VOWEL, False, True))
        else:
            out.append((word, word, word in PROTECTED, verbal))
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
            if rule.notname and word.endswith(NAME_ENDINGS):
                continue
            if _stem_ok(stem, rule):
                _candidates(_cut(stem, rule), rule.dst, out, depth + 1)


def _choose(word: str) -> str:
    out: list[tuple[str, str, bool, bool]] = []
    _candidates(word, "W", out)
    protected = [c for c in out if c[2]]
    if protected:
        return min(protected, key=lambda c: len(c[0]))[1]
    if len(out) > 1:
        # a loanword: the cut that leaves a Russian dictionary noun (завод|у, павильон|у,
        # чемпион|у) wins over deeper cuts into it (заво, павильо, чемпио); the uncut word only
        # when spelled like a loanword: кур|ган is a participle, not the noun курган, and кол|дун
        # (көл|дүн typed without ө ү) is not the noun колдун
        loans = [c for c in out if _loan_noun(c[0])]
        if loans:
            loan = min(loans, key=lambda c: len(c[0]))
            if len(loan[0]) < len(word) or _looks_loaned(loan[0]):
                return loan[1]
    shortest = min(len(c[0]) for c in out)
    tied = [c for c in out if len(c[0]) == shortest]
    if len({c[1] for c in tied}) > 1:
        # a nominal and a verbal reading of one stem (сакта|луу|да "with ...", сакта|л|ууда
        # "being kept"): the nominal one wins unless the next round would cut its output
        # further (сакта → сак|та, a locative after -луу cannot be), the verbal one's not
        best = min(tied, key=lambda c: (len(_stem_step(c[1])) < len(c[1]), c[3]))
    else:
        best = min(tied, key=lambda c: c[3])
    stem = best[0]
    if len(stem) >= 3 and stem[-1] in HIGH_VOWELS and stem[-2] not in VOWELS:
        # облу|су or облус|у: a stem ending in consonant + high vowel is unlikely when the
        # same stem plus that consonant is a reading too
        for c in out:
            if len(c[0]) == len(stem) + 1 and c[0].startswith(stem) and c[0][-1] not in VOWELS:
                return c[1]
    return best[1]


def _final_devoice(stem: str) -> str:
    if len(stem) >= 3 and stem[-1] in DEVOICE and stem[-2] in VOWELS:
        return stem[:-1] + DEVOICE[stem[-1]]
    return stem


@lru_cache(maxsize=262_144)
def stem_kyrgyz(word: str) -> str:
    """Kyrgyz suffix stripping to a fixpoint (so the result is idempotent)."""
    if "ю" in word:
        return _unglide(_stem_fixpoint(_glide(word)))
    return _stem_fixpoint(word)


def _glide(word: str) -> str:
    """After a vowel ю is й + у (кой+ул+ган is written коюлган)."""
    out = []
    prev = ""
    for c in word:
        if c in GLIDES and prev in GLIDE_VOWELS:
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


@lru_cache(maxsize=262_144)
def _stem_step(word: str) -> str:
    """One round of the fixpoint; cached, as the rounds of many words end on the same stems.
    A protected root or a Russian dictionary noun is returned as written (штаб|дын → штаб,
    психолог|дор → психолог, not штап, психолок)."""
    stem = _choose(word)
    if stem in PROTECTED or _loan_noun(stem):
        return stem
    return _final_devoice(stem)


def _stem_fixpoint(word: str) -> str:
    current = word
    for _ in range(len(word) + 2):
        nxt = _stem_step(current)
        if nxt == current:
            break
        current = nxt
    return current or word


# ----------------------------------------------------------------- Russian


def _russian_data():
    letters, endings, words, kyrgyz, tags = set(), [], set(), set(), set()
    dict_endings: list[str] = []
    min_length = 99
    for row in lang.read_table("ru_detect.tsv"):
        kind, value = row["kind"], row["value"]
        if kind == "letter":
            letters.add(value)
        elif kind == "kyrgyz_letter":
            kyrgyz.add(value)
        elif kind == "ending":
            if value.startswith("C"):  # any consonant but й (дүйнөгө typed as дуйного is Kyrgyz)
                endings.extend(c + value[1:] for c in sorted((LETTERS["C"] | {"ь"}) - {"й"}))
            else:
                endings.append(value)
        elif kind == "word":
            words.add(value)
        elif kind == "ignore_tag":
            tags.add(value)
        elif kind == "dict_ending":
            dict_endings.append(value)
        elif kind == "dict_min_length":
            min_length = int(value)
    return (frozenset(letters), tuple(sorted(endings, key=len, reverse=True)), frozenset(words),
            frozenset(kyrgyz), frozenset(tags), tuple(dict_endings), min_length)


(RU_LETTERS, RU_ENDINGS, RU_WORDS, KY_LETTERS, RU_IGNORE_TAGS, RU_DICT_ENDINGS,
 RU_DICT_MIN_LENGTH) = _russian_data()
# Words the Kyrgyz tables know: never decided Russian by the dictionary alone.
KY_KNOWN = lang.STOPWORDS_KY | PROTECTED | SHORT_ROOTS
BACK_VOWELS = frozenset("аыоуяю")
NAME_TAGS = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn"})
FRONT_VOWELS = frozenset("еэиөү")


def _morph():
    """pymorphy3 with its Russian dictionary (shipped inside pymorphy3-dicts-ru); None if missing."""
    try:
        import pymorphy3
        return pymorphy3.MorphAnalyzer(lang="ru")
    except Exception:  # pragma: no cover - the dependency is declared; degrade to the endings
        return None


_MORPH = _morph()


# Every letter of the words in pymorphy3's Russian dictionary (checked over its 5.1 M keys;
# the others are ' - . ’ and digits, which an alphabetic word has none of): a word with
# another letter (ң ө ү, Latin) is not in it, found without asking the dictionary.
_DICTIONARY_WORD = re.compile("[а-яёА-ЯЁ]+")
# The letters the dictionary lookup tries replaced (е → ё): a word without them is looked up
# exactly (strict), which answers the same, faster.
_SUBSTITUTED = re.compile("[%s]" % "".join(sorted(k.decode() for k in _MORPH.char_substitutes)), re.IGNORECASE) \
    if _MORPH is not None and _MORPH.char_substitutes else None


def _known(word: str) -> bool:
    """``_MORPH.word_is_known(word)``."""
    return _MORPH.word_is_known(word, strict=_SUBSTITUTED is None or not _SUBSTITUTED.search(word))


@lru_cache(maxsize=65_536)
def _dictionary_parses(word: str) -> tuple:
    """pymorphy3's readings of ``word`` from its dictionary (none for a word it would only guess)."""
    if _MORPH is None or len(word) < 2 or not _DICTIONARY_WORD.fullmatch(word) or not _known(word):
        return ()
    return tuple(p for p in _MORPH.parse(word) if p.word == word or _known(p.word))


@lru_cache(maxsize=262_144)
def russian_lemma(word: str) -> str | None:
    """The Russian dictionary lemma of ``word``, or None when the dictionary does not know it.

    Only the dictionary counts (``word_is_known``), never pymorphy's guesser for unknown words;
    readings tagged as names, abbreviations, particles and the like (``ignore_tag`` rows of
    ru_detect.tsv) are ignored.  Of several lemmas the one with the highest summed score wins
    (суда → суд, not судно), a tie going to the shorter.  A word that is also a name
    (Путин, Сочи) has no lemma: names take Kyrgyz endings in this corpus.
    """
    parses = _dictionary_parses(word)
    if not parses:
        return None
    scores: dict[str, float] = {}
    if any(NAME_TAGS & p.tag.grammemes for p in parses):
        return None  # also a name (Путин, Сочи, Айбек): names inflect as Kyrgyz words here
    for p in parses:
        if RU_IGNORE_TAGS & p.tag.grammemes:
            continue
        lemma = p.normal_form.replace("ё", "е")
        scores[lemma] = scores.get(lemma, 0.0) + p.score
    if not scores:
        return None
    return min(scores, key=lambda lemma: (-scores[lemma], len(lemma), lemma))


def _loan_noun(stem: str) -> bool:
    """A Russian dictionary noun long enough to be kept whole as a loanword stem."""
    return len(stem) >= LOAN_MIN_LENGTH and is_russian_noun_base(stem)


@lru_cache(maxsize=262_144)
def is_russian_noun_base(word: str) -> bool:
    """``word`` is the base form (nominative singular, or plural-only) of a Russian dictionary noun."""
    for p in _dictionary_parses(word):
        if p.tag.POS == "NOUN" and "nomn" in p.tag.grammemes and p.normal_form == word \
                and not (RU_IGNORE_TAGS | NAME_TAGS) & p.tag.grammemes:
            return True
    return False


def _looks_loaned(word: str) -> bool:
    """Spelled as Kyrgyz words are not: two consonants at the start (взятка, свобода, главы) or
    back and front vowels mixed (суде, дела, заявил): vowel harmony does not allow it."""
    if len(word) >= 2 and word[0] not in VOWELS and word[1] not in VOWELS:
        return True
    vowels = {c for c in word if c in VOWELS}
    return bool(vowels & BACK_VOWELS) and bool(vowels & FRONT_VOWELS)


def _fold_safe(word: str) -> bool:
    """Has a vowel other than о/у, so it cannot be a Kyrgyz front word typed without ө/ү
    (көлөм as колом, өтпөй as отпой)."""
    return any(c in VOWELS and c not in "оу" for c in word)


@lru_cache(maxsize=262_144)
def word_language(word: str) -> str:
    """``"ru"``, ``"ky"`` or ``"both"`` for a normalized lower-case word.

    * Kyrgyz letters (ң ө ү) mean Kyrgyz; so does a word of the Kyrgyz tables (stop words,
      protected and short roots), unless it is a Russian function word of ru_detect.tsv.
    * A Russian dictionary (pymorphy3) base form that the Kyrgyz stemmer leaves whole (район,
      коррупция, суд, президент) or that is spelled like a loanword (взятка, рубль, медаль) is
      ``"both"``: it is its own stem either way.
    * The endings, letters and small lexicon of ru_detect.tsv mean Russian (as before).
    * Otherwise the dictionary decides, checked against the Kyrgyz stemmer:  A form whose Kyrgyz stem is its Russian
      lemma (району, депутаты, аэропорту) is ``"both"`` too.  Any other dictionary form is
      Russian only when it is spelled as Kyrgyz words are not (``_looks_loaned``), or when it
      is an inflected form (not the lemma) that ends in a Russian case ending Kyrgyz words
      seldom end in (``dict_ending``: -ом, -ами, ...) or, when no Kyrgyz suffix can be cut from
      it, is long (``dict_min_length``; жер|дин stays Kyrgyz though Russian has жердина):
      берет, бала, кала stay Kyrgyz; взятки, суде, задержан, района, законом are Russian.
    """
    for c in word:
        if c in KY_LETTERS:
            return "ky"
    if word in RU_WORDS:
        return "ru"
    if word in lang.STOPWORDS_KY:
        return "ky"
    if word in KY_KNOWN:
        return "both" if russian_lemma(word) == word else "ky"
    lemma = russian_lemma(word)
    kyrgyz = stem_kyrgyz(word)
    if lemma == word and (kyrgyz == word or _looks_loaned(word)):
        return "both"
    if len(word) >= 4 and word.endswith(RU_ENDINGS):
        return "ru"
    for c in word:
        if c in RU_LETTERS:
            if kyrgyz == word:
                return "ru"
            break
    if lemma is None:
        return "ky"
    if lemma != word and (kyrgyz == lemma or kyrgyz == stem_kyrgyz(lemma)):
        return "both"
    if _looks_loaned(word):
        return "ru"
    if lemma != word and ((word.endswith(RU_DICT_ENDINGS) and _fold_safe(word))
                          or (kyrgyz == word and len(word) >= RU_DICT_MIN_LENGTH)):
        return "ru"
    return "ky"


def clear_caches() -> None:
    """Empty the stemmer's caches (``analysis.clear_caches`` calls this)."""
    for fn in (_stem_once, word_language, russian_lemma, stem_kyrgyz, _stem_step, is_russian_noun_base,
               _dictionary_parses, _is_verb_root):
        fn.cache_clear()


def is_russian(word: str) -> bool:
    """A lower-case word is Russian rather than Kyrgyz (``word_language(word) == "ru"``)."""
    return word_language(word) == "ru"


def stem_russian(word: str) -> str:
    """A Russian word's stem: its dictionary lemma (взятки, взяток → взятка; коррупции →
    коррупция, which a Kyrgyz коррупцияга also stems to), Snowball when the dictionary does
    not know the word (-ского, -ции forms of names)."""
    return russian_lemma(word) or _RUSSIAN.stemWord(word) or word


@lru_cache(maxsize=262_144)
def _stem_once(word: str) -> str:
    language = word_language(word)
    if language == "ru":
        return stem_russian(word)
    if language == "both":
        # the same either way, or a loanword's base form the Kyrgyz stemmer would cut into
        return stem_kyrgyz(word) if word in KY_KNOWN else (russian_lemma(word) or word)
    return stem_kyrgyz(word)


def stem_word(word: str) -> str:
    """Stem one normalized lower-case word (no hyphens).

    Repeated to a fixpoint, so that the result is idempotent also when a Kyrgyz stem
    looks Russian (судья+нын → судья → суд).  A Russian lemma may be longer than its form
    (дел → дело), so a cycle is possible in principle: its smallest member is returned, the
    same from any of its members.
    """
    if not word or not word.isalpha():
        return word
    current = word
    seen = [word]
    for _ in range(len(word) + 4):
        nxt = _stem_once(current)
        if nxt == current or not nxt:
            break
        if nxt in seen:
            cycle = seen[seen.index(nxt):]
            return min(cycle)
        seen.append(nxt)
        current = nxt
    return current


def _read_sample() -> frozenset[str]:
    try:
        return lang.read_words("ru_sample.tsv")
    except OSError:
        return frozenset()


# A hand-written sample of Russian word forms, only for measuring is_russian.
RU_SAMPLE = _read_sample()
