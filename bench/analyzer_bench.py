#!/usr/bin/env python3
"""Throughput of the full analyzer (tokenizer → normalizer → compounds → stemmer) over real text.

    .venv/bin/python bench/analyzer_bench.py [--corpus ../shared/corpus/24kg/articles.jsonl] [--rounds 3]
    .venv/bin/python bench/analyzer_bench.py --quality     # also fold-consistency and Russian detection
    .venv/bin/python bench/analyzer_bench.py --baseline ../base --repeats 5   # against another checkout

Reads the ``body`` of every JSON line, runs ``indexer.analysis.ANALYZER`` over each
(mode="index", positions and character offsets on, as the indexer does) and prints
tokens per second on one core: the first round with an empty stem cache, the later
rounds with a warm one (the steady state of an indexing run).  A script, not a test.

"Cold" is a fresh process's first pass: the modules imported (the pymorphy3 dictionary
opened, the suffix tables compiled: that one-time cost is printed as "import"), every cache
of the analyzer emptied (``analysis.clear_caches``), nothing read from disk but the tables.

``--baseline DIR`` runs this script from DIR (another checkout, e.g. ``git archive`` of the
base commit) and from here in fresh processes, alternating, ``--repeats`` times each, and
prints the medians and the ratio: on a shared machine only such same-run ratios mean much.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_T0 = time.perf_counter()
from indexer import analysis, morphology  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _T0

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "24kg" / "articles.jsonl"
KTMU = ROOT.parent / "shared" / "ud" / "ky_ktmu-ud-train.conllu"
CYR_WORD = re.compile(r"^[а-яёңөү]+$")


def load_bodies(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["body"] for line in fh if line.strip()]


def run(bodies: list[str]) -> tuple[int, float, float]:
    """(tokens, wall seconds, CPU seconds of this process: steadier on a busy machine)."""
    analyzer = analysis.ANALYZER
    n = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for body in bodies:
        for _ in analyzer(body, positions=True, chars=True, mode="index"):
            n += 1
    return n, time.perf_counter() - t0, time.process_time() - c0


def fold_consistency(bodies: list[str]) -> None:
    """Share of corpus words w (with ң ө ү) for which stem(fold(w)) == fold(stem(w))."""
    vocab: Counter[str] = Counter()
    for body in bodies:
        for m in analysis.TOKEN_RE.finditer(body):
            w = analysis.normalize(m.group())
            if CYR_WORD.match(w) and analysis.has_kyrgyz_letters(w):
                vocab[w] += 1
    ok_types = sum(1 for w in vocab if analysis.stem(analysis.fold(w)) == analysis.fold(analysis.stem(w)))
    ok_tokens = sum(n for w, n in vocab.items()
                    if analysis.stem(analysis.fold(w)) == analysis.fold(analysis.stem(w)))
    total = sum(vocab.values())
    print(f"fold-consistency over {len(vocab)} corpus word types with ң/ө/ү: "
          f"types {ok_types / len(vocab):.4f}, tokens {ok_tokens / total:.4f}")
    bad = [w for w, _ in vocab.most_common() if analysis.stem(analysis.fold(w)) != analysis.fold(analysis.stem(w))]
    print("  e.g. " + ", ".join(f"{w}:{analysis.stem(w)}/{analysis.stem(analysis.fold(w))}" for w in bad[:12]))


RU_FORMS = ROOT / "tests" / "data" / "ru_domain_forms.tsv"


def _ru_forms() -> list[tuple[str, str]]:
    rows = []
    with open(RU_FORMS, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line and not line.startswith("#") and not line.startswith("form\t"):
                form, lemma = line.split("\t")
                rows.append((form, lemma))
    return rows


def _pairwise(rows: list[tuple[str, str]], fn) -> tuple[float, float, float]:
    """Pairwise conflation (P, R, F1) of ``fn`` over (form, lemma) rows."""
    items = [(lemma, fn(form)) for form, lemma in rows]
    sl = ss = ssl = 0
    for i, (la, sa) in enumerate(items):
        for lb, sb in items[i + 1:]:
            sl += la == lb
            ss += sa == sb
            ssl += la == lb and sa == sb
    p, r = ssl / ss if ss else 0.0, ssl / sl if sl else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def russian_detection() -> None:
    """Russian-vs-Kyrgyz decision: KTMU word types (Kyrgyz) and the hand-written Russian lists."""
    if KTMU.exists():
        words = set()
        with open(KTMU, encoding="utf-8") as fh:
            for line in fh:
                cols = line.split("\t")
                if len(cols) > 3 and cols[0].isdigit():
                    w = analysis.normalize(cols[1])
                    if CYR_WORD.match(w):
                        words.add(w)
        wrong = sorted(w for w in words if morphology.is_russian(w))
        both = sum(morphology.word_language(w) == "both" for w in words)
        print(f"KTMU (Kyrgyz) word types judged Russian: {len(wrong) / len(words):.4f} "
              f"({len(wrong)}/{len(words)}; 'both', stemmed the same either way: {both / len(words):.4f}); "
              f"e.g. {', '.join(wrong[:15])}")
    rows = _ru_forms()
    langs = [morphology.word_language(analysis.normalize(f)) for f, _ in rows]
    ru = sum(x == "ru" for x in langs) / len(rows)
    not_ky = sum(x != "ky" for x in langs) / len(rows)
    missed = [f for (f, _), x in zip(rows, langs) if x == "ky"]
    print(f"Russian domain forms ({RU_FORMS.name}, {len(rows)}): judged Russian {ru:.4f}, Russian or "
          f"'both' {not_ky:.4f}; judged Kyrgyz e.g. {', '.join(missed[:15])}")
    import Stemmer
    snowball = Stemmer.Stemmer("russian").stemWord
    for label, fn in (("ours (analysis.stem)", analysis.stem), ("Snowball Russian alone", snowball)):
        p, r, f1 = _pairwise(rows, fn)
        print(f"  conflation of those forms, {label}: P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    ru = sorted(morphology.RU_SAMPLE)
    missed = [w for w in ru if morphology.word_language(analysis.normalize(w)) == "ky"]
    print(f"Russian sample (data/lang/ru_sample.tsv) judged Russian or 'both': {1 - len(missed) / len(ru):.4f} "
          f"({len(ru) - len(missed)}/{len(ru)}); missed e.g. {', '.join(missed[:15])}")


_ROUND_RE = re.compile(r"round (\d+) .*?= ([\d,]+) tokens/s \(CPU time [\d.]+s = ([\d,]+) tokens/s\)")


def _one_process(root: Path, corpus: Path) -> dict[str, float]:
    """Cold and warm tokens/s (wall, CPU) of one fresh process running ``root``'s bench."""
    out = subprocess.run([sys.executable, str(root / "bench" / "analyzer_bench.py"), "--rounds", "2",
                          "--corpus", str(corpus)], check=True, capture_output=True, text=True).stdout
    rounds = {int(m.group(1)): (float(m.group(2).replace(",", "")), float(m.group(3).replace(",", "")))
              for m in _ROUND_RE.finditer(out)}
    imported = re.search(r"import ([\d.]+) s", out)
    return {"cold wall": rounds[1][0], "cold CPU": rounds[1][1], "warm wall": rounds[2][0],
            "warm CPU": rounds[2][1], "import s": float(imported.group(1)) if imported else float("nan")}


def compare(baseline: Path, corpus: Path, repeats: int) -> None:
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "this": []}
    for i in range(repeats):
        order = (("baseline", baseline), ("this", ROOT))
        for name, root in order if i % 2 == 0 else order[::-1]:
            runs[name].append(_one_process(root, corpus))
    print(f"{repeats} fresh processes each, alternating; medians, tokens/s (import: seconds)")
    print(f"{'':10} {'baseline':>10} {'this':>10} {'ratio':>6}")
    for key in runs["this"][0]:
        old = statistics.median(r[key] for r in runs["baseline"])
        new = statistics.median(r[key] for r in runs["this"])
        print(f"{key:10} {old:10,.2f} {new:10,.2f} {new / old:6.2f}" if key == "import s" else
              f"{key:10} {old:10,.0f} {new:10,.0f} {new / old:6.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quality", action="store_true", help="also measure fold-consistency and Russian detection")
    ap.add_argument("--baseline", type=Path, help="another checkout to compare with, in fresh processes")
    ap.add_argument("--repeats", type=int, default=5, help="processes per side with --baseline")
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    if args.baseline:
        compare(args.baseline.resolve(), args.corpus.resolve(), args.repeats)
        return 0
    bodies = load_bodies(args.corpus)
    chars = sum(len(b) for b in bodies)
    analysis.clear_caches()
    print(f"corpus: {len(bodies)} documents, {chars:,} characters; analyzer {analysis.ANALYZER_VERSION}; "
          f"import {IMPORT_SECONDS:.3f} s")
    for i in range(args.rounds):
        n, dt, cpu = run(bodies)
        label = "cold cache" if i == 0 else "warm cache"
        print(f"round {i + 1} ({label}): {n:,} tokens in {dt:.3f}s = {n / dt:,.0f} tokens/s "
              f"(CPU time {cpu:.3f}s = {n / cpu:,.0f} tokens/s)")
    info = analysis._stem_normalized.cache_info()
    print(f"stem cache: {info.currsize:,} distinct terms, hits {info.hits:,}, misses {info.misses:,}")
    if args.quality:
        fold_consistency(bodies)
        russian_detection()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
