"""The UI in Kyrgyz, Russian and English: complete catalogues (parsed from the .po files), compiled
.mo files that match them, the choice of language, and every message a visitor sees translated."""
from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from web import create_app
from web.i18n import LANGS

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "web" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
DOC = "/doc/000_a04a57a4dc81b787"


def catalogue(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def _ids(cat):
    return {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}


def _texts(value):
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated_with_its_placeholders(lang):
    cat = catalogue(lang)
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    assert _ids(cat) == _ids(template), "run pybabel update (see README, Web UI)"
    assert len(_ids(cat)) > 80
    for m in cat:
        if not m.id:
            continue
        assert "fuzzy" not in m.flags, m.id
        strings = _texts(m.string)
        assert strings and all(s.strip() for s in strings), f"{lang}: untranslated {m.id!r}"
        wanted = set(PLACEHOLDER.findall(_texts(m.id)[0]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) <= wanted | {"num"}, (lang, m.id, s)
            assert set(PLACEHOLDER.findall(s)) >= wanted - {"num"}, (lang, m.id, s)
    if lang == "ru":
        plural = [m for m in cat if m.id and not isinstance(m.id, str)]
        assert plural and all(len(m.string) == 3 for m in plural)      # статья / статьи / статей


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_matches_the_po_file(lang):
    """The .mo files are committed (a fresh clone and `pip install .` need no compile step):
    they must say what the .po files say — `pybabel compile -d web/translations` after an edit."""
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = {m.id if isinstance(m.id, str) else tuple(m.id): _texts(m.string) for m in read_mo(f) if m.id}
    po = {m.id if isinstance(m.id, str) else tuple(m.id): _texts(m.string) for m in catalogue(lang) if m.id}
    assert mo == po


def test_the_catalogue_holds_every_message_of_the_code(tmp_path):
    pybabel = Path(sys.executable).parent / "pybabel"
    out = tmp_path / "messages.pot"
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(out), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(out, "rb") as f:
        extracted = _ids(read_po(f))
    assert extracted and extracted == _ids(catalogue("ru")), extracted ^ _ids(catalogue("ru"))


# -- choosing the language ------------------------------------------------------------------------
def page(client, path: str, **kw) -> str:
    """The page's text with Babel's (narrow) no-break spaces as plain spaces."""
    return client.get(path, **kw).get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def html_lang(html: str) -> str:
    return re.search(r'<html lang="(\w+)"', html).group(1)


def test_kyrgyz_by_default_then_accept_language_then_cookie_then_lang(client):
    assert html_lang(client.get("/").get_data(as_text=True)) == "ky"
    r = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert html_lang(r.get_data(as_text=True)) == "ru" and "Что вы ищете?" in r.get_data(as_text=True)
    r = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert html_lang(r.get_data(as_text=True)) == "en" and "What are you looking for?" in r.get_data(as_text=True)
    r = client.get("/", headers={"Accept-Language": "de-DE"})
    assert html_lang(r.get_data(as_text=True)) == "ky"
    # ?lang= wins and is remembered in a cookie
    r = client.get("/?lang=en", headers={"Accept-Language": "ru"})
    assert html_lang(r.get_data(as_text=True)) == "en"
    assert "lang=en" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in r.headers["Vary"].split(",")}
    r = client.get("/?q=коррупция", headers={"Accept-Language": "ru"})
    assert html_lang(r.get_data(as_text=True)) == "en" and "Found:" in r.get_data(as_text=True)
    r = client.get("/?lang=xx")
    assert html_lang(r.get_data(as_text=True)) == "en"          # an unknown lang is ignored


@pytest.mark.parametrize("path", ["/", "/?q=коррупция", DOC + "?q=коррупция", "/doc/nope", "/?page=x"])
def test_every_page_has_a_language_switch(client, path):
    html = client.get(path).get_data(as_text=True)
    switch = re.search(r'<nav class="langs".*?</nav>', html, re.S).group(0)
    links = dict((code, unescape(href)) for href, code in re.findall(r'href="([^"]+)" hreflang="(\w+)"', switch))
    assert set(links) == {"ru", "en"} and 'aria-current="true" lang="ky"' in switch
    for code, href in links.items():
        assert href.startswith("/") and f"lang={code}" in href
        r = client.get(href)
        assert html_lang(r.get_data(as_text=True)) == code
        client.delete_cookie("lang")


def test_language_link_keeps_the_search(client):
    html = client.get("/?q=коррупция&sort=newest").get_data(as_text=True)
    href = unescape(re.search(r'href="([^"]+)" hreflang="ru"', html).group(1))
    assert "sort=newest" in href and "q=%D0%BA" in href


# -- what a visitor reads ---------------------------------------------------------------------------
@pytest.mark.parametrize("lang, words", [
    ("ky", ["Табылды:", "Жыл", "Облус", "Чыпкалар", "10-дек.", "Тоң району"]),
    ("ru", ["Найдено:", "Год", "Область", "Фильтры", "10 дек. 2025 г.", "Тонский район", "Иссык-Кульская область"]),
    ("en", ["Found:", "Year", "Oblast", "Filters", "Dec 10, 2025", "Тоң району"]),
])
def test_results_page_speaks_the_language(client, lang, words):
    html = page(client, f"/?q=коррупция&lang={lang}")
    for w in words:
        assert w in html, (lang, w)
    # the filter values stay the data's Kyrgyz names, whatever is shown
    assert "district=%D0%A2%D0%BE%D2%A3" in html


@pytest.mark.parametrize("query, messages", [
    ("page=abc", {"ky": "бүтүн сан", "ru": "целым числом", "en": "must be a whole number"}),
    ("per_page=0", {"ky": "ортосунда", "ru": "должен быть от 1 до", "en": "must be between 1 and"}),
    ("sort=random", {"ky": "бири болушу керек", "ru": "одним из", "en": "must be one of"}),
    ("from=кечээ", {"ky": "датаны окуй албайбыз", "ru": "не удаётся прочитать дату", "en": "not a date we can read"}),
    ("from=2025&to=2024", {"ky": "датасынан кийин", "ru": "позже, чем", "en": "is after"}),
    ("district=Ton", {"ky": "белгисиз район", "ru": "неизвестный район", "en": "unknown district"}),
    ("oblast=Ton", {"ky": "белгисиз облус", "ru": "неизвестная область", "en": "unknown oblast"}),
    ("q=" + "я" * 1001, {"ky": "өтө узун", "ru": "слишком длинный", "en": "is too long"}),
])
def test_400_messages_come_from_the_catalogue(client, query, messages):
    for lang, text in messages.items():
        r = client.get(f"/?{query}&lang={lang}")
        html = unescape(r.get_data(as_text=True))
        assert r.status_code == 400 and text in html, (lang, html[-1500:])
        for other, other_text in messages.items():
            assert other == lang or other_text not in html
        api = client.get(f"/api/search?{query}&lang={lang}")
        assert api.status_code == 400 and text in api.get_json()["error"]
    # the API speaks English unless asked (and a page visitor's cookie does not change that)
    client.delete_cookie("lang")
    assert messages["en"] in client.get(f"/api/search?{query}").get_json()["error"]


@pytest.mark.parametrize("lang, title, text", [
    ("ky", "Табылган жок", "Мындай бет жок."), ("ru", "Не найдено", "Такой страницы нет."),
    ("en", "Not found", "There is no such page."),
])
def test_404_and_405_pages_are_translated(client, lang, title, text):
    r = client.get(f"/no/such/page?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and title in html and text in html and "requested URL" not in html
    doc = client.get(f"/doc/nope?lang={lang}").get_data(as_text=True)
    assert {"ky": "Мындай документ жок", "ru": "Такого документа нет", "en": "no document with id"}[lang] in doc
    r = client.post(f"/?lang={lang}")
    assert r.status_code == 405 and "method is not allowed" not in r.get_data(as_text=True).lower()


@pytest.mark.parametrize("lang, text", [("ky", "Издөө азыр жеткиликсиз"), ("ru", "Поиск сейчас недоступен"),
                                        ("en", "Search is unavailable right now")])
def test_503_page_is_translated_and_shows_no_path(tmp_path, lang, text):
    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    r = client.get(f"/?q=x&lang={lang}")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 503 and text in html and "kgsearch reindex" in html
    assert str(tmp_path) not in html


@pytest.mark.parametrize("lang, texts", [
    ("ky", ["2025-ж., 10-декабрь", "Кароолор: 67", "7 дал келүү"]),
    ("ru", ["10 декабря 2025 г.", "Просмотры: 67", "7 совпадений", "Тонский район"]),
    ("en", ["December 10, 2025", "Views: 67", "7 matches"]),
])
def test_article_page_dates_and_numbers_per_language(client, lang, texts):
    html = page(client, f"{DOC}?q=коррупция&lang={lang}")
    for t in texts:
        assert t in html, (lang, t)
    assert html_lang(html) == lang


def test_home_page_numbers_and_dates_per_language(client):
    ru = page(client, "/?lang=ru")
    assert "8 сентября 2013 г." in ru and "10 декабря 2025 г." in ru
    en = page(client, "/?lang=en")
    assert "September 8, 2013" in en and "What is indexed" in en
