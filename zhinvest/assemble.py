"""The Python side: raw text → windows, and window outputs → one ``Extraction`` on the raw text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .inference import PairQuery, WindowInput, WindowOutput
from .modeling import ModelSettings
from .normalize import NormalizedText, normalize
from .projects import group_projects
from .relations import candidate_pairs
from .types import Entity, Extraction, Relation
from .values import parse_value
from .vocab import CharVocab
from .windows import Window, plan_windows

SpanKey = tuple[int, int, str]  # (start, end, label) in normalized coordinates


@dataclass(frozen=True)
class PreparedDocument:
    raw: str
    doc_date: dt.date | None
    normalized: NormalizedText
    ids: np.ndarray
    windows: tuple[Window, ...]

    def window_inputs(self) -> list[WindowInput]:
        return [WindowInput(self.ids[w.start:w.end]) for w in self.windows]


@dataclass
class MergedDocument:
    """Entities chosen across windows, and the best relation score seen for each pair."""

    spans: list[tuple[SpanKey, float]]
    pair_scores: dict[tuple[SpanKey, SpanKey], float]
    missing: list[tuple[SpanKey, SpanKey, int]]  # candidate pairs no window scored


def prepare(raw: str, doc_date: dt.date | None, settings: ModelSettings, vocab: CharVocab) -> PreparedDocument:
    normalized = normalize(raw, settings.normalizer)
    has_content = normalized.text.strip("\n") != ""
    windows = plan_windows(normalized.text, settings.max_chars, settings.overlap) if has_content else []
    return PreparedDocument(raw, doc_date, normalized, vocab.encode(normalized.text), tuple(windows))


def merge_windows(doc: PreparedDocument, outputs: list[WindowOutput], settings: ModelSettings) -> MergedDocument:
    """Keep each window's spans that start in its core; where kept spans overlap, the longer
    (then higher-scoring) one wins.  A pair's score comes from the window where it is most central."""
    labels = settings.schema.entity_labels
    proposals = []
    for window, output in zip(doc.windows, outputs):
        for span in output.spans:
            key = _doc_key(doc, window, span, labels)
            if key[0] < key[1] and window.core_start <= key[0] < window.core_end:
                proposals.append((key, span.score))
    taken = np.zeros(len(doc.normalized.text), dtype=bool)
    chosen = []
    for key, score in sorted(proposals, key=lambda p: (p[0][0] - p[0][1], -p[1], p[0][0])):
        if not taken[key[0]:key[1]].any():
            taken[key[0]:key[1]] = True
            chosen.append((key, score))
    chosen.sort(key=lambda item: item[0][0])

    best: dict[tuple[SpanKey, SpanKey], tuple[float, float]] = {}
    for window, output in zip(doc.windows, outputs):
        for head, tail, _, probability in output.relations:
            head_key = _doc_key(doc, window, output.spans[head], labels)
            tail_key = _doc_key(doc, window, output.spans[tail], labels)
            centrality = window.centrality((min(head_key[0], tail_key[0]) + max(head_key[1], tail_key[1])) / 2)
            if (head_key, tail_key) not in best or centrality > best[head_key, tail_key][0]:
                best[head_key, tail_key] = (centrality, probability)
    pair_scores = {pair: probability for pair, (_, probability) in best.items()}
    keys = [key for key, _ in chosen]
    missing = [(keys[h], keys[t], r) for h, t, r in candidate_pairs(keys, settings.schema, settings.max_pair_distance)
               if (keys[h], keys[t]) not in pair_scores]
    return MergedDocument(chosen, pair_scores, missing)


def extra_windows(doc: PreparedDocument, merged: MergedDocument, settings: ModelSettings
                  ) -> list[tuple[WindowInput, list[tuple[SpanKey, SpanKey]]]]:
    """Windows over candidate pairs that no planned window held together (long sentences).

    Pairs are taken in text order. A window reaches ``settings.overlap`` characters of context
    before its first pair and after its last one, and takes every following pair that keeps it
    within ``max_chars``: few, short extra windows per document.
    """
    n, size, context = len(doc.normalized.text), settings.max_chars, settings.overlap
    pending = sorted(((min(h[0], t[0]), max(h[1], t[1])), (h, t, r)) for h, t, r in merged.missing)
    groups: list[list] = []  # [start, end, pairs]
    for (low, high), pair in pending:
        if high - low > size:  # longer than any window: the pair cannot be read together
            continue
        if groups and low >= groups[-1][0] and high <= groups[-1][0] + size:
            group = groups[-1]
            group[1] = min(n, group[0] + size, max(group[1], high + context))
            group[2].append(pair)
            continue
        start = max(0, low - context, high - size)
        groups.append([start, min(n, start + size, high + context), [pair]])
    result = []
    for start, end, pairs in groups:
        queries: tuple[PairQuery, ...] = tuple((h[0] - start, h[1] - start, t[0] - start, t[1] - start, r)
                                               for h, t, r in pairs)
        result.append((WindowInput(doc.ids[start:end], queries), [(h, t) for h, t, _ in pairs]))
    return result


def build_extraction(doc: PreparedDocument, merged: MergedDocument, settings: ModelSettings) -> Extraction:
    """Map spans to the raw text, attach values, keep relations above the threshold, group projects."""
    entities, index_of = [], {}
    for key, score in merged.spans:
        start, end = doc.normalized.to_original(key[0], key[1])
        value = parse_value(key[2], doc.normalized.text[key[0]:key[1]], doc.doc_date)
        index_of[key] = len(entities)
        entities.append(Entity(key[2], doc.raw[start:end], start, end, score, value))
    relation_names = {tail: rel for rel, tail in settings.schema.relation_tail.items()}
    relations = [Relation(relation_names[tail[2]], index_of[head], index_of[tail], probability)
                 for (head, tail), probability in merged.pair_scores.items()
                 if probability >= settings.relation_threshold and head in index_of and tail in index_of]
    relations.sort(key=lambda r: (r.head, r.tail))
    doc_date = doc.doc_date.isoformat() if doc.doc_date else None
    projects = group_projects(entities, relations)
    return Extraction(doc.raw, doc_date, tuple(entities), tuple(relations), tuple(projects))


def _doc_key(doc: PreparedDocument, window: Window, span, labels) -> SpanKey:
    """A window span in document coordinates; spans never begin or end on a line break."""
    text, start, end = doc.normalized.text, span.start + window.start, span.end + window.start
    while start < end and text[start] == "\n":
        start += 1
    while end > start and text[end - 1] == "\n":
        end -= 1
    return start, end, labels[span.label]
