"""The kgsearch benchmark: ours vs stock Whoosh vs SQLite FTS5, same corpus, same queries, one run.

    .venv/bin/python bench/run.py                       # N = 10,000 and 100,000
    .venv/bin/python bench/run.py --sizes 10000 --quick # a few minutes
    .venv/bin/python bench/run.py --out bench/results/latest.json

For each N: a synthetic corpus recombined from the real 24.kg articles (bench/corpus.py,
cached in bench/results/corpus/), then for each system a full rebuild in a child process
(docs/s, index size, peak RSS) and the query mix in another child process (latency of the
whole results page: top-10 + highlights + district/oblast/year facet counts), then ours over
HTTP (``kgsearch serve`` on a free loopback port: the same mix one request at a time, then 8
concurrent clients).  A table goes to stdout, everything to the JSON file.  Not part of the
test suite.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import random
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import corpus as corpus_mod  # noqa: E402  (bench/corpus.py)

RESULTS = HERE / "results"
QUERY_TYPES = [
    ("word1", "1 word"),
    ("words23", "2–3 words"),
    ("phrase", "phrase"),
    ("date_range", "word + date range"),
    ("district", "word + district"),
    ("sorted_date", "word, newest first"),
    ("filters_only", "empty query + filters"),
    ("page2", "page 2"),
    ("repeated", "repeated query (2nd)"),
]
SYSTEMS = ("ours", "whoosh", "fts5")
PER_PAGE = 10


# ============================================================ queries

def make_queries(n_per_type: int, seed: int) -> dict[str, list[dict]]:
    """The query mix: per type ``n_per_type`` distinct requests drawn from real Kyrgyz words."""
    from indexer import lang, places
    words, pairs = corpus_mod.vocabulary(corpus_mod.load_source(), lang.STOPWORDS)
    rng = random.Random(seed)
    districts = list(places.DISTRICTS)

    def word():
        return rng.choice(words)

    def period():
        y1 = rng.randint(2010, 2024)
        y2 = rng.randint(y1, 2026)
        return str(y1), f"{y2}-{rng.randint(1, 12):02d}"

    qs: dict[str, list[dict]] = {t: [] for t, _ in QUERY_TYPES}
    seen: set[str] = set()

    def add(kind, req):
        key = json.dumps(req, sort_keys=True, ensure_ascii=False)
        if key in seen:
            return
        seen.add(key)
        qs[kind].append(req)

    while any(len(v) < n_per_type for v in qs.values()):
        for kind, _ in QUERY_TYPES:
            if len(qs[kind]) >= n_per_type:
                continue
            if kind == "word1":
                add(kind, {"q": word()})
            elif kind == "words23":
                add(kind, {"q": " ".join(word() for _ in range(rng.choice((2, 3))))})
            elif kind == "phrase":
                a, b = rng.choice(pairs)
                add(kind, {"q": f'"{a} {b}"'})
            elif kind == "date_range":
                f, t = period()
                add(kind, {"q": word(), "from": f, "to": t})
            elif kind == "district":
                add(kind, {"q": word(), "district": rng.choice(districts)})
            elif kind == "sorted_date":
                add(kind, {"q": word(), "sort": "newest"})
            elif kind == "filters_only":
                f, t = period()
                add(kind, {"q": "", "district": rng.choice(districts), "from": f, "to": t})
            elif kind == "page2":
                add(kind, {"q": word(), "page": 2})
            elif kind == "repeated":
                add(kind, {"q": " ".join(word() for _ in range(rng.choice((1, 2))))})
    return qs


def date_bounds(req) -> tuple[int | None, int | None]:
    lo = hi = None
    if req.get("from"):
        parts = [int(p) for p in req["from"].split("-")] + [1, 1]
        lo = parts[0] * 10000 + parts[1] * 100 + parts[2]
    if req.get("to"):
        p = [int(x) for x in req["to"].split("-")]
        hi = p[0] * 10000 + (p[1] if len(p) > 1 else 12) * 100 + (p[2] if len(p) > 2 else 31)
    return lo, hi


# ============================================================ systems

class Ours:
    name = "ours"

    @staticmethod
    def build(corpus: Path, index: Path, procs: int = 0) -> dict:
        """procs=0: rebuild()'s own default; procs=N: rebuild(procs=N, multisegment=N > 1)."""
        from indexer.build import rebuild
        from indexer.store import IndexStore
        kwargs = {}
        params = inspect.signature(rebuild).parameters
        if procs:
            if "procs" not in params:
                raise SystemExit("indexer.build.rebuild has no procs= yet")
            kwargs["procs"] = procs
            if "multisegment" in params:
                kwargs["multisegment"] = procs > 1
        store = IndexStore(index)
        t = time.perf_counter()
        result = rebuild(store, [str(corpus)], **kwargs)
        seconds = time.perf_counter() - t
        if not result.published:
            raise SystemExit(f"ours: build failed: {result.reason}")
        return {"docs": result.indexed, "seconds": seconds, "index_bytes": store.size_bytes(),
                "kwargs": kwargs}

    def __init__(self, index: Path):
        from search.engine import SearchEngine
        from search.filters import make_filters
        self.engine = SearchEngine(index)
        self.make_filters = make_filters

    def page(self, req) -> int:
        filters = self.make_filters(req.get("from"), req.get("to"),
                                    districts=[req["district"]] if req.get("district") else None)
        r = self.engine.search(req.get("q", ""), page=req.get("page", 1), per_page=PER_PAGE,
                               filters=filters, sort=req.get("sort"))
        return r["total"]

    @staticmethod
    def analyzer_throughput(bodies) -> dict:
        from indexer.analysis import ANALYZER
        return _tokens_per_s(ANALYZER, bodies)


class StockWhoosh:
    """Whoosh as its documentation would have it: StandardAnalyzer, MultifieldParser,
    ``search_page`` with ``groupedby`` facets (counts) and ``hit.highlights``."""
    name = "whoosh"

    @staticmethod
    def schema():
        from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
        return Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(stored=True),
            body=TEXT(stored=True),
            date=NUMERIC(int, bits=32, signed=False, stored=True, sortable=True),
            year=ID(stored=True, sortable=True),
            district=KEYWORD(stored=True, commas=True),
            oblast=KEYWORD(stored=True, commas=True),
        )

    @classmethod
    def build(cls, corpus: Path, index: Path, procs: int = 0) -> dict:
        from whoosh import index as wi
        if index.exists():
            shutil.rmtree(index)
        index.mkdir(parents=True)
        t = time.perf_counter()
        ix = wi.create_in(str(index), cls.schema())
        kwargs = {"limitmb": 256}
        if procs > 1:
            kwargs.update(procs=procs, multisegment=True)
        w = ix.writer(**kwargs)
        n = 0
        with open(corpus, encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                date = int(d["date"].replace("-", ""))
                w.add_document(id=d["id"], title=d["title"], body=d["body"], date=date,
                               year=d["date"][:4], district=",".join(d["x_districts"]),
                               oblast=",".join(d["x_oblasts"]))
                n += 1
        w.commit()
        seconds = time.perf_counter() - t
        return {"docs": n, "seconds": seconds, "index_bytes": _dir_bytes(index), "kwargs": kwargs}

    def __init__(self, index: Path):
        from whoosh import index as wi
        from whoosh import query as Q
        from whoosh import sorting
        from whoosh.qparser import MultifieldParser
        self.Q, self.sorting = Q, sorting
        self.ix = wi.open_dir(str(index))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def page(self, req) -> int:
        Q, sorting = self.Q, self.sorting
        q = self.parser.parse(req["q"]) if req.get("q") else Q.Every()
        parts = []
        lo, hi = date_bounds(req)
        if lo or hi:
            parts.append(Q.NumericRange("date", lo, hi))
        if req.get("district"):
            parts.append(Q.Term("district", req["district"]))
        flt = (Q.And(parts) if len(parts) > 1 else parts[0]) if parts else None
        facets = sorting.Facets()
        facets.add_field("district", allow_overlap=True)
        facets.add_field("oblast", allow_overlap=True)
        facets.add_field("year")
        sort = req.get("sort") or ("newest" if not req.get("q") else None)
        kw = {"sortedby": "date", "reverse": True} if sort == "newest" else {}
        page = self.searcher.search_page(q, req.get("page", 1), pagelen=PER_PAGE, filter=flt,
                                         groupedby=facets, maptype=sorting.Count, **kw)
        for hit in page:
            hit.get("title")
            hit.highlights("body")
        for name in ("district", "oblast", "year"):
            page.results.groups(name)
        return page.total

    @staticmethod
    def analyzer_throughput(bodies) -> dict:
        from whoosh.analysis import StandardAnalyzer
        return _tokens_per_s(StandardAnalyzer(), bodies)


class FTS5:
    """SQLite FTS5 (unicode61) in Python's sqlite3: bm25 top-10 with snippet(), counts by GROUP BY."""
    name = "fts5"

    @staticmethod
    def build(corpus: Path, index: Path, procs: int = 0) -> dict:
        if index.exists():
            shutil.rmtree(index)
        index.mkdir(parents=True)
        path = index / "fts.sqlite"
        t = time.perf_counter()
        db = sqlite3.connect(path)
        db.executescript("""
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE docs(id INTEGER PRIMARY KEY, ext TEXT, title TEXT, body TEXT, date INT, year INT);
            CREATE TABLE place(doc INT, kind INT, name TEXT);
            CREATE VIRTUAL TABLE fts USING fts5(title, body, content='docs', content_rowid='id',
                                               tokenize='unicode61');
        """)
        n = 0
        with db, open(corpus, encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                n += 1
                date = int(d["date"].replace("-", ""))
                db.execute("INSERT INTO docs VALUES (?,?,?,?,?,?)",
                           (n, d["id"], d["title"], d["body"], date, date // 10000))
                db.execute("INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", (n, d["title"], d["body"]))
                db.executemany("INSERT INTO place VALUES (?,?,?)",
                               [(n, 0, x) for x in d["x_districts"]] + [(n, 1, x) for x in d["x_oblasts"]])
        db.executescript("""
            CREATE INDEX place_name ON place(kind, name, doc); CREATE INDEX place_doc ON place(doc, kind);
            CREATE INDEX docs_date ON docs(date);
            INSERT INTO fts(fts) VALUES('optimize');
        """)
        db.close()
        seconds = time.perf_counter() - t
        return {"docs": n, "seconds": seconds, "index_bytes": _dir_bytes(index), "kwargs": {}}

    _WORD = re.compile(r'"[^"]*"|[^\s"]+')

    def __init__(self, index: Path):
        self.db = sqlite3.connect(index / "fts.sqlite", check_same_thread=False)
        self.db.execute("CREATE TEMP TABLE hits(doc INTEGER PRIMARY KEY, score REAL, date INT)")

    @classmethod
    def match_expr(cls, q: str) -> str:
        parts = []
        for tok in cls._WORD.findall(q):
            inner = tok.strip('"').replace('"', "")
            if inner.strip():
                parts.append(f'"{inner}"')
        return " ".join(parts)

    def page(self, req) -> int:
        db = self.db
        where, args = [], []
        lo, hi = date_bounds(req)
        if lo:
            where.append("docs.date >= ?"); args.append(lo)
        if hi:
            where.append("docs.date <= ?"); args.append(hi)
        if req.get("district"):
            where.append("EXISTS (SELECT 1 FROM place p WHERE p.doc = docs.id AND p.kind = 0 AND p.name = ?)")
            args.append(req["district"])
        cond = (" AND " + " AND ".join(where)) if where else ""
        expr = self.match_expr(req.get("q", ""))
        db.execute("DELETE FROM hits")
        if expr:
            db.execute("INSERT INTO hits SELECT fts.rowid, bm25(fts, 2.5, 1.0), docs.date FROM fts "
                       "JOIN docs ON docs.id = fts.rowid WHERE fts MATCH ?" + cond, [expr] + args)
        else:
            db.execute("INSERT INTO hits SELECT docs.id, 0, docs.date FROM docs WHERE 1" + cond, args)
        total = db.execute("SELECT count(*) FROM hits").fetchone()[0]
        sort = req.get("sort") or ("newest" if not expr else "relevance")
        order = "date DESC" if sort == "newest" else "score"
        offset = (req.get("page", 1) - 1) * PER_PAGE
        top = [r[0] for r in db.execute(f"SELECT doc FROM hits ORDER BY {order} LIMIT ? OFFSET ?",
                                        (PER_PAGE, offset))]
        if top:
            marks = ",".join("?" * len(top))
            if expr:
                rows = db.execute(f"SELECT rowid, highlight(fts, 0, '<mark>', '</mark>'), "
                                  f"snippet(fts, 1, '<mark>', '</mark>', '…', 40) FROM fts "
                                  f"WHERE fts MATCH ? AND rowid IN ({marks})", [expr] + top).fetchall()
            else:
                rows = db.execute(f"SELECT id, title, substr(body, 1, 260) FROM docs WHERE id IN ({marks})",
                                  top).fetchall()
            assert len(rows) == len(top)
        db.execute("SELECT p.name, count(*) FROM hits JOIN place p ON p.doc = hits.doc AND p.kind = 0 "
                   "GROUP BY p.name").fetchall()
        db.execute("SELECT p.name, count(*) FROM hits JOIN place p ON p.doc = hits.doc AND p.kind = 1 "
                   "GROUP BY p.name").fetchall()
        db.execute("SELECT date / 10000, count(*) FROM hits GROUP BY date / 10000").fetchall()
        return total

    @staticmethod
    def analyzer_throughput(bodies) -> dict:
        return {}


SYSTEM_CLASSES = {"ours": Ours, "whoosh": StockWhoosh, "fts5": FTS5}


def _tokens_per_s(analyzer, bodies) -> dict:
    for b in bodies[:50]:                       # warm caches (the stemmer's lru_cache)
        for _ in analyzer(b):
            pass
    n = 0
    t = time.perf_counter()
    for b in bodies:
        for _ in analyzer(b, positions=True, chars=True):
            n += 1
    s = time.perf_counter() - t
    return {"tokens": n, "seconds": round(s, 3), "tokens_per_s": round(n / s), "docs_per_s": round(len(bodies) / s)}


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ============================================================ child processes

def child_build(args) -> dict:
    cls = SYSTEM_CLASSES[args.system]
    out = cls.build(Path(args.corpus), Path(args.index), procs=args.procs)
    out["docs_per_s"] = round(out["docs"] / out["seconds"], 1)
    out["seconds"] = round(out["seconds"], 2)
    # children of a procs=2 build count too
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["peak_rss_mb"] = max(_peak_rss_mb(), round(child_rss, 1))
    return out


def time_requests(system, reqs, repeat_first=False) -> tuple[list[float], list[int]]:
    lat, totals = [], []
    for req in reqs:
        if repeat_first:
            system.page(req)
        t = time.perf_counter()
        totals.append(system.page(req))
        lat.append((time.perf_counter() - t) * 1000)
    return lat, totals


def read_through(path: Path) -> dict:
    """Read every file under ``path`` once (into the OS page cache), as a server that has been
    up a while has it: the query figures then measure the engine, not the disk.  An index reused
    from an earlier run on a machine restarted since is otherwise read from the disk by the
    first queries (seconds each on a network disk)."""
    t = time.perf_counter()
    size = 0
    for f in sorted(p for p in Path(path).rglob("*") if p.is_file()):
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 23):
                size += len(chunk)
    return {"bytes": size, "seconds": round(time.perf_counter() - t, 2)}


def child_query(args) -> dict:
    cls = SYSTEM_CLASSES[args.system]
    queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))
    cache = None if args.cold else read_through(Path(args.index))
    t = time.perf_counter()
    system = cls(Path(args.index))
    warm = queries.pop("_warmup")
    t_open = time.perf_counter()
    system.page(warm[0])                       # opens the searcher, loads columns
    first_ms = (time.perf_counter() - t_open) * 1000
    for req in warm[1:]:
        system.page(req)
    out = {"open_and_first_query_ms": round((t_open - t) * 1000 + first_ms, 1), "types": {},
           "page_cache": cache or "cold: index files not read beforehand"}
    for kind, _ in QUERY_TYPES:
        lat, totals = time_requests(system, queries[kind], repeat_first=(kind == "repeated"))
        out["types"][kind] = {"lat_ms": lat, "median_total": statistics.median(totals) if totals else 0}
    bodies = []
    with open(args.corpus, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= args.analyzer_docs:
                break
            bodies.append(json.loads(line)["body"])
    out["analyzer"] = cls.analyzer_throughput(bodies)
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def run_child(kind: str, **kw) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    for k, v in kw.items():
        if v is True:                                  # a flag
            cmd.append(f"--{k.replace('_', '-')}")
        elif v is not False and v is not None:
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"bench: child {kind} {kw.get('system')} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ============================================================ HTTP

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_url(base: str, req: dict) -> str:
    params = [("q", req.get("q", ""))]
    for k in ("from", "to", "district", "sort", "page"):
        if req.get(k):
            params.append((k, str(req[k])))
    return base + "/?" + urllib.parse.urlencode(params)


def fetch(url: str, timeout: float = 30.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        r.read()
        return r.status


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def bench_http(index: Path, queries: dict, load_pool: list[dict], clients: int, max_requests: int,
               max_seconds: float, workers: int = 1) -> dict:
    port = free_port()
    exe = Path(sys.executable).with_name("kgsearch")
    cmd = [str(exe) if exe.exists() else "kgsearch", "serve", "--index", str(index),
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    log_path = index.parent / f"serve-{index.name}.log"
    log_fh = open(log_path, "w", encoding="utf-8")
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_fh)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(base + "/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("bench: kgsearch serve did not start: " + log_path.read_text())
                time.sleep(0.2)
        for req in queries["_warmup"]:
            fetch(http_url(base, req))
        out = {"types": {}}
        for kind, _ in QUERY_TYPES:
            lat = []
            for req in queries[kind]:
                url = http_url(base, req)
                if kind == "repeated":
                    fetch(url)
                t = time.perf_counter()
                status = fetch(url)
                lat.append((time.perf_counter() - t) * 1000)
                assert status == 200
            out["types"][kind] = {"lat_ms": lat}
        # concurrent clients over a pool of requests not seen before
        lock = threading.Lock()
        state = {"next": 0, "errors": 0, "done": 0, "lat": []}
        stop_at = time.monotonic() + max_seconds

        def client():
            while True:
                with lock:
                    i = state["next"]
                    if i >= max_requests or time.monotonic() > stop_at:
                        return
                    state["next"] += 1
                url = http_url(base, load_pool[i % len(load_pool)])
                t = time.perf_counter()
                try:
                    ok = fetch(url) == 200
                except Exception:  # noqa: BLE001 - every failure is an error here
                    ok = False
                dt_ms = (time.perf_counter() - t) * 1000
                with lock:
                    state["done"] += 1
                    state["lat"].append(dt_ms)
                    if not ok:
                        state["errors"] += 1

        threads = [threading.Thread(target=client) for _ in range(clients)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        out["load"] = {"clients": clients, "workers": workers, "requests": state["done"], "errors": state["errors"],
                       "seconds": round(wall, 2), "pages_per_s": round(state["done"] / wall, 1),
                       **pct(state["lat"])}
        pids = [server.pid] + _children(server.pid)
        rss = [_vm_hwm_mb(p) for p in pids]
        out["server_peak_rss_mb"] = round(sum(r for r in rss if r), 1) if any(rss) else None
        return out
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log_fh.close()


# ============================================================ report

def pct(lat: list[float]) -> dict:
    if not lat:
        return {"p50": None, "p95": None, "p99": None}
    s = sorted(lat)

    def at(p):
        k = (len(s) - 1) * p
        f = int(k)
        c = min(f + 1, len(s) - 1)
        return round(s[f] + (s[c] - s[f]) * (k - f), 2)
    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "n": len(s)}


def summarize(size_result: dict) -> None:
    for sysname in SYSTEMS:
        q = size_result.get("query", {}).get(sysname)
        if not q:
            continue
        all_lat = []
        for kind, v in q["types"].items():
            v.update(pct(v["lat_ms"]))
            if kind != "repeated":
                all_lat += v["lat_ms"]
        q["all_fresh"] = pct(all_lat)
    h = size_result.get("http")
    if h:
        all_lat = []
        for kind, v in h["types"].items():
            v.update(pct(v["lat_ms"]))
            if kind != "repeated":
                all_lat += v["lat_ms"]
        h["all_fresh"] = pct(all_lat)


def _ratio(a, b):
    if a is None or b is None or not b:
        return "—"
    return f"{a / b:.2f}"


def _fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.1f}{unit}" if v >= 10 else f"{v:.2f}{unit}"
    return f"{v:,}{unit}"


def table(results: dict) -> str:
    lines = []
    for size, r in results["sizes"].items():
        lines.append(f"\n### N = {int(size):,} documents\n")
        lines.append("| measure | ours | stock Whoosh | ours/stock | FTS5 | ours/FTS5 |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        b = r["build"]

        def row(label, get, unit=""):
            vals = {s: (get(s) if s in b or s in r.get("query", {}) else None) for s in SYSTEMS}
            lines.append(f"| {label} | {_fmt(vals['ours'], unit)} | {_fmt(vals['whoosh'], unit)} | "
                         f"{_ratio(vals['ours'], vals['whoosh'])} | {_fmt(vals['fts5'], unit)} | "
                         f"{_ratio(vals['ours'], vals['fts5'])} |")

        def safe(f):
            def g(s):
                try:
                    return f(s)
                except (KeyError, TypeError):
                    return None
            return g
        row("full rebuild, docs/s", safe(lambda s: b[s]["docs_per_s"]))
        for extra, v in sorted(b.items()):
            if extra not in SYSTEMS:
                lines.append(f"| full rebuild, docs/s ({extra}) | {_fmt(v['docs_per_s'])} | | | | |")
        row("index size, MB", safe(lambda s: round(b[s]["index_bytes"] / 1e6, 1)))
        row("peak RSS build, MB", safe(lambda s: b[s]["peak_rss_mb"]))
        row("peak RSS queries, MB", safe(lambda s: r["query"][s]["peak_rss_mb"]))
        row("index files read into the page cache first, s",
            safe(lambda s: r["query"][s]["page_cache"]["seconds"]))
        row("open + first query, ms", safe(lambda s: r["query"][s]["open_and_first_query_ms"]))
        row("analyzer, tokens/s", safe(lambda s: r["query"][s]["analyzer"]["tokens_per_s"]))
        for kind, label in QUERY_TYPES:
            for p in ("p50", "p95", "p99"):
                row(f"{label} {p}, ms", safe(lambda s, kind=kind, p=p: r["query"][s]["types"][kind][p]))
        for p in ("p50", "p95", "p99"):
            row(f"**all fresh pages {p}, ms**", safe(lambda s, p=p: r["query"][s]["all_fresh"][p]))
        h = r.get("http")
        if h:
            lines.append("\nOver HTTP (`kgsearch serve`, results page `/?q=…` rendered, one client):\n")
            lines.append("| query | p50 ms | p95 ms | p99 ms |")
            lines.append("|---|---:|---:|---:|")
            for kind, label in QUERY_TYPES:
                v = h["types"][kind]
                lines.append(f"| {label} | {_fmt(v['p50'])} | {_fmt(v['p95'])} | {_fmt(v['p99'])} |")
            v = h["all_fresh"]
            lines.append(f"| **all fresh pages** | {_fmt(v['p50'])} | {_fmt(v['p95'])} | {_fmt(v['p99'])} |")
            ld = h["load"]
            lines.append(f"\n{ld['clients']} concurrent clients, `--workers {ld.get('workers', 1)}`: "
                         f"**{ld['pages_per_s']} pages/s**, "
                         f"{ld['requests']} requests, {ld['errors']} errors, latency p50 {ld['p50']} / "
                         f"p95 {ld['p95']} / p99 {ld['p99']} ms; server peak RSS (all processes) {h.get('server_peak_rss_mb')} MB")
    return "\n".join(lines)


def targets(results: dict) -> list[str]:
    out = []
    sizes = results["sizes"]
    big = sizes.get("100000") or sizes[max(sizes, key=int)]
    small = sizes.get("10000")
    n_big = max(sizes, key=int)
    try:
        ours = big["query"]["ours"]["all_fresh"]["p95"]
        stock = big["query"]["whoosh"]["all_fresh"]["p95"]
        out.append(f"results page p95 ≤ 30 ms at N={n_big} (issue 12): {ours} ms → "
                   f"{'met' if ours <= 30 else 'MISSED'}")
        out.append(f"≥ 4× faster than stock Whoosh at p95: {stock / ours:.1f}× → "
                   f"{'met' if stock / ours >= 4 else 'MISSED'}")
    except (KeyError, TypeError, ZeroDivisionError):
        pass
    if small and "100000" in sizes:
        try:
            a = small["query"]["ours"]["all_fresh"]["p95"]
            c = big["query"]["ours"]["all_fresh"]["p95"]
            out.append(f"p95 growth 10k→100k ≤ 3×: {c / a:.2f}× → {'met' if c / a <= 3 else 'MISSED'}")
        except (KeyError, TypeError, ZeroDivisionError):
            pass
    try:
        rate = max(v["docs_per_s"] for k, v in big["build"].items() if k.startswith("ours"))
        out.append(f"full rebuild ≥ 400 docs/s at N={n_big}: {rate} → {'met' if rate >= 400 else 'MISSED'}")
    except (KeyError, ValueError):
        pass
    try:
        rep = big["query"]["ours"]["types"]["repeated"]["p95"]
        out.append(f"repeated query p95 ≤ 10 ms: {rep} ms → {'met' if rep <= 10 else 'MISSED'}")
    except KeyError:
        pass
    try:
        ld = big["http"]["load"]
        out.append(f"HTTP, 8 clients ≥ 60 pages/s, 0 errors: {ld['pages_per_s']} pages/s, {ld['errors']} errors → "
                   f"{'met' if ld['pages_per_s'] >= 60 and ld['errors'] == 0 else 'MISSED'}")
    except KeyError:
        pass
    return out


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    import sqlite3 as s3
    import whoosh
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_gb": mem, "python": platform.python_version(),
            "whoosh": ".".join(map(str, whoosh.__version__)), "sqlite": s3.sqlite_version,
            "platform": platform.platform()}


# ============================================================ main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--quick", action="store_true", help="fewer queries per type (30), shorter load test")
    ap.add_argument("--queries-per-type", type=int, default=None)
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--out", default=str(RESULTS / "latest.json"))
    ap.add_argument("--work", default=str(RESULTS / "work"), help="corpus and index folder")
    ap.add_argument("--reuse-index", action="store_true", help="skip a build whose index exists (no build figures)")
    ap.add_argument("--builds-from", default=None,
                    help="with --reuse-index: take the build figures of reused indexes from this earlier JSON")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--cold", action="store_true",
                    help="query an index not read into the page cache first (by default every index "
                         "file is read once before a system's queries, for both systems alike)")
    ap.add_argument("--serve-workers", type=int, default=2,
                    help="`kgsearch serve --workers` for the HTTP part (default 2)")
    ap.add_argument("--parallel-build", type=int, default=0,
                    help="also time ours with rebuild(procs=N, multisegment=N>1) (default build: rebuild()'s own choice)")
    ap.add_argument("--seed", type=int, default=corpus_mod.SEED)
    # child-process arguments
    ap.add_argument("--child", choices=("build", "query"), help=argparse.SUPPRESS)
    ap.add_argument("--system", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--index", help=argparse.SUPPRESS)
    ap.add_argument("--queries", help=argparse.SUPPRESS)
    ap.add_argument("--procs", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--analyzer-docs", type=int, default=2000, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        out = child_build(args) if args.child == "build" else child_query(args)
        print(json.dumps(out, ensure_ascii=False))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s]
    systems = [s for s in args.systems.split(",") if s]
    per_type = args.queries_per_type or (30 if args.quick else 100)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    queries = make_queries(per_type, args.seed)
    queries["_warmup"] = [{"q": "мамлекеттик"}, {"q": "", "from": "2015", "to": "2016"},
                          {"q": "сот", "district": "Тоң району"}, {"q": "коррупция", "sort": "newest"}]
    load_pool = [r for reqs in make_queries(per_type * 2, args.seed + 1).values() for r in reqs]
    random.Random(args.seed).shuffle(load_pool)
    qpath = work / "queries.json"
    qpath.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")

    results = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
               "queries_per_type": per_type, "sizes": {}, "args": {k: v for k, v in vars(args).items()
                                                                   if not k.startswith(("child", "system"))}}
    try:
        import subprocess as sp
        results["commit"] = sp.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                   text=True).stdout.strip()
    except OSError:
        pass
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)

    def save():
        out_path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")

    for n in sizes:
        log(f"== N = {n:,}: corpus")
        t = time.perf_counter()
        corpus = corpus_mod.ensure(n, work / "corpus", args.seed)
        log(f"   {corpus.name} ({corpus.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.1f} s)")
        r = results["sizes"][str(n)] = {"corpus_bytes": corpus.stat().st_size, "build": {}, "query": {},
                                        "loadavg_start": os.getloadavg()}
        for s in systems:
            index = work / f"{s}-{n}"
            if args.reuse_index and index.exists():
                log(f"   {s}: reusing {index}")
                if args.builds_from:
                    old = json.loads(Path(args.builds_from).read_text(encoding="utf-8"))
                    prev = old.get("sizes", {}).get(str(n), {}).get("build", {})
                    for k, v in prev.items():
                        if k == s or (s == "ours" and k.startswith("ours procs")):
                            r["build"][k] = dict(v, reused_from=args.builds_from)
            else:
                if index.exists():
                    shutil.rmtree(index)
                log(f"   {s}: building …")
                r["build"][s] = run_child("build", system=s, corpus=corpus, index=index)
                log(f"   {s}: {r['build'][s]}")
            save()
        if args.parallel_build and "ours" in systems and not (args.reuse_index and args.builds_from):
            index = work / f"ours-{n}-p{args.parallel_build}"
            if index.exists():
                shutil.rmtree(index)
            log(f"   ours procs={args.parallel_build}: building …")
            try:
                r["build"][f"ours procs={args.parallel_build}"] = run_child(
                    "build", system="ours", corpus=corpus, index=index, procs=args.parallel_build)
                log(f"   {r['build'][f'ours procs={args.parallel_build}']}")
            except SystemExit as exc:
                log(f"   skipped: {exc}")
            shutil.rmtree(index, ignore_errors=True)
            save()
        for s in systems:
            log(f"   {s}: queries …")
            r["query"][s] = run_child("query", system=s, corpus=corpus, index=work / f"{s}-{n}", queries=qpath,
                                      cold=args.cold)
            save()
        if "ours" in systems and not args.no_http:
            log("   ours over HTTP …")
            r["http"] = bench_http(work / f"ours-{n}", queries, load_pool, clients=8,
                                   max_requests=240 if args.quick else 1000,
                                   max_seconds=60 if args.quick else 180, workers=args.serve_workers)
        r["loadavg_end"] = os.getloadavg()
        summarize(r)
        save()
        print(table({"sizes": {str(n): r}}), flush=True)
        print(f"load average at start {r['loadavg_start']}, at end {r['loadavg_end']} "
              f"(other processes share the machine when these exceed ~0.5)", flush=True)
    results["targets"] = targets(results)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    save()
    m = results["machine"]
    print(f"\nmachine: {m['cpus']} cores, {m['cpu']}, {m['mem_gb']} GB, Python {m['python']}, "
          f"Whoosh {m['whoosh']}, SQLite {m['sqlite']}")
    print("\n".join("target: " + t for t in results["targets"]))
    print(f"\nJSON: {out_path}")
    return 0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
