"""Typed training configuration: a TOML file plus ``--set key=value`` overrides."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


@dataclass
class TrainConfig:
    base_encoder: str = "models/base"  # a folder or a hub name such as bert-base-chinese
    output_dir: str = "models/zhinvest-small"
    run_dir: str = "runs/small"  # checkpoints and logs (not shipped)
    store: str = "annotations/standoff"
    split: str = "annotations/split.json"
    # folders of article texts; each annotated article is read from the first one that holds it
    articles: list[str] = field(default_factory=lambda: ["../shared/articles", "../shared/articles-more"])
    seed: int = 13
    epochs: int = 20
    batch_size: int = 8
    # >batch_size: each run of this many shuffled windows is sorted by length before it is cut into
    # batches (less padding, faster epochs; training/batching.py); 0 keeps the plain shuffled order
    length_group_size: int = 0
    learning_rate: float = 1e-4
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    relation_loss_weight: float = 1.0
    crf_loss_weight: float = 0.0  # >0 learns tag transitions (a CRF) used by Viterbi decoding
    relation_positive_weight: float = 2.0  # linked pairs are rare among candidates: weigh them up
    freeze_word_embeddings: bool = True  # fewer weights to fit on a small corpus, faster steps on CPU
    patience: int = 5
    max_length: int = 512  # inference windows (stored in the model)
    train_max_length: int = 512  # training windows; shorter than max_length degrades the model at inference
    overlap: int = 64
    max_pair_distance: int = 200
    # the relation head also sees the PROJECT and same-label spans around a pair (zhinvest.relations.pair_counts)
    pair_counts: bool = False
    device: str = "auto"
    bf16: bool = True  # autocast on CUDA only
    save_dtype: str = "float16"
    train_fraction: float = 1.0  # <1 trains on a seeded subset (learning curves)
    max_train_docs: int = 0  # 0: all
    threads: int = 0  # torch CPU threads; 0 leaves torch's default
    # public NER sets for a first, partially labelled tagging stage (see training/auxiliary.py)
    auxiliary: list[str] = field(default_factory=list)
    auxiliary_epochs: int = 1
    auxiliary_max_sentences: int = 0  # 0: all (a small number for quick runs and tests)
    # each epoch, each distinct name of these labels in a training article is swapped for another
    # training name of the same label with this probability (training/augment.py); 0 turns it off
    mention_replacement: float = 0.0
    mention_replacement_labels: list[str] = field(default_factory=lambda: ["PROJECT", "ORG", "LOC"])
    # >0: evaluate, keep and ship an exponential moving average of the weights (training/averaging.py)
    weight_average_decay: float = 0.0
    score_raw_weights: bool = True  # with weight averaging: also score (and log) the raw weights on dev
    # per-character word (jieba) and place (gazetteer) features added to the character embeddings
    features: bool = False

    @classmethod
    def load(cls, path: str | Path | None, overrides: list[str] = ()) -> "TrainConfig":
        data = tomllib.loads(Path(path).read_text(encoding="utf-8")) if path else {}
        known = {f.name: f for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}; allowed: {sorted(known)}")
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep or key not in known:
                raise ValueError(f"override {item!r} is not key=value with a key from {sorted(known)}")
            data[key] = _coerce(value, type(getattr(cls(), key)))
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


def _coerce(value: str, kind: type):
    if kind is list:
        return [item for item in value.split(",") if item]
    if kind is bool:
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"expected true/false, got {value!r}")
        return value.lower() in ("true", "1")
    return kind(value)
