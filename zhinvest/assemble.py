"""The Python side: raw text → windows, and window outputs → one ``Extraction`` on the raw text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .features import CharFeaturizer
from .inference import PairFeatures, WindowInput, WindowOutput
from .modeling import PAIR_COUNTS, ModelSettings
from .normalize import NormalizedText, normalize
from .projects import group_projects
from .relations import candidate_pairs, pair_counts
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
    features: np.ndarray | None = None  # [len(ids), CHANNELS] word and place features, if the model has them

    def window_inputs(self) -> list[WindowInput]:
        if self.features is None:
            return [WindowInput(self.ids[w.start:w.end]) for w in self.windows]
        return [WindowInput(self.ids[w.start:w.end], self.features[w.start:w.end]) for w in self.windows]


@dataclass
class MergedDocument:
    """Entities chosen across windows, and the best relation score seen for each pair."""

    spans: list[tuple[SpanKey, float]]
    pair_scores: dict[tuple[SpanKey, SpanKey], float]
    #: candidate pairs no window held together: (head, tail, relation index, ``pair_counts``)
    missing: list[tuple[SpanKey, SpanKey, int, tuple[int, int, int]]]
    vectors: dict[SpanKey, np.ndarray]  # each chosen span's vector, from the window where it is most central


def prepare(raw: str, doc_date: dt.date | None, settings: ModelSettings, vocab: CharVocab,
            featurizer: CharFeaturizer | None = None) -> PreparedDocument:
    """Normalize, encode and plan windows; ``featurizer`` is required for a model with word features."""
    normalized = normalize(raw, settings.normalizer)
    has_content = normalized.text.strip("\n") != ""
    windows = plan_windows(normalized.text, settings.max_chars, settings.overlap) if has_content else []
    features = None
    if settings.features:
        if featurizer is None:
            raise ValueError("this model uses word features: pass a CharFeaturizer")
        features = featurizer(normalized.text)
    return PreparedDocument(raw, doc_date, normalized, vocab.encode(normalized.text), tuple(windows), features)


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
    vectors: dict[SpanKey, tuple[float, np.ndarray]] = {}
    for window, output in zip(doc.windows, outputs):
        for k, span in enumerate(output.spans):
            key = _doc_key(doc, window, span, labels)
            centrality = window.centrality((key[0] + key[1]) / 2)
            if output.span_vectors is not None and (key not in vectors or centrality > vectors[key][0]):
                vectors[key] = (centrality, output.span_vectors[k])
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
    unscored = [(h, t, r) for h, t, r in candidate_pairs(keys, settings.schema, settings.max_pair_distance)
                if (keys[h], keys[t]) not in pair_scores]
    missing = [(keys[h], keys[t], r, tuple(around))
               for (h, t, r), around in zip(unscored, pair_counts(keys, unscored).tolist())]
    return MergedDocument(chosen, pair_scores, missing, {key: vectors[key][1] for key in keys if key in vectors})


def cross_window_pairs(doc: PreparedDocument, merged: MergedDocument, sentence_end_ids: np.ndarray
                       ) -> tuple[list[tuple[SpanKey, SpanKey]], PairFeatures]:
    """Candidate pairs that no window held together (they straddle a window boundary), with the
    features the relation head scores them from: each span's vector from its most central window."""
    found = [(h, t, r, c) for h, t, r, c in merged.missing if h in merged.vectors and t in merged.vectors]
    if not found:
        width = next(iter(merged.vectors.values())).shape[-1] if merged.vectors else 0
        empty = np.zeros(0, np.int64)
        return [], PairFeatures(np.zeros((0, width), np.float32), np.zeros((0, width), np.float32),
                                empty, empty, empty, np.zeros((0, PAIR_COUNTS), np.int64))
    ends_so_far = np.cumsum(np.isin(doc.ids, sentence_end_ids))
    first = np.array([min(h[0], t[0]) for h, t, _, _ in found], dtype=np.int64)
    last = np.array([max(h[0], t[0]) for h, t, _, _ in found], dtype=np.int64)
    features = PairFeatures(
        head=np.stack([merged.vectors[h] for h, _, _, _ in found]),
        tail=np.stack([merged.vectors[t] for _, t, _, _ in found]),
        relation=np.array([r for _, _, r, _ in found], dtype=np.int64),
        distance=np.array([t[0] - h[0] for h, t, _, _ in found], dtype=np.int64),
        crossings=ends_so_far[last] - ends_so_far[first],
        counts=np.array([c for _, _, _, c in found], dtype=np.int64).reshape(len(found), PAIR_COUNTS))
    return [(h, t) for h, t, _, _ in found], features


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
