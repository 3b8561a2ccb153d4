"""indexer.dates: header/field date strings, the body-date rule, filter dates."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer import dates
from indexer.dates import (extract_date, extract_date_evidence, find_body_date, parse_date,
                           parse_filter_date)

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
    ("Иш 2025-жылдын 31-февралында башталат, 2024-жылдын 2-мартында бүттү.", D(2024, 3, 2)),
    ("1979-жылы 18-декабрда кабыл алынган резолюция.", None),
    ("", None),
]


@pytest.mark.parametrize("body,expected", BODY_CASES)
def test_find_body_date(body, expected):
    assert find_body_date(body) == expected


# ---------------------------------------------------------------- traps (issue 14)
# Each sentence is a whole body (so it is the lead) with a full, valid, past date that is NOT the
# day of the reported event.  find_body_date must give None; classify_body_dates names the reason.
TRAPS_KY = [
    ("Мораторийдин мөөнөтү 2022-жылдын 1-январына чейин узартылды.", "until"),
    ("Эс алуу 2020-жылдын 10-январына чейин уланат.", "until"),
    ("Документтер 2024-жылдын 5-сентябрга дейре кабыл алынат.", "until"),
    ("Арыздар 2024-жылдын 5-сентябрга чейин кабыл алынды.", "until"),
    ("Жыйын 2024-жылдын 5-сентябрына жылдырылды.", "until"),            # the dative ending alone
    ("Жаза мөөнөтү 2026-жылдын 5-сентябрында бүтөрүн ЖАМК билдирди.", "term"),
    ("Садыр Жапаровдун жаза мөөнөтү 2026-жылдын 5-сентябрында бүтөт.", "future"),
    ("Кыргызстан 1992-жылдын 1-декабрынан тарта Уюмга мүчө болуп саналат.", "since"),
    ("Конуштардан 2021-жылдын 13-декабрынан бери 443 арыз кабыл алынды.", "since"),
    ("Ал районду 2016-жылдын 13-июлунан тартып башкарып келди.", "since"),
    ("Авиакомпания 2021-жылдын 25-июнунан баштап дагы бир каттам кошту.", "since"),
    ("Жаңы тартип 2020-жылдын 1-июлунан ишке кирди.", "since"),           # the ablative ending alone
    ("2022-жылдын 11-январына карата тургундарга 497 техникалык паспорт берилди.", "asof"),
    ("30.06.2018 карата АКШ долларынын расмий курсу 68 сом болду.", "asof"),
    ("2018-жылдын 31-декабрына карата ипотекалык компания 3799 насыя берди.", "asof"),
    ("Чек арачылар 17-майда 1999-жылы туулган М.А. уулу аттуу жаранды кармашты.", "birth"),
    ("Шайлоого 2004-жылдын 5-мартында туулган жарандар катыша албайт деп билдирилди.", "birth"),
    ("Эске салсак, 2018-жылдын 8-декабрында УКМК мурдагы вице-премьерди камакка алды.", "recall"),
    ("Эске сала кетсек, Бурул Арунова 2019-жылдын 25-апрелинде баш кошту.", "recall"),
    ("Эскерте кетсек, депутатка каршы 2015-жылдын 14-майында иш козголду.", "recall"),
    ("Мындан мурда 2021-жылы 29-декабрда жаран токмок жегенден кийин каза болду.", "recall"),
    ("Мындан 30 жыл мурун, 1991-жылдын 31-августунда Кыргызстан эгемендүүлүгүн жарыялады.", "recall"),
    ("Эгемендүүлүктүн 30 жылдыгы: 1991-жылдын 31-августунда Жогорку Кеңеш декларация кабыл алды.",
     "recall"),
    ("ЖККУ Саммити Бишкек шаарында 2019-жылдын 28-ноябрында өтөт.", "future"),
    ("Трамп 2020-жылдын 9-майында Кремлде өтө турган салтанатка катышуудан баш тартты.", "future"),
    ("Оюнчулар 2022-жылдын 28-сентябрында Түркияга учушат.", "future"),
    ("Бул эреже 2019-жылдын 11-январында күчүнө кирет.", "future"),
    ("Аялдарга карата зордук-зомбулукту жоюу декларациясы БУУ тарабынан 1993-жылдын "
     "20-декабрында кабыл алынган.", "background"),
    ("Эки өлкө ортосундагы келишимге 2021-жылы 21-майда Москвада кол коюлган.", "background"),
    ("Мухаммедкалый Абылгазиев баштаган өкмөт 2018-жылдын 20-апрелинде дайындалган.", "background"),
    ("Россиянын атайын операциясы 2022-жылдын 24-февралында башталган.", "background"),
    ("Садыр Жапаров 2017-жылдын 25-мартта УКМКнын кызматкерлери тарабынан кармалган.", "background"),
    ("Атамбаев 2020-жылы 9-октябрдагы массалык башаламандык уюштурууга шектелип жатат.",
     "attributive"),
    ("Ал 2010-жылдын 7-апрелиндеги окуядан кийин 25 жылга эркинен ажыратылды.", "attributive"),
    ("Президент «2020-жылдын 30-июлун Улуттук аза күтүү күнү деп жарыялоо жөнүндө» жарлыкка "
     "кол койду.", "quoted"),
    ("Өкмөттүн 1993-жылдын 1-ноябрындагы токтому менен майрам белгиленет.", "citation"),
]
TRAPS_RU = [
    ("Мораторий на проверки продлен до 1 января 2022 года.", "until"),
    ("Прием документов продлится по 31 декабря 2024 года.", "until"),
    ("Правительство должно подготовить проект к 1 марта 2025 года.", "until"),
    ("Новые правила действуют с 1 января 2024 года.", "since"),
    ("Начиная с 1 июля 2020 года вводится новый порядок въезда.", "since"),
    ("По состоянию на 5 июня 2020 года в республике выявлено 37 новых случаев.", "asof"),
    ("Задержанный родился 5 мая 1995 года в городе Ош.", "birth"),
    ("Напомним, 8 декабря 2018 года бывший вице-премьер был задержан ГКНБ.", "recall"),
    ("Ранее 20 апреля 2018 года парламент утвердил состав правительства.", "recall"),
    ("30 лет назад, 31 августа 1991 года, Кыргызстан провозгласил независимость.", "recall"),
    ("В годовщину независимости напомнили, что 31 августа 1991 года была принята декларация.",
     "recall"),
    ("Саммит ОДКБ состоится 28 ноября 2019 года в Бишкеке.", "future"),
    ("Выборы в парламент пройдут 4 октября 2020 года.", "future"),
    ("Закон вступит в силу 1 января 2025 года.", "future"),
    ("Указом Президента от 5 июня 2024 года утверждена национальная стратегия.", "citation"),
]
# ... and the same kind of sentence where the date IS the reported event: the rule must keep it.
EVENTS = [
    ("2021-жылдын 16-июлунда Ташкент шаарында тышкы иштер министринин орун басары италиялык "
     "кесиптеши менен жолугушту.", D(2021, 7, 16)),
    ("Бул тууралуу премьер-министр Кубатбек Боронов 2020-жылдын 10-сентябрында жарандарга "
     "кайрылуусунда айтылат.", D(2020, 9, 10)),
    ("2024-жылдын 5-июнундагы жыйында маселе каралды.", D(2024, 6, 5)),  # "at the meeting of 5 June"
    ("Бүгүн, 2025-жылдын 9-декабрында Жогорку Кеңештин жыйынында мыйзам кабыл алынды.",
     D(2025, 12, 9)),
    ("Совещание прошло 9 декабря 2025 года в Бишкеке.", D(2025, 12, 9)),
    ("9 декабря 2025 года в Бишкеке состоялось заседание коллегии.", D(2025, 12, 9)),
    ("5 марта 2024 года в Оше прошел форум.", D(2024, 3, 5)),       # марта: not Kyrgyz -та
    ("20 августа 2023 года суд вынес приговор.", D(2023, 8, 20)),
    ("2023-жылдын 20-августта сот өкүм чыгарды.", D(2023, 8, 20)),
    ("2019-жылдын 2-февраль күнү кечинде банкомат талкаланды.", D(2019, 2, 2)),
]


@pytest.mark.parametrize("body,why", TRAPS_KY + TRAPS_RU)
def test_trap_dates_are_never_taken(body, why):
    assert find_body_date(body) is None
    reasons = [r for _d, r, _pos in dates.classify_body_dates(body)]
    assert reasons and all(r is not None for r in reasons), reasons
    assert why in reasons, (why, reasons)


@pytest.mark.parametrize("body,expected", EVENTS)
def test_event_dates_are_kept(body, expected):
    assert find_body_date(body) == expected
    assert [r for _d, r, _pos in dates.classify_body_dates(body)][0] is None


def _marker_rows(position):
    return [r for r in dates._read("date_markers.tsv") if r["position"] == position]


@pytest.mark.parametrize("row", _marker_rows("before") + _marker_rows("after"),
                         ids=lambda r: f'{r["position"]}:{r["marker"]}')
def test_every_marker_row_blocks(row):
    """Each before/after row of the table, placed next to an otherwise good event date, blocks it."""
    ru = row["lang"] == "ru"
    date = "9 декабря 2025 года" if ru else "2025-жылдын 9-декабрында"
    marker = row["marker"] + ("ый" if row["match"] == "prefix" else "")
    words = (f"Комиссия {marker} {date} провела заседание." if row["position"] == "before" and ru
             else f"Комиссия {date} {marker} заседание." if ru
             else f"Комиссия {marker} {date} жыйын өткөрдү." if row["position"] == "before"
             else f"Комиссия {date} {marker} жыйын.")
    control = words.replace(f" {marker} ", " ")
    assert find_body_date(control) == D(2025, 12, 9), control   # the sentence is fine without it
    assert find_body_date(words) is None, words
    assert row["kind"] in {r for _d, r, _p in dates.classify_body_dates(words)}


def test_only_the_lead_counts():
    lead = "Бүгүн Бишкекте коррупцияга каршы кеңири форматтагы жыйын өттү. Анда көп маселе каралды."
    second = "Сот 2023-жылдын 9-декабрында өкүм чыгарды."
    assert find_body_date(second) == D(2023, 12, 9)
    assert find_body_date(lead + "\n" + second) is None          # second paragraph: not the lead
    assert find_body_date("Тектеш\n" + second) == D(2023, 12, 9)  # a one-word byline is not the lead
    fourth = "Биринчи сүйлөм бул жерде. Экинчи сүйлөм бул жерде. Үчүнчү сүйлөм бул жерде. "
    assert find_body_date(fourth + second) is None                  # after the third sentence
    assert dates.lead_of("Тектеш\n" + lead + "\nКийинки абзац.")[1] == lead


def test_historical_and_future_dates():
    # a later day of the same text (not a deadline) makes an earlier lead date historical
    body = ("2019-жылдын 5-мартында долбоор сунушталды. 2024-жылдын 10-июнунда мыйзам кабыл алынды.")
    assert find_body_date(body) == D(2024, 6, 10)
    assert find_body_date("2019-жылдын 5-мартында долбоор сунушталды.\n"
                          "Мыйзам 2022-жылдын 1-январында күчүнө кирди.") is None
    assert find_body_date("Декларация была принята 20 декабря 1993 года Генеральной Ассамблеей "
                          "ООН. Форум прошел в Бишкеке 5 мая 2023 года.") == D(2023, 5, 5)
    # a deadline later in the text does not make the lead date historical
    assert find_body_date("2019-жылдын 5-мартында долбоор сунушталды.\n"
                          "Ал 2025-жылдын 1-январына чейин иштейт.") == D(2019, 3, 5)
    # a day after today cannot be a publication date
    assert find_body_date("Жыйын 2099-жылдын 9-декабрында өттү.") is None
    assert dates.body_date_evidence("Жыйын 2099-жылдын 9-декабрында өттү.",
                                    today=D(2100, 1, 1))[0] == D(2099, 12, 9)


def test_evidence():
    found = dates.body_date_evidence(SEED_000_BODY)
    assert found[0] == D(2025, 12, 9)
    assert found[1].startswith("2025-жылдын 9-декабрында") and len(found[1]) <= 201
    short = "Бүгүн жыйын болду. Сот 2023-жылдын 9-декабрында өкүм чыгарды. Кийин башка иш."
    assert dates.body_date_evidence(short)[1] == "Сот 2023-жылдын 9-декабрында өкүм чыгарды."
    assert extract_date_evidence("Кароолор: (67)", None, short) == (
        D(2023, 12, 9), "body", "Сот 2023-жылдын 9-декабрында өкүм чыгарды.")
    assert extract_date_evidence(" 10.12.2025 ", None, short) == (D(2025, 12, 10), "header", "10.12.2025")
    assert extract_date_evidence(None, "2025-09-18T10:00:00+06:00", short) == (
        D(2025, 9, 18), "field", '"date": "2025-09-18T10:00:00+06:00"')
    assert extract_date_evidence(None, None, "Датасыз текст.") == (None, "none", "")


# The six wrong dates the issue lists, and the precision on every body-dated 24.kg article.
ISSUE_EXAMPLES = ["24kg-10203", "24kg-20145", "24kg-12206", "24kg-20136", "24kg-13906", "24kg-2845"]
LABELS = Path(__file__).resolve().parent / "data" / "body_dates_labelled.tsv"


def _labelled():
    rows = dates._read(LABELS.name, LABELS.parent)
    return {r["id"]: r for r in rows}


@pytest.fixture(scope="module")
def corpus_bodies():
    from tests.helpers import CORPUS, require_corpus
    require_corpus()
    import json
    wanted = _labelled()
    out = {}
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            if obj.get("id") in wanted or len(out) < 0:
                out[obj["id"]] = obj["body"]
    return out


def test_issue_examples_get_no_date(corpus_bodies):
    for doc_id in ISSUE_EXAMPLES:
        assert find_body_date(corpus_bodies[doc_id]) is None, doc_id


def test_body_date_precision_on_24kg(corpus_bodies, capsys):
    labels = _labelled()
    assert len(labels) == 61 and set(labels) <= set(corpus_bodies)
    given = correct = 0
    wrong = []
    for doc_id, row in labels.items():
        got = find_body_date(corpus_bodies[doc_id])
        if got is None:
            continue
        given += 1
        if row["label"] == got.isoformat():
            correct += 1
        else:
            wrong.append((doc_id, got, row["label"]))
    positives = sum(1 for r in labels.values() if r["label"] != "none")
    old_correct = sum(1 for r in labels.values() if r["label"] == r["old_date"])
    with capsys.disabled():
        print(f"\nbody dates on 24.kg: {given} given, {correct} right → precision "
              f"{correct / given if given else 1:.0%}, recall {correct}/{positives} = "
              f"{correct / positives:.0%} (old rule: {old_correct}/{len(labels)} right = "
              f"{old_correct / len(labels):.0%}); wrong: {wrong}")
    assert given and correct / given >= 0.95, wrong


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
    ("Шаршемби, 10.12.2025", False, D(2025, 12, 10)),   # what a date line may hold besides the date
    ("10.12.2025 13:54", False, D(2025, 12, 10)),
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
    ("2021-07-16x", "'2021-07-16x'"),            # a date glued to other text is no date
    ("14 марта 2025 Бишкек", "not a date"),
    ("31-февраль 2024", "not a valid calendar date"),
])
def test_parse_filter_date_errors(value, fragment):
    with pytest.raises(ValueError) as err:
        parse_filter_date(value)
    message = str(err.value)
    assert fragment in message
    assert "YYYY-MM-DD" in message or "outside" in message or "not 1..12" in message


# ---------------------------------------------------------------- provenance, end to end

def test_date_evidence_is_stored_and_shown(tmp_path):
    """The index keeps where each date came from; document() and the article page show it."""
    from search.engine import SearchEngine
    from tests.helpers import SAMPLE, build_index, write_jsonl
    from web import create_app

    src = write_jsonl(tmp_path / "docs.jsonl", [
        {"id": "field", "date": "2025-09-18T10:00:00+06:00", "body": "Жыйын болду."},
        {"id": "body", "body": "Сот 2023-жылдын 9-декабрында өкүм чыгарды. Бул тууралуу сот билдирди."},
        {"id": "trap", "body": "Саммит 2019-жылдын 28-ноябрында Бишкекте өтөт."},
    ])
    engine = SearchEngine(store=build_index(tmp_path / "index", [src, SAMPLE]))
    field, body, trap = (engine.document(i) for i in ("field", "body", "trap"))
    assert (field["date"], field["date_source"], field["date_evidence"]) == (
        "2025-09-18", "field", '"date": "2025-09-18T10:00:00+06:00"')
    assert (body["date"], body["date_source"]) == ("2023-12-09", "body")
    assert body["date_evidence"] == "Сот 2023-жылдын 9-декабрында өкүм чыгарды."
    assert (trap["date"], trap["date_source"], trap["date_evidence"]) == (None, "none", "")
    page = engine.document("000_a04a57a4dc81b787")
    assert (page["date_source"], page["date_evidence"]) == ("header", "10.12.2025")

    client = create_app({"ENGINE": engine}).test_client()
    html = client.get("/doc/body").get_data(as_text=True)
    assert "Дата: <time" in html and "тексттеги сүйлөм" in html
    assert "«Сот 2023-жылдын 9-декабрында өкүм чыгарды.»" in html
    assert "баракчанын башы: «10.12.2025»" in client.get("/doc/000_a04a57a4dc81b787").get_data(as_text=True)
    assert "булагы" not in client.get("/doc/trap").get_data(as_text=True)
    assert client.get("/api/doc/body").get_json()["date_evidence"] == body["date_evidence"]


def test_add_to_an_index_built_before_date_evidence(tmp_path, monkeypatch):
    """`kgsearch add` on an index whose schema has no date_evidence adds the stored field."""
    from indexer import build, schema, transaction
    from indexer.update import update
    from search.engine import SearchEngine
    from tests.helpers import SAMPLE, build_index, write_jsonl

    def old_schema():
        s = schema.make_schema()
        s.remove("date_evidence")
        return s

    def old_fields(doc):
        fields = schema.to_fields(doc)
        fields.pop("date_evidence")
        return fields

    monkeypatch.setattr(transaction, "make_schema", old_schema)   # WriteTransaction.create
    monkeypatch.setattr(build, "to_fields", old_fields)
    store = build_index(tmp_path / "index", [SAMPLE])
    monkeypatch.undo()
    src = write_jsonl(tmp_path / "new.jsonl", [
        {"id": "new", "body": "Сот 2023-жылдын 9-декабрында өкүм чыгарды. Бул тууралуу сот билдирди."}])
    result = update(store, [str(src)])
    assert result.published and result.exit_code == 0, result.summary()
    engine = SearchEngine(store=store)
    assert engine.document("new")["date_evidence"] == "Сот 2023-жылдын 9-декабрында өкүм чыгарды."
    assert engine.document("000_a04a57a4dc81b787")["date_evidence"] == ""   # built before: none
