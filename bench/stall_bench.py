"""Does one expensive query stall the server?  (issue 10, item 3)

    .venv/bin/python bench/stall_bench.py --index /tmp/ix24 [--seconds 4] [--rounds 3] [--json]

Starts ``kgsearch serve --index INDEX`` on a free loopback port — a fresh one for every phase,
so that each phase's normal clients run the same requests against the same (warmed, otherwise
empty) caches — and measures, in phases of ``--seconds`` each:

1. the 36-prefix query alone, in-process (cold, then warm) and over HTTP;
2. ``quiet``: two clients running ordinary searches (throughput) and one polling ``/healthz``
   (latency), nothing else;
3. ``attacked_same_url``: the same, while two more clients repeat the 36-prefix query as is;
   ``attacked``: the same, while two more clients repeat the 36-prefix query, each time with
   a new ``page``/``per_page`` (never answered by the page cache; the query's document sets
   and scores are shared by its pages, so each request costs a page);
4. ``attacked_varied_query``: the same with the prefixes in a new order each time (the same
   query in effect, but nothing cached: every request is the whole query's work).

Prints the figures and the ratios attacked/quiet against the targets (36-prefix ≤ 300 ms,
``/healthz`` p95 ≤ 50 ms, throughput ≥ 70 %).  Every loop is bounded by the phase's time; the
server is stopped at the end.  Not a test: timings depend on the machine.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEAVY = ("ка* ко* ки* ку* кы* ке* ба* бо* би* бу* бы* бе* са* со* си* су* сы* се* та* то* ти* ту* "
         "ты* те* ма* мо* ми* му* мы* ме* жа* жо* жи* жу* жы* пы*")
NORMAL = ["коррупция", "коррупция сот", "пара алуу", "Тоң районунда", '"Жогорку Кеңеш"', "Бишкек шаары",
          "ички иштер министрлиги", "шайлоо", "прокуратура OR сот", "айыл чарба", "мамлекеттик кызмат",
          "президент", "депутат", "салык", "бюджет", "милиция"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kgsearch() -> list[str]:
    script = Path(sys.executable).parent / "kgsearch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kgsearch.cli"]


def _get(url: str, timeout: float = 30) -> float:
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        resp.read()
    return time.perf_counter() - t


def _pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


@contextlib.contextmanager
def _served(args):
    """``kgsearch serve --index INDEX`` on a free loopback port, up and warmed (the normal
    queries' first pages asked once), stopped at the end; yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([*_kgsearch(), "serve", "--index", args.index, "--port", str(port),
                             "--threads", str(args.threads), "--workers", str(args.workers)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("kgsearch serve did not come up")
                time.sleep(0.2)
        for q in NORMAL:                                   # warm the term caches of every phase alike
            _get(f"{base}/api/search?" + urllib.parse.urlencode({"q": q, "per_page": 99}))
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _phase(base: str, seconds: float, heavy_clients: int, tag: int, vary_query: bool = False,
           same_url: bool = False) -> dict:
    stop = time.monotonic() + seconds
    normal_done, health, heavy = [], [], []
    lock = threading.Lock()

    def normal(client):
        # 16 queries × 3 pages × 16 page sizes, in a cycle longer than the result cache (512):
        # every request is computed, none is answered from the cache; the same sequence in
        # every phase (each phase has a server of its own)
        i = client * 384
        while time.monotonic() < stop:
            n = len(NORMAL)
            url = f"{base}/api/search?" + urllib.parse.urlencode(
                {"q": NORMAL[i % n], "page": 1 + (i // n) % 3, "per_page": 5 + (i // (3 * n)) % 16})
            dt = _get(url)
            with lock:
                normal_done.append(dt)
            i += 1

    def healthz():
        while time.monotonic() < stop:
            health.append(_get(f"{base}/healthz"))
            time.sleep(0.02)

    def attacker(client):
        # a page and page size this client alone asks for: never from the page cache; with
        # vary_query, the prefixes in a new order each time: not from the query cache either
        i = 0
        words = HEAVY.split()
        while time.monotonic() < stop:
            k = (i * 7 + client * 13 + tag * 5) % len(words)
            q = " ".join(words[k:] + words[:k]) if vary_query else HEAVY
            url = f"{base}/api/search?" + urllib.parse.urlencode(
                {"q": q} if same_url else {"q": q, "page": 1 + i % 130, "per_page": 10 + client})
            heavy.append(_get(url, timeout=120))
            i += 1

    threads = [threading.Thread(target=normal, args=(c,)) for c in range(2)]
    threads.append(threading.Thread(target=healthz))
    threads += [threading.Thread(target=attacker, args=(c,)) for c in range(heavy_clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "throughput": len(normal_done) / elapsed,
        "normal_p50_ms": _pct(normal_done, 50) * 1000, "normal_p95_ms": _pct(normal_done, 95) * 1000,
        "healthz_p50_ms": _pct(health, 50) * 1000, "healthz_p95_ms": _pct(health, 95) * 1000,
        "healthz_n": len(health), "heavy_n": len(heavy),
        "heavy_p50_ms": _pct(heavy, 50) * 1000 if heavy else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, help="an index folder (the 24.kg corpus)")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each phase")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the four phases")
    ap.add_argument("--json", action="store_true", help="print every phase's figures")
    ap.add_argument("--threads", type=int, default=8, help="waitress threads")
    ap.add_argument("--workers", type=int, default=1, help="serving processes")
    args = ap.parse_args()

    from search.engine import SearchEngine
    engine = SearchEngine(args.index)
    t = time.perf_counter()
    r = engine.search(HEAVY)
    cold = (time.perf_counter() - t) * 1000
    warm = []
    for page in range(2, 12):
        t = time.perf_counter()
        engine.search(HEAVY, page=page)
        warm.append((time.perf_counter() - t) * 1000)
    engine.close()
    print(f"36-prefix query in-process: cold {cold:.0f} ms, warm median {statistics.median(warm):.0f} ms "
          f"(target ≤ 300 ms), total {r['total']}, notes {len(r.get('notes', []))}")

    url_of = lambda base: f"{base}/api/search?" + urllib.parse.urlencode({"q": HEAVY})  # noqa: E731
    with _served(args) as base:
        first = _get(url_of(base), timeout=120) * 1000
        again = [_get(f"{url_of(base)}&page={p}&per_page=7", timeout=120) * 1000 for p in range(1, 6)]
    print(f"36-prefix query over HTTP: first {first:.0f} ms, then median {statistics.median(again):.0f} ms")
    # Every phase runs the same normal workload on a server started afresh (same caches, same
    # pages: the ratio compares like with like); the phases interleaved, several rounds (the
    # machine's other load shifts over time), a ratio taken within each round, medians reported.
    rounds = []
    for r in range(args.rounds):
        got = {}
        for name, clients, kw in (("quiet", 0, {}), ("same", 2, {"same_url": True}), ("pages", 2, {}),
                                  ("varied", 2, {"vary_query": True})):
            with _served(args) as base:
                got[name] = _phase(base, args.seconds, clients, r, **kw)
        rounds.append(got)
    if args.json:
        print(json.dumps(rounds, indent=1))
    quiet_tp = statistics.median(r["quiet"]["throughput"] for r in rounds)
    quiet_hz = statistics.median(r["quiet"]["healthz_p95_ms"] for r in rounds)
    print(f"quiet: normal throughput {quiet_tp:.1f} req/s, /healthz p95 {quiet_hz:.1f} ms (medians of {len(rounds)} rounds)")
    for key, name in (("same", "repeating it (same URL)"), ("pages", "repeating it (new pages)"),
                      ("varied", "varying it (prefix order)")):
        ratios = [r[key]["throughput"] / r["quiet"]["throughput"] for r in rounds]
        hz = [r[key]["healthz_p95_ms"] for r in rounds]
        print(f"2 clients {name}: normal throughput {statistics.median(ratios):.0%} of quiet "
              f"(rounds: {', '.join(f'{x:.0%}' for x in ratios)}; target ≥ 70 %), /healthz p95 "
              f"{statistics.median(hz):.1f} ms (max {max(hz):.1f}; target ≤ 50 ms), attacker requests "
              f"{sum(r[key]['heavy_n'] for r in rounds)}, median "
              f"{statistics.median(r[key]['heavy_p50_ms'] or 0 for r in rounds):.0f} ms")


if __name__ == "__main__":
    main()
