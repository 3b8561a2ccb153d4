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


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header; lines starting with ``#`` are comments."""
    path = LANG_DIR / name
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def read_words(name: str) -> frozenset[str]:
    """The first column of a one-word-per-line file (``#`` comments allowed)."""
    words = set()
    with open(LANG_DIR / name, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if line:
                words.add(line.split("\t")[0].strip().lower())
    return frozenset(words)


KEYBOARD_FOLD = {row["letter"]: row["typed_as"] for row in read_table("keyboard_fold.tsv")}
HOMOGLYPHS = {row["latin"]: row["cyrillic"] for row in read_table("homoglyphs.tsv")}
STOPWORDS = read_words("stopwords_ky.tsv") | read_words("stopwords_ru.tsv")
ABBREVIATION_ENDINGS = read_words("abbreviation_endings.tsv")
