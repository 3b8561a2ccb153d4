"""Attention as a share (issue 15): every timeline period carries ``all`` (the live indexed articles
of the period) and ``share`` = count / all; the counts add up to the dated matches; the API gives
the timeline as JSON and CSV; the page switches between counts and shares."""
from __future__ import annotations

import csv
import io

import pytest

from search.engine import SearchEngine
from search.filters import make_filters
from tests.dated_corpus import dated_store  # noqa: F401  (fixture)
from web import create_app

CASES = [("сот", {}), ("пара алуу", {}), ("президент", {"date_from": "2020", "date_to": "2021"}),
         ("", {"oblasts": ["Бишкек"]}), ("коррупция OR прокуратура", {})]


@pytest.fixture(scope="module")
def dated_engine(dated_store):
    return SearchEngine(store=dated_store)


@pytest.mark.slow
@pytest.mark.parametrize("q,filters", CASES)
def test_shares_add_up(dated_engine, q, filters):
    result = dated_engine.search(q, filters=make_filters(**filters))
    tl = result["timeline"]
    assert tl["bins"], "the case must find dated articles"
    assert sum(b["count"] for b in tl["bins"]) == result["total"] - tl["undated"]
    everything = dated_engine.search("", per_page=1)
    for b in tl["bins"]:
        # `all`: what an empty query finds in that period; the share is count / all
        period = dated_engine.search("", per_page=1, filters=make_filters(b["period"], b["period"]))
        assert b["all"] == period["total"] >= b["count"]
        assert b["share"] == pytest.approx(b["count"] / b["all"] if b["all"] else 0.0, abs=1e-6)
        assert 0.0 <= b["share"] <= 1.0
    assert tl["peak_share"] == max(b["share"] for b in tl["bins"])
    assert "peak_share" not in dated_engine.search("жок-сөз-кызыл")["timeline"]     # no bins: as before
    # Σ all over the bins = every dated article of the span
    lo, hi = tl["bins"][0]["period"], tl["bins"][-1]["period"]
    span = dated_engine.search("", per_page=1, filters=make_filters(lo, hi))["total"]
    assert sum(b["all"] for b in tl["bins"]) == span <= everything["total"]


@pytest.mark.slow
def test_month_bins_and_empty_query_share_one(dated_engine):
    tl = dated_engine.search("", filters=make_filters("2020-02", "2021-05"))["timeline"]
    assert tl["unit"] == "month" and len(tl["bins"]) == 16
    assert all(b["share"] == (1.0 if b["all"] else 0.0) and b["count"] == b["all"] for b in tl["bins"])
    tl = dated_engine.search("сот", filters=make_filters("2020-02", "2021-05"))["timeline"]
    assert tl["unit"] == "month" and any(0 < b["share"] < 1 for b in tl["bins"])


@pytest.mark.slow
def test_timeline_api_json_and_csv(dated_engine):
    client = create_app({"ENGINE": dated_engine, "TESTING": True}).test_client()
    params = {"q": "сот", "from": "2020", "to": "2022"}
    search = client.get("/api/search", query_string=params).get_json()
    data = client.get("/api/timeline", query_string=params).get_json()
    assert data["bins"] == search["timeline"]["bins"] and data["total"] == search["total"]
    assert all({"period", "count", "all", "share"} <= set(b) for b in data["bins"])
    r = client.get("/api/timeline", query_string={**params, "format": "csv"})
    assert r.mimetype == "text/csv" and r.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"), newline="")))
    assert rows[-1]["period"] == "undated" and int(rows[-1]["count"]) == data["undated"]
    assert [(r["period"], int(r["count"]), int(r["all"]), float(r["share"])) for r in rows[:-1]] == \
        [(b["period"], b["count"], b["all"], b["share"]) for b in data["bins"]]
    bad = client.get("/api/timeline", query_string={"format": "xml"})
    assert bad.status_code == 400 and bad.get_json()["status"] == 400


@pytest.mark.slow
def test_page_switches_counts_and_shares(dated_engine):
    client = create_app({"ENGINE": dated_engine, "TESTING": True}).test_client()
    counts = client.get("/", query_string={"q": "сот"}).get_data(as_text=True)
    shares = client.get("/", query_string={"q": "сот", "timeline": "share"}).get_data(as_text=True)
    assert 'class="timeline-share"' in counts and "timeline=share" in counts
    tl = client.get("/api/timeline", query_string={"q": "сот"}).get_json()
    # bar heights: by count on one page, by share on the other
    import re
    # (the page draws the timeline twice, in the filters for phones and beside the results; the
    # wide one is measured; empty periods are not links)
    def heights(page):
        wide = page[page.index('class="timeline timeline-wide"'):]
        wide = wide[:wide.index("</figure>")]
        return [int(h) for h in re.findall(r'<a class="bar"[^>]*><span class="h(\d+)"', wide)]
    by_count = [round_up(100 * b["count"] / tl["peak"]) for b in tl["bins"] if b["count"]]
    by_share = [round_up(100 * b["share"] / tl["peak_share"]) for b in tl["bins"] if b["count"]]
    assert heights(counts) == by_count and heights(shares) == by_share and by_count != by_share
    # a bar narrows to its period and keeps the mode the reader chose
    def bar_links(page):
        wide = page[page.index('class="timeline timeline-wide"'):]
        return re.findall(r'<a class="bar" href="([^"]+)"', wide[:wide.index("</figure>")])
    assert bar_links(shares) and all("timeline=share" in h for h in bar_links(shares))
    assert bar_links(counts) and not any("timeline=" in h for h in bar_links(counts))


def round_up(x: float) -> int:
    import math
    return int(math.ceil(x))
