"""Numbers written with Arabic digits, Chinese numerals, or both (``1.5万亿``, ``四千六百四十九万``)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
          "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": Decimal(10) ** 4, "亿": Decimal(10) ** 8}
NUMBER_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + "点"
_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[" + NUMBER_CHARS + "]")


def parse_number(text: str) -> Decimal | None:
    """The value of a numeral expression, or None when it holds no number at all.

    >>> parse_number("1.5万亿"), parse_number("四千六百四十九万"), parse_number("3亿5000万"), parse_number("千万")
    (Decimal('1500000000000.0'), Decimal('46490000'), Decimal('350000000'), Decimal('10000000'))
    """
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    total, section, number = Decimal(0), Decimal(0), None
    fraction_digits: list[int] | None = None
    previous = ""
    for token in tokens:
        previous_was_digit, previous = previous in DIGITS, token
        if token[0].isdigit():
            try:
                number = Decimal(token.replace(",", ""))
            except InvalidOperation:
                return None
        elif token == "点":
            fraction_digits = []
        elif token in DIGITS:
            if fraction_digits is not None:
                fraction_digits.append(DIGITS[token])
                continue
            # consecutive Chinese digits read positionally (二〇二一); otherwise a digit stands alone
            number = number * 10 + DIGITS[token] if previous_was_digit and number is not None else Decimal(DIGITS[token])
        elif token in SMALL_UNITS:
            section += (number if number is not None else 1) * SMALL_UNITS[token]
            number = None
        else:
            if fraction_digits is not None and number is not None:
                number += Decimal("0." + "".join(map(str, fraction_digits))) if fraction_digits else 0
                fraction_digits = None
            base = section + (number if number is not None else 0)
            if token == "亿":
                total = (total + base or Decimal(1)) * BIG_UNITS["亿"]
            else:
                total += (base or Decimal(1)) * BIG_UNITS["万"]
            section, number = Decimal(0), None
    if fraction_digits is not None and number is not None and fraction_digits:
        number += Decimal("0." + "".join(map(str, fraction_digits)))
    return total + section + (number if number is not None else 0)


def parse_small_integer(text: str) -> int | None:
    """``"12"``, ``"十二"``, ``"二〇二一"`` → int; None if ``text`` is not a plain numeral."""
    if text.isdigit():
        return int(text)
    if text and all(ch in DIGITS for ch in text):  # positional: 二〇二一
        return int("".join(str(DIGITS[ch]) for ch in text))
    if text and all(ch in DIGITS or ch in SMALL_UNITS for ch in text):
        value = parse_number(text)
        return int(value) if value is not None else None
    return None
