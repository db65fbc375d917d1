"""Label Studio full JSON exports ⇄ annotated documents and pre-annotation tasks. No network here.

An export is a list of tasks, each with ``data.text`` and ``annotations[].result[]``:
``labels`` items (``id``, ``value.start/end/text/labels``) and ``relation`` items
(``from_id``, ``to_id``, ``labels``, ``direction``).  Of a task's annotations the
latest one that was not cancelled is used.  Offsets are validated against the text;
the known UTF-16 offset shift around astral characters (emoji, CJK Extension B) is
repaired when that makes the span match, and anything else is an error naming the
task and the span.  Nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .annotation import AnnotatedDocument, AnnotationError, GoldRelation, GoldSpan, validate
from .types import Extraction

FROM_NAME, TO_NAME = "label", "text"


@dataclass
class ImportReport:
    """What was read from an export; the counts reconcile with the export's items."""

    documents: list[AnnotatedDocument] = field(default_factory=list)
    tasks: int = 0
    tasks_without_annotation: list[str] = field(default_factory=list)
    spans: int = 0
    relations: int = 0
    repaired: list[str] = field(default_factory=list)  # "task/span" ids whose offsets were repaired


def utf16_to_codepoint(text: str, offset: int) -> int | None:
    """The code-point index at UTF-16 code-unit ``offset``, or None if it falls inside a character."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def _span(task_name: str, text: str, item: dict, report: ImportReport) -> GoldSpan:
    value = item.get("value", {})
    labels = value.get("labels") or []
    if len(labels) != 1:
        raise AnnotationError(f"task {task_name}: span {item.get('id')} has labels {labels}; exactly one is needed")
    start, end, surface = value.get("start"), value.get("end"), value.get("text")
    if not isinstance(start, int) or not isinstance(end, int) or surface is None:
        raise AnnotationError(f"task {task_name}: span {item.get('id')} lacks integer start/end or text: {value}")
    if text[start:end] != surface:
        fixed_start, fixed_end = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
        if fixed_start is None or fixed_end is None or text[fixed_start:fixed_end] != surface:
            raise AnnotationError(f"task {task_name}: span {item.get('id')} {surface!r} does not match the text at "
                                  f"{start}:{end} ({text[start:end]!r}), nor as UTF-16 offsets")
        report.repaired.append(f"{task_name}/{item.get('id')}")
        start, end = fixed_start, fixed_end
    return GoldSpan(str(item["id"]), labels[0], start, end, surface)


def _chosen_annotation(task: dict) -> dict | None:
    candidates = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    if not candidates:
        return None
    return max(candidates, key=lambda a: (a.get("updated_at") or a.get("created_at") or "", a.get("id") or 0))


def read_export(tasks: Sequence[dict]) -> ImportReport:
    """Annotated documents from a full JSON export; raises AnnotationError on anything that does not fit."""
    report = ImportReport()
    for task in tasks:
        data = task.get("data", {})
        name = str(data.get("article") or task.get("id"))
        text = data.get("text")
        if not isinstance(text, str):
            raise AnnotationError(f"task {name}: data.text is missing or not a string")
        report.tasks += 1
        annotation = _chosen_annotation(task)
        if annotation is None:
            report.tasks_without_annotation.append(name)
            continue
        spans, relations = [], []
        for item in annotation.get("result", []):
            kind = item.get("type")
            if kind == "labels":
                spans.append(_span(name, text, item, report))
            elif kind == "relation":
                labels = item.get("labels") or []
                if len(labels) != 1:
                    raise AnnotationError(f"task {name}: relation {item.get('from_id')}→{item.get('to_id')} has "
                                          f"labels {labels}; exactly one is needed")
                head, tail = str(item["from_id"]), str(item["to_id"])
                if item.get("direction") == "left":
                    head, tail = tail, head
                elif item.get("direction") == "bi":
                    raise AnnotationError(f"task {name}: relation {head}↔{tail} is bidirectional; "
                                          "relations go from a PROJECT to its tail")
                relations.append(GoldRelation(labels[0], head, tail))
            else:
                raise AnnotationError(f"task {name}: result item of type {kind!r} is not labels or relation")
        document = validate(AnnotatedDocument(name, text, tuple(spans), tuple(relations),
                                              data.get("doc_date") or None))
        report.documents.append(document)
        report.spans += len(spans)
        report.relations += len(relations)
    return report


def _result_items(spans: Iterable[tuple[str, str, int, int, str, float | None]],
                  relations: Iterable[tuple[str, str, str]]) -> list[dict]:
    items = []
    for span_id, label, start, end, text, score in spans:
        item = {"id": span_id, "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
                "value": {"start": start, "end": end, "text": text, "labels": [label]}}
        if score is not None:
            item["score"] = round(float(score), 4)
        items.append(item)
    items += [{"type": "relation", "from_id": head, "to_id": tail, "direction": "right", "labels": [label]}
              for head, tail, label in relations]
    return items


def document_to_task(doc: AnnotatedDocument, as_prediction: str | None = None) -> dict:
    """A task holding the document's spans as an annotation (or, with a model version, as a prediction)."""
    items = _result_items(((s.id, s.label, s.start, s.end, s.text, None) for s in doc.spans),
                          ((r.head, r.tail, r.label) for r in doc.relations))
    task = {"data": {"text": doc.text, "article": doc.id, **({"doc_date": doc.doc_date} if doc.doc_date else {})}}
    if as_prediction is None:
        task["annotations"] = [{"result": items}]
    else:
        task["predictions"] = [{"model_version": as_prediction, "result": items}]
    return task


def prediction_task(name: str, extraction: Extraction, model_version: str) -> dict:
    """A task for ``name`` with the model's extraction as a pre-annotation (scores included)."""
    ids = [f"e{index}" for index in range(len(extraction.entities))]
    items = _result_items(((ids[i], e.label, e.start, e.end, e.text, e.score) for i, e in enumerate(extraction.entities)),
                          ((ids[r.head], ids[r.tail], r.label) for r in extraction.relations))
    scores = [e.score for e in extraction.entities]
    data = {"text": extraction.text, "article": name}
    if extraction.doc_date:
        data["doc_date"] = extraction.doc_date
    return {"data": data, "predictions": [{"model_version": model_version, "result": items,
                                           "score": round(sum(scores) / len(scores), 4) if scores else 0.0}]}
