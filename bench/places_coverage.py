#!/usr/bin/env python3
"""Place detection on the 24.kg corpus: coverage, precision on the hand-checked sample, speed.

    .venv/bin/python bench/places_coverage.py [--corpus ../shared/corpus/24kg/articles.jsonl]
    .venv/bin/python bench/places_coverage.py --sample 60 --seed 14 > /tmp/new_rows.tsv   # rows to label

Coverage = share of the corpus articles (non-empty body; title + body, as ingest reads them) that get
at least one first-level unit (an oblast, Бишкек or Ош) and at least one district.  Precision = share
of the rows of ``tests/data/places_labelled.tsv`` marked ``yes``; the script also re-runs the detector
on each labelled article and says how many labelled findings it no longer produces (so the sample
stays honest when the rules change).  ``--sample N`` prints N random (article, place, phrase) rows
from ``explain_places`` in the labelled file's format, ``correct`` left empty, for hand-checking.
A script, not a test: it prints figures, it asserts nothing.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import places  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "24kg" / "articles.jsonl"
LABELS = ROOT / "tests" / "data" / "places_labelled.tsv"


def read_corpus(path: Path) -> dict[str, str]:
    docs = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            body = obj.get("body")
            if isinstance(body, str) and body.strip():
                docs[str(obj["id"])] = f"{obj.get('title') or ''}\n{body.strip()}"
    return docs


def read_labels(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--sample", type=int, default=0, help="print N random findings to label, then exit")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--rounds", type=int, default=3, help="timing rounds (best CPU time is printed)")
    args = ap.parse_args()
    if not args.corpus.exists():
        print(f"{args.corpus}: not found", file=sys.stderr)
        return 2
    docs = read_corpus(args.corpus)

    if args.sample:
        findings = [(doc_id, unit, phrase) for doc_id, text in docs.items()
                    for unit, phrase in places.explain_places(text)]
        rng = random.Random(args.seed)
        print("id\tplace\tcorrect\tphrase\tnote")
        for doc_id, unit, phrase in rng.sample(findings, min(args.sample, len(findings))):
            print(f"{doc_id}\t{unit}\t\t{phrase.replace(chr(10), ' ')}\t")
        return 0

    elapsed = float("inf")
    for _ in range(args.rounds):   # CPU time, best of N: the machine is shared
        places._first_matches.cache_clear()
        start = time.process_time()
        results = {doc_id: places.detect_places(text) for doc_id, text in docs.items()}
        elapsed = min(elapsed, time.process_time() - start)
    n = len(results)
    with_oblast = sum(1 for r in results.values() if r.oblasts)
    with_district = sum(1 for r in results.values() if r.districts)
    print(f"corpus: {args.corpus} ({n} articles with a body)")
    print(f"with a first-level unit (oblast/Бишкек/Ош): {with_oblast} = {100 * with_oblast / n:.1f} %")
    print(f"with a district:                            {with_district} = {100 * with_district / n:.1f} %")
    print(f"detect_places: {n / elapsed:,.0f} docs/s ({elapsed * 1000:.0f} ms CPU for the corpus, "
          f"best of {args.rounds}, cold cache each round)")

    if args.labels.exists():
        rows = read_labels(args.labels)
        current = {}
        for r in rows:
            if r["id"] not in current:
                text = docs.get(r["id"], "")
                current[r["id"]] = {(u, p.replace("\n", " ")) for u, p in places.explain_places(text)}
        live = [r for r in rows if (r["place"], r["phrase"]) in current[r["id"]]]
        gone = [r for r in rows if (r["place"], r["phrase"]) not in current[r["id"]]]
        name = args.labels.relative_to(ROOT) if args.labels.is_relative_to(ROOT) else args.labels
        print(f"precision, hand-checked findings the detector still produces ({name}):")
        for sample in sorted({r.get("sample") or "" for r in live}) + ["all"]:
            part = [r for r in live if sample == "all" or (r.get("sample") or "") == sample]
            yes = sum(1 for r in part if r["correct"] == "yes")
            judged = sum(1 for r in part if r["correct"] in ("yes", "no"))
            print(f"  {sample or '-':5} {yes}/{judged} = {100 * yes / max(judged, 1):.1f} %"
                  + (f" ({len(part) - judged} not labelled)" if len(part) > judged else ""))
        for r in live:
            if r["correct"] == "no":
                print(f"  wrong: {r['id']}  {r['place']}  «{r['phrase']}»  {r.get('note') or ''}")
        for sample in sorted({r.get("sample") or "" for r in rows}) + ["all"]:
            part = [r for r in rows if sample == "all" or (r.get("sample") or "") == sample]
            yes = sum(1 for r in part if r["correct"] == "yes")
            if sample == sorted({r.get("sample") or "" for r in rows})[0]:
                print("precision as judged when drawn (rows since fixed included):")
            print(f"  {sample or '-':5} {yes}/{len(part)} = {100 * yes / max(len(part), 1):.1f} %")
        print(f"labelled findings no longer produced: {len(gone)}"
              + "".join(f"\n  {r['id']}  {r['place']}  «{r['phrase']}»  (was {r['correct']})" for r in gone))
    return 0


if __name__ == "__main__":
    sys.exit(main())
