"""Spreadsheet rows: one ``ProjectRow`` per project, with clean display names and formatted values."""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

from .display import display_name
from .types import Extraction, Value

LIST_SEPARATOR = "；"


@dataclass(frozen=True)
class ProjectRow:
    """One project as cells. Each field lists display names (or formatted values) in text order.

    ``amount_values`` and ``date_values`` hold the values that could be resolved; a date such as
    ``近日`` without a calendar anchor appears in ``dates`` only, never as an empty item. Investors and
    locations list each display name once (an article often names the same place twice); amounts and
    dates keep every mention, since two equal amounts can be two tranches.
    """

    project: str
    amounts: tuple[str, ...] = ()
    amount_values: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    date_values: tuple[str, ...] = ()
    investors: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()

    @classmethod
    def columns(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def cells(self) -> list[str]:
        """The row as CSV cells; list fields joined with ``；``."""
        return [item if isinstance(item, str) else LIST_SEPARATOR.join(item) for item in astuple(self)]


def project_rows(extraction: Extraction, simplified: bool = False) -> list[ProjectRow]:
    """The projects of ``extraction`` as rows; ``simplified`` converts names to Simplified script."""
    entities = extraction.entities

    def names(indices, once: bool = False) -> tuple[str, ...]:
        shown = [name for name in (display_name(entities[i].text, simplified) for i in indices) if name]
        return tuple(dict.fromkeys(shown)) if once else tuple(shown)

    def values(indices) -> tuple[str, ...]:
        return tuple(text for text in (format_value(entities[i].value) for i in indices) if text)

    return [ProjectRow(display_name(p.name, simplified), names(p.amounts), values(p.amounts), names(p.dates),
                       values(p.dates), names(p.investors, once=True), names(p.locations, once=True))
            for p in extraction.projects]


def format_value(value: Value) -> str:
    """``6400000000 CNY (over)`` for money, the ISO form for a date, ``""`` for no value."""
    if value is None:
        return ""
    data = value.to_dict()
    if "amount" in data:
        return f"{data['amount']} {data['currency']}" + (f" ({data['qualifier']})" if data["qualifier"] else "")
    return data["iso"]
