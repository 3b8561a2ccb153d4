"""Parsing what a user types into a small query tree.

Syntax: words; ``"phrases"``; ``OR`` between two terms; ``NOT word`` or
``-word``; ``title:word`` / ``title:"a phrase"``; ``word*`` for a prefix.
Words side by side are all wanted, but the search also returns documents that
have only some of them, ranked below those that have all.

Nothing a user types raises: an unbalanced quote is read as if it were not
there, a lone ``OR``/``NOT``/``-`` is ignored, an unknown ``field:`` is text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELDS = ("title", "body")
_TOKEN_RE = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))'
    r'|(?P<quote>")'
)
_PREFIX_MIN = 2


@dataclass(frozen=True)
class Atom:
    kind: str                     # "word", "phrase" or "prefix"
    text: str
    field: str | None = None      # None = title and body


@dataclass
class Clause:
    """One wanted thing: any of its alternatives (joined by OR)."""
    alternatives: list[Atom] = field(default_factory=list)


@dataclass
class ParsedQuery:
    clauses: list[Clause] = field(default_factory=list)
    excluded: list[Atom] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.clauses

    def atoms(self) -> list[Atom]:
        return [a for c in self.clauses for a in c.alternatives]


def _atom(field_name: str | None, phrase: str | None, word: str | None) -> Atom | None:
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
        if len(stem) >= _PREFIX_MIN and "*" not in stem:
            return Atom("prefix", stem, fld)
        word = stem.replace("*", "")
        if not word:
            return None
    if not any(ch.isalnum() for ch in word):
        return None
    return Atom("word", word, fld)


def _balance_quotes(text: str) -> str:
    """Drop the last quote when quotes are unbalanced (``"коррупция район`` → plain words)."""
    text = text.replace("«", '"').replace("»", '"').replace("“", '"').replace("”", '"')
    if text.count('"') % 2:
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1:]
    return text


def parse(text: str) -> ParsedQuery:
    query = ParsedQuery()
    text = _balance_quotes(text or "")
    negate_next = False
    join_next = False
    for m in _TOKEN_RE.finditer(text):
        if m.group("quote"):
            continue
        word = m.group("word")
        if m.group("phrase") is None and not m.group("field") and not m.group("neg"):
            if word == "OR":
                join_next = bool(query.clauses)
                continue
            if word == "NOT":
                negate_next = True
                continue
            if word == "AND":
                continue
        atom = _atom(m.group("field"), m.group("phrase"), word)
        if atom is None:
            continue
        if m.group("neg") or negate_next:
            query.excluded.append(atom)
            negate_next = join_next = False
            continue
        if join_next and query.clauses:
            query.clauses[-1].alternatives.append(atom)
        else:
            query.clauses.append(Clause([atom]))
        join_next = False
    return query
