"""Parsing what a user types into a small query tree.

Syntax (README "Query syntax"):

- words side by side are all wanted (an implicit AND); ``AND`` between two terms says the
  same, and binds them into one unit (see below);
- ``"a phrase"`` (also «…» and “…”): the words in this order;
- ``OR`` between two terms: either;
- ``NOT term``, ``-term``: documents without it; ``+term``: documents must have it;
- ``( … )`` groups; ``title:word`` / ``title:"a phrase"`` / ``body:…`` restrict to a field;
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
ignored, an unknown ``field:`` is text; punctuation alone is no term at all — each such
reading is said in ``ParsedQuery.notes``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.fields import TEXT_FIELD_NAMES

FIELDS = TEXT_FIELD_NAMES          # the fields ``title:word`` may name (indexer/fields.py)
_TOKEN_RE = re.compile(
    r'(?P<lp>\()|(?P<rp>\))'
    r'|(?P<gsign>[-+])(?=\()'
    r'|(?P<sign>[-+])?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"()]+))'
    r'|(?P<quote>")'
)
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


def _atom(field_name: str | None, phrase: str | None, word: str | None, notes: list) -> Atom | None:
    if field_name is not None and field_name.lower() not in FIELDS:
        # "foo:bar" with an unknown field: the whole thing is text
        text = f"{field_name}:{phrase if phrase is not None else word or ''}"
        return Atom("word", text)
    fld = field_name.lower() if field_name else None
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
    """("(" | ")" | "AND" | "OR" | "NOT" | "-" | "+" | Atom | None) — None: nothing searchable."""
    out = []
    for m in _TOKEN_RE.finditer(text):
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
        word = m.group("word")
        sign = m.group("sign")
        if m.group("phrase") is None and not m.group("field") and not sign and word in OPERATORS:
            out.append(word)
            continue
        atom = _atom(m.group("field"), m.group("phrase"), word, notes)
        if sign:
            out.append(sign)
        out.append(atom)
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
        tok = self.take()
        if tok in ("NOT", "-", "+"):
            nxt = self.peek()
            if nxt is _END or nxt in (")", "AND", "OR"):
                self.stray.add("NOT" if tok != "+" else "+")
                return _NOTHING
            inner = self.unary()
            if inner is _NOTHING:
                return _NOTHING
            if tok == "+":
                return inner if isinstance(inner, Node) and inner.op in ("required", "not") \
                    else Node("required", [inner])
            if isinstance(inner, Node) and inner.op == "not":     # NOT NOT x = x
                return inner.children[0]
            if isinstance(inner, Node) and inner.op == "required":
                inner = inner.children[0]
            return Node("not", [inner])
        if tok == "(":
            if self.depth > 50:             # absurd nesting: read the rest flat
                return _NOTHING
            self.depth += 1
            inner = _join(self.units(closing=True), top=False)
            self.depth -= 1
            return inner if inner is not None else _NOTHING
        if isinstance(tok, Atom):
            return tok
        return _NOTHING                      # None (punctuation) or a lost token


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
