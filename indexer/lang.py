"""Language data loaded from ``data/lang``: the tables the analyzer works from.

Everything Kyrgyz- or Russian-specific that is a list or a table lives in a
file under ``data/``; this module only reads those files once.
"""
from __future__ import annotations

import csv
import hashlib
import importlib.resources
import os
from functools import lru_cache
from pathlib import Path

from kgsearch.settings import current as current_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_PACKAGE = "kgsearch_data"   # data/ of the repository, as pyproject.toml installs it


def _data_dir() -> Path:
    """Where the tables are, resolved once: the ``data_dir`` setting (``KGSEARCH_DATA``) if set; else the ``data/`` folder of
    a source checkout (``make``, ``pip install -e .``, ``PYTHONPATH``); else the installed package
    data (``pip install .`` ships ``data/`` as the package ``kgsearch_data``)."""
    if current_settings().data_dir:
        return current_settings().data_dir
    checkout = PROJECT_ROOT / "data"
    if (PROJECT_ROOT / "pyproject.toml").is_file() and (checkout / "lang").is_dir():
        return checkout
    try:
        root = importlib.resources.files(DATA_PACKAGE)
    except ModuleNotFoundError:
        raise RuntimeError(f"kgsearch: the language tables are missing: no {checkout}/lang and no "
                           f"installed {DATA_PACKAGE} package (reinstall kgsearch, or set KGSEARCH_DATA "
                           "to a folder with lang/ and places/)") from None
    return Path(os.fspath(root))   # an installed package is a folder on disk


DATA_DIR = _data_dir()
LANG_DIR = DATA_DIR / "lang"
DISPLAY_DIR = DATA_DIR / "display"    # how pages show values (no index depends on it)
# The folders whose tables decide what an index holds (terms, dates, places, facet values).
INDEX_DATA_FOLDERS = ("lang", "places")


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
# Cyrillic letters of other alphabets that stand for ң ө ү (жаӊы, ѳкмѳт).
LETTER_VARIANTS = {row["variant"]: row["letter"] for row in read_table("letter_variants.tsv")}
STOPWORDS_KY = read_words("stopwords_ky.tsv")
STOPWORDS_RU = read_words("stopwords_ru.tsv")
STOPWORDS = STOPWORDS_KY | STOPWORDS_RU
# The same Kyrgyz function words typed on a Russian keyboard (үчүн → учун).
_FOLD = str.maketrans(KEYBOARD_FOLD)
STOPWORDS_FOLDED = frozenset(w.translate(_FOLD) for w in STOPWORDS_KY)
ABBREVIATION_ENDINGS = read_words("abbreviation_endings.tsv")


def _match_table() -> dict[int, str]:
    """Lowercase, ң→н ө→о ү→у, ё→е, Latin look-alikes and the letters standing for ң ө ү →
    Cyrillic (folded: ӊ→н, ö→о), dashes → '-', odd spaces → ' '.

    One character to one character, so offsets in the folded text are offsets in the original:
    the date and place scanners match on folded text and cut the original at the same places.
    """
    table: dict[int, str] = {}
    for letter, typed in KEYBOARD_FOLD.items():
        table[ord(letter)] = typed.lower()
    for other, letter in (HOMOGLYPHS | LETTER_VARIANTS).items():
        if len(other) == 1 and len(letter) == 1:
            table[ord(other)] = table.get(ord(letter), letter.lower())
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


# ------------------------------------------------------------ what the index depends on

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=None)
def data_fingerprint() -> dict:
    """sha256 of every table under ``data/lang`` and ``data/places`` (all regular files, not
    hidden ones), and one combined hash of the list.  Recorded in each generation's manifest:
    editing, adding or removing a table changes what the analyzer, the date and the place
    scanners produce, so an index built with other tables needs a reindex."""
    files: dict[str, str] = {}
    for folder in INDEX_DATA_FOLDERS:
        base = DATA_DIR / folder
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(DATA_DIR)
            if (path.is_file() and not any(part.startswith(".") for part in rel.parts)
                    and "__pycache__" not in rel.parts and not path.name.endswith("~")):
                files[rel.as_posix()] = _sha256(path)
    combined = hashlib.sha256("".join(f"{name}\t{digest}\n" for name, digest in files.items())
                              .encode("utf-8")).hexdigest()
    return {"combined": combined, "files": files}


data_fingerprint()   # now, as the tables are read: a later edit of a file is not what this process uses


def facet_values() -> dict[str, list[str]]:
    """The gazetteer's facet value lists (district and oblast names, in order)."""
    from indexer import places   # places reads this module's tables
    return {"district": list(places.DISTRICTS), "oblast": list(places.OBLASTS)}


def index_dependencies() -> dict:
    """The manifest fields that say which data and which fields an index was built with."""
    from indexer.fields import field_rules, index_fields
    return {"data_fingerprint": data_fingerprint(), "facet_values": facet_values(),
            "index_fields": index_fields(), "field_rules": field_rules()}


def needs_reindex(manifest: dict) -> str | None:
    """Why an index with this manifest must be rebuilt for the running code, or ``None``:
    another analyzer version, other data tables (by fingerprint), other facet value lists or
    fields of the registry the index does not have."""
    from indexer.analysis import ANALYZER_VERSION   # analysis imports this module
    built_with = manifest.get("analyzer_version")
    if built_with != ANALYZER_VERSION:
        return f"the index was built with analyzer {built_with}, the code has {ANALYZER_VERSION}"
    recorded = manifest.get("data_fingerprint")
    if not isinstance(recorded, dict) or not isinstance(recorded.get("files"), dict):
        return "the index records no fingerprint of the data tables it was built with"
    current = data_fingerprint()
    if recorded.get("combined") != current["combined"]:
        old, new = recorded["files"], current["files"]
        changed = [f"{name} (changed)" for name in new if name in old and old[name] != new[name]]
        changed += [f"{name} (new)" for name in new if name not in old]
        changed += [f"{name} (removed)" for name in old if name not in new]
        return ("the data tables changed since the index was built: "
                + (", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
                   if changed else "fingerprint differs"))
    if manifest.get("facet_values") != facet_values():
        return "the gazetteer's facet value lists differ from the ones the index was built with"
    return _missing_fields(manifest)


def _missing_fields(manifest: dict) -> str | None:
    """Why an index lacks fields of the registry (``indexer/fields.py``) or made a derived one
    by another rule (``TextField.rule``), or ``None``."""
    from indexer.fields import field_rules, index_fields
    recorded = manifest.get("index_fields")
    if not isinstance(recorded, list):
        return "the index records no list of its fields (it was built before the topic facet)"
    missing = [name for name in index_fields() if name not in recorded]
    if missing:
        return f"the index has no field {', '.join(missing)} (added to the code since it was built)"
    recorded_rules = manifest.get("field_rules")
    recorded_rules = recorded_rules if isinstance(recorded_rules, dict) else {}
    for name, rule in field_rules().items():
        if recorded_rules.get(name) != rule:
            made = recorded_rules.get(name)
            return (f"the index's field {name} was made by {'rule ' + repr(made) if made else 'an earlier rule'}, "
                    f"the code makes it by {rule!r}")
    return None
