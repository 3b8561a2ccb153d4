"""The timeline: matching documents per month (or year), for researchers following a topic over
time; every bar is a link that narrows the results to its period."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from search.engine import SearchEngine
from search.filters import make_filters
from tests.helpers import build_index, write_jsonl
from web import create_app


def _docs():
    docs = []
    # a topic over 2019–2025 with a burst in 2023, plus undated articles
    for i in range(120):
        year = 2019 + i % 7
        month = 1 + (i * 5) % 12
        if i % 4 == 0:
            year, month = 2023, 3 + i % 4
        docs.append({"id": f"t{i}", "title": f"Кабар {i}", "body": "Паракорлук боюнча кылмыш иши козголду.",
                     "date": f"{year}-{month:02d}-{1 + i % 27:02d}"})
    # another topic inside one year and a half
    for i in range(30):
        docs.append({"id": f"s{i}", "body": "Шайлоо комиссиясы жыйынтыктарды жарыялады.",
                     "date": f"{2024 + (i >= 20)}-{1 + i % 12:02d}-05"})
    docs += [{"id": f"u{i}", "body": "Паракорлук тууралуу датасыз макала."} for i in range(5)]
    return docs


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("timeline")
    store = build_index(tmp / "ix", [write_jsonl(tmp / "docs.jsonl", _docs())])
    return SearchEngine(store=store)


def test_years_when_the_dates_span_more_than_three_years(engine):
    result = engine.search("паракорлук", per_page=1)
    tl = result["timeline"]
    assert tl["unit"] == "year"
    assert [b["period"] for b in tl["bins"]] == [str(y) for y in range(2019, 2026)]
    assert tl["undated"] == 5
    assert sum(b["count"] for b in tl["bins"]) + tl["undated"] == result["total"] == 125
    assert tl["peak"] == max(b["count"] for b in tl["bins"])
    by_year = {b["period"]: b["count"] for b in tl["bins"]}
    assert by_year == {y: int(n) for y, n in result["facets"]["year"].items()}
    assert by_year["2023"] > by_year["2022"]          # the burst shows


def test_months_with_the_empty_ones_between(engine):
    tl = engine.search("шайлоо")["timeline"]
    assert tl["unit"] == "month" and tl["undated"] == 0
    periods = [b["period"] for b in tl["bins"]]
    assert periods[0] == "2024-01" and periods[-1] == "2025-12"
    assert len(periods) == 24 and len(set(periods)) == 24          # every month in between
    counts = {b["period"]: b["count"] for b in tl["bins"]}
    assert counts["2024-01"] == 2 and counts["2025-01"] == 1 and sum(counts.values()) == 30
    assert counts["2025-07"] == counts["2025-08"] == 0


def test_every_bar_count_is_what_its_period_filter_finds(engine):
    for q in ("паракорлук", "шайлоо"):
        for b in engine.search(q)["timeline"]["bins"]:
            narrowed = engine.search(q, filters=make_filters(b["period"], b["period"]))
            assert narrowed["total"] == b["count"], (q, b)


def test_timeline_follows_filters_and_is_empty_without_dates(engine):
    tl = engine.search("паракорлук", filters=make_filters("2023-03", "2023-06"))["timeline"]
    assert tl["unit"] == "month" and [b["period"] for b in tl["bins"]][0] == "2023-03"
    assert engine.search("датасыз")["timeline"] == {"unit": None, "bins": [], "undated": 5, "peak": 0}
    assert engine.search("жок сөз")["timeline"]["bins"] == []


def test_results_page_draws_bars_that_link_to_their_period(engine):
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    html = client.get("/?q=паракорлук").get_data(as_text=True)
    wide = re.search(r'<figure class="timeline timeline-wide">.*?</figure>', html, re.S).group(0)
    # height: CSS class h0…h100; a bar with articles is a link, an empty one is not (not focusable)
    bars = re.findall(r'class="bar(?: empty)?"(?: href="([^"]+)")?\s+title="([^"]+)" data-period="([^"]+)" '
                      r'data-count="(\d+)"><span class="h(\d+)"></span>', wide)
    assert all(bool(href) == (int(n) > 0) for href, _, _, n, _ in bars)
    assert [p for _, _, p, _, _ in bars] == [str(y) for y in range(2019, 2026)]
    assert max(float(h) for *_, h in bars) == 100.0
    href = unescape(bars[4][0])
    assert "from=2023" in href and "to=2023" in href and "q=" in href
    narrowed = client.get(href).get_data(as_text=True)
    assert f"<strong>{bars[4][3]}</strong>" in narrowed
    assert "датасы жок: 5" in html
    api = client.get("/api/search?q=шайлоо").get_json()
    assert api["timeline"]["unit"] == "month" and len(api["timeline"]["bins"]) == 24
    # one period only: no chart
    assert 'class="bar"' not in client.get("/?q=шайлоо&from=2024-03&to=2024-03").get_data(as_text=True)


def test_year_facet_is_disjunctive_under_a_period(engine):
    """With a period chosen, the year facet still counts every year (the period is that facet's
    own filter): each year's count is what choosing that year instead gives."""
    chosen = make_filters("2023", "2023")
    result = engine.search("паракорлук", filters=chosen)
    years = result["facets"]["year"]
    assert len(years) == 7 and result["total"] == years["2023"]
    for year, n in years.items():
        assert engine.search("паракорлук", filters=make_filters(year, year))["total"] == n, year


def test_a_period_filter_says_how_many_undated_articles_it_leaves_out(engine):
    """5 undated 'паракорлук' articles: a period filter leaves them out and says so, in the
    result, the API and the page (with a link that drops the period)."""
    assert engine.search("паракорлук")["undated_excluded"] == 0
    result = engine.search("паракорлук", filters=make_filters("2023", None))
    assert result["undated_excluded"] == 5
    assert engine.search("шайлоо", filters=make_filters("2024", "2024"))["undated_excluded"] == 0
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    assert client.get("/api/search?q=паракорлук&from=2023").get_json()["undated_excluded"] == 5
    page = unescape(client.get("/?q=паракорлук&from=2023").get_data(as_text=True))
    assert "датасы жок 5 макаланы чыгарып салды" in page
    link = re.search(r'undated-note.*?href="([^"]+)"', page, re.S).group(1)
    assert "from=" not in link and "q=" in link
    newest = unescape(client.get("/?q=паракорлук&sort=newest").get_data(as_text=True))
    assert "Датасы жок 5 макала тизменин аягында" in newest
