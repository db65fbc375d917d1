"""Normalized values of MONEY and DATE spans."""

from __future__ import annotations

import datetime as dt

from ..types import Value
from .dates import parse_date
from .money import parse_money


def parse_value(label: str, text: str, doc_date: dt.date | None) -> Value:
    """The value of a span given its label and normalized text; None for other labels."""
    if label == "MONEY":
        return parse_money(text)
    if label == "DATE":
        return parse_date(text, doc_date)
    return None


__all__ = ["parse_date", "parse_money", "parse_value"]
