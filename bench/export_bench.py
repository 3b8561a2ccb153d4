"""Export throughput and memory (issue 15): every match of a query streamed as CSV / JSON Lines,
with and without the body, at ≥ 100k rows; rows/s and peak RSS of each run in its own process.

    python bench/export_bench.py [--index var/bench/index-100000] [--n 100000]

The index is the synthetic corpus of ``bench/corpus.py`` (built once into ``var/bench/`` and reused:
generating 100k articles takes seconds, indexing them several minutes).  Each measurement is a child
process (``ru_maxrss`` of that child) that opens the engine and reads the whole response of
``GET /api/export`` through the Flask app (the streaming generator, as a server sends it), writing it
to /dev/null.  Baselines in the same run:

* ``open+search``: the same child opening the engine and answering the same query's first page —
  the memory any server process has anyway; the export's extra memory is the difference;
* ``export 10%``: the same export limited to about a tenth of the rows (``to=`` a date) — if memory
  stays flat the two peaks are about equal however many rows are streamed.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def child(args) -> None:
    from search.engine import SearchEngine
    from web import create_app
    t0 = time.perf_counter()
    engine = SearchEngine(args.index)
    engine.state()
    app = create_app({"ENGINE": engine, "TESTING": True})
    client = app.test_client()
    params = json.loads(args.params)
    opened = time.perf_counter()
    if args.mode == "search":
        r = client.get("/api/search", query_string=params)
        rows, size = r.get_json()["total"], len(r.data)
    else:
        r = client.get("/api/export", query_string=params, buffered=False)
        assert r.status_code == 200, r.status_code
        size = lines = 0
        with open("/dev/null", "wb") as sink:
            for chunk in r.response:
                data = chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
                sink.write(data)
                size += len(data)
                lines += data.count(b"\n")
        r.close()
        rows = int(r.headers["X-Total-Count"])
        if params.get("format") == "jsonl":
            assert lines == rows, (lines, rows)
    done = time.perf_counter()
    print(json.dumps({"rows": rows, "bytes": size, "open_s": opened - t0, "seconds": done - opened,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure(index: Path, mode: str, params: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--index", str(index),
                          "--params", json.dumps(params, ensure_ascii=False)],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"child failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_index(index: Path, n: int) -> None:
    from indexer.store import IndexStore
    if IndexStore(index).current() is not None:
        return
    import corpus as corpus_mod  # bench/corpus.py
    from indexer.build import rebuild
    path = corpus_mod.ensure(n, index.parent / "corpus")
    print(f"building the {n:,}-document index in {index} (once; several minutes)…", file=sys.stderr)
    t = time.perf_counter()
    result = rebuild(IndexStore(index), [str(path)])
    print(f"  {result.summary()} in {time.perf_counter() - t:.0f} s", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "bench" / "index-100000")
    ap.add_argument("--n", type=int, default=100_000, help="documents of the synthetic corpus if built")
    ap.add_argument("--query", default="", help="the query exported (default: every article)")
    ap.add_argument("--tenth-to", default="2011-08", help="`to` that keeps about a tenth of the rows")
    ap.add_argument("--child", choices=["search", "export"], help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.mode = args.child
        child(args)
        return
    ensure_index(args.index, args.n)
    q = {"q": args.query}
    base = measure(args.index, "search", {**q, "per_page": 10})
    print(f"index {args.index}  query {args.query!r}  matches {base['rows']:,}")
    print(f"baseline open+search: peak RSS {base['maxrss_mb']:.0f} MB (open {base['open_s']:.1f} s)")
    print(f"{'export':<28} {'rows':>8} {'MB out':>8} {'s':>7} {'rows/s':>9} {'peak RSS MB':>12} {'vs base':>8}")
    results = {"baseline": base}
    runs = [("csv", False), ("jsonl", False), ("csv", True), ("jsonl", True)]
    for fmt, body in runs:
        params = {**q, "format": fmt, **({"fields": "body"} if body else {})}
        cases = [("", params)]
        if not body:
            cases.append((" 10%", {**params, "to": args.tenth_to}))
        for tag, p in cases:
            r = measure(args.index, "export", p)
            name = f"{fmt}{' +body' if body else ''}{tag}"
            results[name] = r
            print(f"{name:<28} {r['rows']:>8,} {r['bytes'] / 1e6:>8.1f} {r['seconds']:>7.2f} "
                  f"{r['rows'] / r['seconds']:>9,.0f} {r['maxrss_mb']:>12.0f} "
                  f"{r['maxrss_mb'] / base['maxrss_mb']:>7.2f}×")
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
