"""Dates as Chinese government pages print them, normalised to YYYY-MM-DD.

Pages write the same day as 2021-11-12, 2021/11/12, 2021.11.12,
2021年11月12日 09:30, with full-width digits (２０２１年), or in Chinese
numerals on the signature line of a document (二〇二一年十一月十二日).
Every downstream field (publish_date, written_date) wants one form, and a
wrong guess is worse than none, so anything that is not a real calendar day
yields "".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Digits as they appear in the year of a Chinese-numeral date: each character
# is one digit (二〇二一), with the several zeros editors type (〇 ○ O Ｏ 零 ０).
_YEAR_DIGITS = {
    "〇": 0, "○": 0, "零": 0, "O": 0, "Ｏ": 0, "o": 0, "０": 0, "◯": 0,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_SMALL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# Full-width digits become ASCII before matching, so that one pattern serves both.
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

_SEP = r"\s*[-/.．－_]\s*"
_NUMERIC = re.compile(
    rf"(?<!\d)(?P<y>(?:19|20)\d\d)(?:{_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})(?!\d)"
    r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号])"
)
_CN_YEAR = "〇○零OＯo０◯一二三四五六七八九"
_CN_NUM = "一二两三四五六七八九十廿卅"
_CHINESE = re.compile(rf"(?P<y>[{_CN_YEAR}]{{4}})\s*年\s*(?P<m>[{_CN_NUM}]{{1,3}})\s*月\s*(?P<d>[{_CN_NUM}〇○零]{{1,4}})\s*[日号]")
# A compact 20211112 only counts where nothing else can be meant: alone.
_COMPACT = re.compile(r"^\s*(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)\s*$")


@dataclass(frozen=True)
class DateMatch:
    """One date found in a text: where it is and what day it names."""

    start: int
    end: int
    iso: str


def _chinese_small_number(text: str) -> int | None:
    """十一 → 11, 二十 → 20, 廿三 → 23, 三十一 → 31; None for anything else.

    Month and day numerals are positional only around 十, so they are read by
    hand rather than by a general numeral parser.
    """
    text = text.replace("廿", "二十").replace("卅", "三十")
    if not text:
        return None
    if "十" not in text:
        if len(text) == 1 and text in _SMALL:
            return _SMALL[text]
        if len(text) == 2 and all(ch in _SMALL or ch in "〇○零" for ch in text):
            # 二〇 style positional writing of a day (rare, but seen on signatures)
            return _SMALL.get(text[0], 0) * 10 + _SMALL.get(text[1], 0)
        return None
    tens_part, _, ones_part = text.partition("十")
    if "十" in ones_part:
        return None
    tens = 1 if tens_part == "" else _SMALL.get(tens_part)
    ones = 0 if ones_part == "" else _SMALL.get(ones_part)
    if tens is None or ones is None or len(tens_part) > 1 or len(ones_part) > 1:
        return None
    return tens * 10 + ones


def _iso(year: int, month: int, day: int) -> str:
    """YYYY-MM-DD for a real calendar day, else "" (so 2021-02-30 is no date)."""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def _numeric_iso(match: re.Match[str]) -> str:
    month = match.group("m") or match.group("m2")
    day = match.group("d") or match.group("d2")
    if month is None or day is None:
        return ""
    return _iso(int(match.group("y")), int(month), int(day))


def _chinese_iso(match: re.Match[str]) -> str:
    year = int("".join(str(_YEAR_DIGITS[ch]) for ch in match.group("y")))
    month = _chinese_small_number(match.group("m"))
    day = _chinese_small_number(match.group("d"))
    if month is None or day is None:
        return ""
    return _iso(year, month, day)


def find_dates(text: str) -> list[DateMatch]:
    """Every date in `text`, in order, with offsets into `text` itself.

    Full-width digits are translated one for one, so offsets stay valid.
    """
    ascii_text = text.translate(_FULLWIDTH_DIGITS)
    found: list[DateMatch] = []
    for match in _NUMERIC.finditer(ascii_text):
        iso = _numeric_iso(match)
        if iso:
            found.append(DateMatch(match.start(), match.end(), iso))
    for match in _CHINESE.finditer(ascii_text):
        iso = _chinese_iso(match)
        if iso:
            found.append(DateMatch(match.start(), match.end(), iso))
    found.sort(key=lambda m: m.start)
    return found


def parse_date(text: str) -> str:
    """The first date in `text` as YYYY-MM-DD, or "" when there is none.

    Also accepts ISO timestamps (2021-11-12T09:30:00+08:00) and a bare
    20211112, the forms meta tags use.
    """
    if not text:
        return ""
    compact = _COMPACT.match(text.translate(_FULLWIDTH_DIGITS))
    if compact:
        return _iso(int(compact.group("y")), int(compact.group("m")), int(compact.group("d")))
    dates = find_dates(text)
    return dates[0].iso if dates else ""


def is_date_line(text: str) -> bool:
    """True when a line is nothing but one date (a signature line's date)."""
    stripped = text.strip()
    dates = find_dates(stripped)
    return len(dates) == 1 and dates[0].start == 0 and dates[0].end >= len(stripped.rstrip("。 "))
