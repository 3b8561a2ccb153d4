"""``ParsedQuery`` (search/query.py) → ``Plan`` (search/plan.py).

A word becomes, in title and body (each field boosted as ``BOOST`` says: indexer/fields.py), its stem, the stems a
Russian keyboard may have meant by it (``FOLD_WEIGHT``) and its expansions (Latin readings,
equivalents: search/expand.py) — the documents that have it; it scores with its exact-form and
5-letter-prefix terms too (indexer/analysis.py: three representations, equal weights), all of
them in a field as one ``Best`` (search/plan.py): the best reading counts fully, the others
``TIE`` times — a word matched three ways is one word found, not three.  Several
words of a phrase become a ``Phrase`` of such alternatives; a prefix becomes a constant-score
``Prefix`` of its most frequent index terms within the query's cost bound (search/budget.py).

The compiler asks a small lexicon (the open generation, search/generation.py) for what the
index holds: ``fold_variants(term)``, ``prefix_terms(fields, prefix)`` and ``expander``
(used unless ``expand=False``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from indexer.analysis import MARKS, analyze, has_kyrgyz_letters, is_stopword, normalize, representation_terms
from indexer.fields import BOOSTS, SCORE_FIELD_NAMES
from search.budget import Budget
from search.expand import LATIN_WEIGHT
from search.highlight import TermMatcher
from search.plan import And, AndNot, Best, Not, Or, Phrase, Plan, Prefix, ProxWord, Term, Unit, any_of
from search.query import FIELDS, Atom, Node, ParsedQuery

FOLD_WEIGHT = 1.0          # a keyboard-fold variant scores as the word (bench/eval/RESULTS.md: vi-fold)
# a word's readings in a field (stem, exact form, prefix, variants, expansions) score as their best
# one plus TIE times the others (search/plan.py ``Best``; bench/eval/RESULTS.md "After the fifth change")
TIE = 0.3
BOOST = dict(BOOSTS)       # per text field (indexer/fields.py); the lead's only adds to scores


@dataclass
class _Context:
    """What compiling one query tree collects."""
    budget: Budget
    expander: object = None                         # search/expand.py's, None: no expansion
    drop_stopwords: bool = False
    loose: bool = False                             # compiling a phrase's words one by one
    alone: bool = False                             # the query is one unit
    highlight: set = field(default_factory=set)
    prefixes: list = field(default_factory=list)
    exact: dict = field(default_factory=dict)       # term → typed with its exact letters somewhere
    scoring: list = field(default_factory=list)     # the wanted atoms' nodes
    words: dict = field(default_factory=dict)       # the top-level words' ProxWord (search/proximity.py)


def compile_plan(lexicon, parsed: ParsedQuery, expand: bool = True) -> Plan:
    """The query tree as one node per top-level unit (soft, required or excluded, see
    search/query.py), the node that scores (every wanted atom: the sum of their BM25F) and the
    highlighting matcher; what the cost bound cut goes to ``Plan.notes``."""
    budget = Budget(sum(a.kind == "prefix" for a in parsed.positive_atoms() + parsed.negative_atoms()))
    ctx = _Context(budget=budget, expander=lexicon.expander if expand else None)
    # stop words only matter when they are all the user typed
    ctx.drop_stopwords = any(a.kind != "word" or not is_stopword(normalize(a.text))
                             for a in parsed.positive_atoms())
    units = []
    # a phrase alone: every document listed has it, so its words need not score loose
    ctx.alone = len(parsed.units()) == 1 and isinstance(parsed.units()[0], Atom)
    for unit in parsed.units():
        kind = "soft"
        if isinstance(unit, Node) and unit.op in ("required", "not"):
            kind = unit.op
            unit = unit.children[0]
        node = _compile(lexicon, unit, ctx, negated=kind == "not")
        if node is not None:
            units.append(Unit(kind, node))
            if kind != "not" and isinstance(unit, Atom) and unit.kind == "word":
                _proximity_word(node, ctx)
    # keyboard-fold variants are marked too, but a snippet prefers the exact terms
    variants = frozenset(t for t, is_exact in ctx.exact.items() if not is_exact)
    matcher = TermMatcher(frozenset(ctx.highlight), tuple(ctx.prefixes), variants=variants)
    scoring = any_of(ctx.scoring) if ctx.scoring else None
    return Plan(units, scoring, matcher, budget.notes, tuple(ctx.words))


def _proximity_word(node, ctx: _Context) -> None:
    """A top-level one-token word by the terms that find it in each field (its node's ``Term``
    children; an expansion into several words is left out), kept once (two typed forms of one
    word are one word)."""
    by_field: dict[str, list[str]] = {}
    for c in node.children if type(node) is Or else ():
        if type(c) is Term:
            by_field.setdefault(c.field, []).append(c.text)
    if not by_field:
        return
    word = ProxWord(tuple((f, tuple(ts)) for f, ts in by_field.items()))
    ctx.words.setdefault(word, None)


def _compile(lexicon, node, ctx: _Context, negated: bool):
    """A query tree node as a plan node, None when nothing in it is searchable."""
    if isinstance(node, Atom):
        if node.kind == "word" and ctx.drop_stopwords and is_stopword(normalize(node.text)):
            return None
        if negated:
            return _atom(lexicon, node, _Context(budget=ctx.budget, expander=ctx.expander), record=False)
        return _atom(lexicon, node, ctx, record=True)
    if node.op == "not":
        inner = _compile(lexicon, node.children[0], ctx, not negated)
        return Not(inner) if inner is not None else None
    if node.op == "required":
        return _compile(lexicon, node.children[0], ctx, negated)
    subs = [q for q in (_compile(lexicon, c, ctx, negated) for c in node.children) if q is not None]
    if not subs:
        return None
    if node.op == "or":
        return any_of(subs)
    pos = [q for q in subs if type(q) is not Not]
    neg = [q.child for q in subs if type(q) is Not]
    if not pos:
        return Not(any_of(neg))
    q = pos[0] if len(pos) == 1 else And(tuple(pos))
    return AndNot(q, any_of(neg)) if neg else q


def _atom(lexicon, atom: Atom, ctx: _Context, record: bool):
    """The node of the documents having the atom: a word (its stem, the stems a Russian
    keyboard may have meant, its expansions), a phrase or a prefix.  With ``record``, its
    scoring node goes to ``ctx.scoring``: for a one-token word, that node adds the word's
    exact-form and prefix terms (they score, they never decide a count)."""
    fields = (atom.field,) if atom.field else FIELDS
    if atom.kind == "prefix":
        node = _prefix(lexicon, atom, fields, ctx)
        if record and node is not None:
            ctx.scoring.append(node)
        return node
    analyzed = analyze(atom.text, "phrase" if atom.kind == "phrase" else "query")
    tokens = [t.text for t in analyzed]
    if not tokens:
        return None
    # (term, weight, typed with its exact letters)
    alts = [[(t, 1.0, True)] + [(v, FOLD_WEIGHT, False) for v in _variants(lexicon, atom.text, t)]
            for t in tokens]
    # -- query expansion (search/expand.py): Latin readings and equivalents, lower weights --
    phrases = []
    if ctx.expander is not None:
        per_token, phrases = ctx.expander.alternatives(atom.text, analyzed)
        for alt, extra in zip(alts, per_token):
            have = {t for t, _, _ in alt}
            alt += [(t, w, w == 1.0) for t, w in extra if t not in have]
        for terms, _ in phrases:
            ctx.highlight.update(terms)
    # -- end of query expansion --
    for alt in alts:
        ctx.highlight.update(t for t, _, _ in alt)
        if record:
            for t, _, typed in alt:
                ctx.exact[t] = ctx.exact.get(t, False) or typed
    alts = [[(t, w) for t, w, _ in alt] for alt in alts]
    one_word = record and len(alts) == 1 and atom.kind == "word"
    reps = _representations(lexicon, atom, analyzed[0], ctx) if one_word else []
    subs, readings = [], []
    for f in fields + (_score_fields(lexicon, atom) if one_word else ()):
        mine = _word(f, alts)
        mine += [Phrase(f, tuple(((t, 1.0),) for t in terms), BOOST[f] * w) if len(terms) > 1
                 else Term(f, terms[0], BOOST[f] * w) for terms, w in phrases]
        if f in fields:
            subs += mine              # what finds documents: the queried fields only
        if one_word:
            # the word's readings in this field: one piece of evidence (a ``Best``), each exact
            # and prefix term as often as it stands for a representation
            mine = mine + [Term(f, t, BOOST[f] * w) for t, w, times in reps for _ in range(times)]
            readings.append(Best(tuple(mine), TIE) if len(mine) > 1 else mine[0])
    node = Or(tuple(subs))
    if record:
        scoring = any_of(readings) if readings else node
        if len(alts) > 1 and not ctx.loose and not ctx.alone:
            scoring = Or((scoring,) + _loose_words(lexicon, atom, analyzed, ctx))
        ctx.scoring.append(scoring)
    return node


def _score_fields(lexicon, atom: Atom) -> tuple:
    """The fields a word only scores in (the lead: part of the body, indexer/fields.py), when
    the word is not restricted to the title and the index has them (one built before has not)."""
    if atom.field not in (None, "body"):
        return ()
    return tuple(f for f in SCORE_FIELD_NAMES if lexicon.has_field(f))


def _loose_words(lexicon, atom: Atom, analyzed, ctx: _Context) -> tuple:
    """The scoring nodes of a phrase's words as if typed without quotes (each once, stop words
    left out): a document that lacks the phrase — a partial match, or a pasted headline whose
    «quoted» part the article words differently — still scores the words it has, and one that
    has the phrase scores them on top of the phrase.  Counting and highlighting are the
    phrase's alone.  A query of one unit has no partial matches: there the phrase scores alone."""
    scratch = _Context(budget=ctx.budget, expander=ctx.expander, drop_stopwords=True, loose=True)
    seen = set()
    for token in analyzed:
        if token.text in seen:
            continue
        seen.add(token.text)
        _compile(lexicon, Atom("word", token.surface, atom.field), scratch, negated=False)
    return tuple(scratch.scoring)


def _representations(lexicon, atom: Atom, token, ctx: _Context) -> list[tuple[str, float, int]]:
    """The exact-form and prefix terms of a one-token word (indexer/analysis.py), with their
    keyboard-fold variants, and those of its Cyrillic readings when it is typed in Latin letters
    (at the readings' weight), as (term, weight, how many representations it stands for)."""
    forms = [(token.surface, atom.text, 1.0)]
    if ctx.expander is not None:
        forms += [(t.surface, reading, LATIN_WEIGHT) for reading in ctx.expander.latin(atom.text)[1]
                  for t in analyze(reading, "query")[:1]]
    out: dict[str, tuple[float, int]] = {}
    for surface, typed, w in forms:
        for term, times in representation_terms(surface):
            for x in [term] + _variants(lexicon, typed, term):
                out.setdefault(x, (w, int(times)))
    return [(t, w, times) for t, (w, times) in out.items()]


def _word(f: str, alts: list) -> list:
    """One typed word (its alternatives, weighted) or several (a phrase) in field ``f``."""
    if len(alts) == 1:
        return [Term(f, t, BOOST[f] * w) for t, w in alts[0]]
    return [Phrase(f, tuple(tuple(a) for a in alts), BOOST[f])]


def _variants(lexicon, word: str, term: str) -> list[str]:
    """Exact-letter index terms a word typed without ң ө ү may stand for."""
    if has_kyrgyz_letters(word):
        return []
    return [v for v in lexicon.fold_variants(term) if v != term]


def _prefix(lexicon, atom: Atom, fields, ctx: _Context):
    """A prefix as a constant-score ``Prefix`` per field (the field's boost as its score) of
    the index terms it expands to, within the query's budget: when it stands for more terms
    than it may, the most frequent are kept and a ``prefix_too_broad`` note says so."""
    text = normalize(atom.text).lstrip("".join(MARKS))   # a typed mark is punctuation
    if not text:
        return None
    found = lexicon.prefix_terms(tuple(fields), text)
    kept = ctx.budget.spend(atom.text, found)
    if len(kept) < len(found):
        ctx.highlight.update(t for _, t in kept)
    else:
        ctx.prefixes.append(text)
        # the stems of whole words the prefix reaches past (``макала*`` → ``макал``): marked by term
        ctx.highlight.update(t for _, t in kept if not t.startswith(text))
    subs = []
    for f in fields:
        terms = tuple(t for g, t in kept if g == f)
        if terms:
            subs.append(Prefix(f, terms, BOOST[f]))
    return any_of(subs) if subs else None
