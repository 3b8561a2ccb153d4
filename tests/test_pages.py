"""Scraped pages: header (date, views, section), title, body, chrome — on the two real seed pages."""
import datetime as dt

import pytest

from indexer.ingest import Ingestor, first_sentence
from indexer.pages import parse_page
from tests.helpers import SAMPLE

TON = SAMPLE / "000_a04a57a4dc81b787.txt"
ECONOMY = SAMPLE / "001_e1040fed04d77296.txt"


def read(path):
    docs = list(Ingestor().documents([path]))
    assert len(docs) == 1
    return docs[0]


def test_ton_page_header():
    doc = read(TON)
    assert doc.title == "Тоң районунда коррупцияга каршы иш-аракет күчөтүлдү"
    assert doc.date == dt.date(2025, 12, 10)
    assert doc.date_source == "header"
    assert doc.views == 67
    assert doc.body.startswith("2025-жылдын 9-декабрында Тоң районунун")
    assert doc.body.endswith("улантылары белгиленди.")
    assert "Кароолор" not in doc.body


def test_economy_page_header_after_title():
    doc = read(ECONOMY)
    assert doc.title.startswith("Экономика министрлигинде, коррупцияга каршы күрөшүү саясатын")
    assert doc.title.endswith("болуп өттү.")
    assert doc.date == dt.date(2013, 9, 8)
    assert doc.views == 2406
    assert doc.body.startswith("2013-жылдын 6-сентябрында")
    for chrome in ("Предложения по улучшению сайта", "Онлайн кайрылуу", "Новости", "2406"):
        assert chrome not in doc.body
    assert doc.body.endswith("бир добуштан кабыл алынды.")


def test_ids_are_stable_and_derived_from_path():
    first = [d.id for d in Ingestor().documents([SAMPLE.parent])]
    again = [d.id for d in Ingestor().documents([SAMPLE.parent])]
    alone = [d.id for d in Ingestor().documents(sorted(SAMPLE.glob("*.txt")))]
    assert first == again == alone == ["000_a04a57a4dc81b787", "001_e1040fed04d77296"]


@pytest.mark.parametrize("text, title, views, date_line", [
    ("Кароолор: (5)\n\nТитул\n\nТекст бар.", "Титул", 5, None),
    ("23.04.2020 13:54\n120\nЖаңылыктар\nАталыш\nНегизги текст.\nОнлайн кайрылуу\n", "Аталыш", 120, "23.04.2020 13:54"),
    ("Просмотров: 12\nЗаголовок\nТекст.", "Заголовок", 12, None),
])
def test_header_lines_in_any_order(text, title, views, date_line):
    page = parse_page(text)
    assert page.title == title
    assert page.views == views
    assert page.date_line == date_line
    assert "Онлайн кайрылуу" not in page.body and page.body


def test_page_without_header_gets_first_sentence_as_title():
    long_para = "Биринчи сүйлөм ушул жерде. " + "Экинчи сүйлөм узун. " * 30
    page = parse_page(long_para)
    assert page.title == ""
    assert first_sentence(page.body) == "Биринчи сүйлөм ушул жерде."
    # a first sentence of fewer than four words is no title: the next one is joined on
    assert first_sentence(parse_page("Бишкек, 3-март. " + "Экинчи сүйлөм узун. " * 30).body) == \
        "Бишкек, 3-март. Экинчи сүйлөм узун."
