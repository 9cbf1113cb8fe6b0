"""Dates as pages print them → YYYY-MM-DD (pipeline.extract.dates). Cases are data."""

from __future__ import annotations

import pytest

from pipeline.extract.dates import find_dates, is_date_line, parse_date

PARSE_CASES = [
    # (text, expected ISO date or "")
    ("2021-11-12", "2021-11-12"),
    ("2021-1-2", "2021-01-02"),
    ("2021/11/12", "2021-11-12"),
    ("2021.11.12", "2021-11-12"),
    ("2021－11－12", "2021-11-12"),  # full-width hyphens
    ("2021年11月12日", "2021-11-12"),
    ("2021年1月2日", "2021-01-02"),
    ("2021 年 11 月 12 日", "2021-11-12"),
    ("2021年11月12号", "2021-11-12"),
    ("2021年11月12日 09:30", "2021-11-12"),
    ("2021-11-12 09:30:15", "2021-11-12"),
    ("2021-11-12T09:30:00+08:00", "2021-11-12"),  # ISO timestamps of article:published_time
    ("20211112", "2021-11-12"),  # compact form of some PubDate meta tags
    ("２０２１年１１月１２日", "2021-11-12"),  # full-width digits
    ("二〇二一年十一月十二日", "2021-11-12"),
    ("二○二一年十一月十二日", "2021-11-12"),  # ○ (U+25CB) typed for 〇
    ("二零二一年十一月十二日", "2021-11-12"),
    ("二〇二一年一月五日", "2021-01-05"),
    ("二〇二一年十月二十日", "2021-10-20"),
    ("二〇二一年十二月三十一日", "2021-12-31"),
    ("二〇二一年二月廿三日", "2021-02-23"),
    ("发布时间：2021-11-12 来源：省发展改革委", "2021-11-12"),
    ("时间:2021年11月12日 作者: 稿源:安徽省发展改革委", "2021-11-12"),
    ("2021-02-30", ""),  # no such day
    ("二〇二一年二月三十日", ""),
    ("2021年11月", ""),  # a month is not a date
    ("2021—2025年", ""),  # a span of years
    ("10G-PON端口3万个", ""),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_date(text: str, expected: str) -> None:
    assert parse_date(text) == expected


FIND_CASES = [
    # (text, [(start, end, iso), ...]): offsets index the text as given
    ("于2021年11月12日印发", [(1, 12, "2021-11-12")]),
    ("２０２１年１１月１２日", [(0, 11, "2021-11-12")]),
    ("自2022-01-01起至2022-12-31止", [(1, 11, "2022-01-01"), (13, 23, "2022-12-31")]),
    ("二〇二一年十一月十二日", [(0, 11, "2021-11-12")]),
]


@pytest.mark.parametrize(("text", "expected"), FIND_CASES)
def test_find_dates_offsets(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert [(m.start, m.end, m.iso) for m in find_dates(text)] == expected
    for start, end, _ in expected:
        assert text[start:end]  # the span is real text of the input


DATE_LINE_CASES = [
    ("2021年11月12日", True),
    ("二〇二一年十一月十二日", True),
    ("  2022年3月8日 ", True),
    ("2021年11月12日印发", False),
    ("到2025年，全省数据中心标准机架达到5万架", False),
    ("2023年12月底前", False),
]


@pytest.mark.parametrize(("text", "expected"), DATE_LINE_CASES)
def test_is_date_line(text: str, expected: bool) -> None:
    assert is_date_line(text) is expected
