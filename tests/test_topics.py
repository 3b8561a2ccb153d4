"""The topic facet (the JSON Lines ``topics`` list) on the 24.kg corpus: counts, the filter, the
API, the command line, the sidebar, the links — and an index built before the facet existed."""
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer import build, transaction
from indexer import schema as schema_module
from indexer.store import IndexStore
from search.engine import SearchEngine
from search.filters import make_filters
from tests.helpers import CORPUS, build_index, require_corpus, run_cli, write_jsonl
from web import create_app


def corpus_topics() -> dict[str, set[str]]:
    """{topic: ids of the articles the corpus gives it}, read from the JSONL itself."""
    out: dict[str, set[str]] = {}
    with open(require_corpus(), encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            for t in obj.get("topics") or []:
                out.setdefault(t, set()).add(obj["id"])
    return out


def ids(engine, q="", **filters):
    total, rows = engine.matches(q, make_filters(**filters))
    return {r["id"] for r in rows}


def test_topic_counts_are_the_corpus_topics(corpus_engine):
    truth = corpus_topics()
    indexed = {h["id"] for _, rows in [corpus_engine.matches("")] for h in rows}
    facet = corpus_engine.search("")["facets"]["topic"]
    assert facet == dict(sorted(((t, len(d & indexed)) for t, d in truth.items() if d & indexed),
                                key=lambda kv: (-kv[1], kv[0])))
    assert len(facet) == 20


CHOSEN = [("", {}), ("коррупция", {}), ("", {"topics": ["politics"]}),
          ("сот", {"topics": ["law and crime", "politics"], "oblasts": ["Бишкек шаары"]}),
          ("", {"oblasts": ["Ош облусу"]})]


@pytest.mark.parametrize("q, chosen", CHOSEN)
def test_each_topic_count_is_what_a_click_gives(corpus_engine, q, chosen):
    """Disjunctive: a topic's count = the query, the other facets' filters and that topic alone;
    and the district / oblast counts are counted under the chosen topics."""
    facets = corpus_engine.search(q, filters=make_filters(**chosen))["facets"]
    others = {k: v for k, v in chosen.items() if k != "topics"}
    assert facets["topic"]
    for name, n in facets["topic"].items():
        assert corpus_engine.search(q, filters=make_filters(**others, topics=[name]))["total"] == n, name
    for name, n in list(facets["oblast"].items())[:5]:
        rest = {k: v for k, v in chosen.items() if k != "oblasts"}
        assert corpus_engine.search(q, filters=make_filters(**rest, oblasts=[name]))["total"] == n, name


def test_topics_are_ored_within_and_anded_across_facets(corpus_engine):
    truth = corpus_topics()
    both = ids(corpus_engine, topics=["politics", "health"])
    assert both == (truth["politics"] | truth["health"]) & ids(corpus_engine)
    bishkek = ids(corpus_engine, oblasts=["Бишкек шаары"])
    assert ids(corpus_engine, topics=["politics"], oblasts=["Бишкек шаары"]) == truth["politics"] & bishkek
    # letter case and spacing aside; a topic no article has finds nothing
    assert ids(corpus_engine, topics=[" Law  and Crime "]) == ids(corpus_engine, topics=["law and crime"])
    assert corpus_engine.search("", filters=make_filters(topics=["no such topic"]))["total"] == 0


@pytest.fixture(scope="module")
def client(corpus_engine):
    return create_app({"ENGINE": corpus_engine, "TESTING": True}).test_client()


def test_api_echoes_and_counts_the_topic(client, corpus_engine):
    data = client.get("/api/search?topic=politics&topic=health&per_page=1").get_json()
    assert data["filters"]["topic"] == ["health", "politics"]
    assert data["total"] == corpus_engine.search("", filters=make_filters(topics=["politics", "health"]))["total"]
    assert data["facets"]["topic"] == corpus_engine.search("", filters=make_filters(topics=["politics", "health"]))[
        "facets"]["topic"]
    assert data["facets"]["topic"]["politics"] == len(corpus_topics()["politics"] & ids(corpus_engine))
    long = client.get("/api/search?topic=" + "x" * 101)
    assert long.status_code == 400 and "topic" in long.get_json()["error"]
    spec = client.get("/openapi.json").get_json()
    search_params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert search_params["topic"]["schema"]["type"] == "array" and "topic" in search_params["topic"]["description"]


def test_sidebar_lists_topics_with_links_that_add_and_drop(client, corpus_engine):
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.topic, self.chips, self.hidden, self.more = [], [], [], False
        def handle_starttag(self, tag, attrs):   # noqa: E301
            a = dict(attrs)
            if tag == "a" and a.get("data-facet") == "topic":
                (self.chips if "chip" in (a.get("class") or "") else self.topic).append(a["href"])
            if tag == "input" and a.get("name") == "topic":
                self.hidden.append(a["value"])
            if tag == "details" and "more" in (a.get("class") or ""):
                self.more = True

    page = client.get("/?q=&topic=politics").get_data(as_text=True)
    assert 'class="facet facet-topic"' in page and ">Тема</h2>" in page
    links = Links()
    links.feed(page)
    facet = corpus_engine.search("", filters=make_filters(topics=["politics"]))["facets"]["topic"]
    assert len(links.topic) == len(facet) == 20 and links.more          # 10 shown, 10 behind "more"
    assert links.hidden == ["politics"] and len(links.chips) == 1
    assert "topic" not in parse_qs(urlsplit(links.chips[0]).query)      # the chip drops it
    for href in links.topic:
        chosen = parse_qs(urlsplit(href).query).get("topic", [])
        # each link toggles one topic; following it gives the filtered page
        assert set(chosen) ^ {"politics"} and len(set(chosen) ^ {"politics"}) == 1
    assert "Тема" in client.get("/?q=&topic=politics&lang=ru").get_data(as_text=True)
    assert ">Topic</h2>" in client.get("/?q=&topic=politics&lang=en").get_data(as_text=True)


def test_feed_export_and_article_links_carry_the_topic(client, corpus_engine):
    page = client.get("/?q=сот&topic=politics").get_data(as_text=True)
    for cls in ("export-csv", "feed"):
        start = page.index(f'class="{cls}"')
        href = page[page.rindex("href=", 0, start + 200):].split('"')[1].replace("&amp;", "&")
        assert parse_qs(urlsplit(href).query)["topic"] == ["politics"], cls
    export = client.get("/api/export?q=сот&topic=politics&format=jsonl")
    rows = [json.loads(line) for line in export.get_data(as_text=True).splitlines()]
    total = corpus_engine.search("сот", filters=make_filters(topics=["politics"]))["total"]
    assert len(rows) == total == int(export.headers["X-Total-Count"]) and all("politics" in r["topics"] for r in rows)
    feed = client.get("/feed.atom?q=сот&topic=politics").get_data(as_text=True)
    assert "politics" in feed.split("<title>")[1].split("</title>")[0]
    assert "topic=politics" in page.split('class="hits"')[1].split("</h3>")[0]   # the article's back link state


def test_cli_search_and_export_take_topics(corpus_store, tmp_path):
    r = run_cli("search", "--index", corpus_store.root, "--topic", "politics", "--topic", "health", "--json")
    assert r.returncode == 0, r.stderr
    engine = SearchEngine(store=corpus_store)
    assert json.loads(r.stdout)["total"] == engine.search("", filters=make_filters(topics=["politics", "health"]))[
        "total"]
    out = tmp_path / "x.jsonl"
    r = run_cli("export", "--index", corpus_store.root, "--topic", "weather", "--format", "jsonl", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(corpus_topics()["weather"])


def test_an_index_built_before_the_topic_facet(tmp_path, monkeypatch):
    """An index without the ``topic`` field (built by the code before the facet): the facet is
    empty, a topic filter matches nothing, the page works, and stats say a reindex is needed."""
    src = write_jsonl(tmp_path / "d.jsonl", [{"id": f"d{i}", "body": f"Сот иш карады {i}.",
                                              "topics": ["politics"]} for i in range(5)])
    old_schema = schema_module.make_schema()
    old_schema.remove("topic")
    monkeypatch.setattr(transaction, "make_schema", lambda: old_schema)
    monkeypatch.setattr(build, "to_fields", lambda doc: {k: v for k, v in schema_module.to_fields(doc).items()
                                                         if k != "topic"})
    deps = transaction.index_dependencies()
    monkeypatch.setattr(transaction, "index_dependencies", lambda: {k: v for k, v in deps.items()
                                                                    if k != "index_fields"})
    store = build_index(tmp_path / "ix", [src])
    monkeypatch.undo()
    engine = SearchEngine(store=store)
    assert "topic" not in engine.state().reader.searcher.schema
    result = engine.search("сот")
    assert result["total"] == 5 and result["facets"]["topic"] == {}
    assert engine.search("сот", filters=make_filters(topics=["politics"]))["total"] == 0
    stats = engine.stats()
    assert stats["reindex_needed"] and "fields" in stats["reindex_reason"]
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    assert client.get("/?q=сот&topic=politics").status_code == 200
    assert engine.document("d1")["topics"] == ["politics"]             # still shown on the article page
    # adding to it is refused (exit 5) until a reindex
    r = run_cli("add", src, "--index", store.root)
    assert r.returncode == 5 and "reindex" in r.stderr
    assert IndexStore(store.root).current() is not None


def test_a_topic_with_a_comma_is_one_topic_everywhere(tmp_path):
    """A topic is stored as given: ``Сот, прокуратура`` is one topic in the hit, the article, the
    facet and the filter — not two split at its comma."""
    src = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "body": "Сот иш карады.", "topics": ["Сот, прокуратура", "Саясат"]},
        {"id": "b", "body": "Сот өкүм чыгарды.", "topics": ["Саясат"]}])
    engine = SearchEngine(store=build_index(tmp_path / "ix", [src]))
    hit = {h["id"]: h for h in engine.search("сот")["hits"]}["a"]
    assert hit["topics"] == ["Сот, прокуратура", "Саясат"]
    assert engine.document("a")["topics"] == ["Сот, прокуратура", "Саясат"]
    assert engine.search("сот")["facets"]["topic"] == {"Саясат": 2, "Сот, прокуратура": 1}
    assert ids(engine, "сот", topics=["Сот, прокуратура"]) == {"a"}
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    page = client.get("/doc/a").get_data(as_text=True)
    # each topic one link to the articles of that topic
    assert page.count('class="topic"') == 2
    links = re.findall(r'<a class="topic" href="([^"]+)">([^<]+)</a>', page)
    assert [(parse_qs(urlsplit(html.unescape(h)).query)["topic"], t) for h, t in links] == \
        [(["Сот, прокуратура"], "Сот, прокуратура"), (["Саясат"], "Саясат")]
    found = client.get(html.unescape(links[0][0])).get_data(as_text=True)
    assert 'href="/doc/a' in found and 'href="/doc/b' not in found
    engine.close()


def test_topic_values_are_shown_in_the_pages_language(tmp_path):
    """data/display/topic_labels.tsv names a topic value in each UI language (sidebar, chip,
    article page); links, filters and the API keep the value as given; a value the table does
    not know is shown as spelled; letter case aside, ``Politics`` is ``politics``."""
    from web.i18n import TOPIC_LABELS
    assert len(TOPIC_LABELS) >= 20 and all(set(v) == {"ky", "ru", "en"} for v in TOPIC_LABELS.values())
    src = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "body": "Сот иш карады.", "topics": ["Politics", "law and crime", "Жергиликтүү тема"]},
        {"id": "b", "body": "Сот өкүм чыгарды.", "topics": ["Politics"]}])
    engine = SearchEngine(store=build_index(tmp_path / "ix", [src]))
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()

    def sidebar(page):
        return dict(re.findall(r'<a href="([^"]+)"[^>]*data-facet="topic"[^>]*>([^<]+)</a>', page))

    expect = {"ky": ("Саясат", "Укук жана кылмыш"), "ru": ("Политика", "Право и криминал"),
              "en": ("Politics", "Law and crime")}
    for lang, (politics, law) in expect.items():
        page = client.get(f"/?q=сот&topic=Politics&lang={lang}").get_data(as_text=True)
        shown = sidebar(page)
        assert sorted(shown.values()) == sorted([politics, law, "Жергиликтүү тема"]), (lang, shown)
        by_label = {label: parse_qs(urlsplit(html.unescape(h)).query).get("topic", []) for h, label in shown.items()}
        assert by_label[law] == ["Politics", "law and crime"]           # the link carries the value
        chip = re.search(r'<a class="chip"[^>]*data-facet="topic">([^<]+) ✕', page)
        assert chip and chip.group(1) == politics
        doc = client.get(f"/doc/a?lang={lang}").get_data(as_text=True)
        assert re.findall(r'<a class="topic" href="[^"]+">([^<]+)</a>', doc) == [politics, law, "Жергиликтүү тема"]
    api = client.get("/api/search?q=сот&topic=Politics").get_json()
    assert api["facets"]["topic"] == {"Politics": 2, "law and crime": 1, "Жергиликтүү тема": 1}
    engine.close()


def test_spellings_of_a_topic_that_differ_in_letter_case_are_one_value(tmp_path):
    """``Politics`` in one file, ``politics`` and ``POLITICS`` in others: one facet entry counting all
    three documents (shown in the spelling most of them have), and any spelling chooses all of them."""
    src = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "body": "Сот иш карады.", "topics": ["politics"]},
        {"id": "b", "body": "Сот өкүм чыгарды.", "topics": ["politics", "Health"]},
        {"id": "c", "body": "Сот отуруму болду.", "topics": ["POLITICS"]},
        {"id": "d", "body": "Сот жабык өттү.", "topics": ["Politics", "health"]}])
    engine = SearchEngine(store=build_index(tmp_path / "ix", [src]))
    assert engine.search("сот")["facets"]["topic"] == {"politics": 4, "Health": 2}
    for spelling in ("politics", "Politics", "POLITICS", "pOlItIcS"):
        assert ids(engine, "сот", topics=[spelling]) == {"a", "b", "c", "d"}, spelling
    assert ids(engine, "сот", topics=["HEALTH"]) == {"b", "d"}
    # the disjunctive counts within a chosen topic still equal what a click gives
    facets = engine.search("сот", filters=make_filters(topics=["health"]))["facets"]["topic"]
    assert facets == {"politics": 4, "Health": 2}
    engine.close()
