"""A dated corpus for the feed, timeline-share and export tests (issue 15): the real 24.kg articles
are almost all undated, so the first ``N`` of them get dates spread over 2019–2025 (every 4th one
stays undated), written as JSON Lines in a temporary folder and indexed for real."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.helpers import CORPUS, build_index, require_corpus, write_jsonl

N = 600
FIRST = dt.date(2019, 1, 1)


def dated_docs(n: int = N) -> list[dict]:
    docs = []
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            if not (obj.get("body") or "").strip():
                continue
            k = len(docs)
            doc = {"id": obj["id"], "title": obj.get("title") or "", "body": obj["body"],
                   "url": obj.get("url"), "topics": obj.get("topics") or []}
            if k % 4 != 3:
                doc["date"] = (FIRST + dt.timedelta(days=(k * 37) % 2500)).isoformat()
            docs.append(doc)
            if len(docs) == n:
                break
    return docs


@pytest.fixture(scope="session")
def dated_store(tmp_path_factory):
    require_corpus()
    tmp = tmp_path_factory.mktemp("dated")
    return build_index(tmp / "ix", [write_jsonl(tmp / "dated.jsonl", dated_docs())])
