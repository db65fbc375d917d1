"""Entity and relation precision / recall / F1 against gold annotations.

* entities: strict span match (same start, end and label);
* relations: the head span, the tail span and the label all match;
* triples: distinct ``(project text, relation, tail text)`` per document, so a
  project mentioned twice counts once and an exact offset is not required.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .annotation import AnnotatedDocument
from .projects import project_key
from .types import Extraction


@dataclass
class Score:
    true_positives: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, predicted: set, gold: set) -> None:
        self.true_positives += len(predicted & gold)
        self.predicted += len(predicted)
        self.gold += len(gold)

    def to_dict(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.true_positives, "predicted": self.predicted, "gold": self.gold}


@dataclass
class Report:
    entities: dict[str, Score] = field(default_factory=dict)  # per label, plus "micro"
    relations: dict[str, Score] = field(default_factory=dict)  # per label, plus "micro"
    triples: Score = field(default_factory=Score)
    documents: int = 0
    confusion: Counter = field(default_factory=Counter)  # (gold label or "-", predicted label or "-") by span

    def to_dict(self) -> dict:
        return {"documents": self.documents,
                "entities": {k: v.to_dict() for k, v in self.entities.items()},
                "relations": {k: v.to_dict() for k, v in self.relations.items()},
                "triples": self.triples.to_dict()}


def gold_sets(doc: AnnotatedDocument) -> tuple[set, set, set]:
    """(spans, relations, triples) of a gold document, in the form the scores compare."""
    by_id = doc.span_by_id()
    return _sets(doc.spans, [(by_id[r.head], by_id[r.tail], r.label) for r in doc.relations])


def predicted_sets(extraction: Extraction) -> tuple[set, set, set]:
    """(spans, relations, triples) of a prediction, in the same form as ``gold_sets``."""
    ents = extraction.entities
    return _sets(ents, [(ents[r.head], ents[r.tail], r.label) for r in extraction.relations])


def _sets(spans, linked) -> tuple[set, set, set]:
    """Anything with ``start``, ``end``, ``label`` and ``text`` works as a span."""
    span_set = {(s.start, s.end, s.label) for s in spans}
    relations = {((h.start, h.end, h.label), (t.start, t.end, t.label), label) for h, t, label in linked}
    triples = {(project_key(h.text), label, project_key(t.text)) for h, t, label in linked}
    return span_set, relations, triples


def evaluate(gold: Sequence[AnnotatedDocument], predicted: Iterable[Extraction],
             entity_labels: Sequence[str], relation_labels: Sequence[str]) -> Report:
    report = Report()
    report.entities = {label: Score() for label in (*entity_labels, "micro")}
    report.relations = {label: Score() for label in (*relation_labels, "micro")}
    for doc, extraction in zip(gold, predicted, strict=True):
        if extraction.text != doc.text:
            raise ValueError(f"{doc.id}: the prediction was made on a different text")
        report.documents += 1
        gold_spans, gold_relations, gold_triples = gold_sets(doc)
        pred_spans, pred_relations, pred_triples = predicted_sets(extraction)
        for label in entity_labels:
            report.entities[label].add({s for s in pred_spans if s[2] == label}, {s for s in gold_spans if s[2] == label})
        report.entities["micro"].add(pred_spans, gold_spans)
        for label in relation_labels:
            report.relations[label].add({r for r in pred_relations if r[2] == label},
                                        {r for r in gold_relations if r[2] == label})
        report.relations["micro"].add(pred_relations, gold_relations)
        report.triples.add(pred_triples, gold_triples)
        _confuse(report.confusion, gold_spans, pred_spans)
    return report


def _confuse(confusion: Counter, gold: set, predicted: set) -> None:
    """Pair each gold span with a predicted span at the same offsets (label errors), else with "-"."""
    by_offsets = {(s, e): label for s, e, label in predicted}
    matched = set()
    for start, end, label in gold:
        other = by_offsets.get((start, end))
        confusion[label, other or "-"] += 1
        if other:
            matched.add((start, end))
    for start, end, label in predicted:
        if (start, end) not in matched:
            confusion["-", label] += 1


def bio_sequence(length: int, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags over ``length`` characters, for seqeval."""
    tags = ["O"] * length
    for start, end, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags
