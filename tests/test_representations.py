"""Each word indexed three ways (indexer/analysis.py: its stem in Whoosh, its ``=exact form`` and
``^5-letter prefix`` in the marked postings, indexer/marked.py) and scored by all three (search/compile.py ``_atom``): the exact form ranks
first, a prefix alone adds score but never makes a document count as having the word, keyboard-fold
variants score as the word, and the marked terms never leak into highlighting, prefix queries or
the did-you-mean vocabulary."""
from __future__ import annotations

import pytest

from indexer.analysis import MARKS, fold
from search.engine import SearchEngine
from tests.helpers import build_index, write_jsonl

FILLER = "Бул тууралуу маалымат кызматы билдирди. Иш боюнча текшерүү уланууда."
DOCS = [
    {"id": "exact-dative", "body": f"Министр коррупцияга каршы күрөш тууралуу айтты. {FILLER}"},
    {"id": "genitive", "body": f"Министр коррупциянын алдын алуу тууралуу айтты. {FILLER}"},
    {"id": "court", "body": f"Сот ишти карап чыкты жана чечим чыгарды. {FILLER}"},       # before: a tie
    {"id": "prefix-only", "body": f"Сот коррупционер деп таанылган адамды кармады. {FILLER}"},  # would go its way
    {"id": "ton", "body": f"Тоң районунда жаңы мектеп ачылды. {FILLER}"},
    {"id": "ton2", "body": f"Тоң районундагы жолдор оңдолду. {FILLER}"},
    {"id": "other", "body": f"Бишкекте жаңы парк ачылды. {FILLER}"},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reps")
    store = build_index(tmp, [str(write_jsonl(tmp / "docs.jsonl", DOCS))])
    eng = SearchEngine(store=store)
    yield eng
    eng.close()


def ids(result):
    return [h["id"] for h in result["hits"]]


def test_the_exact_form_ranks_first_and_every_form_counts(engine):
    dative, genitive = engine.search("коррупцияга"), engine.search("коррупциянын")
    assert ids(dative)[:2] == ["exact-dative", "genitive"]
    assert ids(genitive)[:2] == ["genitive", "exact-dative"]
    assert dative["total"] == genitive["total"] == 2


def test_a_bare_prefix_match_adds_score_but_does_not_count(engine):
    one = engine.search("коррупция")
    assert set(ids(one)) == {"exact-dative", "genitive"} and one["total"] == 2
    two = engine.search("коррупция сот")
    partial = [h["id"] for h in two["hits"] if h["partial"]]
    assert two["total"] == 0 and two["partial_total"] == 4
    # both have only "сот" as a word; the prefix коррупц… lifts the one with коррупционер
    assert partial.index("prefix-only") < partial.index("court")


def test_highlighting_marks_the_word_forms_not_prefix_matches(engine):
    hits = {h["id"]: h for h in engine.search("коррупция сот", per_page=10)["hits"]}
    assert "<mark>коррупцияга</mark>" in hits["exact-dative"]["snippet"]
    assert "коррупционер" in hits["prefix-only"]["snippet"]
    assert "<mark>коррупционер" not in hits["prefix-only"]["snippet"]
    assert not any(m in hits["prefix-only"]["snippet"] for m in ("=", "^"))


def test_keyboard_fold_variants_score_as_the_word(engine):
    typed = {h["id"]: h["score"] for h in engine.search("Тоң районунда")["hits"]}
    folded = {h["id"]: h["score"] for h in engine.search(fold("Тоң районунда"))["hits"]}
    assert set(typed) == {"ton", "ton2"}
    assert folded == pytest.approx(typed, rel=1e-9)


def test_marked_terms_do_not_leak(engine):
    vocab = dict(engine.state().expander._terms())
    assert vocab and not [t for t in vocab if t[:1] in MARKS]
    assert "коррупция" in vocab
    assert engine.search("коррупциягa")["total"] == 2          # (a Latin a) still found
    # a typed marker in a prefix is punctuation: the same documents as without it
    for q in ("=корр*", "^корр*"):
        assert ids(engine.search(q)) == ids(engine.search("корр*")), q
    assert engine.search("=коррупцияга")["total"] == 2


def test_each_word_counts_three_ways():
    """What indexing counts: the stems at their positions (Whoosh's terms), and the marked terms
    (indexer/marked.py): exact form and prefix; a short word its exact form only (its prefix would
    be the same postings), a number nothing more; a compound and its first part give a shared
    prefix once; queries and phrases get the stems alone."""
    from indexer.analysis import ANALYZER, marked_counts, representation_terms
    text = "Тоң районунда 2025 Жалал-Абад"
    assert [(t.text, t.pos) for t in ANALYZER(text, positions=True, mode="index")] == [
        ("тоң", 0), ("район", 1), ("2025", 2), ("жалал-абад", 3), ("жалал", 3), ("абад", 4)]
    assert marked_counts(text) == {"=тоң": 1, "=районунда": 1, "^район": 1, "=жалал-абад": 1, "^жалал": 1,
                                   "=жалал": 1, "=абад": 1}
    assert marked_counts("Жалал-Абад жана Жалал-Абадда") == {
        "=жалал-абад": 1, "^жалал": 2, "=жалал": 2, "=абад": 1, "=жана": 1, "=жалал-абадда": 1, "=абадда": 1,
        "^абадд": 1}
    for mode in ("query", "phrase"):
        assert [t.text for t in ANALYZER("Тоң районунда", mode=mode)] == ["тоң", "район"]
    # a query scores each word as its three representations would, at equal weights
    assert representation_terms("районунда") == [("=районунда", 1.0), ("^район", 1.0)]
    assert representation_terms("тоң") == [("=тоң", 2.0)]
    assert representation_terms("2025") == [("2025", 2.0)]


def test_a_short_word_scores_as_if_its_prefix_were_indexed(engine):
    """``тоң`` has no ``^тоң`` term: its exact term stands twice among the word's readings, as
    its exact form and as its prefix."""
    from search.plan import Best, scoring_terms
    plan = engine.plan("тоң")
    body = [n for n in plan.scoring.children if n.children[0].field == "body"]
    assert len(body) == 1 and type(body[0]) is Best
    assert [(t.text, t.boost) for t in body[0].children] == [("тоң", 1.0), ("=тоң", 1.0), ("=тоң", 1.0)]
    assert not [t for _, _, t, _ in scoring_terms(plan.scoring) if t.startswith("^")]


def test_a_words_readings_score_as_their_best_plus_a_share_of_the_others(engine):
    """A word's readings in a field (stem, exact form, prefix) are one piece of evidence: the best
    of them counts fully and each other one ``TIE`` times (search/plan.py ``Best``), so a document
    that has one query word in its exact form does not outscore one that has both words."""
    from search import ranking
    from search.compile import TIE
    from search.plan import best_of
    gen = engine.state()
    plan = engine.plan("коррупцияга")
    docnum = next(d for d, f in enumerate(gen.reader.stored(range(gen.n))) if f["id"] == "exact-dative")
    expected, everything = {}, 0.0
    for node in plan.scoring.children:                    # one Best per field: title, body, lead
        parts = []
        for child in node.children:
            entry = gen.reader.term(child.field, child.text)
            hit, at = entry.lookup([docnum])
            parts.append(float(entry.contrib[at[0]]) * child.boost if hit[0] else 0.0)
        expected[node.children[0].field] = max(parts) + TIE * (sum(parts) - max(parts))
        assert float(best_of(parts, TIE)) == pytest.approx(expected[node.children[0].field])
        everything += sum(parts)
        if node.children[0].field == "body":
            assert sum(p > 0 for p in parts) == 3         # stem, exact form and prefix all match
    assert expected["title"] == 0.0                       # no title
    mask = gen.mask([docnum])
    [(d, score)] = ranking.top(gen, plan.scoring, mask, 1)
    # the body's best reading plus a share of the others, and the same in the lead, at its weight
    assert d == docnum and score == pytest.approx(expected["body"] + expected["lead"], rel=1e-12)
    assert score < everything
