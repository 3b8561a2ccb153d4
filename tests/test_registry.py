"""The field registry (indexer/fields.py) is the one place a facet is named: every registry facet
reaches the schema, Filters, the request parameters, the API's echo and counts, the sidebar, the
links, the OpenAPI document and the command line — and a new registry entry is all it takes."""
import json
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from indexer import fields as registry
from indexer.lang import index_dependencies, needs_reindex
from indexer.schema import make_schema
from search.filters import Filters, make_filters
from tests.helpers import ROOT


def test_every_facet_is_in_the_schema_filters_params_and_cli():
    from kgsearch.cli import export, search
    from web.api_params import FILTERS, PARAMS
    from web.openapi import document
    schema = make_schema()
    doc = document()
    result_schema = doc["components"]["schemas"]["SearchResult"]["properties"]
    for facet in registry.FACETS:
        assert facet.field in schema.names(), facet.name
        assert facet.name in result_schema["facets"]["properties"], facet.name
        if not facet.filterable:
            continue
        f = Filters(**{facet.plural: ["x"]})
        assert getattr(f, facet.plural) == ("x",) and f.values(facet.name) == ("x",) and f.active
        assert facet.name in PARAMS and PARAMS[facet.name].repeatable and facet.name in FILTERS
        assert facet.name in result_schema["filters"]["properties"]
        for path in ("/api/search", "/api/export", "/api/timeline", "/feed.atom"):
            names = [p["name"] for p in doc["paths"][path]["get"]["parameters"]]
            assert facet.name in names, (path, facet.name)
        for command in (search, export):
            assert f"--{facet.name}" in {o for p in command.params for o in p.opts}, (command.name, facet.name)
    for text in registry.TEXT_FIELDS:
        assert text.name in schema.names() and schema[text.name].format.field_boost == 1.0
    assert registry.BOOSTS == {"title": 2.5, "body": 1.0, "lead": 0.5}
    # a query names (and counts, and marks) the title and the body; the lead only scores
    assert registry.QUERY_FIELD_NAMES == ("title", "body") and registry.SCORE_FIELD_NAMES == ("lead",)
    assert not schema["lead"].stored and schema["body"].stored


def test_filters_are_hashable_and_equal_however_made():
    a = Filters(districts=("Тоң району",), topics=("politics", "health"))
    b = Filters(chosen={"topic": ["health", "politics"], "district": ["Тоң району"]})
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert a.only("topic") == Filters(topics=("health", "politics"))
    assert a.only("year") == Filters() and not Filters().active
    with pytest.raises(TypeError):
        Filters(colours=["red"])
    with pytest.raises(AttributeError):
        a.colours   # noqa: B018
    assert make_filters(topics=["  law   and crime ", "politics"]).topics == ("law and crime", "politics")


def test_link_adds_and_drops_registry_facet_values_only(app):
    from web.views import link
    raw = {"q": "сот", "district": ["Тоң району"], "topic": [], "page": 3}
    with app.test_request_context():
        added = link(raw, add=("topic", "politics"))
        assert "topic=politics" in added and "page" not in link(raw, page=None)
        assert "district" not in link(raw, drop=("district", "Тоң району"))
        with pytest.raises(ValueError):
            link(raw, add=("colour", "red"))


def test_a_missing_registry_field_means_a_reindex():
    good = {"analyzer_version": __import__("indexer.analysis").analysis.ANALYZER_VERSION,
            **index_dependencies()}
    assert needs_reindex(good) is None
    for name in ("topic", "lead"):
        assert name in needs_reindex({**good, "index_fields": [f for f in good["index_fields"] if f != name]})
    old = {k: v for k, v in good.items() if k != "index_fields"}
    assert "no list of its fields" in needs_reindex(old)


# A facet the code does not have: the JSON Lines `source` as a keyword facet, added by one
# registry entry before anything else is imported (a fresh process).  Index, filter, counts,
# API echo, sidebar and command line must all work with nothing else changed.
EXTRA_FACET = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    from indexer import fields
    fields.FACETS = fields.FACETS + (fields.Facet("site", fields.KEYWORDS, "sites", "Сайт", source="source",
                                                  help="Only articles from this site."),)
    from click.testing import CliRunner
    from indexer.store import IndexStore
    from indexer.build import rebuild
    from search.engine import SearchEngine
    from search.filters import make_filters
    from kgsearch.cli import main
    from web import create_app
    tmp = Path(sys.argv[1])
    docs = [{"id": f"d{i}", "body": f"Сот иш карады {i}.", "source": ["akipress", "kabar", "24.kg"][i % 3]}
            for i in range(9)]
    (tmp / "d.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\\n" for d in docs), "utf-8")
    store = IndexStore(tmp / "ix")
    assert rebuild(store, [str(tmp / "d.jsonl")]).published
    engine = SearchEngine(store=store)
    out = {"facet": engine.search("сот")["facets"]["site"],
           "filtered": engine.search("сот", filters=make_filters(sites=["kabar", "24.kg"]))["total"]}
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    api = client.get("/api/search?q=сот&site=kabar").get_json()
    out["echo"], out["api_total"] = api["filters"]["site"], api["total"]
    page = client.get("/?q=сот&site=kabar").get_data(as_text=True)
    out["sidebar"] = 'class="facet facet-site"' in page and 'data-facet="site"' in page
    out["param"] = "site" in client.get("/openapi.json").get_json()["components"]["schemas"]["SearchResult"][
        "properties"]["filters"]["properties"]
    cli = CliRunner().invoke(main, ["search", "сот", "--site", "akipress", "--json", "--index", str(tmp / "ix")])
    out["cli_total"] = json.loads(cli.output)["total"]
    print(json.dumps(out))
''')


def test_one_registry_entry_is_all_a_new_facet_takes(tmp_path):
    r = subprocess.run([sys.executable, "-c", EXTRA_FACET, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["facet"] == {"24.kg": 3, "akipress": 3, "kabar": 3}
    assert out["filtered"] == 6 and out["api_total"] == 3 and out["echo"] == ["kabar"]
    assert out["sidebar"] and out["param"] and out["cli_total"] == 3


def test_the_cli_reads_every_facet_option_into_filters():
    from kgsearch.cli import filter_options
    import click

    @click.command()
    @filter_options
    def show(filters, sort):
        click.echo(repr((filters, sort)))

    r = CliRunner().invoke(show, ["--topic", "politics", "--topic", "health", "--district", "Тон району"])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == repr((make_filters(topics=["health", "politics"], districts=["Тоң району"]), None))
    r = CliRunner().invoke(show, ["--district", "Нигде"])
    assert r.exit_code == 2 and "Нигде" in r.output


def test_the_template_has_one_loop_over_the_registry():
    """No facet named by hand in the sidebar, chips or form (hits still show their places)."""
    html = (ROOT / "web" / "templates" / "index.html").read_text(encoding="utf-8")
    form = (ROOT / "web" / "templates" / "_form.html").read_text(encoding="utf-8")
    for facet in registry.FACETS:
        for text in (html, form):
            assert f"'{facet.name}'" not in text and f"f.{facet.plural}" not in text, facet.name
            assert f"filters.{facet.plural}" not in text and f"_{facet.name}=" not in text, facet.name
