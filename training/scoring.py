"""Run an extractor over gold documents and score it (shared by training and evaluation)."""

from __future__ import annotations

from zhinvest.annotation import AnnotatedDocument
from zhinvest.evaluation import Report, evaluate
from zhinvest.extractor import Extractor


def evaluate_model(extractor: Extractor, documents: list[AnnotatedDocument], batch_size: int = 16) -> Report:
    schema = extractor.settings.schema
    predictions = extractor.pipe([d.text for d in documents], [d.doc_date for d in documents], batch_size=batch_size)
    return evaluate(documents, predictions, schema.entity_labels, schema.relation_labels)
