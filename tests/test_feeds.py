"""Feeds (issue 15): /feed.atom is valid Atom 1.0, newest first, dated articles only (the undated
ones counted in the subtitle), links to the article pages, and answers 304 to a reader that has it."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import feedparser
import pytest

from search.engine import SearchEngine
from tests.dated_corpus import dated_store  # noqa: F401  (fixture)
from web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def dated_client(dated_store):
    return create_app({"ENGINE": SearchEngine(store=dated_store), "TESTING": True}).test_client()


def check_atom(xml: bytes) -> ET.Element:
    """The elements RFC 4287 requires: feed id/title/updated/link self; entry id/title/updated/link."""
    root = ET.fromstring(xml)
    assert root.tag == ATOM + "feed"
    for name in ("id", "title", "updated"):
        assert root.find(ATOM + name) is not None and root.find(ATOM + name).text, name
    assert any(link.get("rel") == "self" for link in root.findall(ATOM + "link"))
    for entry in root.findall(ATOM + "entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(ATOM + name) is not None and entry.find(ATOM + name).text, name
        dt.datetime.fromisoformat(entry.find(ATOM + "updated").text)          # RFC 3339
        assert entry.find(ATOM + "link").get("href").startswith("http://localhost/doc/")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("params", [{"q": "сот"}, {"q": "пара алуу", "oblast": "Бишкек"},
                                    {"q": "", "from": "2021", "limit": "200"}, {"q": "президент", "limit": "5"}])
def test_feed_is_atom_newest_first_dated_only(dated_client, params):
    r = dated_client.get("/feed.atom", query_string=params)
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    check_atom(r.data)
    feed = feedparser.parse(r.data)
    assert feed.version == "atom10" and not feed.bozo, feed.get("bozo_exception")
    search = dated_client.get("/api/search", query_string={**{k: v for k, v in params.items() if k != "limit"},
                                                           "sort": "newest", "per_page": 100}).get_json()
    dated = [h for h in search["hits"] if h["date"] and not h["partial"]]
    limit = int(params.get("limit", 50))
    want = dated[:limit]
    assert want, "the case must find dated articles"
    assert [e.link.rsplit("/doc/", 1)[1] for e in feed.entries] == [h["id"] for h in want]
    dates = [e.updated_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)                     # newest first
    assert [e.updated[:10] for e in feed.entries] == [h["date"] for h in want]
    assert len({e.id for e in feed.entries}) == len(feed.entries)  # ids unique
    # the undated matches are left out and the feed says how many
    undated = search["timeline"]["undated"]
    assert f"датасы жок {undated} макала" in feed.feed.subtitle
    for entry, hit in zip(feed.entries, want):
        places = {t.term for t in entry.get("tags", [])}
        assert places == set(hit["districts"]) | set(hit["oblasts"]) | set(hit["topics"])
        assert entry.title == hit["title"] and entry.summary          # the snippet, as html
    first = feed.entries[0].link
    assert dated_client.get(first[len("http://localhost"):]).status_code == 200


@pytest.mark.slow
def test_feed_conditional_get(dated_client):
    r = dated_client.get("/feed.atom", query_string={"q": "сот"})
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert etag and modified
    again = dated_client.get("/feed.atom", query_string={"q": "сот"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    since = dated_client.get("/feed.atom", query_string={"q": "сот"}, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = dated_client.get("/feed.atom", query_string={"q": "пара"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    stale = dated_client.get("/feed.atom", query_string={"q": "сот"}, headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.data == r.data


def test_feed_on_sample_and_errors(client):
    r = client.get("/feed.atom", query_string={"q": "коррупция"})
    check_atom(r.data)
    assert not feedparser.parse(r.data).bozo
    empty = client.get("/feed.atom", query_string={"q": "жок-сөз-кызыл"})
    assert empty.status_code == 200 and check_atom(empty.data).find(ATOM + "entry") is None
    for qs in [{"limit": "0"}, {"limit": "201"}, {"from": "garbage"}, {"district": "Атлантида"}]:
        r = client.get("/feed.atom", query_string=qs)
        assert r.status_code == 400 and set(r.get_json()) == {"error", "status"}, qs


def test_results_page_links_the_feed(client):
    page = client.get("/", query_string={"q": "коррупция", "district": "Тоң"}).get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert "Бул издөөнү жазылуу (Atom)" in page
    assert "/feed.atom?q=%D0%BA%D0%BE%D1%80%D1%80%D1%83%D0%BF%D1%86%D0%B8%D1%8F&amp;district=" in page
    assert "/api/export?" in page and "format=csv" in page and "format=jsonl" in page


@pytest.mark.parametrize("qs", [{"q": "коррупция\x1b\x02"}, {"q": "коррупция", "topic": ["x\x02y", "®\x1b"]},
                                {"q": "\x00\x0b"}])
def test_control_characters_never_break_the_feed(client, qs):
    """XML 1.0 cannot hold C0 controls: they are dropped from the feed's text (was a 500)."""
    r = client.get("/feed.atom", query_string=qs)
    assert r.status_code == 200
    root = check_atom(r.data)
    assert not feedparser.parse(r.data).bozo
    assert "\x1b" not in root.find(ATOM + "title").text and "\x02" not in root.find(ATOM + "title").text


def test_absolute_links_follow_the_public_url_not_the_host_header(dated_store):
    """A client picks its Host header: with ``KGSEARCH_PUBLIC_URL`` set, the feed's links and the
    OpenAPI server are that address whatever Host says; unset, they follow the request."""
    from kgsearch.settings import Settings
    engine = SearchEngine(store=dated_store)
    public = create_app({"ENGINE": engine, "TESTING": True},
                        settings=Settings().replace(public_url="https://news.example.kg/kg/")).test_client()
    for client, want in ((public, "https://news.example.kg/kg"), (create_app({"ENGINE": engine, "TESTING": True},
                                                                             settings=Settings()).test_client(),
                                                                  "http://evil.example")):
        xml = client.get("/feed.atom?q=сот", headers={"Host": "evil.example"}).data
        root = ET.fromstring(xml)
        hrefs = [link.get("href") for link in root.iter(ATOM + "link")]
        ids = [e.find(ATOM + "id").text for e in root.findall(ATOM + "entry")]
        assert hrefs and all(h.startswith(want + "/") for h in hrefs), hrefs[:3]
        assert ids and all(i.startswith(f"tag:{want.split('//')[1].split('/')[0]},") for i in ids)
        servers = client.get("/openapi.json", headers={"Host": "evil.example"}).get_json()["servers"]
        assert servers == [{"url": want}]
    assert "public_url" in Settings.from_env({"KGSEARCH_PUBLIC_URL": "news.example.kg"}).problems
    assert Settings.from_env({"KGSEARCH_PUBLIC_URL": "https://news.example.kg"}).public_url == "https://news.example.kg"
