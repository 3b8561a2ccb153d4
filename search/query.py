"""Parsing what a user types into a small query tree.

Syntax (README "Query syntax"):

- words side by side are all wanted (an implicit AND); ``AND`` between two terms says the
  same, and binds them into one unit (see below);
- ``"a phrase"`` (also «…» and “…”): the words in this order;
- ``OR`` between two terms: either;
- ``NOT term``, ``-term``: documents without it; ``+term``: documents must have it;
- ``( … )`` groups; ``title:word`` / ``title:"a phrase"`` / ``body:…`` restrict to a field,
  ``title:( … )`` every term of the group (a term's own field wins);
- ``word*``: any word starting so (at least two letters before the ``*``).

Precedence, tightest first: ``NOT``/``-``/``+`` › ``OR`` › ``AND`` (implicit or written), as
web search engines read them: ``коррупция сот OR прокуратура`` is коррупция AND (сот OR
прокуратура).  Parentheses override it.

The top level of a query is a list of *units* (``ParsedQuery.tree`` is an ``and`` node, its
children the units): each word, phrase, OR-group, parenthesized group, or a run of terms
joined by a written ``AND``.  A document counts (``total``) when it matches every unit; one
that matches only some of them is a *partial* match (ranked after, counted apart); ``+term``
units and ``NOT`` units hold for partial matches too.

Nothing a user types raises.  An unbalanced quote is read as if it were not there, an
unbalanced parenthesis as if closed (or not opened), a stray ``OR``/``AND``/``NOT``/``-`` is
ignored, and so is a field with no term right after it (``title: коррупция``, ``title:`` at the
end: ``stray_operator``); an unknown ``field:`` is text (``foo:коррупция`` is the words ``foo``
and ``коррупция``: ``unknown_field``); parentheses nested deeper than ``MAX_DEPTH`` are read as
if not there (``nesting_too_deep``); punctuation alone is no term at all — each such reading is
said in ``ParsedQuery.notes``.

Two words joined by punctuation without a space (``коррупция,сот``, ``коррупция/сот``,
``коррупция;сот``; ``_GLUE_RE``) are two words, as if a space were typed; hyphenated compounds
(``Жалал-Абад``), apostrophes, dots (``т.б.``, ``24.kg``, ``12.03.2024``) and punctuation between
digits (``5,5``) stay inside one word, as the analyzer reads them (indexer/analysis.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.fields import QUERY_FIELD_NAMES

FIELDS = QUERY_FIELD_NAMES         # the fields ``title:word`` may name (indexer/fields.py)
_LETTERS = r"[^\W\d_]+"
_TOKEN_RE = re.compile(
    r'(?P<lp>\()|(?P<rp>\))'
    r'|(?P<gsign>[-+])(?=\()'
    # a field before a group: title:(a b)
    rf'|(?P<fsign>[-+])?(?P<gfield>{_LETTERS}):(?=\()'
    # a field with nothing right after it: "title: a", "title:" at the end, "title:)"
    rf'|(?P<ssign>[-+])?(?P<sfield>{_LETTERS}):(?=[\s)]|$)'
    rf'|(?P<sign>[-+])?(?:(?P<field>{_LETTERS}):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"()]+))'
    r'|(?P<quote>")'
)
# Punctuation that joins two words without a space (коррупция,сот  коррупция/сот  Бишкек:сот) and
# is never part of a word or a number: the words are read as if a space were typed.  Hyphens
# (Жалал-Абад), apostrophes, dots (т.б., 24.kg, 12.03.2024) and a separator between digits (5,5)
# stay as they are.
_GLUE_RE = re.compile(r"(?<=[^\W\d_]|[\u0300-\u036f*])[,;:/\\|!?…，；：]+(?=[^\W\d_])")
MAX_DEPTH = 64                     # parentheses nested deeper are read as if not there (a note says so)
PREFIX_MIN = 2
_PREFIX_MIN = PREFIX_MIN
OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class Atom:
    kind: str                     # "word", "phrase" or "prefix"
    text: str
    field: str | None = None      # None = title and body


@dataclass
class Node:
    """``and`` / ``or`` over ``children``; ``not`` has one child; ``required`` (``+term``) too.
    ``written``: an ``and`` of terms joined by a typed ``AND`` (one unit at the top level)."""
    op: str
    children: list = field(default_factory=list)
    written: bool = False

    def __hash__(self):
        return hash((self.op, tuple(self.children), self.written))


@dataclass
class Clause:
    """One wanted thing: any of its alternatives (joined by OR)."""
    alternatives: list[Atom] = field(default_factory=list)


@dataclass
class ParsedQuery:
    tree: Node | None = None      # an ``and`` node of the units, None when nothing searchable
    blank: bool = True            # nothing but white space typed: browse everything
    notes: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No wanted term (a query of only exclusions, or nothing searchable)."""
        return not self.positive_atoms()

    def units(self) -> list:
        return list(self.tree.children) if self.tree is not None else []

    def positive_atoms(self) -> list[Atom]:
        return _atoms(self.tree, False) if self.tree is not None else []

    def negative_atoms(self) -> list[Atom]:
        return _atoms(self.tree, True, want_negative=True) if self.tree is not None else []

    @property
    def clauses(self) -> list[Clause]:
        """The wanted units that are a term or an OR of terms (the simple queries' view)."""
        out = []
        for unit in self.units():
            if isinstance(unit, Node) and unit.op == "required":
                unit = unit.children[0]
            if isinstance(unit, Atom):
                out.append(Clause([unit]))
            elif unit.op == "or" and all(isinstance(c, Atom) for c in unit.children):
                out.append(Clause(list(unit.children)))
            elif unit.op != "not":
                out.append(Clause(_atoms(unit, False)))
        return out

    @property
    def excluded(self) -> list[Atom]:
        """The atoms of the top-level exclusions."""
        return [a for u in self.units() if isinstance(u, Node) and u.op == "not"
                for a in _atoms(u.children[0], False)]


def _atoms(node, negated: bool, want_negative: bool = False) -> list[Atom]:
    if isinstance(node, Atom):
        return [node] if negated == want_negative else []
    out = []
    for child in node.children:
        out += _atoms(child, negated != (node.op == "not"), want_negative)
    return out


def _atom(fld: str | None, phrase: str | None, word: str | None, notes: list) -> Atom | None:
    """One term (``fld`` a known field or None); None when it has nothing searchable."""
    if phrase is not None:
        phrase = phrase.strip()
        if not phrase:
            return None
        return Atom("phrase", phrase, fld)
    if word is None:
        return None
    if word.endswith("*"):
        stem = word.rstrip("*")
        if len(stem) >= PREFIX_MIN and "*" not in stem and any(ch.isalnum() for ch in stem):
            return Atom("prefix", stem, fld)
        if stem and any(ch.isalnum() for ch in stem):
            notes.append(_note("prefix_too_short", f"{word}: a prefix needs at least {PREFIX_MIN} letters "
                                                   f"before the *; searched as the word {stem.replace('*', '')!r}"))
        word = stem.replace("*", "")
        if not word:
            return None
    if not any(ch.isalnum() for ch in word):
        return None
    return Atom("word", word, fld)


def _known_field(name: str | None) -> str | None:
    return name.lower() if name and name.lower() in FIELDS else None


def _unknown_field_note(name: str) -> dict:
    return _note("unknown_field", f"{name}: is not a field (the fields are "
                                  f"{', '.join(f + ':' for f in FIELDS)}), so {name!r} was searched as a word")


def _stray_field_note(name: str) -> dict:
    return _note("stray_operator", f"{name}: without a term right after it was ignored "
                                   f"(write {name}:word or {name}:(words))")


@dataclass(frozen=True)
class _Field:
    """``title:`` before a group: the field of every term in it."""
    name: str


def _note(kind: str, message: str) -> dict:
    return {"kind": kind, "message": message}


def _balance_quotes(text: str, notes: list) -> str:
    """Drop the last quote when quotes are unbalanced (``"коррупция район`` → plain words)."""
    text = text.replace("«", '"').replace("»", '"').replace("“", '"').replace("”", '"')
    if text.count('"') % 2:
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1:]
        notes.append(_note("unbalanced_quote", "a quote without its pair was ignored"))
    return text


def _tokens(text: str, notes: list) -> list:
    """("(" | ")" | "AND" | "OR" | "NOT" | "-" | "+" | _Field | Atom | None) — None: nothing searchable.

    Two words joined by punctuation (``коррупция,сот``, ``коррупция/сот``) and an unknown
    ``field:`` (``foo:коррупция``, ``коррупция:сот``) are read as if a space were typed: the
    first word keeps the sign and the field typed before it, the rest is read on from there."""
    out = []
    pos = 0
    while True:
        m = _TOKEN_RE.search(text, pos)
        if m is None:
            break
        pos = m.end()
        if m.group("quote"):
            continue
        if m.group("lp"):
            out.append("(")
            continue
        if m.group("rp"):
            out.append(")")
            continue
        if m.group("gsign"):
            out.append(m.group("gsign"))
            continue
        if m.group("gfield") or m.group("sfield"):
            out += _field_tokens(m, notes)
            continue
        sign, name, phrase, word = m.group("sign"), m.group("field"), m.group("phrase"), m.group("word")
        fld = _known_field(name)
        if name and not fld:                            # foo:bar — the word foo, then bar read on
            notes.append(_unknown_field_note(name))
            if sign:
                out.append(sign)
            out.append(_atom(None, None, name, notes))
            pos = m.end("field") + 1
            continue
        if word is not None:
            glue = _GLUE_RE.search(word)
            if glue is not None:                        # коррупция,сот: коррупция, then сот read on
                pos = m.start("word") + glue.end()
                word = word[:glue.start()]
        if phrase is None and not fld and not sign and word in OPERATORS:
            out.append(word)
            continue
        atom = _atom(fld, phrase, word, notes)
        if sign:
            out.append(sign)
        out.append(atom)
    return _flatten_deep(out, notes)


def _field_tokens(m, notes: list) -> list:
    """The tokens of a field name before a group (``title:(a b)``) or before nothing
    (``title: a``, ``title:`` at the end): the field, or a note and the name as a word."""
    if m.group("gfield"):                               # title:(a b)
        name, sign = m.group("gfield"), m.group("fsign")
        out = [sign] if sign else []
        if _known_field(name):
            return out + [_Field(_known_field(name))]
        notes.append(_unknown_field_note(name))         # foo:(a b): the word foo, then the group
        return out + [_atom(None, None, name, notes)]
    name, sign = m.group("sfield"), m.group("ssign")
    if _known_field(name):
        notes.append(_stray_field_note(name))
        return []
    out = [sign] if sign else []                        # "Бишкек: сот" is the words Бишкек and сот
    return out + [_atom(None, None, name, notes)]


def _flatten_deep(tokens: list, notes: list) -> list:
    """The tokens without the parentheses nested deeper than ``MAX_DEPTH`` (each ``(`` dropped
    with its matching ``)``), so the parser's recursion stays bounded; a note says so."""
    out, stack, dropped = [], [], False
    for tok in tokens:
        if tok == "(":
            keep = len(stack) < MAX_DEPTH
            stack.append(keep)
            dropped |= not keep
            if not keep:
                continue
        elif tok == ")" and stack and not stack.pop():
            continue
        out.append(tok)
    if dropped:
        notes.append(_note("nesting_too_deep", f"parentheses nested deeper than {MAX_DEPTH} levels were "
                                               f"flattened (the deeper ones were read as if not there)"))
    return out


class _Parser:
    """Recursive descent over the tokens; never raises, never loops."""

    def __init__(self, tokens: list, notes: list):
        self.toks = tokens
        self.i = 0
        self.notes = notes
        self.stray: set[str] = set()
        self.depth = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else _END

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def units(self, closing: bool) -> list:
        """Units up to the end (or the matching ``)``): [(unit, written AND before it)]."""
        out: list = []
        written_and = False
        while True:
            tok = self.peek()
            if tok is _END:
                if closing:
                    self.notes.append(_note("unbalanced_parenthesis", "a ( without its ) was closed at the end"))
                return out
            if tok == ")":
                self.take()
                if closing:
                    return out
                self.notes.append(_note("unbalanced_parenthesis", "a ) without its ( was ignored"))
                continue
            if tok == "AND":
                self.take()
                nxt = self.peek()
                if out and nxt is not _END and nxt not in (")", "AND", "OR"):
                    written_and = True
                else:
                    self.stray.add("AND")
                continue
            if tok == "OR":
                self.take()
                self.stray.add("OR")
                continue
            unit = self.or_expr()
            if unit is _NOTHING:
                written_and = False
                continue
            out.append((unit, written_and))
            written_and = False

    def or_expr(self):
        first = self.unary()
        alts = [first] if first is not _NOTHING else []
        while self.peek() == "OR":
            self.take()
            while self.peek() == "OR":
                self.take()
                self.stray.add("OR")
            nxt = self.peek()
            if nxt is _END or nxt in (")", "AND", "OR"):
                self.stray.add("OR")
                break
            other = self.unary()
            if other is not _NOTHING:
                if not alts:
                    self.stray.add("OR")
                alts.append(other)
        if not alts:
            return _NOTHING
        return alts[0] if len(alts) == 1 else Node("or", alts)

    def unary(self):
        """A term with the ``NOT``/``-``/``+`` and ``title:`` before it (read in a loop: a long
        run of them does not recurse)."""
        ops = []
        while True:
            tok = self.take()
            if tok in ("NOT", "-", "+") or isinstance(tok, _Field):
                nxt = self.peek()
                if nxt is _END or nxt in (")", "AND", "OR"):
                    if isinstance(tok, _Field):
                        self.notes.append(_stray_field_note(tok.name))
                    else:
                        self.stray.add("NOT" if tok != "+" else "+")
                    return _NOTHING
                ops.append(tok)
                continue
            break
        if tok == "(":                       # nesting is bounded by _flatten_deep
            self.depth += 1
            inner = _join(self.units(closing=True), top=False)
            self.depth -= 1
            if inner is None:
                return _NOTHING
        elif isinstance(tok, Atom):
            inner = tok
        else:
            return _NOTHING                  # None (punctuation) or a lost token
        for op in reversed(ops):
            if isinstance(op, _Field):
                inner = _with_field(inner, op.name)
            elif op == "+":
                if not (isinstance(inner, Node) and inner.op in ("required", "not")):
                    inner = Node("required", [inner])
            elif isinstance(inner, Node) and inner.op == "not":     # NOT NOT x = x
                inner = inner.children[0]
            else:
                if isinstance(inner, Node) and inner.op == "required":
                    inner = inner.children[0]
                inner = Node("not", [inner])
        return inner


def _with_field(node, fld: str):
    """``title:( … )``: every term in the group without a field of its own in ``fld``."""
    if isinstance(node, Atom):
        return node if node.field else Atom(node.kind, node.text, fld)
    return Node(node.op, [_with_field(c, fld) for c in node.children], node.written)


_END = object()
_NOTHING = object()


def _join(units: list, top: bool):
    """The units as an ``and`` node; a run joined by written ANDs becomes one unit.  Inside
    parentheses: one node (a single unit as itself)."""
    groups: list = []
    for unit, written_and in units:
        if isinstance(unit, Node) and unit.op == "required" and not top:
            unit = unit.children[0]         # inside a group every term is required already
        if written_and and groups:
            prev = groups[-1]
            if isinstance(prev, Node) and prev.op == "and" and prev.written:
                prev.children.append(unit)
            else:
                groups[-1] = Node("and", [prev, unit], written=True)
        else:
            groups.append(unit)
    if not groups:
        return None
    if not top:
        return groups[0] if len(groups) == 1 else Node("and", groups)
    return Node("and", groups)


def parse(text: str) -> ParsedQuery:
    notes: list[dict] = []
    raw = text or ""
    query = ParsedQuery(blank=not raw.strip(), notes=notes)
    if query.blank:
        return query
    tokens = _tokens(_balance_quotes(raw, notes), notes)
    parser = _Parser(tokens, notes)
    tree = _join(parser.units(closing=False), top=True)
    query.tree = tree
    for op in sorted(parser.stray):
        notes.append(_note("stray_operator", f"{op} without a term on each side was ignored"))
    if tree is None:
        notes.append(_note("nothing_to_search", "the query has no word to search for (only punctuation "
                                                "or operators), so nothing was searched"))
    seen = set()
    notes[:] = [n for n in notes if not ((n["kind"], n["message"]) in seen or seen.add((n["kind"], n["message"])))]
    return query


def to_text(node) -> str:
    """A query tree written back in the query syntax (parenthesized where it nests)."""
    if node is None:
        return ""
    if isinstance(node, Atom):
        text = f'"{node.text}"' if node.kind == "phrase" else node.text + ("*" if node.kind == "prefix" else "")
        return f"{node.field}:{text}" if node.field else text
    if node.op == "not":
        return "-" + _wrap(node.children[0])
    if node.op == "required":
        return "+" + _wrap(node.children[0])
    if node.op == "or":
        return " OR ".join(_wrap(c, inside_or=True) for c in node.children)
    return (" AND " if node.written else " ").join(_wrap(c) for c in node.children)


def _wrap(node, inside_or: bool = False) -> str:
    if isinstance(node, Node) and (node.op == "and" or (node.op == "or" and not inside_or)) \
            and len(node.children) > 1:
        return f"({to_text(node)})"
    return to_text(node)
