"""Result types: frozen dataclasses for spans, relations, values and project records."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

from .display import display_name


@dataclass(frozen=True)
class Money:
    """An amount of money: ``超64亿元`` → ``Money(Decimal("6400000000"), "CNY", "over")``."""

    amount: Decimal
    currency: str
    qualifier: str | None = None  # "over" | "under" | "about" | None

    def to_dict(self) -> dict:
        return {"amount": format(self.amount.normalize(), "f"), "currency": self.currency,
                "qualifier": self.qualifier}


@dataclass(frozen=True)
class DateValue:
    """A calendar date resolved to ISO form at some precision (day, month, quarter or year)."""

    iso: str
    precision: str  # "day" | "month" | "quarter" | "year"
    relative: bool = False

    def to_dict(self) -> dict:
        return {"iso": self.iso, "precision": self.precision, "relative": self.relative}


Value = Union[Money, DateValue, None]


@dataclass(frozen=True)
class Entity:
    """A labelled span; ``start``/``end`` are end-exclusive offsets into the original text."""

    label: str
    text: str
    start: int
    end: int
    score: float = 1.0
    value: Value = None

    def to_dict(self) -> dict:
        return {"label": self.label, "text": self.text, "start": self.start, "end": self.end,
                "score": round(float(self.score), 4),
                "value": None if self.value is None else self.value.to_dict()}


@dataclass(frozen=True)
class Relation:
    """A directed relation from ``entities[head]`` (a PROJECT) to ``entities[tail]``."""

    label: str
    head: int
    tail: int
    score: float = 1.0

    def to_dict(self) -> dict:
        return {"label": self.label, "head": self.head, "tail": self.tail, "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class Project:
    """One distinct project and what the text links to it: a spreadsheet row.

    All fields but ``name`` hold indices into ``Extraction.entities``.
    """

    name: str
    mentions: tuple[int, ...]
    amounts: tuple[int, ...] = ()
    dates: tuple[int, ...] = ()
    investors: tuple[int, ...] = ()
    locations: tuple[int, ...] = ()

    def to_dict(self, entities: list[Entity] | tuple[Entity, ...], simplified: bool = False) -> dict:
        """``display`` fields are clean names (pinyin readings and whitespace removed; Simplified if asked)."""
        def described(indices: tuple[int, ...]) -> list[dict]:
            return [{"entity": i, "text": entities[i].text, "display": display_name(entities[i].text, simplified),
                     "value": None if entities[i].value is None else entities[i].value.to_dict()}
                    for i in indices]

        return {"name": self.name, "display": display_name(self.name, simplified), "mentions": list(self.mentions),
                "amounts": described(self.amounts),
                "dates": described(self.dates), "investors": described(self.investors),
                "locations": described(self.locations)}


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one document."""

    text: str
    doc_date: str | None = None
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    projects: tuple[Project, ...] = field(default=())

    def to_dict(self, simplified: bool = False) -> dict:
        """A JSON-serializable dict (values as strings and plain types).

        Offsets and ``text`` fields are exact; the projects' ``display`` fields are cleaned for reading,
        and converted to Simplified script when ``simplified`` is set.
        """
        return {"text": self.text, "doc_date": self.doc_date,
                "entities": [e.to_dict() for e in self.entities],
                "relations": [r.to_dict() for r in self.relations],
                "projects": [p.to_dict(self.entities, simplified) for p in self.projects]}
