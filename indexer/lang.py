"""Language data loaded from ``data/lang``: the tables the analyzer works from.

Everything Kyrgyz- or Russian-specific that is a list or a table lives in a
file under ``data/``; this module only reads those files once.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KGSEARCH_DATA", PROJECT_ROOT / "data"))
LANG_DIR = DATA_DIR / "lang"


def read_table(name: str, folder: Path | None = None) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header; lines starting with ``#`` are comments.

    ``folder`` defaults to ``data/lang``; the gazetteer passes ``data/places``.
    """
    path = (folder or LANG_DIR) / name
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def read_words(name: str) -> frozenset[str]:
    """The first column of a one-word-per-line file (``#`` comments allowed), lower-cased."""
    words = set()
    with open(LANG_DIR / name, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if line:
                words.add(line.split("\t")[0].strip().lower())
    return frozenset(words)


KEYBOARD_FOLD = {row["letter"]: row["typed_as"] for row in read_table("keyboard_fold.tsv")}
HOMOGLYPHS = {row["latin"]: row["cyrillic"] for row in read_table("homoglyphs.tsv")}
STOPWORDS_KY = read_words("stopwords_ky.tsv")
STOPWORDS_RU = read_words("stopwords_ru.tsv")
STOPWORDS = STOPWORDS_KY | STOPWORDS_RU
# The same Kyrgyz function words typed on a Russian keyboard (үчүн → учун).
_FOLD = str.maketrans(KEYBOARD_FOLD)
STOPWORDS_FOLDED = frozenset(w.translate(_FOLD) for w in STOPWORDS_KY)
ABBREVIATION_ENDINGS = read_words("abbreviation_endings.tsv")


def _match_table() -> dict[int, str]:
    """Lowercase, ң→н ө→о ү→у, ё→е, Latin look-alikes → Cyrillic, dashes → '-', odd spaces → ' '.

    One character to one character, so offsets in the folded text are offsets in the original:
    the date and place scanners match on folded text and cut the original at the same places.
    """
    table: dict[int, str] = {}
    for latin, cyr in HOMOGLYPHS.items():
        if len(latin) == 1 and len(cyr) == 1:
            table[ord(latin)] = cyr.lower()
    for letter, typed in KEYBOARD_FOLD.items():
        table[ord(letter)] = typed.lower()
    for code in list(range(0x410, 0x430)) + list(range(ord("A"), ord("Z") + 1)):
        table.setdefault(code, chr(code).lower())
    table[ord("ё")] = table[ord("Ё")] = "е"
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212":
        table[ord(dash)] = "-"
    for space in "\u00a0\u2009\u202f":
        table[ord(space)] = " "
    return table


MATCH_TABLE = _match_table()


def match_fold(text: str) -> str:
    """``text`` folded for matching names and dates; the same length as ``text``."""
    return text.translate(MATCH_TABLE)
