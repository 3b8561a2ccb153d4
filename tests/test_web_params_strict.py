"""Parameters read strictly and answered in the asker's language: enumerated parameters (format,
fields) translated like sort; the date forms people write still read, values echoed as typed and
escaped; whole numbers as ASCII digits only; /feed.atom's errors JSON and English
by default like the API's; the page-past-the-end redirect keeping every other parameter."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

ONE_OF = {"ky": "булардын бири болушу керек", "ru": "должен быть одним из", "en": "must be one of"}
UNREADABLE = {"ky": "датаны окуй албайбыз", "ru": "не удаётся прочитать дату", "en": "not a date we can read"}
WHOLE = {"ky": "бүтүн сан", "ru": "целым числом", "en": "must be a whole number"}


def api_error(client, url, lang=None, accept=None) -> str:
    client.delete_cookie("lang")            # a remembered language must not leak between requests
    headers = {"Accept-Language": accept} if accept else {}
    r = client.get(url + (f"&lang={lang}" if lang else ""), headers=headers)
    assert r.status_code == 400, (url, r.status_code)
    assert r.mimetype == "application/json", url
    body = r.get_json()
    assert set(body) == {"error", "status"} and body["status"] == 400
    return body["error"]


def only_in(text: str, messages: dict, lang: str) -> None:
    assert messages[lang] in text, (lang, text)
    for other, other_text in messages.items():
        assert other == lang or other_text not in text, (lang, other, text)


# -- 1. every enumerated parameter's error is translated ------------------------------------------
@pytest.mark.parametrize("url, name", [("/api/export?format=xml", "format"), ("/api/export?fields=title", "fields"),
                                       ("/api/timeline?format=xml", "format"), ("/api/search?sort=random", "sort")])
@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_choice_errors_are_translated(client, url, name, lang):
    for how in ({"lang": lang}, {"accept": lang}):
        error = api_error(client, url, **how)
        only_in(error, ONE_OF, lang)
        assert f"'{name}'" in error
    assert ONE_OF["en"] in api_error(client, url)                  # the API's default: English


def test_choice_errors_name_the_choices_and_the_value(client):
    assert api_error(client, "/api/export?format=xml", "ru") == "'format' должен быть одним из: csv, jsonl"
    assert api_error(client, "/api/timeline?format=xml") == "'format' must be one of: json, csv"
    assert api_error(client, "/api/export?fields=body,title", "ky") == \
        "'fields' булардын бири болушу керек: body, берилгени: 'title'"


# -- 2. dates: the forms people write still read; values echoed as typed ----------------------------------
@pytest.mark.parametrize("value", ["2025-12-10", "10.12.2025", "2025", "2025-03", "14 марта 2025",
                                   "2025-жылдын 14-мартында", "08-Сентябрь 2013-ж.", "2026-24-02, 14:05",
                                   "2025-12-10T10:30", " 2025-12-10 ", "10 декабря 2025 года", "март 2025"])
def test_whole_dates_still_read(client, value):
    for name in ("from", "to"):
        r = client.get("/api/search", query_string={"q": "", name: value})
        assert r.status_code == 200, (name, value, r.get_json())
        assert r.get_json()["filters"][name]


def test_markup_is_echoed_as_typed_and_escaped(client):
    value = '<script>alert("x")</script>'
    client.delete_cookie("lang")
    r = client.get("/api/search", query_string={"from": value, "lang": "en"})
    assert r.status_code == 400 and repr(value) in r.get_json()["error"]    # as typed, in JSON
    json.loads(r.get_data(as_text=True))                                    # well-formed JSON
    assert r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/", query_string={"q": "коррупция", "from": value, "lang": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "<script>alert" not in html                                     # escaped, never markup
    message = re.search(r'<p class="message">(.*?)</p>', html, re.S).group(1)
    assert "&lt;script&gt;" in message and repr(value) in unescape(message)


# -- 3. whole numbers: ASCII digits only ----------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/search?q=коррупция&page={}", "/api/search?q=коррупция&per_page={}",
                                 "/api/export?q=коррупция&page={}", "/feed.atom?q=коррупция&limit={}"])
@pytest.mark.parametrize("value", ["1_0", "%EF%BC%91", "%D9%A1", "%2B1", "1.0", "0x1", "abc"])
def test_whole_numbers_are_ascii_digits(client, url, value):
    for lang in ("ky", "ru", "en"):
        only_in(api_error(client, url.format(value), lang), WHOLE, lang)
    page = client.get("/?q=коррупция&page=" + value + "&lang=ru")
    assert page.status_code == 400 and WHOLE["ru"] in unescape(page.get_data(as_text=True))


def test_whole_numbers_around_spaces_and_limits_still_read(client):
    assert client.get("/api/search?q=коррупция&page=%201%20&per_page=2").get_json()["page"] == 1
    assert client.get("/api/search?q=коррупция&per_page=02").get_json()["per_page"] == 2
    assert client.get("/feed.atom?q=коррупция&limit=5").status_code == 200
    assert "between" in api_error(client, "/api/search?page=-1")           # a whole number, too small
    assert "between" in api_error(client, "/api/search?per_page=101")


# -- 4. /feed.atom: every error JSON, English by default ------------------------------------------
@pytest.mark.parametrize("method", ["delete", "post", "put", "patch"])
def test_feed_method_errors_are_json(client, method):
    client.delete_cookie("lang")
    r = getattr(client, method)("/feed.atom")
    assert r.status_code == 405 and r.mimetype == "application/json"
    body = r.get_json()
    assert set(body) == {"error", "status"} and body["status"] == 405
    assert "GET" in r.headers["Allow"]
    assert "<html" not in r.get_data(as_text=True)
    ru = getattr(client, method)("/feed.atom?lang=ru")
    assert ru.status_code == 405 and ru.get_json()["error"] == "Этот адрес не принимает такой запрос."


def test_feed_errors_default_to_english_like_the_api(client):
    client.delete_cookie("lang")
    for qs in ("from=garbage", "page=0", "per_page=1_0", "district=Атлантида", "from=9999"):
        feed = client.get("/feed.atom?" + qs)
        api = client.get("/api/search?" + qs)
        assert feed.status_code == api.status_code == 400
        assert feed.get_json()["error"] == api.get_json()["error"]        # the same words, English
    assert UNREADABLE["en"] in client.get("/feed.atom?from=garbage").get_json()["error"]
    assert UNREADABLE["ru"] in client.get("/feed.atom?from=garbage",
                                          headers={"Accept-Language": "ru"}).get_json()["error"]
    client.delete_cookie("lang")
    assert UNREADABLE["ky"] in client.get("/feed.atom?from=garbage&lang=ky").get_json()["error"]
    # the pages keep Kyrgyz as their default
    client.delete_cookie("lang")
    assert UNREADABLE["ky"] in unescape(client.get("/?q=x&from=garbage").get_data(as_text=True))


def test_the_feed_itself_is_unchanged_by_the_error_language(client):
    r = client.get("/feed.atom?q=коррупция")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"


# -- 5. past the last page: every other parameter kept --------------------------------------------
def test_past_the_end_keeps_every_parameter_but_page(client):
    url = "/?q=коррупция&per_page=1&page=999&timeline=share&sort=oldest&lang=ru&from=2010&extra=a&extra=b"
    r = client.get(url)
    assert r.status_code == 302
    target = urlsplit(r.headers["Location"])
    query = parse_qs(target.query, keep_blank_values=True)
    assert target.path == "/" and query.pop("page") == ["2"]
    expected = parse_qs(urlsplit(url).query, keep_blank_values=True)
    expected.pop("page")
    assert query == expected and query["timeline"] == ["share"] and query["extra"] == ["a", "b"]
    last = client.get(r.headers["Location"])
    assert last.status_code == 200 and "timeline=share" not in urlsplit(r.headers["Location"]).path


def test_past_the_end_of_one_page_goes_to_the_first_with_the_rest(client):
    r = client.get("/?q=коррупция&page=50&timeline=share&_external=1&endpoint=x")
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert "page" not in query
    assert query == {"q": ["коррупция"], "timeline": ["share"], "_external": ["1"], "endpoint": ["x"]}
    assert r.headers["Location"].startswith("/?")                          # never made absolute


@pytest.mark.parametrize("value", ["2021-07-16x", "2021-07-16 сот", "x2021"])
def test_a_date_glued_to_other_text_is_refused(client, value):
    for name in ("from", "to"):
        r = client.get("/api/search", query_string={"q": "", name: value})
        assert r.status_code == 400 and value in r.get_json()["error"], (name, value, r.get_json())


@pytest.mark.parametrize("value", ["31.02.2025", "2025-02-30", "2025-13", "1800"])
def test_an_impossible_date_says_so_in_the_pages_language(client, value):
    """A date of a form we read whose day, month or year cannot be is "no such date", not "a
    date we cannot read", in the language asked for."""
    for lang, words in (("ky", "мындай дата жок"), ("ru", "такой даты нет"), ("en", "no such date")):
        r = client.get("/api/search", query_string={"q": "", "from": value, "lang": lang})
        assert r.status_code == 400, r.get_json()
        assert words in r.get_json()["error"] and value in r.get_json()["error"], (lang, r.get_json())
    r = client.get("/api/search", query_string={"q": "", "from": "yesterday", "lang": "en"})
    assert r.status_code == 400 and "not a date we can read" in r.get_json()["error"]
