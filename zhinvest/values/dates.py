"""DATE spans → ``DateValue(iso, precision, relative)``, resolved against the article date.

``2021年3月9日`` → 2021-03-09; ``3月22日`` with an article dated 2021-04-01 → 2021-03-22
(relative: the year came from the article); ``去年12月`` → month; ``一季度`` →
``2023-Q1``; ``今年`` → year.  Expressions that need more context than the
article date (``近日``, ``当天``) resolve to None.
"""

from __future__ import annotations

import datetime as dt
import re

from ..types import DateValue
from .numerals import DIGITS, parse_small_integer

_N = r"(\d{1,4}|[" + "".join(DIGITS) + r"十]{1,4})"
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_YEAR = re.compile(r"(\d{4}|[" + "".join(DIGITS) + r"]{4})年|^(\d{4})$")
_MONTH = re.compile(_N + r"月")
_DAY = re.compile(_N + r"[日号]")
_QUARTER = re.compile(r"(?:第)?([一二三四1-4])季度|Q([1-4])", re.IGNORECASE)
_RELATIVE_YEARS = {"年底": 0, "年初": 0, "年中": 0, "今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}
_RELATIVE_MONTHS = {"本月": 0, "当月": 0, "上月": -1, "上个月": -1, "下月": 1, "下个月": 1}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "前日": -2, "明天": 1, "明日": 1}
#: a month (and day) without a year more than half a year after the article date is read as last year's
_FUTURE_TOLERANCE = dt.timedelta(days=183)


def parse_date(text: str, doc_date: dt.date | None) -> DateValue | None:
    """Resolve a date expression; None when it cannot be pinned to the calendar."""
    text = text.strip()
    for word, offset in _RELATIVE_DAYS.items():
        if text.startswith(word):
            return _day(doc_date + dt.timedelta(days=offset), True) if doc_date else None
    match = _ISO.search(text)
    if match:
        return _checked_day(int(match[1]), int(match[2]), int(match[3]), False)

    year, relative = None, False
    match = _YEAR.search(text)
    if match:
        year = parse_small_integer(match[1] or match[2])
    else:
        for word, offset in _RELATIVE_YEARS.items():
            if word in text:
                if doc_date is None:
                    return None
                year, relative = doc_date.year + offset, True
                break
    month = _first_int(_MONTH, text)
    for word, offset in _RELATIVE_MONTHS.items():
        if month is None and word in text:
            if doc_date is None:
                return None
            first = dt.date(doc_date.year, doc_date.month, 1)
            shifted = (first.month - 1 + offset)
            return DateValue(f"{first.year + shifted // 12:04d}-{shifted % 12 + 1:02d}", "month", True)
    day = _first_int(_DAY, text)
    quarter_match = _QUARTER.search(text)

    if day is not None and month is None:  # "29日上午": month and year from the article
        if doc_date is None:
            return None
        return _checked_day(year or doc_date.year, doc_date.month, day, True)
    if year is None and (month is not None or quarter_match):
        if doc_date is None:
            return None
        year, relative = doc_date.year, True
        if month is not None:
            candidate = dt.date(year, month, min(day or 1, 28)) if 1 <= month <= 12 else None
            if candidate and candidate - doc_date > _FUTURE_TOLERANCE:
                year -= 1
    if year is None:
        return None
    if month is not None:
        if day is not None:
            return _checked_day(year, month, day, relative)
        return DateValue(f"{year:04d}-{month:02d}", "month", relative) if 1 <= month <= 12 else None
    if quarter_match:
        quarter = parse_small_integer(quarter_match[1] or quarter_match[2])
        return DateValue(f"{year:04d}-Q{quarter}", "quarter", relative)
    return DateValue(f"{year:04d}", "year", relative)


def _first_int(pattern: re.Pattern, text: str) -> int | None:
    match = pattern.search(text)
    return parse_small_integer(match[1]) if match else None


def _day(date: dt.date, relative: bool) -> DateValue:
    return DateValue(date.isoformat(), "day", relative)


def _checked_day(year: int, month: int, day: int, relative: bool) -> DateValue | None:
    try:
        return _day(dt.date(year, month, day), relative)
    except ValueError:
        return None
