"""Merge the JSON files of several bench runs (one size each) and print the table and targets.

    .venv/bin/python bench/report.py bench/results/latest-10k.json bench/results/latest-100k.json \
        --out bench/results/latest.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    merged: dict = {"sizes": {}, "merged_from": args.files}
    for f in args.files:
        data = json.loads(Path(f).read_text(encoding="utf-8"))
        merged.setdefault("machine", data.get("machine"))
        merged.setdefault("queries_per_type", data.get("queries_per_type"))
        merged.setdefault("commit", data.get("commit"))
        merged["sizes"].update(data["sizes"])
    merged["sizes"] = dict(sorted(merged["sizes"].items(), key=lambda kv: int(kv[0])))
    merged["targets"] = run.targets(merged)
    print(run.table(merged))
    m = merged["machine"]
    print(f"\nmachine: {m['cpus']} cores, {m['cpu']}, {m['mem_gb']} GB, Python {m['python']}, "
          f"Whoosh {m['whoosh']}, SQLite {m['sqlite']}")
    for n, r in merged["sizes"].items():
        if "loadavg_start" in r:
            print(f"N={n}: load average {r['loadavg_start']} → {r.get('loadavg_end')}")
    print("\n".join("target: " + t for t in merged["targets"]))
    if args.out:
        Path(args.out).write_text(json.dumps(merged, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
