"""Annotated documents → training windows: character ids, BIO tags and labelled relation pairs."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhinvest.annotation import AnnotatedDocument, load_store
from zhinvest.decoding import spans_to_bio
from zhinvest.features import CharFeaturizer
from zhinvest.modeling import ModelSettings
from zhinvest.normalize import normalize
from zhinvest.relations import candidate_pairs, pair_counts
from zhinvest.vocab import CharVocab
from zhinvest.windows import plan_windows


@dataclass(frozen=True)
class WindowExample:
    ids: np.ndarray  # character ids, no special tokens
    tags: np.ndarray  # tag ids, same length
    #: (hs, he, ts, te, relation, is_gold, *pair_counts): pair_counts as in zhinvest.relations
    pairs: tuple[tuple[int, ...], ...]
    features: np.ndarray | None = None  # [len(ids), CHANNELS] word and place features (zhinvest.features)


def dev_split_of(article: str, dev_percent: int = 20) -> str:
    """'dev' or 'train', fixed by a hash of the article name (independent of what is annotated)."""
    bucket = int(hashlib.sha256(article.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "dev" if bucket < dev_percent else "train"


def write_split(articles: Path, path: Path) -> dict[str, list[str]]:
    names = sorted(p.name for p in articles.glob("*.txt"))
    split = {"train": [n for n in names if dev_split_of(n) == "train"],
             "dev": [n for n in names if dev_split_of(n) == "dev"]}
    path.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
    return split


def add_corpus_to_split(split: dict[str, list[str]], index_rows: list[dict], dev_fraction: float = 0.2,
                        seed: int = 20261204) -> dict[str, list[str]]:
    """Add a new corpus' articles to ``split``, leaving every article already in it where it is.

    ``index_rows`` are the corpus' ``index.jsonl`` rows (``file``, ``script``).  Within each script
    (Simplified, Traditional) the new names are shuffled with ``seed`` and the first
    ``round(n * dev_fraction)`` go to dev, so dev holds both scripts in the corpus' proportions.
    """
    known = set(split["train"]) | set(split["dev"])
    by_script: dict[str, list[str]] = {}
    for row in index_rows:
        if row["file"] not in known:
            by_script.setdefault(row.get("script", ""), []).append(row["file"])
    train, dev = list(split["train"]), list(split["dev"])
    for script in sorted(by_script):
        names = sorted(by_script[script])
        random.Random(f"{seed}:{script}").shuffle(names)
        cut = round(len(names) * dev_fraction)
        dev += names[:cut]
        train += names[cut:]
    return {"train": sorted(train), "dev": sorted(dev)}


def load_split(store: str | Path, articles: str | Path, split_file: str | Path
               ) -> tuple[list[AnnotatedDocument], list[AnnotatedDocument]]:
    split = json.loads(Path(split_file).read_text(encoding="utf-8"))
    overlap = set(split["train"]) & set(split["dev"])
    if overlap:
        raise ValueError(f"{split_file}: articles in both train and dev: {sorted(overlap)[:5]}")
    documents = load_store(store, articles)
    dev_names = set(split["dev"])
    unknown = [d.id for d in documents if d.id not in dev_names and d.id not in set(split["train"])]
    if unknown:
        raise ValueError(f"{split_file}: annotated articles in no split: {unknown[:5]}")
    return [d for d in documents if d.id not in dev_names], [d for d in documents if d.id in dev_names]


def subsample(documents: list[AnnotatedDocument], fraction: float, limit: int, seed: int) -> list[AnnotatedDocument]:
    chosen = list(documents)
    if fraction < 1.0:
        chosen = random.Random(seed).sample(chosen, max(1, round(len(chosen) * fraction)))
    if limit:
        chosen = chosen[:limit]
    return sorted(chosen, key=lambda d: d.id)


def to_normalized_spans(doc: AnnotatedDocument, starts: np.ndarray) -> dict[str, tuple[int, int, str]]:
    """Gold spans in normalized coordinates, by span id (raw offsets → normalized character range)."""
    result = {}
    for span in doc.spans:
        begin = int(np.searchsorted(starts, span.start, side="left"))
        end = int(np.searchsorted(starts, span.end, side="left"))
        if begin < end:
            result[span.id] = (begin, end, span.label)
    return result


def document_windows(doc: AnnotatedDocument, vocab: CharVocab, settings: ModelSettings,
                     featurizer: CharFeaturizer | None = None) -> list[WindowExample]:
    """Training windows of one article, with word features where a ``featurizer`` is given."""
    normalized = normalize(doc.text, settings.normalizer)
    if not normalized.text.strip("\n"):
        return []
    ids = vocab.encode(normalized.text)
    features = featurizer(normalized.text) if featurizer else None
    spans = to_normalized_spans(doc, normalized.starts)
    label_index = {label: k for k, label in enumerate(settings.schema.entity_labels)}
    relation_index = {label: k for k, label in enumerate(settings.schema.relation_labels)}
    gold_pairs = {(r.head, r.tail, relation_index[r.label]) for r in doc.relations}
    examples = []
    for window in plan_windows(normalized.text, settings.max_chars, settings.overlap):
        inside = {sid: (max(s, window.start) - window.start, min(e, window.end) - window.start, label)
                  for sid, (s, e, label) in spans.items() if s < window.end and e > window.start}
        tags = spans_to_bio(window.end - window.start, [(s, e, label_index[l]) for s, e, l in inside.values()])
        # pairs between spans wholly inside; their counts over every span the window shows
        ids_shown = list(inside)
        shown = list(inside.values())
        whole = [k for k, sid in enumerate(ids_shown) if window.contains(spans[sid][0], spans[sid][1])]
        local = [shown[k] for k in whole]
        candidates = candidate_pairs(local, settings.schema, settings.max_pair_distance)
        counts = pair_counts(shown, [(whole[head], whole[tail]) for head, tail, _ in candidates]).tolist()
        pairs = []
        for (head, tail, relation), around in zip(candidates, counts):
            is_gold = (ids_shown[whole[head]], ids_shown[whole[tail]], relation) in gold_pairs
            pairs.append((*local[head][:2], *local[tail][:2], relation, int(is_gold), *around))
        examples.append(WindowExample(ids[window.start:window.end], tags, tuple(pairs),
                                      None if features is None else features[window.start:window.end]))
    return examples


def relation_coverage(documents: list[AnnotatedDocument], settings: ModelSettings) -> tuple[int, int]:
    """(gold relations that some training window can express, all gold relations)."""
    vocab = CharVocab(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    covered = total = 0
    for doc in documents:
        total += len(doc.relations)
        covered += sum(p[5] for w in document_windows(doc, vocab, settings) for p in w.pairs)
    return covered, total
