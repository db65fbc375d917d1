"""MONEY spans → ``Money(amount, currency, qualifier)``.

Works on normalized (Simplified, half-width) text: ``超64亿元`` → 6400000000 CNY "over",
``近3亿元`` → "under", ``约167.6亿元`` → "about", ``七亿多元`` → 700000000 "over".
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..types import Money
from .numerals import DIGITS, NUMBER_CHARS, SMALL_UNITS, parse_number

_PREFIX_QUALIFIERS = (
    ("超过", "over"), ("超", "over"), ("逾", "over"), ("高于", "over"), ("多于", "over"),
    ("将近", "under"), ("接近", "under"), ("近", "under"), ("不到", "under"), ("不足", "under"),
    ("不超过", "under"), ("低于", "under"), ("少于", "under"),
    ("大约", "about"), ("约合", "about"), ("约", "about"), ("大概", "about"), ("左右", "about"),
)
_SUFFIX_QUALIFIERS = (("以上", "over"), ("多", "over"), ("余", "over"), ("左右", "about"), ("以下", "under"))
# longest names first so that 美元 wins over 元
_CURRENCIES = (
    ("人民币", "CNY"), ("新台币", "TWD"), ("美元", "USD"), ("美金", "USD"), ("欧元", "EUR"), ("港元", "HKD"),
    ("港币", "HKD"), ("日元", "JPY"), ("英镑", "GBP"), ("澳元", "AUD"), ("加元", "CAD"), ("韩元", "KRW"),
    ("卢布", "RUB"), ("新加坡元", "SGD"), ("元", "CNY"), ("圆", "CNY"),
)
_WRITTEN_DIGITS = "".join(DIGITS) + "".join(SMALL_UNITS)
_AMOUNT = re.compile(r"[\d.,]*\d[\d.,]*|[" + NUMBER_CHARS + r"\d.,]+")


def parse_money(text: str) -> Money | None:
    """The amount, currency and qualifier of a money expression, or None if it has no amount."""
    rest = text.strip()
    qualifier = None
    for word, meaning in _PREFIX_QUALIFIERS:
        if rest.startswith(word):
            qualifier, rest = meaning, rest[len(word):]
            break
    currency = None
    if rest.startswith("人民币"):
        currency, rest = "CNY", rest[3:]
    for word, meaning in _SUFFIX_QUALIFIERS:
        if rest.endswith(word):
            qualifier, rest = qualifier or meaning, rest[:-len(word)]
    for name, code in _CURRENCIES:
        position = rest.find(name)
        if position > 0:
            currency, rest = currency if name == "人民币" and currency else code, rest[:position] + rest[position + len(name):]
            break
    rest = rest.replace("人民币", "")
    match = _AMOUNT.search(rest)
    if match is None:
        return None
    if currency is None:
        if not re.search("[万亿]", rest):  # a bare number is no amount of money
            return None
        currency = "CNY"  # "26亿" in investment news means yuan
    numeral = rest[match.start():]
    low, dash, _ = numeral.partition("-")
    if dash and re.search(r"\d", low):  # a range "1-5亿元": at least its lower end
        unit = re.search("[万亿]+", numeral)
        numeral, qualifier = low + (unit.group() if unit else ""), qualifier or "over"
    if "多" in numeral or "余" in numeral:
        qualifier = qualifier or "over"
    if not re.search(r"[\d" + _WRITTEN_DIGITS + "]", numeral):  # 亿元 alone has no written number
        return None
    amount = parse_number(numeral.replace("多", "").replace("余", ""))
    if amount is None or amount <= 0:
        return None
    return Money(Decimal(amount), currency, qualifier)
