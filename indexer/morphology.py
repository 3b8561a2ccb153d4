"""Stemming of one normalized, lower-case word: Russian words by Snowball, Kyrgyz by suffix stripping.

(First version: a small suffix table; the measured Kyrgyz stemmer replaces it.)
"""
from __future__ import annotations

import Stemmer

_RUSSIAN = Stemmer.Stemmer("russian")
_KYRGYZ_LETTERS = set("ңөү")
_RUSSIAN_ONLY = set("щъьэё")
_SUFFIXES = sorted("""
ларынын леринин лорунун лөрүнүн ларына лерине ларында леринде лардын лердин лордун лөрдүн
ларга лерге лорго лөргө ларда лерде лордо лөрдө лар лер лор лөр дар дер дор дөр тар тер тор төр
нын нин нун нүн дын дин дун дүн тын тин тун түн
ында инде унда үндө да де до дө та те то тө
ынан инен унан үнөн дан ден дон дөн тан тен тон төн
га ге го гө ка ке ко кө
""".split(), key=len, reverse=True)


def is_russian(word: str) -> bool:
    if any(c in _KYRGYZ_LETTERS for c in word):
        return False
    return any(c in _RUSSIAN_ONLY for c in word)


def stem_word(word: str) -> str:
    if not word or not word.isalpha():
        return word
    if is_russian(word):
        return _RUSSIAN.stemWord(word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word
