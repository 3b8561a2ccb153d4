"""Profile the in-process results page on a bench index (cProfile or pyinstrument).

    .venv/bin/python bench/profile_query.py bench/results/work/ours-10000 [--types word1,words23] [--pyinstrument]

Runs the bench's query mix (bench/results/work/queries.json) through SearchEngine.search
with the result cache bypassed, and prints where the time goes.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from search.engine import SearchEngine  # noqa: E402
from search.filters import make_filters  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("index")
    ap.add_argument("--queries", default=str(HERE / "results" / "work" / "queries.json"))
    ap.add_argument("--types", default="")
    ap.add_argument("--pyinstrument", action="store_true")
    ap.add_argument("--top", type=int, default=35)
    args = ap.parse_args()
    queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))
    types = [t for t in args.types.split(",") if t] or [t for t in queries if not t.startswith("_")
                                                         and t != "repeated"]
    engine = SearchEngine(args.index)
    for req in queries["_warmup"]:
        engine.search(req.get("q", ""))
    reqs = [r for t in types for r in queries[t]]

    def run():
        for req in reqs:
            engine.state().pages.clear()
            f = make_filters(req.get("from"), req.get("to"), districts=[req["district"]] if req.get("district") else None)
            engine.search(req.get("q", ""), page=req.get("page", 1), filters=f, sort=req.get("sort"))

    t = time.perf_counter()
    if args.pyinstrument:
        from pyinstrument import Profiler
        p = Profiler(interval=0.0005)
        p.start()
        run()
        p.stop()
        print(p.output_text(unicode=True, color=False, show_all=False))
    else:
        prof = cProfile.Profile()
        prof.enable()
        run()
        prof.disable()
        st = pstats.Stats(prof)
        st.sort_stats("tottime").print_stats(args.top)
        st.sort_stats("cumulative").print_stats(args.top)
    print(f"{len(reqs)} requests in {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
