"""Mention replacement: training copies of articles whose names are swapped for other names.

A model trained on a few hundred articles learns the project and company names it saw more
than the contexts that mark a name (总投资…的___项目开工, ___与___签约).  Each epoch, every distinct
name of a replaceable label in an article is swapped, with some probability, for a name of the
same label drawn from the whole training split; offsets and relations are carried over, so the
copy is a valid annotated document.
"""

from __future__ import annotations

import random
from dataclasses import replace

from zhinvest.annotation import AnnotatedDocument, GoldSpan


def mention_pool(documents: list[AnnotatedDocument], labels: tuple[str, ...]) -> dict[str, list[str]]:
    """Distinct surface texts of each label in ``labels``, sorted (a deterministic draw needs a fixed order)."""
    pool: dict[str, set[str]] = {label: set() for label in labels}
    for doc in documents:
        for span in doc.spans:
            if span.label in pool:
                pool[span.label].add(doc.text[span.start:span.end])
    return {label: sorted(texts) for label, texts in pool.items()}


def replace_mentions(doc: AnnotatedDocument, pool: dict[str, list[str]], probability: float,
                     rng: random.Random) -> AnnotatedDocument:
    """``doc`` with each distinct name of a pooled label replaced with ``probability`` (the same name
    always by the same replacement); every other span keeps its text and moves with the edits.
    Articles with overlapping spans (which the guide forbids) are returned unchanged."""
    ordered = sorted(doc.spans, key=lambda s: s.start)
    if any(a.end > b.start for a, b in zip(ordered, ordered[1:])):
        return doc
    decided: dict[tuple[str, str], str] = {}
    for span in ordered:
        key = (span.label, doc.text[span.start:span.end])
        if span.label in pool and key not in decided:
            others = [t for t in pool[span.label] if t != key[1]]
            decided[key] = rng.choice(others) if others and rng.random() < probability else key[1]
    choices = {key: text for key, text in decided.items() if text != key[1]}
    if not choices:
        return doc

    pieces, spans, cursor, shift = [], [], 0, 0
    for span in ordered:
        text = doc.text[span.start:span.end]
        new_text = choices.get((span.label, text), text)
        pieces += [doc.text[cursor:span.start], new_text]
        cursor = span.end
        start = span.start + shift
        spans.append(GoldSpan(span.id, span.label, start, start + len(new_text), new_text))
        shift += len(new_text) - len(text)
    pieces.append(doc.text[cursor:])
    return replace(doc, text="".join(pieces), spans=tuple(spans))
