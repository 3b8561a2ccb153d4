"""Page identity: every answer the engine gives for a fixed set of queries, as normalized JSON.

    .venv/bin/python bench/pages_compare.py INDEX --out before.json
    .venv/bin/python bench/pages_compare.py INDEX --out after.json --compare before.json

For each query: ``SearchEngine.search()`` under all three sorts, pages 1 and 2, with the
request's own filters and with filters taken from the index's own facet values (the query's
top district, oblast and year); ``document(id, q)`` of its first hits; the first 50 rows of
``matches()``; and ``stats()`` once.  ``took_ms`` is dropped, everything else is kept.
``--compare OLD.json`` prints every difference and exits 1 if there is any.  A refactoring
that claims "same pages" runs this before and after (not part of the test suite).

Queries: the bench mix (``bench/run.py``'s ``make_queries``, or ``--queries FILE`` in its
JSON format), the frozen known-item queries of ``bench/eval/known_items.tsv``, and the
operator / prefix / phrase / Latin / Russian / typo / stop-word / punctuation cases below.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SPECIAL = [
    "коррупция", "коррупция сот", "коррупция OR паракорчулук", "коррупция AND сот", "коррупция -сот",
    "коррупция NOT сот", "+коррупция сот", "(коррупция OR пара) AND сот", '"Жогорку Кеңеш"',
    '"жогорку кенеш"', 'title:"Жогорку Кеңеш"', "title:президент", "body:шайлоо", "ка*", "пре*", "ж*",
    "коррупц* сот", "-ка*", "president", "Japarov", "Bishkek", "korrupciya", "Жапаров", "президент",
    "коррупция и суд", "взятка", "прокуратура", "Тон району", "онугуу", "коррупцыя", "прездент",
    "жана", "жана менен", "жана OR менен", "!!!", "...", "«»", '"', "(", "-", "NOT", "OR",
    "коррупция,", "сот.", "e-mail", "1991", "2024-жыл", "Ысык-Көл", "ысык кол", "  ", "",
    "кыргыз* мамлекет*", '"кыргыз республикасынын" президенти', "title:кыргыз*",
]
SORTS = ("relevance", "newest", "oldest")


def bench_queries(path: str | None, per_type: int) -> list[dict]:
    if path:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    else:
        import corpus as corpus_mod
        from run import make_queries
        data = make_queries(per_type, corpus_mod.SEED)
    return [dict(r) for kind, reqs in sorted(data.items()) if not kind.startswith("_") for r in reqs]


def known_items() -> list[dict]:
    with open(HERE / "eval" / "known_items.tsv", encoding="utf-8") as fh:
        return [{"q": row["query"]} for row in csv.DictReader(fh, delimiter="\t")]


def normalize(value):
    """``took_ms`` dropped at every depth; tuples as lists (JSON's view)."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items() if k != "took_ms"}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return value


def facet_filters(page: dict) -> list[dict]:
    """Filters from the facet values a query's own first page shows."""
    facets = page.get("facets") or {}
    out = []
    values = []
    for name, key in (("district", "district"), ("oblast", "oblast"), ("topic", "topic")):
        values = list((facets.get(name) or {}).keys())
        if values:
            out.append({key: values[:1]})
        if len(values) > 1:
            out.append({key: values[:2]})
    years = list((facets.get("year") or {}).keys())
    if years:
        out.append({"from": years[0], "to": years[0]})
        out.append({"from": years[-1], "to": f"{years[0]}-06"})
        districts = list((facets.get("district") or {}).keys())[:1]
        if districts:
            out.append({"from": years[-1], "district": districts})
    return out


def filters_of(make_filters, req: dict):
    """The request's filters (place and topic facets as ``make_filters`` keywords)."""
    chosen = {plural: req[key] for key, plural in (("district", "districts"), ("oblast", "oblasts"),
                                                   ("topic", "topics")) if req.get(key)}
    return make_filters(req.get("from"), req.get("to"), **chosen)


def run_query(engine, make_filters, req: dict) -> dict:
    q = req.get("q", "")
    own = filters_of(make_filters, req)
    out: dict = {"search": {}}
    for sort in SORTS:
        for page in (1, 2):
            out["search"][f"{sort}/{page}"] = normalize(engine.search(q, page=page, per_page=10,
                                                                      filters=own, sort=sort))
    out["search"]["default/1"] = normalize(engine.search(q, page=1, per_page=10, filters=own))
    out["search"]["relevance/3x7"] = normalize(engine.search(q, page=3, per_page=7, filters=own))
    first = out["search"]["relevance/1"]
    variants = []
    for extra in facet_filters(first):
        merged = {**{k: req.get(k) for k in ("from", "to") if req.get(k)}, **extra}
        f = filters_of(make_filters, merged)
        variants.append({"filters": merged,
                         "relevance": normalize(engine.search(q, per_page=10, filters=f, sort="relevance")),
                         "newest/2": normalize(engine.search(q, page=2, per_page=10, filters=f, sort="newest"))})
    out["facet_filtered"] = variants
    out["documents"] = {h["id"]: normalize(engine.document(h["id"], q)) for h in first["hits"][:3]}
    for sort in ("relevance", "newest"):
        total, rows = engine.matches(q, filters=own, sort=sort)
        got = []
        for row in rows:
            got.append(normalize(row))
            if len(got) >= 50:
                break
        rows.close()
        out[f"matches/{sort}"] = {"total": total, "rows": got}
    return out


def dump(index: str, queries: list[dict]) -> dict:
    from search.engine import SearchEngine
    from search.filters import make_filters
    engine = SearchEngine(index)
    out = {"stats": normalize(engine.stats()), "queries": {}}
    for req in queries:
        key = json.dumps(req, sort_keys=True, ensure_ascii=False)
        if key not in out["queries"]:
            out["queries"][key] = run_query(engine, make_filters, req)
    out["missing_document"] = engine.document("no-such-id", "коррупция")
    engine.close()
    return out


def differences(old, new, path="") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        diffs = []
        for k in sorted(set(old) | set(new), key=str):
            if k not in new:
                diffs.append(f"{path}/{k}: only in old")
            elif k not in old:
                diffs.append(f"{path}/{k}: only in new")
            else:
                diffs += differences(old[k], new[k], f"{path}/{k}")
        return diffs
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items → {len(new)} items"] + [
                d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{path}[{i}]")][:5]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{path}[{i}]")]
    if old != new or type(old) is not type(new):
        return [f"{path}: {json.dumps(old, ensure_ascii=False)[:200]} → {json.dumps(new, ensure_ascii=False)[:200]}"]
    return []


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index")
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare", help="an earlier --out file: print every difference, exit 1 if any")
    ap.add_argument("--queries", help="a bench/run.py queries.json (default: make_queries(--per-type))")
    ap.add_argument("--per-type", type=int, default=20)
    args = ap.parse_args(argv)
    queries = bench_queries(args.queries, args.per_type) + known_items() + [{"q": q} for q in SPECIAL]
    got = dump(args.index, queries)
    Path(args.out).write_text(json.dumps(got, ensure_ascii=False, sort_keys=True, indent=0), encoding="utf-8")
    print(f"{len(got['queries'])} queries → {args.out}")
    if not args.compare:
        return 0
    old = json.loads(Path(args.compare).read_text(encoding="utf-8"))
    new = json.loads(Path(args.out).read_text(encoding="utf-8"))
    diffs = differences(old, new)
    for d in diffs:
        print(d)
    print(f"{len(diffs)} differences against {args.compare}")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
