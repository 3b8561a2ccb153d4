"""A deterministic synthetic corpus of N Kyrgyz news articles, recombined from the real 24.kg ones.

The 1,500 real articles (``../shared/corpus/24kg/articles.jsonl``, read, never copied into the
repository) are cut into paragraphs and sentences; each synthetic article is a seeded mix of
whole real paragraphs and paragraphs re-assembled from real sentences, so word frequencies,
suffixes and sentence lengths stay those of Kyrgyz news.  On top of that each article gets

* a date spread uniformly over 2010-01-01 … 2026-12-31 (the ``date`` field),
* with probability 0.6 one or two districts from the gazetteer, written into the text in
  Kyrgyz (``Тоң районунда …``) so that the ingester's place detection finds them, and
  sometimes an oblast (``Ысык-Көл облусунда …``),
* a title (its first sentence) and the topics of the article it started from.

``x_districts`` / ``x_oblasts`` carry the places the generator wrote in; the ingester ignores
them, the stock-Whoosh and SQLite baselines use them as ready-made metadata.

    python bench/corpus.py 10000 bench/results/corpus/corpus-10000.jsonl
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "corpus" / "24kg" / "articles.jsonl"
GENERATOR_VERSION = "1"
SEED = 20260101
FIRST_DAY = dt.date(2010, 1, 1)
DAYS = (dt.date(2026, 12, 31) - FIRST_DAY).days + 1

_SENTENCE_RE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)")
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def load_source(path: Path = SOURCE) -> list[dict]:
    """The real articles with a non-empty body, in file order."""
    if not path.is_file():
        raise SystemExit(f"bench: the 24.kg corpus is missing: {path} (expected at ../shared from the repo)")
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            body = obj.get("body")
            if isinstance(body, str) and body.strip():
                out.append({"id": obj["id"], "body": body.strip(), "topics": obj.get("topics") or []})
    return out


class Pools:
    def __init__(self, articles: list[dict]):
        self.articles = articles
        self.paragraphs: list[str] = []
        self.sentences: list[str] = []
        self.para_counts: list[int] = []
        for a in articles:
            paras = [p.strip() for p in a["body"].split("\n") if p.strip()]
            self.para_counts.append(len(paras))
            self.paragraphs += paras
            for p in paras:
                self.sentences += [s.strip() for s in _SENTENCE_RE.findall(p) if len(s.strip()) > 20]


def _locative(name: str) -> str:
    """``Тоң району`` → ``Тоң районунда``; ``Ысык-Көл облусу`` → ``Ысык-Көл облусунда``."""
    if name.endswith("району"):
        return name[: -len("району")] + "районунда"
    if name.endswith("облусу"):
        return name[: -len("облусу")] + "облусунда"
    if name.endswith("шаары"):
        return name[: -len("шаары")] + "шаарында"
    return name


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[1:2].isupper() else s


def _title(body: str) -> str:
    first = body.split("\n", 1)[0]
    m = _SENTENCE_RE.match(first)
    t = (m.group() if m else first).strip()
    if len(t) > 160:
        cut = t.rfind(" ", 0, 160)
        t = t[: cut if cut > 0 else 160].rstrip(",;:–- ") + "…"
    return t


def generate(n: int, seed: int = SEED, source: Path = SOURCE):
    """Yield ``n`` article dicts; the same (n, seed) gives the same articles (and the first k
    articles of a larger N are the same as those of a smaller one)."""
    from indexer import places

    pools = Pools(load_source(source))
    districts = list(places.DISTRICTS)
    oblasts = [o for o in places.OBLASTS if o.endswith("облусу")]
    rng = random.Random(seed)
    for i in range(n):
        base = rng.choice(pools.articles)
        k = max(1, rng.choice(pools.para_counts))
        paras = []
        for j in range(k):
            if j == 0 or rng.random() < 0.5:
                paras.append(rng.choice(pools.paragraphs))
            else:
                paras.append(" ".join(rng.choice(pools.sentences) for _ in range(rng.randint(1, 4))))
        mentioned_d: list[str] = []
        mentioned_o: list[str] = []
        r = rng.random()
        count = 2 if r < 0.15 else 1 if r < 0.6 else 0
        for _ in range(count):
            d = rng.choice(districts)
            if d not in mentioned_d:
                mentioned_d.append(d)
            sentence = f"{_locative(d)} {_lower_first(rng.choice(pools.sentences))}"
            at = rng.randrange(len(paras))
            paras[at] = f"{paras[at]} {sentence}" if at == 0 else f"{sentence} {paras[at]}"
        if rng.random() < 0.1:
            o = rng.choice(oblasts)
            mentioned_o.append(o)
            at = rng.randrange(len(paras))
            paras[at] = f"{paras[at]} {_locative(o)} {_lower_first(rng.choice(pools.sentences))}"
        for d in mentioned_d:
            o = places.oblast_of(d)
            if o and o not in mentioned_o:
                mentioned_o.append(o)
        body = "\n".join(paras)
        date = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
        yield {
            "id": f"syn-{i:06d}",
            "title": _title(body),
            "body": body,
            "date": date.isoformat(),
            "topics": base["topics"],
            "x_districts": sorted(mentioned_d),
            "x_oblasts": sorted(mentioned_o),
        }


def ensure(n: int, directory: Path, seed: int = SEED) -> Path:
    """The corpus file for ``n`` articles, generated once per (n, seed, generator version)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"corpus-{n}-s{seed}-v{GENERATOR_VERSION}.jsonl"
    if path.is_file():
        return path
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for doc in generate(n, seed):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def vocabulary(articles: list[dict], stopwords=frozenset()) -> tuple[list[str], list[tuple[str, str]]]:
    """Query material from the real articles: content words of moderate document frequency
    (as typed: surface forms) and adjacent word pairs for phrases, sorted for determinism."""
    df: dict[str, int] = {}
    pairs: set[tuple[str, str]] = set()
    for a in articles:
        words = [w.lower() for w in _WORD_RE.findall(a["body"])]
        for w in set(words):
            df[w] = df.get(w, 0) + 1
        for x, y in zip(words, words[1:]):
            if len(x) >= 5 and len(y) >= 5 and x not in stopwords and y not in stopwords:
                pairs.add((x, y))
    n = len(articles)
    words = sorted(w for w, c in df.items()
                   if len(w) >= 5 and w not in stopwords and 0.005 * n <= c <= 0.15 * n)
    common_pairs = sorted(p for p in pairs if df[p[0]] >= 0.01 * n and df[p[1]] >= 0.01 * n)
    return words, common_pairs


if __name__ == "__main__":
    count = int(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "bench" / "results" / "corpus" / f"corpus-{count}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for doc in generate(count):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    print(out)
