"""Journalists' filters and facets on a corpus whose dates and places are known."""
import datetime as dt
import json
import random

import pytest

from indexer import places
from search.engine import SearchEngine
from search.filters import InvalidFilter, make_filters
from tests.helpers import build_index, run_cli, write_jsonl
from web import create_app

# (district phrase in Kyrgyz text, canonical district, its oblast)
PLACES = [
    ("Тоң районунда", "Тоң району", "Ысык-Көл облусу"),
    ("Кара-Суу районунун", "Кара-Суу району", "Ош облусу"),
    ("Сокулук районунда", "Сокулук району", "Чүй облусу"),
    ("Айтматов районунда", "Айтматов району", "Талас облусу"),
    ("Кара-Буура районунда", "Айтматов району", "Талас облусу"),     # old name → renamed district
]


def make_docs(n=90, seed=7):
    rng = random.Random(seed)
    docs, truth = [], {}
    for i in range(n):
        words = ["коррупция" if i % 3 else "паракорлук", "боюнча", "иш козголду."]
        date = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(16 * 365))
        place = rng.choice(PLACES + [None])
        text = (f"{place[0]} " if place else "Айылда ") + " ".join(words)
        doc = {"id": f"d{i}", "body": text}
        if i % 10 == 9:
            doc["body"] += " Датасы жок."    # undated document
            date = None
        else:
            doc["date"] = date.isoformat()
        docs.append(doc)
        truth[doc["id"]] = (date, place[1] if place else None, place[2] if place else None)
    return docs, truth


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("filters")
    docs, truth = make_docs()
    src = write_jsonl(tmp / "docs.jsonl", docs)
    store = build_index(tmp / "index", [src])
    return SearchEngine(store=store), truth, store


def all_hits(engine, q="", **kw):
    result = engine.search(q, per_page=100, **kw)
    assert result["total"] <= 100
    return result


def test_districts_and_oblasts_are_detected(corpus):
    engine, truth, _ = corpus
    for doc_id, (_, district, oblast) in truth.items():
        doc = engine.document(doc_id)
        assert doc["districts"] == ([district] if district else [])
        assert doc["oblasts"] == ([oblast] if oblast else [])


@pytest.mark.parametrize("q", ["", "коррупция"])
def test_a_filter_never_admits_a_document_outside_it(corpus, q):
    engine, truth, _ = corpus
    f = make_filters("2015", "2020-06", districts=["Тоң району", "Айтматов району"])
    result = all_hits(engine, q, filters=f)
    got = {h["id"] for h in result["hits"]}
    expected = {i for i, (date, district, _) in truth.items()
                if date and dt.date(2015, 1, 1) <= date <= dt.date(2020, 6, 30)
                and district in ("Тоң району", "Айтматов району")}
    if q:
        expected = {i for i in expected if int(i[1:]) % 3}
    assert got == expected and result["total"] == len(expected)


def test_oblast_filter_and_renamed_district(corpus):
    engine, truth, _ = corpus
    result = all_hits(engine, filters=make_filters(oblasts=["Талас облусу"]))
    assert {h["id"] for h in result["hits"]} == {i for i, t in truth.items() if t[2] == "Талас облусу"}
    # the old name as a filter value means the renamed district
    old = all_hits(engine, filters=make_filters(districts=["Кара-Буура району"]))
    assert old["total"] == sum(1 for t in truth.values() if t[1] == "Айтматов району")


def test_facet_counts_add_up(corpus):
    engine, truth, _ = corpus
    result = all_hits(engine, "")
    facets = result["facets"]
    years = {}
    for date, _, _ in truth.values():
        if date:
            years[str(date.year)] = years.get(str(date.year), 0) + 1
    assert facets["year"] == dict(sorted(years.items(), reverse=True))
    assert sum(facets["year"].values()) == sum(1 for t in truth.values() if t[0])
    districts = {}
    for _, d, _ in truth.values():
        if d:
            districts[d] = districts.get(d, 0) + 1
    assert facets["district"] == districts
    assert sum(facets["oblast"].values()) == sum(1 for t in truth.values() if t[2])
    # every facet name is a valid value of its filter, and selecting it gives its count
    for key in ("district", "oblast"):
        for name, n in facets[key].items():
            f = make_filters(**{key + "s": [name]})
            assert engine.search("", filters=f)["total"] == n
    for year, n in facets["year"].items():
        assert engine.search("", filters=make_filters(year, year))["total"] == n


def test_sorting_newest_oldest_and_undated_last(corpus):
    engine, truth, _ = corpus
    newest = [h["date"] for h in all_hits(engine, "коррупция", sort="newest")["hits"]]
    oldest = [h["date"] for h in all_hits(engine, "коррупция", sort="oldest")["hits"]]
    dated_new = [d for d in newest if d]
    assert dated_new == sorted(dated_new, reverse=True)
    assert [d for d in oldest if d] == sorted(dated_new)
    assert newest[-1] is None and oldest[-1] is None          # undated at the end either way
    assert all(d is None for d in newest[len(dated_new):])


def test_undated_documents_are_searchable_but_outside_date_filters(corpus):
    engine, truth, _ = corpus
    undated = {i for i, t in truth.items() if t[0] is None}
    assert undated <= {h["id"] for h in all_hits(engine, "")["hits"]}
    in_range = {h["id"] for h in all_hits(engine, filters=make_filters("2000", "2030"))["hits"]}
    assert not undated & in_range


@pytest.mark.parametrize("value, end, expected", [
    ("2025", False, dt.date(2025, 1, 1)), ("2025", True, dt.date(2025, 12, 31)),
    ("2024-02", True, dt.date(2024, 2, 29)), ("2025-03-14", True, dt.date(2025, 3, 14)),
    ("10.12.2025", False, dt.date(2025, 12, 10)), ("08-Сентябрь 2013-ж.", False, dt.date(2013, 9, 8)),
])
def test_filter_dates(value, end, expected):
    f = make_filters(None, value) if end else make_filters(value, None)
    assert (f.date_to if end else f.date_from) == expected


@pytest.mark.parametrize("kw, fragment", [
    ({"date_from": "soon"}, "soon"), ({"date_to": "2025-13"}, "2025-13"),
    ({"date_from": "2025", "date_to": "2024"}, "after"),
    ({"districts": ["Атлантида району"]}, "Атлантида"), ({"oblasts": ["Москва"]}, "Москва"),
])
def test_bad_filter_values_say_what_is_wrong(kw, fragment):
    with pytest.raises(InvalidFilter, match=fragment):
        make_filters(**kw)


def test_api_filters_and_facets(corpus):
    engine, truth, _ = corpus
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    r = client.get("/api/search", query_string=[("q", ""), ("district", "Тон району"),
                                                ("district", "Сокулук району"), ("sort", "oldest")])
    data = r.get_json()
    assert r.status_code == 200
    expected = {i for i, t in truth.items() if t[1] in ("Тоң району", "Сокулук району")}
    assert data["total"] == len(expected)
    assert data["filters"]["district"] == ["Сокулук району", "Тоң району"]
    # disjunctive: the district facet still shows every district, each with what it alone gives
    by_district = {}
    for t in truth.values():
        if t[1]:
            by_district[t[1]] = by_district.get(t[1], 0) + 1
    assert data["facets"]["district"] == dict(sorted(by_district.items(), key=lambda kv: (-kv[1], kv[0])))
    assert sum(data["facets"]["oblast"].values()) == len(expected)     # other facets: the selection
    assert client.get("/api/search?q=&from=nope").status_code == 400
    html = client.get("/?q=коррупция&oblast=Ош облусу").get_data(as_text=True)
    assert "Тандалган чыпкалар" in html and "Ош облусу ✕" in html


def test_cli_filters(corpus):
    _, truth, store = corpus
    r = run_cli("search", "--index", store.root, "--json", "--district", "Тоң району",
                "--from", "2012", "--to", "2019", "--sort", "newest", "--limit", "100")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    expected = {i for i, (d, dist, _) in truth.items() if d and 2012 <= d.year <= 2019 and dist == "Тоң району"}
    assert {h["id"] for h in data["hits"]} == expected
    r = run_cli("search", "--index", store.root, "--district", "Нигде")
    assert r.returncode == 2 and "Нигде" in r.stderr


def test_facets_come_from_the_index_not_the_gazetteer_order(corpus):
    """Facet values are the index's own place terms: no bit per gazetteer row, no limit."""
    engine, _, _ = corpus
    from indexer.schema import make_schema  # noqa: PLC0415
    assert not any(name.endswith("_bits") for name in make_schema().names())
    st = engine.state()
    names, _, _ = st.facet_terms["district"]
    assert names == sorted(st.reader.searcher.reader().field_terms("district"))
    assert set(engine.search("")["facets"]["district"]) == set(names)


DISJUNCTIVE = [
    ("", {}), ("коррупция", {}), ("сот", {"oblasts": ["Бишкек шаары"]}),
    ("", {"oblasts": ["Бишкек шаары"]}), ("", {"districts": ["Тоң району"]}),
    # (the 24.kg articles carry no date field and, since body dates are precision-first, almost
    # none gets a date: the period cases are checked on dated documents in test_timeline/test_search)
    ("акча", {"oblasts": ["Чүй облусу"]}), ("", {"oblasts": ["Ош облусу"], "districts": ["Ноокат району"]}),
]


@pytest.mark.parametrize("q, chosen", DISJUNCTIVE)
def test_each_facet_count_is_what_selecting_that_value_gives(corpus_engine, q, chosen):
    """Disjunctive counts: a value's count = the query, every other facet's filters and that
    value — exactly the total after clicking it (a click on a district / oblast replaces the
    selection in its facet here; a year replaces the period).  On the 24.kg corpus."""
    engine = corpus_engine
    facets = engine.search(q, filters=make_filters(**chosen))["facets"]
    others = {k: v for k, v in chosen.items()}
    checked = 0
    for key, arg in (("district", "districts"), ("oblast", "oblasts")):
        for name, n in list(facets[key].items())[:8]:
            f = make_filters(**{**others, arg: [name]})
            assert engine.search(q, filters=f)["total"] == n, (key, name)
            checked += 1
    for year, n in list(facets["year"].items())[:8]:
        rest = {k: v for k, v in chosen.items() if not k.startswith("date")}
        assert engine.search(q, filters=make_filters(year, year, **rest))["total"] == n, year
        checked += 1
    assert checked >= 5
