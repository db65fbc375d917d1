"""Label Studio full JSON exports ⇄ annotated documents and pre-annotation tasks. No network here.

An export is a list of tasks, each with ``data.text`` (and ``data.article``, the
article file name, when the task came from ``zhinvest``) and ``annotations[].result[]``:
``labels`` items (``id``, ``value.start/end/text/labels``) and ``relation`` items
(``from_id``, ``to_id``, ``labels``, ``direction``).

Of a task's annotations, the latest one (by ``updated_at``, then ``created_at``,
then id) that was not cancelled is used; the others are counted as ignored.
Offsets are checked against the text.  Label Studio sometimes counts offsets in
UTF-16 code units (label-studio issues #1347, #4988), which shifts every span
after an emoji or a CJK Extension B character such as 𠮷; such a span is repaired
when its converted offsets match ``value.text`` exactly, and anything else is an
error naming the task and the span.  Nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from .annotation import AnnotatedDocument, AnnotationError, GoldRelation, GoldSpan, validate
from .schema import check_relation
from .types import Extraction

FROM_NAME, TO_NAME = "label", "text"
DIRECTIONS = ("right", "left", "bi")


@dataclass(frozen=True)
class ImportReport:
    """What was read from an export.

    The counts reconcile with the export: ``tasks == len(documents) + len(unannotated)``,
    ``annotations == len(documents) + ignored_annotations``, and ``spans`` / ``relations``
    are the ``labels`` / ``relation`` items of the annotations used, all of them kept.
    """

    documents: tuple[AnnotatedDocument, ...]
    tasks: int
    annotations: int
    ignored_annotations: int  # cancelled, or superseded by a later annotation of the same task
    spans: int
    relations: int
    unannotated: tuple[str, ...]  # ids of tasks without a usable annotation
    repaired: tuple[str, ...]  # "<document id>/<span id>" whose UTF-16 offsets were converted


def utf16_to_codepoint(text: str, offset: int) -> int | None:
    """The code-point index at UTF-16 code-unit ``offset``, or None if it falls inside a character.

    >>> utf16_to_codepoint("😀跨境", 2), utf16_to_codepoint("😀跨境", 1)
    (1, None)
    """
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def read_export(tasks: Sequence[dict]) -> ImportReport:
    """Annotated documents from a full JSON export; raises AnnotationError on anything that does not fit."""
    documents, unannotated, repaired = [], [], []
    seen: dict[str, str] = {}  # document id → where it came from
    annotations = ignored = spans = relations = 0
    for task in tasks:
        where, doc_id, text, data = _task_identity(task)
        listed = task.get("annotations") or []
        annotations += len(listed)
        annotation = _chosen_annotation(where, listed)
        if annotation is None:
            ignored += len(listed)
            unannotated.append(doc_id)
            continue
        ignored += len(listed) - 1
        if doc_id in seen:
            raise AnnotationError(f"{where} and {seen[doc_id]} are both annotated copies of article {doc_id}; "
                                  "delete or cancel one of them in Label Studio")
        seen[doc_id] = where
        document = _document(where, doc_id, text, data, annotation.get("result") or [], repaired)
        documents.append(document)
        spans += len(document.spans)
        relations += len(document.relations)
    return ImportReport(tuple(documents), len(tasks), annotations, ignored, spans, relations,
                        tuple(unannotated), tuple(repaired))


def _task_identity(task: dict) -> tuple[str, str, str, dict]:
    data = task.get("data")
    if not isinstance(data, dict):
        raise AnnotationError(f"task {task.get('id')!r} has no data object")
    article, task_id = data.get("article"), task.get("id")
    if not article and task_id is None:
        raise AnnotationError(f"a task has neither data.article nor an id: {str(data)[:80]!r}")
    doc_id = str(article or task_id)
    where = f"task {task_id}" + (f" ({article})" if article else "")
    if not isinstance(data.get("text"), str):
        raise AnnotationError(f"{where}: data.text is missing or not a string")
    return where, doc_id, data["text"], data


def _chosen_annotation(where: str, listed: list[dict]) -> dict | None:
    usable = [a for a in listed if not a.get("was_cancelled")]
    if not usable:
        return None
    return max(usable, key=lambda a: (_timestamp(where, a), a.get("id") or 0))


def _timestamp(where: str, annotation: dict) -> datetime:
    stamp = annotation.get("updated_at") or annotation.get("created_at")
    if not stamp:
        return datetime.min.replace(tzinfo=timezone.utc)
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        raise AnnotationError(f"{where}: annotation {annotation.get('id')} has an unreadable time {stamp!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _document(where: str, doc_id: str, text: str, data: dict, result: list[dict], repaired: list) -> AnnotatedDocument:
    spans, relation_items = [], []
    for item in result:
        kind = item.get("type")
        if kind == "labels":
            span, was_repaired = _span(where, text, item)
            spans.append(span)
            if was_repaired:
                repaired.append(f"{doc_id}/{span.id}")
        elif kind == "relation":
            relation_items.append(item)
        else:
            raise AnnotationError(f"{where}: result item {item.get('id')!r} has type {kind!r}; "
                                  "only labels and relation are expected with this labeling config")
    by_id = {span.id: span for span in spans}
    relations = tuple(_relation(where, item, by_id) for item in relation_items)
    document = AnnotatedDocument(doc_id, text, tuple(spans), relations, data.get("doc_date") or None)
    try:
        return validate(document)
    except AnnotationError as error:  # overlapping or doubly used spans, unknown labels
        raise AnnotationError(f"{where}: {str(error).removeprefix(doc_id + ': ')}") from None


def _span(where: str, text: str, item: dict) -> tuple[GoldSpan, bool]:
    value = item.get("value") or {}
    name = item.get("id")
    labels = value.get("labels") or []
    if len(labels) != 1:
        raise AnnotationError(f"{where}: span {name} has labels {labels}; exactly one is needed")
    start, end, surface = value.get("start"), value.get("end"), value.get("text")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)) or not isinstance(surface, str):
        raise AnnotationError(f"{where}: span {name} needs integer start/end and a text, got {value}")
    if start >= end or not surface:
        raise AnnotationError(f"{where}: span {name} is empty ({start}:{end}, {surface!r})")
    was_repaired = False
    if not 0 <= start < end <= len(text) or text[start:end] != surface:
        fixed_start, fixed_end = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
        if fixed_start is None or fixed_end is None or text[fixed_start:fixed_end] != surface:
            raise AnnotationError(f"{where}: span {name} {labels[0]} {surface!r} does not match the text at "
                                  f"{start}:{end} ({text[start:end]!r}), neither as code-point nor as "
                                  "UTF-16 offsets; fix the region in Label Studio")
        start, end, was_repaired = fixed_start, fixed_end, True
    # a region without an id cannot be the end of a relation; its offsets make a stable id
    span_id = str(name) if name not in (None, "") else f"span-{start}-{end}"
    return GoldSpan(span_id, labels[0], start, end, surface), was_repaired


def _relation(where: str, item: dict, spans: dict[str, GoldSpan]) -> GoldRelation:
    source, target, direction = item.get("from_id"), item.get("to_id"), item.get("direction") or "right"
    labels = item.get("labels") or []
    name = f"relation {labels[0] + ' ' if len(labels) == 1 else ''}{source}→{target}"
    if len(labels) != 1:
        raise AnnotationError(f"{where}: {name} has labels {labels}; exactly one of 投资额, 时间, 投资方, 地点 is needed")
    if direction not in DIRECTIONS:
        raise AnnotationError(f"{where}: {name} has direction {direction!r}; allowed: {', '.join(DIRECTIONS)}")
    if direction == "bi":
        raise AnnotationError(f"{where}: {name} is bidirectional; a relation goes from a PROJECT to its tail")
    head, tail = (str(target), str(source)) if direction == "left" else (str(source), str(target))
    missing = [end for end in (head, tail) if end not in spans]
    if missing:
        raise AnnotationError(f"{where}: {name} names span(s) {', '.join(missing)} that the annotation lacks")
    try:
        check_relation(labels[0], spans[head].label, spans[tail].label)
    except ValueError as error:
        raise AnnotationError(f"{where}: {name} ({spans[head].text!r} → {spans[tail].text!r}): {error}") from None
    return GoldRelation(labels[0], head, tail)


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


def _data(article: str, text: str, doc_date: str | None) -> dict:
    return {"text": text, "article": article, **({"doc_date": doc_date} if doc_date else {})}


def document_to_task(doc: AnnotatedDocument, *, model_version: str | None = None, score: float = 1.0) -> dict:
    """A task holding the document's spans: as an annotation, or with ``model_version`` as a prediction.

    ``read_export`` of the annotation form gives ``doc`` back exactly.
    """
    validate(doc)
    items = _result_items(((s.id, s.label, s.start, s.end, s.text, None) for s in doc.spans),
                          ((r.head, r.tail, r.label) for r in doc.relations))
    task = {"data": _data(doc.id, doc.text, doc.doc_date)}
    if model_version is None:
        task["annotations"] = [{"result": items}]
    else:
        task["predictions"] = [{"model_version": model_version, "score": score, "result": items}]
    return task


def prediction_task(article: str, extraction: Extraction, model_version: str) -> dict:
    """A task for ``article`` with the model's extraction as a pre-annotation.

    Each region keeps its entity score; the prediction's score is the mean entity
    score (0.0 without entities), so sorting by it brings the least certain tasks first.
    """
    text = extraction.text
    for index, entity in enumerate(extraction.entities):
        if text[entity.start:entity.end] != entity.text or entity.start >= entity.end:
            raise ValueError(f"{article}: entity {index} {entity.label} {entity.text!r} does not match the text "
                             f"at {entity.start}:{entity.end} ({text[entity.start:entity.end]!r})")
    for relation in extraction.relations:
        if not (0 <= relation.head < len(extraction.entities) and 0 <= relation.tail < len(extraction.entities)):
            raise ValueError(f"{article}: relation {relation.label} {relation.head}→{relation.tail} points "
                             f"outside the {len(extraction.entities)} entities")
    ids = [f"e{index}" for index in range(len(extraction.entities))]
    items = _result_items(((ids[i], e.label, e.start, e.end, e.text, e.score) for i, e in enumerate(extraction.entities)),
                          ((ids[r.head], ids[r.tail], r.label) for r in extraction.relations))
    scores = [float(e.score) for e in extraction.entities]
    score = round(sum(scores) / len(scores), 4) if scores else 0.0
    return {"data": _data(article, text, extraction.doc_date),
            "predictions": [{"model_version": model_version, "score": score, "result": items}]}


def prediction_tasks(named: Iterable[tuple[str, Extraction]], model_version: str) -> list[dict]:
    """``prediction_task`` over ``(article, extraction)`` pairs; an article named twice is an error."""
    tasks, seen = [], set()
    for article, extraction in named:
        if article in seen:
            raise ValueError(f"article {article!r} is given twice; article names identify tasks")
        seen.add(article)
        tasks.append(prediction_task(article, extraction, model_version))
    return tasks


__all__ = ["ImportReport", "document_to_task", "prediction_task", "prediction_tasks", "read_export",
           "utf16_to_codepoint"]
