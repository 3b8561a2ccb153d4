#!/usr/bin/env python3
"""Snippet and title highlighting: the old token-by-token implementation against the current one.

    .venv/bin/python bench/highlight_bench.py [--corpus ../shared/corpus/24kg/articles.jsonl]
                                              [--articles N] [--join 1,4] [--rounds 3]

Reads the ``body`` of real articles (the corpus has no titles: the first sentence stands
in), makes typical query matchers from the articles' own words (stems from
``analyze(word, "query")``: one word, two or three words, a prefix), and for each
matcher a results page of 10 articles holding at least one of its terms.  A page costs
``snippet(body, matcher)`` + ``highlight_all(title, matcher)`` per hit, as in the engine.
``--join 4`` glues 4 consecutive articles into one body (the corpus' bodies are ~0.7 KB;
news bodies of a few KB are common elsewhere).  Three states of the memos:

    cold     every memo and analyzer cache empty, one pass over pages of the first 80 %
    warm     the same pages again (best of ``--rounds``)
    unseen   memos warmed on every text of the first 80 % (as after many queries), then one
             pass over pages of the last 20 %, texts never seen: known vocabulary, new texts

The reference (old) implementation lives in tests/test_highlight.py; both give the same
strings (checked here too).  A script, not a test.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import analysis  # noqa: E402
from indexer.analysis import TOKEN_RE, analyze  # noqa: E402
from search import highlight  # noqa: E402
from search.highlight import TermMatcher, highlight_all, snippet  # noqa: E402
from tests import test_highlight as ref  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "24kg" / "articles.jsonl"


def load(path: Path, join: int) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as fh:
        bodies = [json.loads(line)["body"] for line in fh if line.strip()]
    bodies = ["\n".join(bodies[i:i + join]) for i in range(0, len(bodies) - join + 1, join)]
    return [(re.split(r"(?<=[.!?])\s", b, maxsplit=1)[0][:150], b) for b in bodies]


def stems(words) -> frozenset[str]:
    return frozenset(t.text for w in words for t in analyze(w, "query"))


def make_pages(articles, n_pages: int, seed: int) -> list[tuple[TermMatcher, list[tuple[str, str]]]]:
    rng = random.Random(seed)
    terms_of = [{t for _, _, t in highlight.analyzer_tokens(t + " " + b)} for t, b in articles]
    pages = []
    while len(pages) < n_pages:
        i = rng.randrange(len(articles))
        words = [w for w in TOKEN_RE.findall(articles[i][1]) if len(w) > 3]
        if len(words) < 3:
            continue
        kind = rng.random()
        if kind < 0.5:
            m = TermMatcher(stems([rng.choice(words)]))
        elif kind < 0.9:
            m = TermMatcher(stems(rng.sample(words, rng.choice((2, 3)))))
        else:
            stem = next(iter(stems([rng.choice(words)])))
            m = TermMatcher(frozenset(), (stem[:max(3, len(stem) - 2)],))
        hits = [a for a, terms in zip(articles, terms_of)
                if terms & m.terms or any(t.startswith(m.prefixes) for t in terms if m.prefixes)]
        if hits:
            pages.append((m, rng.sample(hits, min(10, len(hits)))))
    return pages


def clear_all() -> None:
    highlight._TOKEN_MEMO.clear()
    highlight._CHUNKS = highlight._ChunkMemo()
    highlight._PREFIX_CACHE.clear()
    ref._REF_MEMO.clear()
    analysis.clear_caches()


def run(pages, snippet_fn, highlight_fn) -> tuple[float, int, list[str]]:
    out = []
    gc.disable()
    t = time.perf_counter()
    for m, hits in pages:
        for title, body in hits:
            out.append(snippet_fn(body, m))
            out.append(highlight_fn(title, m))
    dt = time.perf_counter() - t
    gc.enable()
    return dt, sum(len(h) for _, h in pages), out


IMPLS = {"old": (ref.ref_snippet, ref.ref_highlight_all), "new": (snippet, highlight_all)}
WARM = {"old": ref.ref_index_tokens, "new": highlight.index_tokens}     # fills each one's memos


def bench(articles, n_pages: int, rounds: int) -> None:
    split = len(articles) * 4 // 5
    seen, unseen = articles[:split], articles[split:]
    pages_seen = make_pages(seen, n_pages, 1)
    pages_unseen = make_pages(unseen, n_pages, 2)
    rows = {}
    outputs = {}
    for name, (sn, hl) in IMPLS.items():
        clear_all()
        cold, n, out_cold = run(pages_seen, sn, hl)
        warm = min(run(pages_seen, sn, hl)[0] for _ in range(rounds))
        clear_all()
        index = WARM[name]
        for title, body in seen:
            index(title)
            index(body)
        unseen_t, n_unseen, out_unseen = run(pages_unseen, sn, hl)
        rows[name] = (cold / n, unseen_t / n_unseen, warm / n)
        outputs[name] = (out_cold, out_unseen)
    same = outputs["old"] == outputs["new"]
    print(f"  {n} hits on {len(pages_seen)} pages, {n_unseen} on {len(pages_unseen)} pages of unseen articles; "
          f"outputs identical: {'yes' if same else 'NO'}")
    print(f"  {'ms per hit (snippet + title)':34s} {'cold':>8s} {'unseen':>8s} {'warm':>8s}")
    for name in IMPLS:
        print(f"  {name:34s} " + " ".join(f"{v * 1e3:8.4f}" for v in rows[name]))
    print(f"  {'old / new':34s} " + " ".join(f"{o / n:7.2f}x" for o, n in zip(rows["old"], rows["new"])))
    if not same:
        sys.exit("the implementations disagree")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--articles", type=int, default=0, help="use only the first N bodies (default all)")
    ap.add_argument("--pages", type=int, default=60, help="results pages per pass")
    ap.add_argument("--join", default="1,4", help="articles glued per body, a comma list")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    for join in (int(j) for j in args.join.split(",")):
        articles = load(Path(args.corpus), join)[:args.articles or None]
        mean = sum(len(b) for _, b in articles) / len(articles)
        print(f"bodies of {join} article(s), mean {mean:.0f} chars:")
        bench(articles, args.pages, args.rounds)


if __name__ == "__main__":
    main()
