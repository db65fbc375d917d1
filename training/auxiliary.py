"""Public NER datasets as partially labelled tagging windows for a first training stage.

The public sets annotate some of our labels and not others, so each character
gets the set of tags it may carry rather than one tag:

* a span of a label we share (LOC, ORG) allows exactly its ``B-``/``I-`` tag;
* a span of a label we do not extract (person names, titles, works) allows ``O`` only;
* a span whose boundaries follow another convention (CLUENER addresses are whole
  place chains, we split them) allows ``O`` or either LOC tag;
* an unlabelled character allows ``O`` and every tag of a label the set does not
  annotate (PROJECT, MONEY, DATE): silence there is not a negative example.

The loss is the negative log of the probability mass on the allowed tags
(``partial_tag_loss``). Formats, chosen by file name:

* ``*.json``: CLUENER2020 JSON lines, ``{"text", "label": {type: {entity: [[start, end_inclusive]]}}}``;
* anything else: one ``character TAG`` pair per line (tab or space), blank line between
  sentences, BIO tags over LOC / ORG / PER (MSRA, People's Daily).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from zhinvest.features import CharFeaturizer, padded_batch
from zhinvest.normalize import NormalizerConfig, normalize
from zhinvest.schema import LabelSchema
from zhinvest.vocab import CharVocab

#: public label → our label (exact), or "O" (not an entity for us), or "LOC?" (place, other boundaries)
BIO_LABELS = {"LOC": "LOC", "ORG": "ORG", "PER": "O"}
CLUENER_LABELS = {"company": "ORG", "government": "ORG", "organization": "ORG", "name": "O", "position": "O",
                  "book": "O", "game": "O", "movie": "O", "address": "LOC?", "scene": "LOC?"}
ANNOTATED = ("LOC", "ORG")  # labels these sets mark everywhere they occur


@dataclass(frozen=True)
class PartialSentence:
    """A sentence and its labelled spans ``(start, end, mapped label)``, end-exclusive."""

    text: str
    spans: tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class PartialWindow:
    ids: np.ndarray  # character ids, no special tokens
    allowed: np.ndarray  # bool [len(ids), number of tags]
    features: np.ndarray | None = None  # [len(ids), CHANNELS] word and place features (zhinvest.features)


def read_bio_sentences(path: Path) -> list[PartialSentence]:
    sentences, chars, tags = [], [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            if chars:
                sentences.append(_from_bio(chars, tags))
                chars, tags = [], []
            continue
        # the character comes first and may itself be a (full-width) space
        if len(line) < 3 or line[1] not in " \t" or len(line[2:].split()) != 1:
            raise ValueError(f"{path}:{number}: expected 'character TAG', got {line!r}")
        chars.append(line[0])
        tags.append(line[2:].strip())
    if chars:
        sentences.append(_from_bio(chars, tags))
    return sentences


def _from_bio(chars: list[str], tags: list[str]) -> PartialSentence:
    spans, start, label = [], None, None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, name = tag.partition("-")
        if start is not None and (prefix != "I" or name != label):
            spans.append((start, i, BIO_LABELS.get(label, "O")))
            start = None
        if prefix == "B" or (prefix == "I" and start is None):
            start, label = i, name
    return PartialSentence("".join(chars), tuple(spans))


def read_cluener(path: Path) -> list[PartialSentence]:
    sentences = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        spans = [(start, end + 1, CLUENER_LABELS.get(kind, "LOC?"))
                 for kind, entities in record.get("label", {}).items()
                 for positions in entities.values() for start, end in positions]
        sentences.append(PartialSentence(record["text"], tuple(sorted(spans))))
    return sentences


def read_sentences(path: str | Path) -> list[PartialSentence]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"auxiliary dataset {path} not found")
    return read_cluener(path) if path.suffix == ".json" else read_bio_sentences(path)


def allowed_tags(sentence: PartialSentence, schema: LabelSchema) -> np.ndarray:
    """bool ``[len(text), tags]``: the tags each character may carry under this partial annotation."""
    tags = schema.tags
    index = {tag: k for k, tag in enumerate(tags)}
    unlabelled = np.array([tag == "O" or tag[2:] not in ANNOTATED for tag in tags])
    allowed = np.tile(unlabelled, (len(sentence.text), 1))
    for start, end, label in sentence.spans:
        allowed[start:end] = False
        if label == "O":
            allowed[start:end, 0] = True
        elif label == "LOC?":
            allowed[start:end, [0, index["B-LOC"], index["I-LOC"]]] = True
        else:
            allowed[start, index[f"B-{label}"]] = True
            allowed[start + 1:end, index[f"I-{label}"]] = True
    return allowed


def pack_windows(sentences: list[PartialSentence], vocab: CharVocab, schema: LabelSchema,
                 max_chars: int, normalizer: NormalizerConfig = NormalizerConfig(),
                 featurizer: CharFeaturizer | None = None) -> list[PartialWindow]:
    """Normalize each sentence as the model would, then pack consecutive sentences into windows
    (with their word features where a ``featurizer`` is given)."""
    windows, ids, allowed, features, size = [], [], [], [], 0

    def pack():
        windows.append(PartialWindow(np.concatenate(ids), np.concatenate(allowed),
                                     np.concatenate(features) if featurizer else None))

    for sentence in sentences:
        normalized = normalize(sentence.text, normalizer)
        if not normalized.text:
            continue
        sentence_ids = vocab.encode(normalized.text)[:max_chars]
        sentence_allowed = allowed_tags(sentence, schema)[normalized.starts[:len(sentence_ids)]]
        if size + len(sentence_ids) > max_chars and ids:
            pack()
            ids, allowed, features, size = [], [], [], 0
        ids.append(sentence_ids)
        allowed.append(sentence_allowed)
        if featurizer:
            features.append(featurizer(normalized.text)[:len(sentence_ids)])
        size += len(sentence_ids)
    if ids:
        pack()
    return windows


def collate_partial(batch: list[PartialWindow], pad_id: int, cls_id: int, sep_id: int) -> dict[str, torch.Tensor]:
    longest = max(len(w.ids) for w in batch)
    tags = batch[0].allowed.shape[1]
    ids = np.full((len(batch), longest + 2), pad_id, dtype=np.int64)
    allowed = np.zeros((len(batch), longest + 2, tags), dtype=bool)
    for row, window in enumerate(batch):
        n = len(window.ids)
        ids[row, 0], ids[row, 1:n + 1], ids[row, n + 1] = cls_id, window.ids, sep_id
        allowed[row, 1:n + 1] = window.allowed
    input_ids = torch.from_numpy(ids)
    mask = (input_ids != pad_id).long()
    mask[:, 0] = 1
    batch_ = {"input_ids": input_ids, "attention_mask": mask, "allowed": torch.from_numpy(allowed)}
    if batch[0].features is not None:
        batch_["features"] = torch.from_numpy(padded_batch([w.features for w in batch], ids.shape[1]))
    return batch_


def partial_tag_loss(logits: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Mean over labelled positions of −log P(tag ∈ allowed); rows with no allowed tag are ignored."""
    log_probs = logits.float().log_softmax(-1)
    kept = allowed.any(-1)
    mass = torch.logsumexp(log_probs.masked_fill(~allowed, float("-inf")), dim=-1)
    return -(mass[kept]).mean()
