"""Project records: mentions of the same project merged into one spreadsheet row."""

from __future__ import annotations

import re
from typing import Sequence

from .normalize import to_simplified
from .types import Entity, Project, Relation

_QUOTES_AND_SPACE = re.compile(r"[\s\"'“”‘’「」『』《》〈〉]")
_FIELD_OF = {"投资额": "amounts", "时间": "dates", "投资方": "investors", "地点": "locations"}


def project_key(name: str) -> str:
    """Mentions with the same key are one project: Simplified, no quotes or spaces, case-folded."""
    return to_simplified(_QUOTES_AND_SPACE.sub("", name)).casefold()


def group_projects(entities: Sequence[Entity], relations: Sequence[Relation]) -> list[Project]:
    """One ``Project`` per distinct project name, in order of first mention."""
    groups: dict[str, list[int]] = {}
    for index, entity in enumerate(entities):
        if entity.label == "PROJECT":
            groups.setdefault(project_key(entity.text), []).append(index)
    linked: dict[int, dict[str, list[int]]] = {}
    for relation in relations:
        fields = linked.setdefault(relation.head, {})
        fields.setdefault(_FIELD_OF[relation.label], []).append(relation.tail)
    projects = []
    for mentions in groups.values():
        fields: dict[str, list[int]] = {name: [] for name in _FIELD_OF.values()}
        for mention in mentions:
            for name, tails in linked.get(mention, {}).items():
                fields[name].extend(t for t in tails if t not in fields[name])
        projects.append(Project(entities[mentions[0]].text, tuple(mentions),
                                **{name: tuple(sorted(v)) for name, v in fields.items()}))
    return projects
