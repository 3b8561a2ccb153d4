"""indexer.dates: header/field date strings, the body-date rule, filter dates."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer import dates
from indexer.dates import extract_date, find_body_date, parse_date, parse_filter_date

D = dt.date
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

# Real-world date lines and fields → the date they mean.
PARSED = [
    ("10.12.2025", D(2025, 12, 10)),                                  # ton.gov.kg header
    ("23.04.2020 13:54", D(2020, 4, 23)),
    ("08-Сентябрь 2013-ж.", D(2013, 9, 8)),                            # mineconom.gov.kg header
    ("06 июня 2023", D(2023, 6, 6)),
    ("11:47, 12 января 2024, Бишкек - 24.kg", D(2024, 1, 12)),
    ("2025-09-18", D(2025, 9, 18)),
    ("2025-09-18T10:00:00+06:00", D(2025, 9, 18)),
    ("2026-24-02, 14:05", D(2026, 2, 24)),                             # year-day-month
    ("№549 10-май-16-май, 2013-ж", D(2013, 5, 10)),                    # issue line → first day
    ("10-16 мая 2013", D(2013, 5, 10)),
    ("2025-жылдын 9-декабрында", D(2025, 12, 9)),
    ("2024-жылдын 5-июнундагы", D(2024, 6, 5)),
    ("2025-жылы 3-ноябрда", D(2025, 11, 3)),
    ("2025-ж. 1-мартында", D(2025, 3, 1)),
    ("9-декабрь, 2025-жыл", D(2025, 12, 9)),
    ("1 мая 2021 года", D(2021, 5, 1)),
    ("15 февраль 2022", D(2022, 2, 15)),
    ("28 Июн 2020 в 10:35 PDT", D(2020, 6, 28)),                        # embedded post in a 24.kg text
    ("Wed, 10 Dec 2025 14:05:00 +0600", D(2025, 12, 10)),              # RSS pubDate in a JSONL field
    ("Dec 10, 2025", D(2025, 12, 10)),
    ("10/12/2025", D(2025, 12, 10)),
    ("Жаңылыктар 5.1.2024", D(2024, 1, 5)),
    # traditional Kyrgyz month names, with endings, and typed without ү ө ң
    ("5-Үчтүн айы 2024", D(2024, 1, 5)),
    ("2024-жылдын 7-Бирдин айында", D(2024, 2, 7)),
    ("21-Жалган куран, 2023-ж.", D(2023, 3, 21)),
    ("1-Чын куран 2023", D(2023, 4, 1)),
    ("9 Бугу 2020", D(2020, 5, 9)),
    ("2019-жылдын 12-кулжасында", D(2019, 6, 12)),
    ("3-Теке 2018", D(2018, 7, 3)),
    ("31-Баш оона 2017", D(2017, 8, 31)),
    ("1-Аяк оона 2016", D(2016, 9, 1)),
    ("2-Тогуздун айы 2015", D(2015, 10, 2)),
    ("30-Жетинин айы 2014", D(2014, 11, 30)),
    ("31-Бештин айы 2013", D(2013, 12, 31)),
    ("5-Учтун айы 2024", D(2024, 1, 5)),
]

# Not dates, or impossible ones: None, never an exception.
REJECTED = [
    "",
    "   ",
    "Кароолор: (67)",
    "2406",
    "31.02.2025",             # no 31 February
    "29.02.2023",             # not a leap year
    "10.13.2025",             # month 13
    "2025-13-13",             # neither month nor day-month
    "2026-02-30",
    "05.05.1985",             # before 1991: not a news date
    "01.01.2101",
    "1979-жылы 18-декабрда",
    "2025–2030-жылдарга",     # a range of years, no day
    "9-декабрь – Коррупцияга каршы күрөшүүнүн эл аралык күнү",  # no year
    "ушул жылдын 28-апрелинде",
    "декабрь 2025",           # no day: not a full date
    "11:47",
    "24.kg",
]


@pytest.mark.parametrize("text,expected", PARSED)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", REJECTED)
def test_parse_date_rejects(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("value", [None, 20251210, b"10.12.2025", "\x00" * 50, "1" * 5000])
def test_parse_date_never_raises(value):
    assert parse_date(value) is None


def test_ambiguous_iso_prefers_year_month_day():
    # Only a middle field over 12 is read as year-day-month.
    assert parse_date("2026-02-11") == D(2026, 2, 11)
    assert parse_date("2026-11-02") == D(2026, 11, 2)
    assert parse_date("2026-13-02") == D(2026, 2, 13)


def test_month_names_are_data():
    rows = dates._read("months.tsv")
    assert {int(r["month"]) for r in rows} == set(range(1, 13))
    assert {r["lang"] for r in rows} >= {"ky,ru", "ky-trad"}


# ---------------------------------------------------------------- body rule

SEED_000_BODY = (
    "2025-жылдын 9-декабрында Тоң районунун мамлекеттик администрациясынын чоң жыйындар "
    "залында Кыргыз Республикасынын Президентинин 2024-жылдын 5-июнундагы ПЖ №137 «2025–2030-"
    "жылдарга Кыргыз Республикасында коррупцияга каршы аракеттенүү боюнча мамлекеттик "
    "стратегия жөнүндө» Жарлыгын ишке ашыруу алкагында кеңири форматтагы жыйын өттү."
)

BODY_CASES = [
    (SEED_000_BODY, D(2025, 12, 9)),
    # the citation comes first: skip it, take the later event date
    ("Президенттин 2024-жылдын 5-июнундагы ПЖ №137 Жарлыгын ишке ашыруу боюнча "
     "2025-жылдын 9-декабрында жыйын өттү.", D(2025, 12, 9)),
    ("Өкмөттүн 2019-жылдын 3-мартындагы «Мамлекеттик кызмат жөнүндө» токтомуна ылайык "
     "2020-жылы 14-апрелде текшерүү башталды.", D(2020, 4, 14)),
    ("Указом Президента от 5 июня 2024 года №137 утверждена стратегия. Совещание прошло "
     "9 декабря 2025 года.", D(2025, 12, 9)),
    ("Согласно постановлению от 12.03.2020 г., 15.04.2021 состоялось заседание.", D(2021, 4, 15)),
    # the seed 001 body: the first date is the event (the later one is an earlier meeting)
    ("2013-жылдын 6-сентябрында Кыргыз Республикасынын Экономика министрлигинде ... "
     "2013-жылдын 29-августунда КР Өкмөтү өткөргөн отурумдун жыйынтыгы боюнча", D(2013, 9, 6)),
    # a locative date followed by a document word is an event: the court decided that day
    ("2023-жылдын 9-декабрында сот чечим чыгарды.", D(2023, 12, 9)),
    # -дагы without a document word is still an event ("the meeting of 5 June")
    ("2024-жылдын 5-июнундагы жыйында маселе каралды.", D(2024, 6, 5)),
    # only citations: no body date
    ("Өкмөттүн 1993-жылдын 1-ноябрындагы токтому менен майрам белгиленет.", None),
    ("2024-жылдын 5-июнундагы ПЖ №137 Жарлыгы ишке ашырылууда.", None),
    # partial and impossible dates are never used
    ("Уруксат ушул жылдын 28-апрелинде берилген.", None),
    ("Иш 2025-жылдын 31-февралында башталат, 2024-жылдын 2-мартында бүткөн.", D(2024, 3, 2)),
    ("1979-жылы 18-декабрда кабыл алынган резолюция.", None),
    ("", None),
]


@pytest.mark.parametrize("body,expected", BODY_CASES)
def test_find_body_date(body, expected):
    assert find_body_date(body) == expected


def test_extract_date_order():
    body = SEED_000_BODY
    assert extract_date("10.12.2025", "2025-01-01", body) == (D(2025, 12, 10), "header")
    assert extract_date(None, "2025-01-01", body) == (D(2025, 1, 1), "field")
    assert extract_date("Кароолор: (67)", "", body) == (D(2025, 12, 9), "body")
    assert extract_date("31.02.2025", "not a date", body) == (D(2025, 12, 9), "body")
    assert extract_date(None, None, "Датасыз текст.") == (None, "none")
    assert extract_date("", None, "") == (None, "none")


@pytest.mark.corpus(SHARED / "seeds")
def test_seed_pages():
    page0 = (SHARED / "seeds" / "000_a04a57a4dc81b787.txt").read_text(encoding="utf-8")
    lines = page0.splitlines()
    assert parse_date(lines[0]) == D(2025, 12, 10)
    body0 = page0.split("Тоң районунда коррупцияга каршы иш-аракет күчөтүлдү", 1)[1]
    assert find_body_date(body0) == D(2025, 12, 9)

    page1 = (SHARED / "seeds" / "001_e1040fed04d77296.txt").read_text(encoding="utf-8")
    header = next(line for line in page1.splitlines() if "2013-ж." in line)
    assert parse_date(header) == D(2013, 9, 8)
    body1 = page1.split(header, 1)[1]
    assert find_body_date(body1) == D(2013, 9, 6)


# ---------------------------------------------------------------- filters

FILTERS = [
    ("2025", False, D(2025, 1, 1)),
    ("2025", True, D(2025, 12, 31)),
    ("2025-03", False, D(2025, 3, 1)),
    ("2025-03", True, D(2025, 3, 31)),
    ("2024-02", True, D(2024, 2, 29)),
    ("2023-02", True, D(2023, 2, 28)),
    ("2025-3", True, D(2025, 3, 31)),
    ("03.2025", True, D(2025, 3, 31)),
    ("2025-03-14", False, D(2025, 3, 14)),
    ("2025-03-14", True, D(2025, 3, 14)),
    (" 14.03.2025 ", True, D(2025, 3, 14)),
    ("14 марта 2025", False, D(2025, 3, 14)),
    ("2025-жылдын 14-мартында", True, D(2025, 3, 14)),
    ("08-Сентябрь 2013-ж.", False, D(2013, 9, 8)),
    ("2026-24-02, 14:05", False, D(2026, 2, 24)),
    ("март 2025", False, D(2025, 3, 1)),
    ("март 2025", True, D(2025, 3, 31)),
    ("2025-жылдын декабры", True, D(2025, 12, 31)),
    ("2025-ж.", True, D(2025, 12, 31)),
]


@pytest.mark.parametrize("value,end,expected", FILTERS)
def test_parse_filter_date(value, end, expected):
    assert parse_filter_date(value, end=end) == expected


@pytest.mark.parametrize("value,fragment", [
    ("", "expected"),
    ("   ", "expected"),
    ("yesterday", "'yesterday'"),
    ("2025-13", "month 13"),
    ("13.2025", "month 13"),
    ("1800", "1800"),
    ("2200-01", "2200"),
    ("31.02.2025", "not a valid calendar date"),
    ("2025-02-30", "not a valid calendar date"),
    ("2025/", "'2025/'"),
    ("20250314", "'20250314'"),
])
def test_parse_filter_date_errors(value, fragment):
    with pytest.raises(ValueError) as err:
        parse_filter_date(value)
    message = str(err.value)
    assert fragment in message
    assert "YYYY-MM-DD" in message or "outside" in message or "not 1..12" in message
