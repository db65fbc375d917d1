"""Normalized values: money and dates as tables, the way an analyst would fill a spreadsheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhinvest.normalize import normalize
from zhinvest.values import parse_date, parse_money, parse_value
from zhinvest.values.numerals import parse_number


@pytest.mark.parametrize("text, amount, currency, qualifier", [
    ("超64亿元", "6400000000", "CNY", "over"),
    ("近3亿元", "300000000", "CNY", "under"),
    ("约167.6亿元", "16760000000", "CNY", "about"),
    ("逾10亿元", "1000000000", "CNY", "over"),
    ("超过500亿元", "50000000000", "CNY", "over"),
    ("七亿多元", "700000000", "CNY", "over"),
    ("1.5万亿元", "1500000000000", "CNY", None),
    ("4649万元", "46490000", "CNY", None),
    ("三千万元", "30000000", "CNY", None),
    ("千万元", "10000000", "CNY", None),
    ("20亿元", "2000000000", "CNY", None),
    ("1.5亿美元", "150000000", "USD", None),
    ("111.43亿元人民币", "11143000000", "CNY", None),
    ("人民币5000万元", "50000000", "CNY", None),
    ("3亿5000万元", "350000000", "CNY", None),
    ("2,000万元", "20000000", "CNY", None),
    ("5000万欧元", "50000000", "EUR", None),
    ("24.98亿元", "2498000000", "CNY", None),
])
def test_money_values(text, amount, currency, qualifier):
    money = parse_money(text)
    assert money is not None
    assert money.to_dict() == {"amount": amount, "currency": currency, "qualifier": qualifier}
    assert money.amount == Decimal(amount)


@pytest.mark.parametrize("traditional, amount, qualifier", [
    ("近3億元", "300000000", "under"), ("超過5億美元", "500000000", "over"), ("七億多元", "700000000", "over")])
def test_money_in_traditional_script_after_normalization(traditional, amount, qualifier):
    money = parse_money(normalize(traditional).text)
    assert (format(money.amount.normalize(), "f"), money.qualifier) == (amount, qualifier)


@pytest.mark.parametrize("text", ["亿元", "万元", "项目", "", "15%"])
def test_money_without_a_written_number_has_no_value(text):
    assert parse_money(text) is None


ARTICLE_DATE = dt.date(2021, 4, 27)


@pytest.mark.parametrize("text, iso, precision, relative", [
    ("2021年3月9日", "2021-03-09", "day", False),
    ("3月22日", "2021-03-22", "day", True),
    ("2019年", "2019", "year", False),
    ("2023年第一季度", "2023-Q1", "quarter", False),
    ("一季度", "2021-Q1", "quarter", True),
    ("今年", "2021", "year", True),
    ("去年12月", "2020-12", "month", True),
    ("昨日", "2021-04-26", "day", True),
    ("29日上午11时", "2021-04-29", "day", True),
    ("2023-02-17 10:06:00", "2023-02-17", "day", False),
    ("二〇二一年三月九日", "2021-03-09", "day", False),
    ("12月28日", "2020-12-28", "day", True),  # months after the article date belong to last year
    ("5月10日", "2021-05-10", "day", True),  # a near future date stays in this year
    ("2022年6月", "2022-06", "month", False),
    ("本月", "2021-04", "month", True),
])
def test_date_values(text, iso, precision, relative):
    assert parse_date(text, ARTICLE_DATE).to_dict() == {"iso": iso, "precision": precision, "relative": relative}


@pytest.mark.parametrize("text", ["近日", "当天", "日前", "上午", "2月30日"])
def test_dates_that_cannot_be_pinned_down_have_no_value(text):
    assert parse_date(text, ARTICLE_DATE) is None


def test_relative_dates_need_the_article_date():
    assert parse_date("3月9日", None) is None
    assert parse_date("今年", None) is None
    assert parse_date("2021年3月9日", None).iso == "2021-03-09"


def test_parse_value_dispatches_by_label():
    assert parse_value("MONEY", "20亿元", None).currency == "CNY"
    assert parse_value("DATE", "2021年", None).iso == "2021"
    assert parse_value("ORG", "抖音集团", None) is None


@pytest.mark.parametrize("text, value", [("一百零五", 105), ("二〇二一", 2021), ("两千万", 20000000),
                                         ("三点五亿", 350000000), ("十二亿", 1200000000)])
def test_numerals(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text, amount, qualifier", [
    ("128.5亿", "12850000000", None), ("千亿", "100000000000", None), ("1-5亿元", "100000000", "over"),
    ("2000余万元", "20000000", "over")])
def test_money_written_loosely(text, amount, qualifier):
    money = parse_money(text)
    assert (format(money.amount.normalize(), "f"), money.currency, money.qualifier) == (amount, "CNY", qualifier)


@pytest.mark.parametrize("text, iso, precision", [
    ("2025", "2025", "year"), ("7月底", "2021-07", "month"), ("2023年底", "2023", "year"), ("今年5月", "2021-05", "month")])
def test_loose_dates(text, iso, precision):
    value = parse_date(text, ARTICLE_DATE)
    assert (value.iso, value.precision) == (iso, precision)
