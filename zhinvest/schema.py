"""Entity and relation labels, the allowed relation pairs and the BIO tag set.

This module is the single source of truth for the label schema: the model
folder stores it, loading checks it, training and evaluation read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENTITY_LABELS: tuple[str, ...] = ("PROJECT", "MONEY", "DATE", "ORG", "LOC")
RELATION_LABELS: tuple[str, ...] = ("投资额", "时间", "投资方", "地点")
HEAD_LABEL = "PROJECT"
#: relation label → the entity label its tail must have (the head is always PROJECT)
RELATION_TAIL: dict[str, str] = {"投资额": "MONEY", "时间": "DATE", "投资方": "ORG", "地点": "LOC"}
TAIL_RELATION: dict[str, str] = {tail: rel for rel, tail in RELATION_TAIL.items()}
#: labels whose mentions never touch another mention of the same label: two such spans side by
#: side are one longer name (the guide annotates the outermost complete name), unlike LOC chains
#: (中山|黄圃) or ORG lists (市委|市政府)
SEPARATED_LABELS: tuple[str, ...] = ("PROJECT", "MONEY", "DATE")


@dataclass(frozen=True)
class LabelSchema:
    """Entity labels, relation labels and the BIO tags derived from them."""

    entity_labels: tuple[str, ...] = ENTITY_LABELS
    relation_labels: tuple[str, ...] = RELATION_LABELS
    relation_tail: dict[str, str] = field(default_factory=lambda: dict(RELATION_TAIL))
    separated_labels: tuple[str, ...] = SEPARATED_LABELS

    @property
    def tags(self) -> tuple[str, ...]:
        """``("O", "B-PROJECT", "I-PROJECT", ...)``: tag id ``1 + 2k`` is ``B-`` of label ``k``."""
        return ("O",) + tuple(f"{p}-{label}" for label in self.entity_labels for p in ("B", "I"))

    def relation_for(self, head_label: str, tail_label: str) -> str | None:
        """The relation label a (head, tail) pair of these entity labels may carry, or None."""
        if head_label != HEAD_LABEL:
            return None
        for relation, tail in self.relation_tail.items():
            if tail == tail_label:
                return relation
        return None

    def to_dict(self) -> dict:
        return {"entity_labels": list(self.entity_labels), "relation_labels": list(self.relation_labels),
                "relation_tail": dict(self.relation_tail), "separated_labels": list(self.separated_labels)}

    @classmethod
    def from_dict(cls, data: dict) -> "LabelSchema":
        entity_labels = tuple(data["entity_labels"])
        separated = data.get("separated_labels", [label for label in SEPARATED_LABELS if label in entity_labels])
        return cls(entity_labels, tuple(data["relation_labels"]), dict(data["relation_tail"]), tuple(separated))

    @property
    def separated_ids(self) -> tuple[int, ...]:
        """Indices into ``entity_labels`` of the separated labels."""
        return tuple(self.entity_labels.index(label) for label in self.separated_labels if label in self.entity_labels)


DEFAULT_SCHEMA = LabelSchema()


def check_entity_label(label: str) -> str:
    if label not in ENTITY_LABELS:
        raise ValueError(f"unknown entity label {label!r}; allowed: {', '.join(ENTITY_LABELS)}")
    return label


def check_relation(label: str, head_label: str, tail_label: str) -> None:
    """Raise ValueError unless ``label`` may join a ``head_label`` span to a ``tail_label`` span."""
    if label not in RELATION_TAIL:
        raise ValueError(f"unknown relation label {label!r}; allowed: {', '.join(RELATION_LABELS)}")
    expected = RELATION_TAIL[label]
    if head_label != HEAD_LABEL or tail_label != expected:
        raise ValueError(f"relation {label} goes from {HEAD_LABEL} to {expected}, "
                         f"not from {head_label} to {tail_label}")
