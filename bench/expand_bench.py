"""What query expansion (Latin readings, equivalents, did-you-mean: search/expand.py) adds to a results page.

In-process, on one index: the same queries with ``engine.expand`` off and on, alternating, the result
cache cleared before every page and the expander's per-word caches too (every word is new to it: the
worst case; its vocabulary, read once per generation, stays loaded and its one-time cost is printed
separately).  Prints p50/p95 per query kind, with and without expansion, and their ratio.

    .venv/bin/python bench/expand_bench.py                       # the 24.kg corpus (index built in /tmp)
    .venv/bin/python bench/expand_bench.py --docs 10000          # a synthetic corpus (bench/corpus.py)
    .venv/bin/python bench/expand_bench.py --index var/index     # an existing index
"""
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.build import rebuild  # noqa: E402
from indexer.store import IndexStore  # noqa: E402
from search import equivalents, translit  # noqa: E402
from search.engine import SearchEngine  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "24kg" / "articles.jsonl"
QUERIES = {
    "cyrillic": ["коррупция", "Бишкек", "прокуратура", "сот", "Жапаров", "пара", "Тоң району",
                 "кылмыш иши", "мамлекеттик органдардын", "Жогорку Кеңеш", "депутат", "министр"],
    "latin": ["korrupciya", "korruptsiya", "Ton rayonu", "Bishkek", "Japarov", "Zhaparov", "sot", "UKMK",
              "Centerra Gold", "IT", "prokuratura", "Jogorku Kengesh"],
    "typo": ["корупция", "прокуротура", "Бшкек", "Жапров", "депутатр", "korupciya"],
    "russian": ["ГКНБ", "МВД", "взятка", "суд", "Генпрокуратура", "следствие", '"уголовное дело"'],
}
PAIRED_CYRILLIC = ["коррупция", "коррупция", "Тоң району", "Бишкек", "Жапаров", "Жапаров", "сот", "УКМК",
                   "Centerra Gold", "IT", "прокуратура", "Жогорку Кеңеш"]


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def build(source: Path, where: Path) -> IndexStore:
    store = IndexStore(where)
    result = rebuild(store, [str(source)], on_problem=lambda problem: None)   # the 24.kg file has empty bodies
    assert result.published, result.summary()
    return store


def clear_word_caches(engine: SearchEngine) -> None:
    st = engine.state()
    st.pages.clear()
    xp = st.expander
    if xp is not None:
        xp.clear_caches()
    translit.latin_candidates.cache_clear()
    equivalents.equivalents.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="an existing index root")
    ap.add_argument("--docs", type=int, help="build a synthetic corpus of this many documents")
    ap.add_argument("--rounds", type=int, default=15, help="times each query is searched per mode")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kgsearch-expand-bench-"))
    if args.index:
        store = IndexStore(args.index)
        label = str(args.index)
    else:
        source = CORPUS
        if args.docs:
            source = tmp / f"corpus-{args.docs}.jsonl"
            subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), str(args.docs), str(source)],
                           check=True)
        t = time.perf_counter()
        store = build(source, tmp / "index")
        label = f"{source.name}, built in {time.perf_counter() - t:.0f} s"
    engine = SearchEngine(store=store)
    st = engine.state()
    print(f"index: {label}; {st.reader.doc_count()} documents")

    t = time.perf_counter()
    st.expander._load()
    print(f"expander vocabulary (once per generation): {1000 * (time.perf_counter() - t):.0f} ms, "
          f"{len(st.expander._suggester.forms)} suggestible terms")
    equivalents.table()

    # warm the term cache the same way for both modes
    for qs in QUERIES.values():
        for q in qs:
            for mode in (False, True):
                engine.expand = mode
                engine.search(q)

    rng = random.Random(13)
    xp = st.expander
    spent = [0.0]
    for name in ("alternatives", "expansions", "suggest"):      # the expander's own CPU time
        def timed(*a, _f=getattr(xp, name), **k):
            t0 = time.thread_time()
            try:
                return _f(*a, **k)
            finally:
                spent[0] += time.thread_time() - t0
        setattr(xp, name, timed)
    wall = {(kind, mode): [] for kind in QUERIES for mode in (False, True)}
    cpu = {(kind, mode): [] for kind in QUERIES for mode in (False, True)}
    own = {kind: [] for kind in QUERIES}
    for _ in range(args.rounds):
        order = [(k, q) for k, qs in QUERIES.items() for q in qs]
        rng.shuffle(order)
        for kind, q in order:
            for mode in ((False, True) if rng.random() < 0.5 else (True, False)):
                engine.expand = mode
                clear_word_caches(engine)
                spent[0] = 0.0
                t, c = time.perf_counter(), time.thread_time()
                engine.search(q)
                cpu[(kind, mode)].append(1000 * (time.thread_time() - c))
                wall[(kind, mode)].append(1000 * (time.perf_counter() - t))
                if mode:
                    own[kind].append(1000 * spent[0])
    print("\nA results page, ms (off = engine.expand False; latin/typo/russian pages are empty when off,"
          " so 'on' there also renders the hits the expansion found)")
    for title, times in (("wall clock", wall), ("CPU time (this thread; the machine is shared)", cpu)):
        print(f"\n{title}\n{'kind':10} {'p50 off':>8} {'p50 on':>8} {'p95 off':>8} {'p95 on':>8} {'ratio p95':>9}")
        for kind in [*QUERIES, "all"]:
            keys = QUERIES if kind == "all" else [kind]
            off = [x for k in keys for x in times[(k, False)]]
            on = [x for k in keys for x in times[(k, True)]]
            p95o, p95n = percentile(off, 95), percentile(on, 95)
            print(f"{kind:10} {statistics.median(off):8.2f} {statistics.median(on):8.2f} {p95o:8.2f} "
                  f"{p95n:8.2f} {p95n / max(p95o, 1e-9):9.2f}")
    # a Latin page against the same query typed in Cyrillic (both with expansion): the cost of the readings
    pairs = list(zip(QUERIES["latin"], PAIRED_CYRILLIC))
    engine.expand = True
    lat, cyr = [], []
    for _ in range(args.rounds):
        for latin, cyrillic in pairs:
            for q, out in ((latin, lat), (cyrillic, cyr)):
                clear_word_caches(engine)
                c = time.thread_time()
                engine.search(q)
                out.append(1000 * (time.thread_time() - c))
    print(f"\nLatin query vs the same query typed in Cyrillic, CPU ms: p50 {statistics.median(lat):.2f} vs "
          f"{statistics.median(cyr):.2f}, p95 {percentile(lat, 95):.2f} vs {percentile(cyr, 95):.2f} "
          f"(ratio p95 {percentile(lat, 95) / percentile(cyr, 95):.2f})")
    print(f"\nthe expander's own CPU time per page (alternatives + expansions + suggest, word caches cold), ms"
          f"\n{'kind':10} {'p50':>8} {'p95':>8} {'max':>8}")
    everything = []
    for kind in QUERIES:
        everything += own[kind]
        print(f"{kind:10} {statistics.median(own[kind]):8.3f} {percentile(own[kind], 95):8.3f} {max(own[kind]):8.3f}")
    print(f"{'all':10} {statistics.median(everything):8.3f} {percentile(everything, 95):8.3f} "
          f"{max(everything):8.3f}   (target: ≤ 5 ms p95 added)")


if __name__ == "__main__":
    main()
