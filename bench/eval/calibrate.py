"""Set the ``p:`` headline model (``querysets.HeadlineModel``) from the issue's held-out table.

    .venv/bin/python bench/eval/calibrate.py              # the grid, ~3 minutes
    .venv/bin/python bench/eval/calibrate.py --top 5 --salts 3

The issue reports, for another outlet's 113 headlines over its own articles among ~460 24.kg articles,
the MRR@10 of five systems this harness also runs (``run_eval.HELD_OUT``: four plain-Whoosh setups and
the engine of that day, emulated as plain Whoosh with its stem, the first sentence as a ×2.5 title and
all words first).  For each point of a grid of the model's four shares this makes the headlines of the
459 articles, runs those five systems on the ``full`` index (whole headline and its 3 longest words)
and prints the points by their RMSE against those ten figures, with the figures; ``--salts`` repeats
the best points with other random draws (how much of the fit is the draw).  Only the plain baselines
take part: the engine being evaluated never enters the choice.  The model used by ``run_eval.py`` is
``querysets.PARA``, written there by hand from this output (RESULTS.md "Another outlet's headlines").
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import querysets as qsets  # noqa: E402
import run_eval as rv  # noqa: E402

GRID = dict(length_scale=(0.8, 1.0), reinflect=(0.2, 0.35, 0.5), from_body=(0.15, 0.3, 0.45),
            foreign=(0.05, 0.15, 0.25))


def fit(plain, arts, corpus, lengths, model) -> tuple[float, dict]:
    sets = qsets.para_sets(arts, corpus, model, lengths)
    variants = {v.name: v for v in rv.VARIANTS if v.name in rv.HELD_OUT}
    got = {}
    for name in rv.HELD_OUT:
        v = variants[name]
        got[name] = tuple(statistics.mean(rv.score(plain.run(v, q.text), q.target) for q in sets[s])
                          for s in ("head", "head3"))
    return rv.held_out_rmse(got), got


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=8, help="print the N best points")
    ap.add_argument("--salts", type=int, default=0, help="refit the best points with N other draws")
    args = ap.parse_args(argv)
    if not qsets.CORPUS.exists() or not qsets.UD.exists():
        print(f"error: needs {qsets.CORPUS} and {qsets.UD}", file=sys.stderr)
        return 2
    arts, corpus, lengths = qsets.load_articles(), qsets.load_corpus(), qsets.ud_headline_lengths()
    plain = rv.PlainSystem(rv.plain_index("full", qsets.make_docs(arts, "full")))
    rows = []
    keys = list(GRID)
    for values in itertools.product(*GRID.values()):
        model = qsets.HeadlineModel(**dict(zip(keys, values)))
        rmse, got = fit(plain, arts, corpus, lengths, model)
        rows.append((rmse, model, got))
        print(f"  {model}: RMSE {rmse:.3f}", file=sys.stderr, flush=True)
    rows.sort(key=lambda r: r[0])
    names = list(rv.HELD_OUT)
    print("RMSE  " + "  ".join(f"{k}" for k in keys) + "  |  " + "  ".join(names))
    print("held-out" + " " * 30 + "  ".join(f"{rv.HELD_OUT[n][0]:.3f}/{rv.HELD_OUT[n][1]:.3f}" for n in names))
    for rmse, model, got in rows[:args.top]:
        shares = "  ".join(f"{getattr(model, k):g}" for k in keys)
        print(f"{rmse:.3f}  {shares:30}  " + "  ".join(f"{got[n][0]:.3f}/{got[n][1]:.3f}" for n in names))
    if qsets.PARA in [r[1] for r in rows]:
        rank = [r[1] for r in rows].index(qsets.PARA) + 1
        print(f"querysets.PARA {qsets.PARA} is point {rank} of {len(rows)}")
    for rmse, model, _ in rows[:min(3, args.top)] if args.salts else ():
        again = [fit(plain, arts, corpus, lengths, replace(model, salt=f"s{i}"))[0] for i in range(args.salts)]
        print(f"{model}: RMSE {rmse:.3f}, with {args.salts} other draws "
              + ", ".join(f"{x:.3f}" for x in again))
    return 0


if __name__ == "__main__":
    sys.exit(main())
