"""Known-item ranking evaluation: baselines, the kgsearch engine and plain-Whoosh ranking variants.

    .venv/bin/python bench/eval/run_eval.py                  # everything, ~2-4 minutes on 2 cores
    .venv/bin/python bench/eval/run_eval.py --limit 150      # automatic sets sampled: ~1 minute
    .venv/bin/python bench/eval/run_eval.py --only base,lead --markdown
    .venv/bin/python bench/eval/run_eval.py --out var/eval/results.json

Each system answers every query of every set (``querysets.py``); a query scores 1/rank of its
target article within the top 10 (MRR@10), and success@1 / success@10.  The plain-Whoosh
systems search one index per setup that holds every representation of every word in its own
field (``lead_*`` = first sentence, ``body_*`` = the whole text; ``ex`` exact form, ``st`` our
``indexer.analysis.stem``, ``p5`` first 5 letters, ``f*`` the same keyboard-folded); a variant
is a row of ``VARIANTS``: which fields with which weights, BM25F B/K1, stop words, coordination,
keyboard-fold handling, proximity.  Those indexes are cached under ``var/eval/`` by a hash of
the corpus, this harness's index code and the analyzer's code and data.  The engine is built
fresh each run with ``indexer.build.rebuild`` and queried through its public API only.
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from whoosh import index as whoosh_index  # noqa: E402
from whoosh import query as wq  # noqa: E402
from whoosh.analysis import SpaceSeparatedTokenizer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.scoring import BM25F  # noqa: E402

from indexer import analysis  # noqa: E402
from indexer.analysis import fold, is_stopword, stem  # noqa: E402
import querysets as qsets  # noqa: E402

CACHE = ROOT / "var" / "eval"
INDEX_VERSION = "eval-1"          # bump when what make_plain_index stores changes
REPS = ("ex", "st", "p5")
SOURCES = ("lead", "body")


# ---------------------------------------------------------------- representations

def reps_of(token: str) -> dict[str, str]:
    """The representations of one normalized token (an EXACT token)."""
    r = {"ex": token, "st": stem(token), "p5": token[:5]}
    r.update({f"f{k}": fold(v) for k, v in list(r.items())})
    return r


def field_values(text: str) -> dict[str, str]:
    toks = [reps_of(t) for t in qsets.exact_tokens(text)]
    return {rep: " ".join(t[rep] for t in toks) for rep in ("ex", "st", "p5", "fex", "fst", "fp5")}


# ---------------------------------------------------------------- plain Whoosh index

def _analysis_fingerprint() -> str:
    h = hashlib.sha256(analysis.ANALYZER_VERSION.encode())
    files = [ROOT / "indexer" / "analysis.py", ROOT / "indexer" / "morphology.py", ROOT / "indexer" / "lang.py"]
    files += sorted((ROOT / "data" / "lang").glob("*"))
    for p in files:
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def plain_index(setup: str, docs: list[qsets.Doc], rebuild: bool = False):
    """Open (building if needed) the cached plain-Whoosh index of one setup."""
    key = hashlib.sha256(json.dumps([INDEX_VERSION, setup, _analysis_fingerprint(),
                                     [(d.id, d.text) for d in docs]]).encode()).hexdigest()[:12]
    path = CACHE / f"plain-{setup}-{key}"
    if rebuild and path.exists():
        shutil.rmtree(path)
    if (path / "DONE").exists():
        return whoosh_index.open_dir(str(path))
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    tok = SpaceSeparatedTokenizer()
    spec = {"id": ID(stored=True, unique=True)}
    for src in SOURCES:
        for rep in ("ex", "st", "p5", "fex", "fst", "fp5"):
            spec[f"{src}_{rep}"] = TEXT(analyzer=tok, phrase=(src == "body" and rep == "st"))
    ix = whoosh_index.create_in(str(path), Schema(**spec))
    w = ix.writer(limitmb=128)
    for d in docs:
        fields = {"id": d.id}
        for src, text in (("lead", d.lead), ("body", d.text)):
            for rep, value in field_values(text).items():
                fields[f"{src}_{rep}"] = value
        w.add_document(**fields)
    w.commit()
    (path / "DONE").write_text("ok\n")
    for old in CACHE.glob(f"plain-{setup}-*"):
        if old != path:
            shutil.rmtree(old, ignore_errors=True)
    return ix


# ---------------------------------------------------------------- ranking variants

@dataclass(frozen=True)
class V:
    """One plain-Whoosh ranking setup.  ``fields``: (field, weight) over ``{lead,body}_{ex,st,p5}``."""
    name: str
    group: str
    fields: tuple
    stop: bool = True            # drop stop words from the query (as the engine does)
    B: float = 0.75
    K1: float = 1.2
    combine: str = "sum"         # a word's representations: "sum" their scores, "max", or "tie"
    tie: float = 0.3             # combine="tie": the best + tie × the others (search/plan.py Best)
    coord: str = "none"          # "none" | "hard" (docs with all words first) | "mult" (× (m/n)^p)
    p: float = 1.0
    coord_reps: tuple = ("ex", "st", "p5")   # which representations make a word count as matched
    fold: str = "none"           # "none" | "index" (+ folded fields) | "expand" (lexicon) | "all"
    fold_w: float = 0.7
    prox: float = 0.0            # weight of adjacent query-word pairs as body_st phrases (slop 3)
    note: str = ""


def F(**w) -> tuple:
    return tuple(sorted(w.items()))


W3 = dict(body_ex=1.0, body_st=1.0, body_p5=1.0)
REC = dict(W3)                     # the reference weights the other groups vary around


def LEAD(x: float) -> dict:
    """The first sentence's own fields at x times the body weights."""
    return {f"lead_{k.split('_')[1]}": w * x for k, w in REC.items()}


BASE = V("3rep 1/1/1", "i-weights", F(**W3))
OLD_ENGINE = "plain stem + lead-as-title 2.5 + hard tier"

# The held-out table (MRR@10: whole headline, 3 words), for the systems this harness runs
# the same way; ``--calibrate`` and calibrate.py compare the ``p:`` sets with it.
HELD_OUT = {"plain exact": (0.829, 0.661), "plain prefix-5": (0.909, 0.776), "plain stem": (0.912, 0.739),
            "plain 3rep": (0.913, 0.825), OLD_ENGINE: (0.866, 0.756)}

VARIANTS: list[V] = [
    # baselines: plain Whoosh OR, body only, stop words kept
    V("plain exact", "base", F(body_ex=1), stop=False, note="no stemming"),
    V("plain prefix-5", "base", F(body_p5=1), stop=False, note="every word cut to 5 letters"),
    V("plain stem", "base", F(body_st=1), stop=False, note="indexer.analysis.stem"),
    V("plain 3rep", "base", F(**W3), stop=False, note="exact+stem+prefix-5, weight 1 each"),
    V("plain stem + lead-as-title 2.5", "base", F(body_st=1, lead_st=2.5), stop=False,
      note="the engine's fake title in plain Whoosh"),
    V(OLD_ENGINE, "base", F(body_st=1, lead_st=2.5), coord="hard", coord_reps=("st",),
      note="the engine the issue measured: its stem, the first sentence as a ×2.5 title, all words first"),
    # (i) representations and weights (stop words dropped from here on)
    BASE,
    V("3rep 2/1/1", "i-weights", F(body_ex=2, body_st=1, body_p5=1)),
    V("3rep 1/1/0.5", "i-weights", F(body_ex=1, body_st=1, body_p5=0.5)),
    V("3rep 1.5/1/0.5", "i-weights", F(body_ex=1.5, body_st=1, body_p5=0.5)),
    V("3rep 0.5/1/1", "i-weights", F(body_ex=0.5, body_st=1, body_p5=1)),
    V("3rep 1/1/1.5", "i-weights", F(body_ex=1, body_st=1, body_p5=1.5)),
    V("3rep 2/1/0.5", "i-weights", F(body_ex=2, body_st=1, body_p5=0.5)),
    V("3rep 1/0.5/1", "i-weights", F(body_ex=1, body_st=0.5, body_p5=1)),
    V("stem+prefix 1/1", "i-weights", F(body_st=1, body_p5=1)),
    V("3rep 1/1/1 max", "i-weights", F(**REC), combine="max", note="a word scores its best representation"),
    V("3rep 1/1/1 tie 0.3", "i-weights", F(**REC), combine="tie", tie=0.3,
      note="its best representation + 0.3 × the others (the engine's Best)"),
    V("3rep 1/1/1 tie 0.15", "i-weights", F(**REC), combine="tie", tie=0.15),
    V("3rep 1/1/1 tie 0.5", "i-weights", F(**REC), combine="tie", tie=0.5),
    # (ii)+(v) the lead sentence: as a boosted title, as its own weaker field, or not at all
    V("lead x2.5 (as title)", "ii-lead", F(**REC, **LEAD(2.5))),
    V("lead x1.5", "ii-lead", F(**REC, **LEAD(1.5))),
    V("lead x1.0", "ii-lead", F(**REC, **LEAD(1.0))),
    V("lead x0.5", "ii-lead", F(**REC, **LEAD(0.5))),
    V("lead x0.25", "ii-lead", F(**REC, **LEAD(0.25))),
    # (iii) coordination
    V("coord hard tier", "iii-coord", F(**REC), coord="hard", note="docs with every word first"),
    V("coord hard tier, matched = exact/stem", "iii-coord", F(**REC), coord="hard", coord_reps=("ex", "st"),
      note="a prefix-only match does not count as having the word"),
    V("coord soft (m/n)", "iii-coord", F(**REC), coord="mult", p=1.0),
    V("coord soft (m/n)^2", "iii-coord", F(**REC), coord="mult", p=2.0),
    V("coord soft (m/n)^0.5", "iii-coord", F(**REC), coord="mult", p=0.5),
    # (iv) BM25F parameters
    V("B=0.3", "iv-bm25", F(**REC), B=0.3),
    V("B=0.5", "iv-bm25", F(**REC), B=0.5),
    V("B=0.9", "iv-bm25", F(**REC), B=0.9),
    V("K1=0.8", "iv-bm25", F(**REC), K1=0.8),
    V("K1=2.0", "iv-bm25", F(**REC), K1=2.0),
    V("B=0.5 K1=0.8", "iv-bm25", F(**REC), B=0.5, K1=0.8),
    # (vi) keyboard folding (ң ө ү typed as н о у)
    V("fold: + folded fields x0.7", "vi-fold", F(**REC), fold="index"),
    V("fold: lexicon expansion x0.7", "vi-fold", F(**REC), fold="expand"),
    V("fold: lexicon expansion x1.0", "vi-fold", F(**REC), fold="expand", fold_w=1.0),
    V("fold: everything folded", "vi-fold", F(**REC), fold="all"),
    # (vii) proximity
    V("prox pairs x0.5", "vii-prox", F(**REC), prox=0.5),
    V("prox pairs x1.5", "vii-prox", F(**REC), prox=1.5),
    # combinations
    V("combo: 3rep+lead0.5+soft+expand", "combo",
      F(**REC, **LEAD(0.5)), coord="mult", fold="expand"),
    V("combo: + prox 0.5", "combo",
      F(**REC, **LEAD(0.5)), coord="mult", fold="expand", prox=0.5),
    V("combo: + B=0.5", "combo",
      F(**REC, **LEAD(0.5)), coord="mult", fold="expand", B=0.5),
    V("rec: 3rep+lead0.25+fold-exp1.0+hard", "combo",
      F(**REC, **LEAD(0.25)), coord="hard", fold="expand", fold_w=1.0,
      note="the recommendation: compatible with all-words-first counting"),
    V("FINAL: 3rep+fold-exp1.0+tier(exact/stem), no lead", "combo", F(**REC), coord="hard",
      coord_reps=("ex", "st"), fold="expand", fold_w=1.0,
      note="what RESULTS.md recommends for the engine"),
    V("rec + B=0.5 K1=0.8", "combo",
      F(**REC, **LEAD(0.25)), coord="hard", fold="expand", fold_w=1.0, B=0.5, K1=0.8),
    V("rec, hard tier on exact/stem only", "combo",
      F(**REC, **LEAD(0.25)), coord="hard", coord_reps=("ex", "st"), fold="expand", fold_w=1.0),
    V("rec, soft (m/n)^0.5 instead of hard", "combo",
      F(**REC, **LEAD(0.25)), coord="mult", p=0.5, fold="expand", fold_w=1.0),
    V("rec, no lead field", "combo", F(**REC), coord="hard", fold="expand", fold_w=1.0),
    V("rec, everything folded", "combo", F(**REC, **LEAD(0.25)), coord="hard", fold="all"),
    V("rec, max per word", "combo", F(**REC, **LEAD(0.25)), coord="hard", fold="expand", fold_w=1.0,
      combine="max"),
    V("rec, max per word, no lead, soft^0.5", "combo", F(**REC), coord="mult", p=0.5, fold="expand",
      fold_w=1.0, combine="max"),
    V("combo: engine-like (title2.5+hard)", "combo",
      F(**REC, **LEAD(2.5)), coord="hard", fold="expand"),
]


def _rep(fieldname: str) -> str:
    rep = fieldname.split("_", 1)[1]
    return rep[1:] if rep.startswith("f") else rep


class PlainSystem:
    """One plain-Whoosh index; ``run(variant, query) -> [doc ids]`` (top 10).

    The index, its postings and its statistics are Whoosh's; the score is Whoosh's BM25F
    (``whoosh.scoring.bm25``: idf = log(N/(df+1))+1, Whoosh's byte-quantized field lengths, a
    query-term boost multiplies, ``Or`` sums, ``DisjunctionMax`` takes the best) computed over
    all documents at once with numpy, so ~40 variants × ~1,500 queries run in minutes
    (``check_against_whoosh`` compares it with ``searcher.search``)."""

    def __init__(self, ix):
        self.ix = ix
        self.reader = ix.reader()
        self.n = self.reader.doc_count_all()
        self.ids = [self.reader.stored_fields(i)["id"] for i in range(self.n)]
        self._foldmaps: dict[str, dict[str, list[str]]] = {}
        self._postings: dict[tuple, tuple] = {}
        self._scores: dict[tuple, np.ndarray | None] = {}
        self._lengths: dict[str, np.ndarray] = {}

    def lengths(self, fieldname):
        if fieldname not in self._lengths:
            self._lengths[fieldname] = np.array(
                [self.reader.doc_field_length(i, fieldname, 0) for i in range(self.n)], dtype=np.float64)
        return self._lengths[fieldname]

    def postings(self, fieldname, term):
        key = (fieldname, term)
        if key not in self._postings:
            try:
                items = list(self.reader.postings(fieldname, term).items_as("weight"))
            except Exception:  # whoosh.reading.TermNotFound
                items = []
            docs = np.array([d for d, _ in items], dtype=np.int64)
            tf = np.array([w for _, w in items], dtype=np.float64)
            self._postings[key] = (docs, tf)
        return self._postings[key]

    def term_scores(self, fieldname, term, B, K1):
        """Whoosh's BM25F score of one term for every document (None when it matches none)."""
        key = (fieldname, term, B, K1)
        if key not in self._scores:
            docs, tf = self.postings(fieldname, term)
            if not len(docs):
                self._scores[key] = None
            else:
                idf = math.log(self.n / (len(docs) + 1)) + 1
                fl = self.lengths(fieldname)
                avgfl = (self.reader.field_length(fieldname) / self.n) or 1
                v = np.zeros(self.n)
                v[docs] = idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl[docs] / avgfl))
                self._scores[key] = v
        return self._scores[key]

    def positions(self, term):
        key = ("pos", term)
        if key not in self._postings:
            try:
                self._postings[key] = dict(self.reader.postings("body_st", term).items_as("positions"))
            except Exception:
                self._postings[key] = {}
        return self._postings[key]

    def pair_scores(self, a, b, B, K1):
        """Proximity: how often the two stems occur within 3 positions, scored like a term."""
        pa, pb = self.positions(a), self.positions(b)
        docs, tf = [], []
        for d in pa.keys() & pb.keys():
            sb = pb[d]
            c = sum(1 for p in pa[d] if any(abs(p - q) <= 3 for q in sb))
            if c:
                docs.append(d)
                tf.append(c)
        if not docs:
            return None
        docs, tf = np.array(docs), np.array(tf, dtype=np.float64)
        idf = math.log(self.n / (len(docs) + 1)) + 1
        fl = self.lengths("body_st")
        avgfl = (self.reader.field_length("body_st") / self.n) or 1
        v = np.zeros(self.n)
        v[docs] = idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl[docs] / avgfl))
        return v

    def foldmap(self, fieldname: str) -> dict[str, list[str]]:
        if fieldname not in self._foldmaps:
            m = defaultdict(list)
            for t in self.reader.lexicon(fieldname):
                t = t.decode("utf-8") if isinstance(t, bytes) else t
                m[fold(t)].append(t)
            self._foldmaps[fieldname] = m
        return self._foldmaps[fieldname]

    def query_words(self, v: V, text: str) -> list[str]:
        toks = qsets.exact_tokens(text)
        if v.stop:
            toks = [t for t in toks if not is_stopword(t)] or toks
        return list(dict.fromkeys(toks))       # distinct query words

    def word_terms(self, v: V, tok: str) -> list[tuple[str, str, float]]:
        """(field, term, weight) of one query word under the variant."""
        r = reps_of(tok)
        terms = []
        for fieldname, weight in v.fields:
            src, rep = fieldname.split("_", 1)
            if v.fold == "all":
                terms.append((f"{src}_f{rep}", r[f"f{rep}"], weight))
                continue
            terms.append((fieldname, r[rep], weight))
            if v.fold == "index":
                terms.append((f"{src}_f{rep}", r[f"f{rep}"], weight * v.fold_w))
            elif v.fold == "expand":
                terms += [(fieldname, t, weight * v.fold_w)
                          for t in self.foldmap(fieldname).get(r[f"f{rep}"], ()) if t != r[rep]]
        return terms

    def scores(self, v: V, text: str) -> np.ndarray:
        toks = self.query_words(v, text)
        total = np.zeros(self.n)
        matched = np.zeros(self.n)
        for tok in toks:
            parts = [s * w for f, t, w in self.word_terms(v, tok)
                     if (s := self.term_scores(f, t, v.B, v.K1)) is not None]
            if not parts:
                continue
            if v.combine == "max":
                word = np.max(parts, axis=0)
            elif v.combine == "tie":          # the best representation + tie × the others (Lucene's dis_max)
                best = np.max(parts, axis=0)
                word = best + v.tie * (np.sum(parts, axis=0) - best)
            else:
                word = np.sum(parts, axis=0)
            total += word
            counted = [s for (f, t, w) in self.word_terms(v, tok) if _rep(f) in v.coord_reps
                       and (s := self.term_scores(f, t, v.B, v.K1)) is not None]
            if counted:
                matched += np.max(counted, axis=0) > 0
        if v.prox:
            st = [stem(t) for t in toks]
            for a, b in zip(st, st[1:]):
                s = self.pair_scores(a, b, v.B, v.K1)
                if s is not None:
                    total += v.prox * s
        n = max(1, len(toks))
        if v.coord == "hard":
            total = np.where(total > 0, total + (matched == n) * 1e6, 0.0)
        elif v.coord == "mult":
            total = total * (matched / n) ** v.p
        return total

    def run(self, v: V, text: str) -> list[str]:
        s = self.scores(v, text)
        top = np.argsort(-s, kind="stable")[:10]
        return [self.ids[i] for i in top if s[i] > 0]

    def check_against_whoosh(self, v: V, texts: list[str]) -> int:
        """How many queries' top-10 differ from Whoosh's own ``searcher.search`` (plain variants)."""
        bad = 0
        with self.ix.searcher(weighting=BM25F(B=v.B, K1=v.K1)) as s:
            for text in texts:
                subs = [wq.Or([wq.Term(f, t, boost=w) for f, t, w in self.word_terms(v, tok)])
                        for tok in self.query_words(v, text)]
                hits = s.search(wq.Or(subs), limit=10)
                theirs = [(round(h.score, 6)) for h in hits]
                sc = self.scores(v, text)
                ours = [round(float(x), 6) for x in sorted(sc[sc > 0], reverse=True)[:10]]
                bad += theirs != ours
        return bad


# ---------------------------------------------------------------- the kgsearch engine

LEAD_WEIGHTS = (0.0, 0.25, 0.5, 1.0)    # engine rows: the lead field at these weights (body 1.0)


class EngineSystem:
    """The engine as it is: ``indexer.build.rebuild`` into a temp store, ``SearchEngine.search``."""

    def __init__(self, docs: list[qsets.Doc], tmp: Path, setup: str):
        from indexer.build import rebuild
        from indexer.store import IndexStore
        from search.engine import SearchEngine
        src = tmp / f"{setup}.jsonl"
        with open(src, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"id": d.id, "body": d.text, "topics": list(d.topics)},
                                   ensure_ascii=False) + "\n")
        root = tmp / f"index-{setup}"
        result = rebuild(IndexStore(root), [str(src)], procs=1)
        if getattr(result, "indexed", len(docs)) != len(docs):
            print(f"warning: engine indexed {result.indexed} of {len(docs)} documents", file=sys.stderr)
        self.engine = SearchEngine(store=IndexStore(root))

    def run(self, text: str, window: int | None = None, lead: float | None = None) -> list[str]:
        """The first page's ids; ``window``: search/proximity.py's WINDOW for this query (0: no
        proximity); ``lead``: the lead field's weight (search/compile.py ``BOOST``; 0: the lead
        does not score); the page cache emptied so the page is computed with them."""
        from search import compile as plan_compiler
        from search import proximity
        saved, saved_lead = proximity.WINDOW, plan_compiler.BOOST["lead"]
        proximity.WINDOW = saved if window is None else window
        plan_compiler.BOOST["lead"] = saved_lead if lead is None else lead
        try:
            self.engine.state().pages.clear()
            return [h["id"] for h in self.engine.search(text, per_page=10)["hits"]]
        finally:
            proximity.WINDOW, plan_compiler.BOOST["lead"] = saved, saved_lead


# ---------------------------------------------------------------- metrics and report

def score(ranked: list[str], target: str) -> float:
    return 1.0 / (ranked.index(target) + 1) if target in ranked[:10] else 0.0


@dataclass
class Cell:
    rr: list = field(default_factory=list)

    def add(self, r: float):
        self.rr.append(r)

    @property
    def mrr(self): return sum(self.rr) / len(self.rr) if self.rr else float("nan")
    @property
    def s1(self): return sum(r == 1.0 for r in self.rr) / len(self.rr) if self.rr else float("nan")
    @property
    def s10(self): return sum(r > 0 for r in self.rr) / len(self.rr) if self.rr else float("nan")


SET_ORDER = [("full", "known"), ("full", "lead"), ("full", "lead3"), ("full", "lead3fold"), ("full", "rare"),
             ("unseen", "head"), ("unseen", "head3"), ("unseen", "head3fold"), ("unseen", "known"),
             ("para", "head"), ("para", "head3"), ("para", "head3fold")]
MEAN_SETS = SET_ORDER[:9]          # "mean": the nine sets the harness had before ``p:`` (comparable)
PARA_SETS = SET_ORDER[9:]
INDEX_OF = {"full": "full", "unseen": "unseen", "para": "full"}   # the para setup searches the full index


def label(setup, name):
    return {"full": "", "unseen": "u:", "para": "p:"}[setup] + name


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0,
                    help="sample each automatic query set to N queries (seeded; 0 = all, ~450 each)")
    ap.add_argument("--only", default="", help="comma-separated variant groups (base, i-weights, ii-lead, "
                                               "iii-coord, iv-bm25, vi-fold, vii-prox, combo, engine)")
    ap.add_argument("--no-engine", action="store_true", help="skip the kgsearch engine")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached plain-Whoosh indexes")
    ap.add_argument("--check", action="store_true",
                    help="first compare the numpy BM25F with Whoosh's own search on 200 queries per variant")
    ap.add_argument("--compare", action="append", default=[], metavar="A|B",
                    help="paired difference A − B per set with a 95%% bootstrap interval (repeatable)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--calibrate", action="store_true",
                    help="also compare the p: sets of the plain baselines with the issue's held-out table")
    ap.add_argument("--out", help="write every cell (and per-query reciprocal ranks) as JSON")
    ap.add_argument("--save-queries", metavar="FILE",
                    help="write the query sets as JSON (the p: sets depend on the analyzer's stem)")
    ap.add_argument("--queries", metavar="FILE",
                    help="read the query sets from a --save-queries file instead of drawing them: "
                         "an analyzer change compared on the very same queries")
    args = ap.parse_args(argv)
    if not qsets.CORPUS.exists():
        print(f"error: corpus not found: {qsets.CORPUS}", file=sys.stderr)
        return 2
    groups = set(filter(None, args.only.split(",")))
    started = time.perf_counter()
    arts = qsets.load_articles()
    if args.queries:
        try:
            sets = qsets.read_query_sets(Path(args.queries))
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"error: {args.queries}: not a query file written by --save-queries ({e})", file=sys.stderr)
            return 2
    else:
        sets = qsets.query_sets(arts, limit=args.limit or None)
    if args.save_queries:
        qsets.write_query_sets(sets, Path(args.save_queries))
    variants = [v for v in VARIANTS if not groups or v.group in groups]
    systems = []  # (name, group, {setup: callable})
    cells: dict[tuple, Cell] = defaultdict(Cell)
    with tempfile.TemporaryDirectory(prefix="kgsearch-eval-") as tmp:
        plain, engines = {}, {}
        for setup in ("full", "unseen"):
            docs = qsets.make_docs(arts, setup)
            plain[setup] = PlainSystem(plain_index(setup, docs, rebuild=args.rebuild))
            if not args.no_engine and (not groups or "engine" in groups or "base" in groups):
                engines[setup] = EngineSystem(docs, Path(tmp), setup)
        for alias, setup in INDEX_OF.items():
            if alias != setup:
                plain[alias] = plain[setup]
                if setup in engines:
                    engines[alias] = engines[setup]
        built = time.perf_counter()
        if args.check:
            texts = [q.text for n in ("lead", "lead3", "rare", "known") for q in sets["full"][n][:50]]
            for v in VARIANTS:
                if v.coord == "none" and not v.prox and v.combine == "sum" and v.group in ("base", "i-weights", "ii-lead"):
                    bad = plain["full"].check_against_whoosh(v, texts)
                    print(f"check {v.name}: {bad} of {len(texts)} top-10 score lists differ from Whoosh's",
                          file=sys.stderr)
        if engines:
            systems.append(("kgsearch engine", "base", {s: engines[s].run for s in engines}))
            systems.append(("kgsearch engine, no proximity", "engine",
                            {s: (lambda text, e=engines[s]: e.run(text, window=0)) for s in engines}))
            for w in LEAD_WEIGHTS:         # the lead field's weight, the same index (indexer/fields.py)
                systems.append((f"kgsearch engine, lead ×{w:g}", "engine",
                                {s: (lambda text, e=engines[s], w=w: e.run(text, lead=w)) for s in engines}))
        for v in variants:
            systems.append((v.name, v.group, {s: (lambda text, v=v, s=s: plain[s].run(v, text)) for s in plain}))
        # the engine row right after the plain baselines
        systems.sort(key=lambda s: s[1] != "base")
        for name, group, run in systems:
            t0 = time.perf_counter()
            for setup, qname in SET_ORDER:
                for q in sets[setup].get(qname, ()):
                    cells[(name, setup, qname)].add(score(run[setup](q.text), q.target))
            print(f"  {name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        took = time.perf_counter() - started
    sizes = {label(s, n): len(sets[s].get(n, ())) for s, n in SET_ORDER}
    print_table(systems, cells, sizes, args.markdown)
    print(f"\n{len(arts)} articles of {qsets.MIN_WORDS}+ words; queries per set: "
          + ", ".join(f"{k} {v}" for k, v in sizes.items())
          + f"; indexes ready in {built - started:.1f}s, total {took:.1f}s")
    if args.calibrate:
        print_calibration(cells)
    for pair in args.compare:
        a, _, b = pair.partition("|")
        print(f"\n{a} − {b}: MRR@10 difference per set [95% paired bootstrap interval]")
        for setup, qname in SET_ORDER:
            ca, cb = cells.get((a, setup, qname)), cells.get((b, setup, qname))
            if not ca or not cb or not ca.rr:
                print(f"  {label(setup, qname)}: (not run)")
                continue
            d, lo, hi = paired_ci(ca.rr, cb.rr)
            print(f"  {label(setup, qname):10} {d:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    if args.out:
        out = {f"{n}|{s}|{q}": {"mrr": c.mrr, "s1": c.s1, "s10": c.s10, "rr": c.rr} for (n, s, q), c in cells.items()}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, ensure_ascii=False))
    return 0


REF = BASE.name


def paired_ci(a: list, b: list, iters: int = 2000) -> tuple[float, float, float]:
    d = np.array(a) - np.array(b)
    rng = np.random.default_rng(12)
    boots = d[rng.integers(0, len(d), size=(iters, len(d)))].mean(axis=1)
    return float(d.mean()), float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def held_out_rmse(got: dict[str, tuple[float, float]]) -> float:
    """RMSE of {system: (whole headline, 3 words) MRR@10} against ``HELD_OUT`` (the systems given)."""
    err = [(m - h) ** 2 for name, ms in got.items() for m, h in zip(ms, HELD_OUT[name])]
    return math.sqrt(sum(err) / len(err)) if err else float("nan")


def print_calibration(cells) -> float:
    """The p: sets beside the issue's held-out figures for the same systems; returns the RMSE."""
    print("\np: (HeadlineModel headlines over the full index) against the issue's held-out set, MRR@10")
    print(f"  {'system':45} {'p:head':>7} {'held-out':>8} {'p:head3':>8} {'held-out':>8}")
    got = {}
    for name, (h1, h3) in HELD_OUT.items():
        c1, c3 = cells.get((name, "para", "head")), cells.get((name, "para", "head3"))
        if not c1 or not c1.rr or not c3 or not c3.rr:
            continue
        got[name] = (c1.mrr, c3.mrr)
        print(f"  {name:45} {c1.mrr:7.3f} {h1:8.3f} {c3.mrr:8.3f} {h3:8.3f}")
    rmse = held_out_rmse(got)
    print(f"  RMSE over {2 * len(got)} cells: {rmse:.3f}")
    return rmse


def print_table(systems, cells, sizes, markdown: bool):
    cols = [label(s, n) for s, n in SET_ORDER]
    head = ["system", "group"] + cols + ["mean", "p:mean", f"±{REF}"]
    rows = []
    ref = [cells[(REF, s, n)].mrr for s, n in SET_ORDER]
    for name, group, _ in systems:
        vals = [cells[(name, s, n)] for s, n in SET_ORDER]
        mean = sum(cells[(name, s, n)].mrr for s, n in MEAN_SETS) / len(MEAN_SETS)
        pmean = sum(cells[(name, s, n)].mrr for s, n in PARA_SETS) / len(PARA_SETS)
        # on how many sets it beats / loses to the reference by more than 0.005
        up = sum(c.mrr > r + 0.005 for c, r in zip(vals, ref))
        down = sum(c.mrr < r - 0.005 for c, r in zip(vals, ref))
        rows.append([name, group] + [f"{c.mrr:.3f} {c.s1:.2f}/{c.s10:.2f}" for c in vals]
                    + [f"{mean:.3f}", f"{pmean:.3f}", f"+{up} -{down}"])
    print("cell = MRR@10 success@1/success@10; mean = mean MRR@10 over the first nine sets, p:mean over "
          "the p: sets; u: = unseen setup (first sentence withheld from the index); p: = another outlet's "
          "kind of headline (querysets.HeadlineModel) over the full index; "
          f"±{REF} = sets where MRR is >0.005 above / below that reference")
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
        return
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for r in [head] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)))


if __name__ == "__main__":
    sys.exit(main())
