"""Where a model's dev errors are: span errors by kind, label mix-ups by overlap, and the relation head
measured only where both ends of a relation were found.

Span errors are classified by overlap, not only by exact offsets:

* **boundary**: the gold span is not predicted exactly, but a predicted span of the same label overlaps it;
* **confused**: only predicted spans of other labels overlap it (``overlaps`` counts which labels);
* **missed**: no predicted span overlaps it;
* **spurious**: a predicted span that overlaps no gold span at all.

A predicted span that overlaps gold spans of other labels only is counted in ``overlaps`` from the
predicted side (``predicted_overlaps``), e.g. a predicted PROJECT lying on a gold LOC.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from zhinvest.annotation import AnnotatedDocument
from zhinvest.evaluation import gold_sets, predicted_sets
from zhinvest.types import Extraction

SpanKey = tuple[int, int, str]
ERROR_KINDS = ("boundary", "confused", "missed", "spurious")


@dataclass
class ErrorAnalysis:
    """Counts over a set of documents; see the module docstring for the definitions."""

    span_errors: Counter = field(default_factory=Counter)  # (label, kind) → count
    gold_overlaps: Counter = field(default_factory=Counter)  # (gold label, predicted label) for "confused"
    predicted_overlaps: Counter = field(default_factory=Counter)  # (predicted label, gold label)
    gold_relations: int = 0
    gold_relations_with_both_ends: int = 0  # both gold ends predicted exactly
    found_among_both_ends: int = 0  # ... and the relation predicted
    predicted_relations_on_gold_ends: int = 0  # both predicted ends are gold spans
    correct_among_gold_ends: int = 0  # ... and the relation is gold

    @property
    def head_recall(self) -> float:
        """Relation recall where both gold ends were found: the relation head's own share."""
        return _ratio(self.found_among_both_ends, self.gold_relations_with_both_ends)

    @property
    def head_precision(self) -> float:
        """Relation precision among predictions whose two ends are gold spans."""
        return _ratio(self.correct_among_gold_ends, self.predicted_relations_on_gold_ends)

    def to_dict(self) -> dict:
        return {"span_errors": {f"{label} {kind}": n for (label, kind), n in sorted(self.span_errors.items())},
                "gold_overlaps": {f"{g} as {p}": n for (g, p), n in sorted(self.gold_overlaps.items())},
                "predicted_overlaps": {f"{p} on {g}": n for (p, g), n in sorted(self.predicted_overlaps.items())},
                "gold_relations": self.gold_relations,
                "gold_relations_with_both_ends": self.gold_relations_with_both_ends,
                "found_among_both_ends": self.found_among_both_ends,
                "predicted_relations_on_gold_ends": self.predicted_relations_on_gold_ends,
                "correct_among_gold_ends": self.correct_among_gold_ends,
                "head_recall": round(self.head_recall, 4), "head_precision": round(self.head_precision, 4)}

    def markdown(self, labels: Sequence[str]) -> list[str]:
        lines = ["| entity | " + " | ".join(ERROR_KINDS) + " |", "|---" * (len(ERROR_KINDS) + 1) + "|"]
        for label in labels:
            lines.append(f"| {label} | " + " | ".join(str(self.span_errors[label, k]) for k in ERROR_KINDS) + " |")
        confused = ", ".join(f"gold {g} found only as {p} {n}" for (g, p), n in self.gold_overlaps.most_common(4))
        lying = ", ".join(f"predicted {p} on gold {g} {n}" for (p, g), n in self.predicted_overlaps.most_common(4))
        lines += ["", f"Most frequent label mix-ups by overlap: {confused or 'none'}; {lying or 'none'}.", "",
                  f"Relations: {self.gold_relations_with_both_ends} of {self.gold_relations} gold relations have "
                  f"both ends predicted exactly; there the relation head has recall {self.head_recall:.3f} and "
                  f"precision {self.head_precision:.3f} (predictions between two gold spans: "
                  f"{self.predicted_relations_on_gold_ends})."]
        return lines


def analyse(gold: Sequence[AnnotatedDocument], predicted: Iterable[Extraction]) -> ErrorAnalysis:
    analysis = ErrorAnalysis()
    for doc, extraction in zip(gold, predicted, strict=True):
        gold_spans, gold_relations, _ = gold_sets(doc)
        pred_spans, pred_relations, _ = predicted_sets(extraction)
        _span_errors(analysis, gold_spans, pred_spans)
        _relation_errors(analysis, gold_spans, gold_relations, pred_spans, pred_relations)
    return analysis


def _overlapping(span: SpanKey, others: set[SpanKey]) -> list[SpanKey]:
    start, end, _ = span
    return [o for o in others if o[0] < end and o[1] > start]


def _span_errors(analysis: ErrorAnalysis, gold: set[SpanKey], predicted: set[SpanKey]) -> None:
    for span in gold - predicted:
        labels = {o[2] for o in _overlapping(span, predicted)}
        if not labels:
            analysis.span_errors[span[2], "missed"] += 1
        elif span[2] in labels:
            analysis.span_errors[span[2], "boundary"] += 1
        else:
            analysis.span_errors[span[2], "confused"] += 1
            for other in labels:
                analysis.gold_overlaps[span[2], other] += 1
    for span in predicted - gold:
        labels = {o[2] for o in _overlapping(span, gold)}
        if not labels:
            analysis.span_errors[span[2], "spurious"] += 1
        elif span[2] not in labels:
            for other in labels:
                analysis.predicted_overlaps[span[2], other] += 1


def _relation_errors(analysis: ErrorAnalysis, gold_spans: set, gold_relations: set,
                     pred_spans: set, pred_relations: set) -> None:
    analysis.gold_relations += len(gold_relations)
    for relation in gold_relations:
        if relation[0] in pred_spans and relation[1] in pred_spans:
            analysis.gold_relations_with_both_ends += 1
            analysis.found_among_both_ends += relation in pred_relations
    for relation in pred_relations:
        if relation[0] in gold_spans and relation[1] in gold_spans:
            analysis.predicted_relations_on_gold_ends += 1
            analysis.correct_among_gold_ends += relation in gold_relations


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0
