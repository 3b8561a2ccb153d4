"""Hostile input against the web layer: script URLs in documents, odd ids, huge parameters, broken
indexes — through the Flask test client and a real ``kgsearch serve`` process."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from search.engine import SearchEngine
from tests.helpers import KGSEARCH, SAMPLE, Server, build_index, free_port, write_jsonl
from web import create_app
from web.safety import safe_url

ROOT = Path(__file__).resolve().parent.parent

BAD_URLS = [
    "javascript:document.title='PWNED'",
    "  JaVaScRiPt:document.title='PWNED'",
    "java\tscript:document.title='PWNED'",
    "java\nscript:alert(1)",
    "\x01\x1fjavascript:alert(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "https:/no-host",
    "http://[::1",
    "/doc/relative",
    "file:///etc/passwd",
]
GOOD_URLS = ["https://24.kg/obschestvo/1/", "  HTTP://Example.KG/a?b=1&c=<2> "]
ODD_IDS = ["a?b", "a#b", "a b", "100%", "a/b", "a//b", "/lead", "trail/", "..", ".", "a/../b",
           "%2F", "ä ö", "a+b&c=d", "x<1>\"'", "back\\slash"]


def _docs():
    docs = []
    for n, url in enumerate(BAD_URLS + GOOD_URLS):
        docs.append({"id": f"url{n}", "title": f"Булак {n} паракорлук", "url": url,
                     "date": "2024-%02d-01" % (n % 12 + 1), "body": f"Паракорлук жөнүндө макала {n}."})
    for n, doc_id in enumerate(ODD_IDS):
        docs.append({"id": doc_id, "title": f"Өзгөчө id {n} шайлоо", "body": f"Шайлоо тууралуу {n}.",
                     "date": "2023-01-01"})
    return docs


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    return build_index(tmp / "ix", [write_jsonl(tmp / "hostile.jsonl", _docs())])


@pytest.fixture(scope="module")
def hostile(hostile_store):
    app = create_app({"ENGINE": SearchEngine(store=hostile_store), "TESTING": True})
    return app.test_client()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.styles, self.scripts, self.actions = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "href" in a:
            self.hrefs.append((tag, a["href"]))
        if "action" in a:
            self.actions.append(a["action"])
        if "style" in a or any(k.startswith("on") for k in a):
            self.styles.append((tag, a))
        if tag == "script" and not (a.get("src") or "").startswith("/static/"):
            self.scripts += 1                       # inline, or from elsewhere (our own app.js is fine)


def parse(html: str) -> _Links:
    p = _Links()
    p.feed(html)
    return p


def assert_only_safe_links(html: str):
    p = parse(html)
    assert p.scripts == 0 and not p.styles, (p.scripts, p.styles)
    for tag, href in p.hrefs:
        if href.startswith("/") and not href.startswith("//") or href in ("#main", "#results"):
            continue                                  # our own pages, the stylesheet, the skip link
        assert safe_url(href) == href, href           # else: an absolute http(s) URL, as checked
    return p


# -- the URL check itself ------------------------------------------------------------------------
@pytest.mark.parametrize("url", BAD_URLS + ["", None, 42, "javascript://example.com/%0Aalert(1)",
                                            "https://exa mple.com/", "mailto:a@b.kg", "HTTPS:"])
def test_unsafe_urls_are_not_links(url):
    assert safe_url(url) is None


@pytest.mark.parametrize("url, expected", [
    ("https://24.kg/a", "https://24.kg/a"), ("HTTP://Example.KG", "HTTP://Example.KG"),
    ("\x00 https://24.kg/a \n", "https://24.kg/a"), ("https://24.kg/a\tb", "https://24.kg/ab"),
])
def test_http_urls_are_links_as_a_browser_reads_them(url, expected):
    assert safe_url(url) == expected


# -- hostile URLs on the pages -----------------------------------------------------------------
def test_script_urls_are_plain_text_on_the_results_page(hostile):
    r = hostile.get("/?q=паракорлук&per_page=50")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.count('class="hit"') == len(BAD_URLS) + len(GOOD_URLS)
    p = assert_only_safe_links(html)
    assert "javascript" not in " ".join(h for _, h in p.hrefs).lower()
    assert html.count('class="source-text"') == len(BAD_URLS)
    assert "булак: javascript:document.title=&#39;PWNED&#39;" in html
    external = [h for _, h in p.hrefs if not h.startswith(("/", "#"))]
    assert sorted(external) == sorted(u.strip() for u in GOOD_URLS)


@pytest.mark.parametrize("n", range(len(BAD_URLS) + len(GOOD_URLS)))
def test_article_page_links_only_http_sources(hostile, n):
    r = hostile.get(f"/doc/url{n}?q=паракорлук")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    p = assert_only_safe_links(html)
    external = [h for _, h in p.hrefs if not h.startswith(("/", "#"))]
    if n < len(BAD_URLS):
        assert external == [] and 'class="source-text"' in html
    else:
        assert external == [GOOD_URLS[n - len(BAD_URLS)].strip()]
        assert 'class="source-link"' in html and 'rel="noopener noreferrer"' in html


# -- headers on every kind of answer --------------------------------------------------------------
ROUTES = [("GET", "/", 200), ("GET", "/?q=паракорлук", 200), ("GET", "/doc/url0", 200),
          ("GET", "/doc/nope", 404), ("GET", "/?page=x", 400), ("GET", "/api/search?q=шайлоо", 200),
          ("GET", "/api/search?per_page=0", 400), ("GET", "/api/doc/url0", 200), ("GET", "/api/doc/nope", 404),
          ("GET", "/api/stats", 200), ("GET", "/healthz", 200), ("GET", "/static/style.css", 200),
          ("GET", "/static/nothing.js", 404), ("GET", "/no/such/page", 404), ("POST", "/", 405),
          ("POST", "/api/search", 405), ("DELETE", "/doc/url0", 405), ("PUT", "/static/style.css", 405),
          ("HEAD", "/", 200), ("OPTIONS", "/api/search", 200)]


def check_security_headers(headers):
    csp = headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["default-src"] == ["'self'"] and directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["style-src"] == ["'self'"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("method, path, status", ROUTES)
def test_security_headers_on_every_route(hostile, method, path, status):
    r = hostile.open(path, method=method)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    check_security_headers(r.headers)
    if status == 405:
        allowed = {m.strip() for m in r.headers["Allow"].split(",")}
        assert "GET" in allowed and method not in allowed
        assert r.is_json == path.startswith("/api/")


def test_security_headers_on_503_and_from_the_real_server(tmp_path, hostile_store):
    r = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client().get("/")
    assert r.status_code == 503
    check_security_headers(r.headers)
    srv = Server(hostile_store.root)
    try:
        for path in ["/", "/static/style.css", "/api/stats"]:
            with urllib.request.urlopen(srv.url + path, timeout=10) as resp:
                check_security_headers(resp.headers)
        for path, code in [("/doc/nope", 404), ("/?q=" + "я" * 1200, 400)]:
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(srv.url + urllib.parse.quote(path, safe="/?="), timeout=10)
            assert err.value.code == code
            check_security_headers(err.value.headers)
        req = urllib.request.Request(srv.url + "/api/search", data=b"q=x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 405 and "GET" in err.value.headers["Allow"]
    finally:
        srv.stop()


def test_no_inline_style_or_script_in_any_page(hostile):
    for path in ["/", "/?q=паракорлук", "/?q=шайлоо", "/doc/url0?q=паракорлук", "/doc/nope", "/?page=x"]:
        html = hostile.get(path).get_data(as_text=True)
        p = parse(html)
        assert p.scripts == 0 and not p.styles, path


def test_every_timeline_height_class_is_in_the_stylesheet(hostile):
    css = (ROOT / "web" / "static" / "style.css").read_text(encoding="utf-8")
    html = hostile.get("/?q=паракорлук").get_data(as_text=True)
    used = set(re.findall(r'<span class="(h\d+)"></span>', html))
    assert "h100" in used and len(used) >= 2
    for n in range(101):
        assert f".timeline .h{n} {{ height: {n}%; }}" in css


# -- odd document ids ------------------------------------------------------------------------------
def _doc_links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<h3><a href="([^"]+)">', html)]


def test_odd_ids_link_to_their_own_article(hostile):
    html = hostile.get("/?q=шайлоо&per_page=50").get_data(as_text=True)
    links = _doc_links(html)
    assert len(links) == len(ODD_IDS)
    seen = set()
    for href in links:
        # resolve as a browser does (dot segments, '#' fragments): the server must get the same id
        url = urllib.parse.urljoin("http://x/?q=1", href)
        parts = urllib.parse.urlsplit(url)
        assert not parts.fragment, href
        r = hostile.get(parts.path + "?" + parts.query)
        assert r.status_code == 200, href
        title = re.search(r"<h1>(.*?)</h1>", r.get_data(as_text=True)).group(1)
        n = int(re.search(r"id (\d+)", title).group(1))
        seen.add(n)
        assert hostile.get(f"/api/doc/{urllib.parse.quote(ODD_IDS[n], safe='')}").status_code == 200 \
            or ODD_IDS[n] in (".", "..")
    assert seen == set(range(len(ODD_IDS)))


def test_odd_ids_link_to_their_own_article_over_http(hostile_store):
    srv = Server(hostile_store.root)
    try:
        status, html = srv.get("/?q=" + urllib.parse.quote("шайлоо") + "&per_page=50")
        seen = set()
        for href in _doc_links(html):
            status, page = srv.get(urllib.parse.urljoin("/", href))
            n = int(re.search(r"<h1>.*?id (\d+)", page).group(1))
            assert status == 200 and f"тууралуу {n}." in page
            seen.add(n)
        assert seen == set(range(len(ODD_IDS)))
    finally:
        srv.stop()


def test_search_links_are_encoded(hostile):
    html = hostile.get("/?q=" + urllib.parse.quote("a&b=c #x") + "&from=2023").get_data(as_text=True)
    p = parse(html)
    own = [unescape(h) for _, h in p.hrefs if h.startswith("/?")]
    assert own and all("q=a%26b%3Dc+%23x" in h or "q=a%26b%3Dc%20%23x" in h for h in own), own
    assert p.actions == ["/"]


# -- limits and echoes -----------------------------------------------------------------------------
HUGE = "я" * 200_000


@pytest.mark.parametrize("path", [
    "/?q={}", "/api/search?q={}", "/doc/url0?q={}", "/api/doc/url0?q={}", "/?q=x&page=9{}",
    "/api/search?q=x&from=2{}", "/api/search?q=x&to={}", "/?q=x&district={}", "/api/search?oblast={}",
    "/doc/{}", "/api/doc/{}", "/api/search?q=x&per_page={}",
])
def test_huge_values_are_rejected_with_a_short_echo(hostile, path):
    r = hostile.get(path.format(urllib.parse.quote(HUGE)))
    body = r.get_data(as_text=True)
    assert r.status_code in (400, 404), body[:200]
    assert len(body) < 4000, len(body)
    message = r.get_json()["error"] if r.is_json else unescape(re.search(r'class="message">(.*?)<', body, re.S).group(1))
    assert "…" in message and "я" * 80 not in message
    if r.status_code == 400:     # pages speak Kyrgyz by default, the API English
        assert any(m in message for m in ("too long", "whole number", "өтө узун", "бүтүн сан")), message


def test_q_at_the_limit_is_accepted_everywhere(hostile):
    q = "паракорлук " + "а" * 989
    assert len(q) == 1000
    for path in ["/", "/api/search", "/doc/url0", "/api/doc/url0"]:
        assert hostile.get(path, query_string={"q": q}).status_code == 200, path
        assert hostile.get(path, query_string={"q": q + "а"}).status_code == 400, path


# -- no server paths for visitors ------------------------------------------------------------------
def test_stats_show_no_server_paths(hostile, hostile_store):
    r = hostile.get("/api/stats")
    data = r.get_json()
    assert data["documents"] == len(_docs())
    assert "index" not in data and "sources" not in data
    assert str(hostile_store.root) not in r.get_data(as_text=True)
    assert str(hostile_store.root.parent) not in r.get_data(as_text=True)
    admin = create_app({"ENGINE": SearchEngine(store=hostile_store), "STATS_SHOW_PATHS": True}).test_client()
    assert admin.get("/api/stats").get_json()["index"] == str(hostile_store.root)


def _broken_missing_generation(root: Path) -> Path:
    store = build_index(root, [SAMPLE])
    (store.root / "CURRENT").write_text("gen-that-is-gone\n", encoding="utf-8")
    return store.root


def _broken_garbage_toc(root: Path) -> Path:
    store = build_index(root, [SAMPLE])
    tocs = list(store.path(store.current()).glob("*.toc"))
    assert tocs
    for toc in tocs:
        toc.write_bytes(b"\x00garbage" * 16)
    return store.root


def _not_built(root: Path) -> Path:
    return root / "never-built"


PAGES = ["/", "/?q=коррупция", "/doc/000_a04a57a4dc81b787", "/doc?id=.."]
APIS = ["/api/search?q=коррупция", "/api/doc/000_a04a57a4dc81b787", "/api/stats", "/healthz"]


@pytest.mark.parametrize("make", [_not_built, _broken_missing_generation, _broken_garbage_toc])
def test_missing_or_broken_index_is_503_naming_the_fix_without_paths(tmp_path, make, caplog):
    root = make(tmp_path / "ix")
    client = create_app({"INDEX_DIR": str(root), "TESTING": True}).test_client()
    for path in PAGES + APIS:
        r = client.get(path)
        body = r.get_data(as_text=True)
        assert r.status_code == 503, (path, body[:300])
        assert str(tmp_path) not in body and "generations" not in body, path
        check_security_headers(r.headers)
        if path.startswith("/api/") or path == "/healthz":
            data = r.get_json()
            assert "kgsearch reindex" in data["error"], path
            if path == "/healthz":
                assert data["status"] == "no index"
        else:
            assert r.mimetype == "text/html" and "kgsearch reindex" in unescape(body), path
            assert "Издөө азыр жеткиликсиз" in body
    assert client.get("/static/style.css").status_code == 200     # the 503 page keeps its style
    assert str(root) in caplog.text                               # the detail is in the server log


def test_a_real_bug_stays_a_logged_500_not_a_503(sample_store, caplog):
    class Buggy(SearchEngine):
        def search(self, *args, **kw):
            raise RuntimeError("a bug in the search path")
    client = create_app({"ENGINE": Buggy(store=sample_store), "TESTING": True}).test_client()
    for path in ["/?q=коррупция", "/api/search?q=коррупция"]:
        r = client.get(path)
        assert r.status_code == 500 and "a bug" not in r.get_data(as_text=True)
        check_security_headers(r.headers)
    assert client.get("/doc/000_a04a57a4dc81b787").status_code == 200
    assert "a bug in the search path" in caplog.text


def test_broken_index_is_503_from_the_real_server(tmp_path):
    root = _broken_garbage_toc(tmp_path / "ix")
    port = free_port()
    proc = subprocess.Popen([*KGSEARCH, "serve", "--index", str(root), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def get(path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None:
            try:
                status, body = get("/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not come up in 30 s"
                time.sleep(0.1)
        if proc.poll() is not None:
            # the engine raises whoosh's IndexError, not NoIndex, from SearchEngine.state(): the CLI /
            # engine side of issue 10 (item 9) makes `serve` start on a broken generation
            pytest.xfail("`kgsearch serve` does not start on a broken index: " + proc.stdout.read()[-300:])
        assert status == 503 and "kgsearch reindex" in json.loads(body)["error"], body
        status, page = get("/?q=x")
        assert status == 503 and "kgsearch reindex" in unescape(page)
        assert str(tmp_path) not in body + page
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
