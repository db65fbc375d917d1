"""Annotated documents and the stand-off annotation store.

The store keeps one JSON file per article: its name, the SHA-256 of its text,
spans (id, label, offsets, surface text) and relations by span id.  The text
itself lives in a separate corpus folder and is joined at load time, so the
store never contains the (third-party) article text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .schema import RELATION_TAIL, check_entity_label, check_relation


@dataclass(frozen=True)
class GoldSpan:
    id: str
    label: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class GoldRelation:
    label: str
    head: str  # span id
    tail: str  # span id


@dataclass(frozen=True)
class AnnotatedDocument:
    """An article with its gold spans and relations; offsets index ``text``."""

    id: str
    text: str
    spans: tuple[GoldSpan, ...] = ()
    relations: tuple[GoldRelation, ...] = ()
    doc_date: str | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def span_by_id(self) -> dict[str, GoldSpan]:
        return {s.id: s for s in self.spans}


class AnnotationError(ValueError):
    """An annotation that does not fit its text or the label schema."""


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate(doc: AnnotatedDocument) -> AnnotatedDocument:
    """Check offsets, surface texts, overlaps and relation types; raise AnnotationError naming the culprit."""
    seen: dict[str, GoldSpan] = {}
    previous_end, previous_id = 0, None
    for span in sorted(doc.spans, key=lambda s: (s.start, s.end)):
        try:
            check_entity_label(span.label)
        except ValueError as error:
            raise AnnotationError(f"{doc.id}: span {span.id}: {error}") from None
        if not 0 <= span.start < span.end <= len(doc.text):
            raise AnnotationError(f"{doc.id}: span {span.id} has offsets {span.start}:{span.end} "
                                  f"outside a text of {len(doc.text)} characters")
        if doc.text[span.start:span.end] != span.text:
            raise AnnotationError(f"{doc.id}: span {span.id} says {span.text!r} but the text at "
                                  f"{span.start}:{span.end} is {doc.text[span.start:span.end]!r}")
        if previous_id is not None and span.start < previous_end:
            raise AnnotationError(f"{doc.id}: spans {previous_id} and {span.id} overlap")
        if span.id in seen:
            raise AnnotationError(f"{doc.id}: span id {span.id} is used twice")
        seen[span.id] = span
        previous_end, previous_id = span.end, span.id
    for relation in doc.relations:
        if relation.head not in seen or relation.tail not in seen:
            raise AnnotationError(f"{doc.id}: relation {relation.label} {relation.head}→{relation.tail} "
                                  "names a span that does not exist")
        try:
            check_relation(relation.label, seen[relation.head].label, seen[relation.tail].label)
        except ValueError as error:
            raise AnnotationError(f"{doc.id}: relation {relation.head}→{relation.tail}: {error}") from None
    return doc


def record_to_document(record: dict, text: str) -> AnnotatedDocument:
    """Join one stand-off record with its article text, checking the text hash first."""
    name = record["article"]
    if text_sha256(text) != record["sha256"]:
        raise AnnotationError(f"{name}: the article text does not match the annotation's sha256 "
                              "(the text changed since it was annotated)")
    spans = tuple(GoldSpan(s["id"], s["label"], s["start"], s["end"], stored_surface(s, text, name))
                  for s in record["spans"])
    relations = tuple(GoldRelation(r["label"], r["head"], r["tail"]) for r in record["relations"])
    return validate(AnnotatedDocument(name, text, spans, relations, record.get("doc_date")))


#: longer span surfaces are stored as a hash only, so that records never carry long runs of article text
MAX_STORED_SURFACE = 20


def span_record(span_id: str, label: str, start: int, end: int, surface: str) -> dict:
    """One span as stored: its surface text when short, else the SHA-256 of the surface."""
    record = {"id": span_id, "label": label, "start": start, "end": end}
    if len(surface) <= MAX_STORED_SURFACE:
        record["text"] = surface
    else:
        record["text_sha256"] = text_sha256(surface)
    return record


def stored_surface(span: dict, text: str, name: str) -> str:
    """The surface a stored span claims: its ``text``, or the article slice checked against ``text_sha256``."""
    if "text" in span:
        return span["text"]
    surface = text[span["start"]:span["end"]]
    if text_sha256(surface) != span.get("text_sha256"):
        raise AnnotationError(f"{name}: span {span['id']} at {span['start']}:{span['end']} does not match its hash")
    return surface


def document_to_record(doc: AnnotatedDocument) -> dict:
    """The stand-off form of a document: everything but the text."""
    validate(doc)
    record = {"article": doc.id, "sha256": text_sha256(doc.text),
              "spans": [span_record(s.id, s.label, s.start, s.end, s.text)
                        for s in sorted(doc.spans, key=lambda s: s.start)],
              "relations": [{"label": r.label, "head": r.head, "tail": r.tail} for r in doc.relations]}
    if doc.doc_date:
        record["doc_date"] = doc.doc_date
    return record


def load_store(store: str | Path, corpus: str | Path | Sequence[str | Path], ids: list[str] | None = None
               ) -> list[AnnotatedDocument]:
    """Load stand-off annotations from ``store`` joined with texts from ``corpus``.

    ``corpus`` is one folder of article texts or several (a list, or paths joined with ``os.pathsep``);
    each record's article is read from the first folder that holds it.
    ``ids`` restricts loading to those article names (e.g. ``"0001.txt"``).
    Article dates are taken from the corpus folders' ``index.jsonl`` when present.
    """
    store, folders = Path(store), corpus_folders(corpus)
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise FileNotFoundError(f"article corpus folder {', '.join(missing)} does not exist")
    dates: dict[str, str] = {}
    for folder in reversed(folders):
        dates.update(_index_dates(folder / "index.jsonl"))
    wanted = None if ids is None else set(ids)
    documents = []
    for path in sorted(store.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if wanted is not None and record["article"] not in wanted:
            continue
        text_path = next((f / record["article"] for f in folders if (f / record["article"]).is_file()), None)
        if text_path is None:
            raise AnnotationError(f"{record['article']}: no such article in {', '.join(map(str, folders))}")
        doc = record_to_document(record, text_path.read_text(encoding="utf-8"))
        if doc.doc_date is None and dates.get(doc.id):
            doc = AnnotatedDocument(doc.id, doc.text, doc.spans, doc.relations, dates[doc.id])
        documents.append(doc)
    return documents


def corpus_folders(corpus: str | Path | Sequence[str | Path]) -> list[Path]:
    """``"a:b"``, ``Path("a")`` or ``["a", "b"]`` → the list of folders."""
    if isinstance(corpus, (str, Path)):
        return [Path(part) for part in str(corpus).split(os.pathsep) if part]
    return [Path(part) for part in corpus]


def save_document(doc: AnnotatedDocument, store: str | Path) -> Path:
    """Write one document's stand-off record to ``store/<article stem>.json``."""
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    path = store / (Path(doc.id).stem + ".json")
    path.write_text(json.dumps(document_to_record(doc), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _index_dates(index: Path) -> dict[str, str]:
    if not index.is_file():
        return {}
    rows = (json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip())
    # only full dates: a month-only date cannot anchor "昨日" or "3月9日"
    return {row["file"]: row["date"] for row in rows if re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.get("date") or "")}


__all__ = ["AnnotatedDocument", "AnnotationError", "GoldRelation", "GoldSpan", "RELATION_TAIL",
           "document_to_record", "load_store", "span_record", "record_to_document", "save_document", "text_sha256", "validate"]
