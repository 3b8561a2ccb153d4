"""The timeline of a query: how many matching documents per month — per year when their dates
span more than ``TIMELINE_MONTHS`` months — from the first period to the last, empty ones
included; each bin also says how many live articles the index has in that period (``all``)
and the query's ``share`` of them (issue 15); ``undated``: matching documents without a date."""
from __future__ import annotations

import numpy as np

TIMELINE_MONTHS = 36              # a timeline by month up to this span, by year beyond


def timeline(gen, docs: np.ndarray) -> dict:
    """The timeline of ``docs`` (docnums)."""
    months = gen.months[docs]
    dated = months[months >= 0]
    undated = int(len(months) - len(dated))
    if not len(dated):
        return {"unit": None, "bins": [], "undated": undated, "peak": 0}
    lo, hi = int(dated.min()), int(dated.max())
    if hi - lo < TIMELINE_MONTHS:
        unit, first = "month", lo
        counts = np.bincount(dated - lo, minlength=hi - lo + 1)
        label = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)]
    else:
        unit, first = "year", lo // 12
        counts = np.bincount(dated // 12 - first, minlength=hi // 12 - first + 1)
        label = [str(y) for y in range(first, hi // 12 + 1)]
    alls = _all(gen, unit, lo, hi, first)
    shares = np.divide(counts, alls, out=np.zeros(len(counts)), where=alls > 0)
    bins = [{"period": p, "count": int(n), "all": int(a), "share": round(float(s), 6)}
            for p, n, a, s in zip(label, counts.tolist(), alls.tolist(), shares.tolist())]
    return {"unit": unit, "bins": bins, "undated": undated, "peak": int(counts.max()),
            "peak_share": round(float(shares.max()), 6)}


def _all(gen, unit: str, lo: int, hi: int, first: int) -> np.ndarray:
    """Live indexed articles per bin: months lo…hi, or whole years first…hi // 12 (January to
    December)."""
    every = gen.months[gen.live]
    if unit == "month":
        every = every[(every >= lo) & (every <= hi)]
        return np.bincount(every - lo, minlength=hi - lo + 1)
    years = every[every >= 0] // 12
    years = years[(years >= first) & (years <= hi // 12)]
    return np.bincount(years - first, minlength=hi // 12 - first + 1)
