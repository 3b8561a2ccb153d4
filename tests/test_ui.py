"""The journalist's flow through the test client: numbered pagination and its edges, a page past the
end, the article's back link, "show more" facets, the home page's facts, accessible markup."""
from __future__ import annotations

import re
import urllib.parse
from html import unescape

import pytest

from indexer import places
from search.engine import SearchEngine
from tests.helpers import build_index, write_jsonl
from web import create_app

N_DOCS = 45
DISTRICTS = places.DISTRICTS[:12]


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui")
    docs = [{"id": f"d{n:02d}", "title": f"Паракорлук боюнча макала {n}",
             "date": f"{2015 + n % 10}-{n % 12 + 1:02d}-0{n % 9 + 1}",
             "body": f"Бул макала {DISTRICTS[n % len(DISTRICTS)]}нда болгон паракорлук тууралуу. Номер {n}.",
             "url": f"https://24.kg/{n}/"} for n in range(N_DOCS)]
    store = build_index(tmp / "ix", [write_jsonl(tmp / "many.jsonl", docs)])
    return create_app({"ENGINE": SearchEngine(store=store), "TESTING": True}).test_client()


def get(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[-500:])
    return r.get_data(as_text=True)


def pager(html):
    nav = re.search(r'<nav class="pages".*?</nav>', html, re.S)
    return nav.group(0) if nav else ""


def rel(html, name):
    m = re.search(rf'<a rel="{name}" href="([^"]+)"', pager(html))
    return unescape(m.group(1)) if m else None


def page_of(url):
    return int(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("page", ["1"])[0])


def test_numbered_pagination_with_first_and_last(many):
    base = "/?q=паракорлук&per_page=4"          # 45 articles: 12 pages
    html = get(many, base)
    nav = pager(html)
    assert 'aria-current="page"' in nav and rel(html, "first") is None and rel(html, "prev") is None
    assert page_of(rel(html, "next")) == 2 and page_of(rel(html, "last")) == 12
    numbers = [int(n) for n in re.findall(r"</span>(\d+)</(?:a|span)>", nav)]
    assert numbers == [1, 2, 3, 12]
    html = get(many, base + "&page=6")
    numbers = [int(n) for n in re.findall(r"</span>(\d+)</(?:a|span)>", pager(html))]
    assert numbers == [1, 4, 5, 6, 7, 8, 12] and pager(html).count("…") == 2
    assert re.search(r'<span class="current" aria-current="page"><span class="visually-hidden">Барак </span>6</span>',
                     pager(html))
    assert "page" not in urllib.parse.parse_qs(urllib.parse.urlsplit(rel(html, "first")).query)
    assert page_of(rel(html, "prev")) == 5 and page_of(rel(html, "next")) == 7
    html = get(many, base + "&page=12")
    assert rel(html, "next") is None and rel(html, "last") is None and page_of(rel(html, "prev")) == 11
    assert html.count('class="hit"') == 1                       # 45 = 11 × 4 + 1
    # every page link keeps the query and per_page
    for href in re.findall(r'href="([^"]+)"', pager(html)):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(unescape(href)).query)
        assert q["q"] == ["паракорлук"] and q["per_page"] == ["4"]


def test_one_page_has_no_pager(many):
    assert pager(get(many, "/?q=паракорлук&per_page=100")) == ""


@pytest.mark.parametrize("page, status, where", [(13, 302, 12), (999, 302, 12), (10_000, 302, 12), (12, 200, None)])
def test_a_page_past_the_end_redirects_to_the_last(many, page, status, where):
    r = many.get(f"/?q=паракорлук&per_page=4&page={page}&sort=newest")
    assert r.status_code == status
    if where:
        target = r.headers["Location"]
        assert page_of(target) == where and "sort=newest" in target and "per_page=4" in target
        assert many.get(target).status_code == 200


def test_a_page_past_the_end_of_nothing_goes_to_the_first(many):
    r = many.get("/?q=жоктугуболбогонсөз&page=3")
    assert r.status_code == 302 and "page=" not in r.headers["Location"]
    assert "Эч нерсе табылган жок" in get(many, r.headers["Location"])


def test_article_back_link_keeps_query_filters_sort_and_page(many):
    district = DISTRICTS[0]
    search = f"/?q=паракорлук&district={urllib.parse.quote(district)}&from=2015&to=2024&sort=oldest&per_page=1&page=2"
    html = get(many, search)
    doc = unescape(re.search(r'<h3><a href="([^"]+)">', html).group(1))
    page = get(many, doc)
    back = unescape(re.search(r'<p class="back"><a href="([^"]+)">', page).group(1))
    want = urllib.parse.parse_qs(urllib.parse.urlsplit(search).query)
    got = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)
    assert got == want
    hits = re.search(r'<ol class="hits".*?</ol>', html, re.S).group(0)
    assert re.search(r'<ol class="hits".*?</ol>', get(many, back), re.S).group(0) == hits   # the same results
    # an article opened from the first page or without a search goes back to what it came from
    first = unescape(re.search(r'<h3><a href="([^"]+)">', get(many, "/?q=паракорлук")).group(1))
    back = unescape(re.search(r'<p class="back"><a href="([^"]+)">', get(many, first)).group(1))
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(back).query) == {"q": ["паракорлук"]}
    assert re.search(r'<p class="back"><a href="/">', get(many, "/doc/d01"))


def test_long_facet_lists_show_more(many):
    html = get(many, "/?q=паракорлук")
    section = re.search(r'<section class="facet facet-district".*?</section>', html, re.S).group(0)
    shown, more = section.split('<details class="more"')
    assert shown.count("data-facet") == 8 and more.count("data-facet") == len(DISTRICTS) - 8
    assert re.search(r"<summary>Дагы 4</summary>", more) and " open" not in more.split(">")[0]
    # the years too: ten of them, two behind "show more"
    years = re.search(r'<section class="facet facet-year".*?</section>', html, re.S).group(0)
    assert '<details class="more">' in years


def test_facets_and_timeline_fold_into_a_filters_disclosure(many):
    html = get(many, "/?q=паракорлук")
    details = re.search(r'<details class="filters" id="filters">\s*<summary>Чыпкалар</summary>(.*?)</details>\s*<section class="results"',
                        html, re.S)
    assert details and 'class="facet facet-year"' in details.group(1) and "timeline-narrow" in details.group(1)
    # the results come right after it, with the skip link's target
    assert 'href="#results"' in html and 'id="results"' in html


def test_timeline_bars_have_text_and_empty_ones_are_not_links(many):
    html = get(many, "/?q=паракорлук&district=" + urllib.parse.quote(DISTRICTS[0]))
    wide = re.search(r'<figure class="timeline timeline-wide">.*?</figure>', html, re.S).group(0)
    links = re.findall(r'<a class="bar"[^>]*data-count="(\d+)"', wide)
    empty = re.findall(r'<li class="bar empty"[^>]*data-count="0"', wide)
    assert links and empty and all(int(n) > 0 for n in links)
    assert wide.count('<span class="visually-hidden">') == len(links) + len(empty) + 0
    assert re.search(r'<span class="visually-hidden">2015: 1 макала</span>', wide)
    assert "<a" not in "".join(re.findall(r'<li class="bar empty".*?</li>', wide, re.S))


@pytest.mark.parametrize("path", ["/", "/?q=паракорлук", "/?q=жоктугуболбогонсөз", "/doc/d01?q=паракорлук",
                                  "/doc/nope", "/?page=x", "/?district=" + urllib.parse.quote(DISTRICTS[1])])
def test_every_page_has_one_h1_a_skip_link_and_labelled_controls(many, path):
    r = many.get(path)
    html = r.get_data(as_text=True)
    assert html.count("<h1") == 1, path
    assert re.search(r'<a class="skip" href="#(main|results)">', html)
    target = re.search(r'<a class="skip" href="#(\w+)">', html).group(1)
    assert f'id="{target}"' in html
    for control in re.findall(r'<(?:input|select)\b[^>]*>', html):
        if 'type="hidden"' in control:
            continue
        cid = re.search(r'id="([^"]+)"', control).group(1)
        assert f'<label class="visually-hidden" for="{cid}">' in html or f'<label for="{cid}">' in html, control


def test_home_page_tells_what_is_indexed_without_paths(many, sample_store):
    html = get(many, "/")
    facts = re.search(r'<section class="facts".*?</section>', html, re.S).group(0)
    assert "<dd>45</dd>" in facts and "many.jsonl" in facts and "/tmp" not in html
    assert "2015" in facts and "2024" in facts
    assert facts.count("<dt>") == 4
    examples = re.findall(r'<a href="(/\?q=[^"]+)">', html)
    assert len(examples) >= 3
    for href in examples:
        assert many.get(unescape(href)).status_code == 200
    client = create_app({"ENGINE": SearchEngine(store=sample_store), "TESTING": True}).test_client()
    html = client.get("/").get_data(as_text=True)
    assert "<dd>2</dd>" in html and str(sample_store.root) not in html and "/work/" not in html


def test_sort_select_is_enhanced_by_an_external_script_and_the_button_stays(many):
    html = get(many, "/?q=паракорлук")
    assert re.search(r'<script src="/static/app.js" defer></script>', html)
    assert "<select id=\"sort\" name=\"sort\" data-autosubmit>" in html and '<button type="submit">' in html
    js = many.get("/static/app.js")
    assert js.status_code == 200 and "requestSubmit" in js.get_data(as_text=True)
    assert "script-src 'self'" in js.headers["Content-Security-Policy"]
