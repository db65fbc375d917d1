"""The network: a BERT encoder, a token-tagging head and a relation head; save/load of the model folder.

A model folder holds ``config.json`` (the BERT config plus a ``"zhinvest"``
section: label schema, window, relation and normalizer settings),
``model.safetensors`` (never a pickle) and the tokenizer files
(``vocab.txt``, ``tokenizer_config.json``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from .features import CHANNELS, FeatureSettings
from .normalize import NormalizerConfig
from .schema import LabelSchema
from .vocab import CharVocab

FORMAT_VERSION = 1
REQUIRED_FILES = ("config.json", "model.safetensors", "vocab.txt")


@dataclass(frozen=True)
class ModelSettings:
    """Everything besides the weights that decides what the model outputs."""

    schema: LabelSchema = field(default_factory=LabelSchema)
    normalizer: NormalizerConfig = field(default_factory=NormalizerConfig)
    max_length: int = 512  # tokens per window, [CLS] and [SEP] included
    overlap: int = 64  # characters shared by consecutive windows
    max_pair_distance: int = 200  # characters between a project and a candidate tail
    distance_buckets: int = 16
    relation_threshold: float = 0.5
    decoding: str = "viterbi"  # "viterbi": the best valid BIO path; "argmax": per character, fastest
    # Viterbi only: no span starts or ends on punctuation (a closing bracket may end one) or inside a
    # run of ASCII letters and digits (file names, phone numbers, ids)
    boundary_rules: bool = True
    sentence_ends: str = "。！？；!?;\n"  # a relation feature counts these between a project and its tail
    max_sentence_crossings: int = 3
    #: per-character word and place features (``zhinvest.features``); None: characters only
    features: FeatureSettings | None = None
    #: the relation head also sees the spans around a pair (``zhinvest.relations.pair_counts``)
    pair_counts: bool = False

    def __post_init__(self):
        if self.decoding not in ("viterbi", "argmax"):
            raise ValueError(f"decoding must be 'viterbi' or 'argmax', not {self.decoding!r}")

    @property
    def max_chars(self) -> int:
        return self.max_length - 2

    def to_dict(self) -> dict:
        data = asdict(self)
        data["schema"] = self.schema.to_dict()
        data["normalizer"] = self.normalizer.to_dict()
        data["features"] = self.features.to_dict() if self.features else None
        return {"format_version": FORMAT_VERSION, **data}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSettings":
        data = dict(data)
        version = data.pop("format_version", None)
        if version != FORMAT_VERSION:
            raise ValueError(f"model format version {version!r} is not supported; this zhinvest reads {FORMAT_VERSION}")
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown model settings {sorted(unknown)}; allowed: {sorted(allowed)}")
        data["schema"] = LabelSchema.from_dict(data["schema"])
        data["normalizer"] = NormalizerConfig.from_dict(data.get("normalizer", {}))
        data["features"] = FeatureSettings.from_dict(data["features"]) if data.get("features") else None
        return cls(**data)


def distance_bucket(distance: torch.Tensor, buckets: int) -> torch.Tensor:
    """Log-spaced buckets of signed character distance (tail start − head start)."""
    magnitude = torch.log2(distance.abs().float() + 1).long().clamp(max=buckets // 2 - 1)
    return torch.where(distance < 0, magnitude + buckets // 2, magnitude)


PAIR_FEATURE_SIZE = 32  # width of the distance, sentence-crossing and count embeddings of the relation head
PAIR_COUNTS = 3  # columns of ``zhinvest.relations.pair_counts``
MAX_PAIR_COUNT = 3  # counts above are embedded as this one
#: weights a model folder may lack (older folders): they keep their neutral initial values
OPTIONAL_WEIGHTS = ("transitions", "start_transitions")


class ZhinvestModel(nn.Module):
    """Encoder + per-character BIO head + pairwise relation head.

    ``sentence_end_ids`` are the token ids of ``settings.sentence_ends`` (see ``sentence_end_ids``):
    the relation head sees how many sentence ends lie between a project and its candidate tail.
    """

    def __init__(self, encoder: nn.Module, settings: ModelSettings, sentence_end_ids: torch.Tensor):
        super().__init__()
        self.encoder = encoder
        self.settings = settings
        self.register_buffer("sentence_end_ids", torch.as_tensor(sentence_end_ids, dtype=torch.long),
                             persistent=False)
        hidden = encoder.config.hidden_size
        schema = settings.schema
        self.dropout = nn.Dropout(encoder.config.hidden_dropout_prob)
        self.tagger = nn.Linear(hidden, len(schema.tags))
        if settings.features:
            # added to the character embeddings; zero rows leave the encoder as pretrained at the start
            self.feature_embedding = nn.Embedding(settings.features.vocab_size, hidden, padding_idx=0)
            nn.init.zeros_(self.feature_embedding.weight)
        # learned tag-transition scores for Viterbi decoding (a linear-chain CRF); zero = constraints only
        self.transitions = nn.Parameter(torch.zeros(len(schema.tags), len(schema.tags)))
        self.start_transitions = nn.Parameter(torch.zeros(len(schema.tags)))
        self.distance_embedding = nn.Embedding(settings.distance_buckets, PAIR_FEATURE_SIZE)
        self.sentence_embedding = nn.Embedding(settings.max_sentence_crossings + 1, PAIR_FEATURE_SIZE)
        pair_input = 2 * 2 * hidden + 2 * PAIR_FEATURE_SIZE  # two span vectors, distance, sentence ends
        if settings.pair_counts:
            self.count_embeddings = nn.ModuleList(nn.Embedding(MAX_PAIR_COUNT + 1, PAIR_FEATURE_SIZE)
                                                  for _ in range(PAIR_COUNTS))
            pair_input += PAIR_COUNTS * PAIR_FEATURE_SIZE
        self.relation_mlp = nn.Sequential(
            nn.Linear(pair_input, hidden), nn.GELU(), nn.Dropout(encoder.config.hidden_dropout_prob),
            nn.Linear(hidden, len(schema.relation_labels)))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, features: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states ``[B, L, H]`` and tag logits ``[B, L, T]``; ``features`` ``[B, L, CHANNELS]``
        (``zhinvest.features``) are required by a model trained with them and refused by one without."""
        if (features is not None) != bool(self.settings.features):
            raise ValueError("this model was trained with word features: pass features" if self.settings.features
                             else "this model was trained without word features: features must be None")
        if features is None:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        else:
            if features.shape != (*input_ids.shape, CHANNELS):
                raise ValueError(f"features must have shape {(*input_ids.shape, CHANNELS)}, not {tuple(features.shape)}")
            embedded = self.encoder.embeddings.word_embeddings(input_ids) + self.feature_embedding(features).sum(-2)
            hidden = self.encoder(inputs_embeds=embedded, attention_mask=attention_mask).last_hidden_state
        return hidden, self.tagger(self.dropout(hidden))

    def relation_logits(self, hidden: torch.Tensor, pairs: torch.Tensor, input_ids: torch.Tensor,
                        counts: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[P, R]`` for pairs given as rows ``(batch, head_start, head_end, tail_start, tail_end)``.

        Positions index ``hidden``'s (and ``input_ids``') sequence axis; ends are exclusive.
        ``counts`` ``[P, 3]`` (``zhinvest.relations.pair_counts``): for a model with ``pair_counts``.
        """
        batch = pairs[:, 0]
        head = self.span_vectors(hidden, batch, pairs[:, 1], pairs[:, 2])
        tail = self.span_vectors(hidden, batch, pairs[:, 3], pairs[:, 4])
        return self.pair_logits(head, tail, pairs[:, 3] - pairs[:, 1], self.sentence_crossings(input_ids, pairs),
                                counts)

    @staticmethod
    def span_vectors(hidden: torch.Tensor, rows: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor
                     ) -> torch.Tensor:
        """``[S, 2H]``: the hidden states of each span's first and last character."""
        return torch.cat([hidden[rows, starts], hidden[rows, ends - 1]], dim=-1)

    def pair_logits(self, head: torch.Tensor, tail: torch.Tensor, distance: torch.Tensor, crossings: torch.Tensor,
                    counts: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[P, R]`` from span vectors (``span_vectors``), the signed distance from head start to
        tail start, the number of sentence ends between them (capped at ``max_sentence_crossings``) and,
        for a model with ``pair_counts``, the spans around the pair (``[P, 3]``, capped at 3)."""
        if (counts is not None) != self.settings.pair_counts:
            raise ValueError("this model's relation head reads pair counts: pass counts" if self.settings.pair_counts
                             else "this model's relation head reads no pair counts: counts must be None")
        distance = self.distance_embedding(distance_bucket(distance, self.settings.distance_buckets))
        sentence = self.sentence_embedding(crossings.clamp(max=self.settings.max_sentence_crossings))
        parts = [head, tail, distance.to(head.dtype), sentence.to(head.dtype)]
        if counts is not None:
            if counts.shape != (len(head), PAIR_COUNTS):
                raise ValueError(f"counts must have shape {(len(head), PAIR_COUNTS)}, not {tuple(counts.shape)}")
            capped = counts.clamp(max=MAX_PAIR_COUNT)
            parts += [embedding(capped[:, k]).to(head.dtype) for k, embedding in enumerate(self.count_embeddings)]
        return self.relation_mlp(self.dropout(torch.cat(parts, dim=-1)))

    def sentence_crossings(self, input_ids: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        """Sentence ends after the earlier and up to the later of each pair's head and tail starts."""
        ends_so_far = torch.isin(input_ids, self.sentence_end_ids).long().cumsum(1)
        first, last = torch.minimum(pairs[:, 1], pairs[:, 3]), torch.maximum(pairs[:, 1], pairs[:, 3])
        return ends_so_far[pairs[:, 0], last] - ends_so_far[pairs[:, 0], first]

    # ----------------------------------------------------------------- save / load
    def save_pretrained(self, folder: str | Path, vocab: CharVocab, dtype: torch.dtype = torch.float32,
                        extra: dict | None = None) -> Path:
        """Write the model folder; ``extra`` (e.g. training record) goes to ``training.json``."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = self.encoder.config.to_dict()
        config["architectures"] = ["ZhinvestModel"]
        config["zhinvest"] = self.settings.to_dict()
        (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        state = {k: v.detach().to(dtype).contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
        vocab.save(folder / "vocab.txt")
        (folder / "tokenizer_config.json").write_text(json.dumps(
            {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "tokenize_chinese_chars": True,
             "model_max_length": self.settings.max_length}, indent=2) + "\n", encoding="utf-8")
        if extra is not None:
            (folder / "training.json").write_text(json.dumps(extra, ensure_ascii=False, indent=2) + "\n",
                                                  encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> tuple["ZhinvestModel", CharVocab]:
        """Load a model folder written by ``save_pretrained`` (float32 weights)."""
        from safetensors.torch import load_file
        from transformers import BertConfig, BertModel

        folder = Path(folder)
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{folder} is not a zhinvest model folder: missing {', '.join(missing)}")
        config, settings = _read_config(folder)
        config.pop("architectures", None)
        config.pop("dtype", None)
        vocab = CharVocab.from_file(folder / "vocab.txt")
        encoder = BertModel(BertConfig(**config), add_pooling_layer=False)
        model = cls(encoder, settings, sentence_end_ids(vocab, settings))
        state = {k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
        tags = state.get("tagger.weight")
        if tags is None or tags.shape[0] != len(settings.schema.tags):
            found = None if tags is None else tags.shape[0]
            raise ValueError(f"{folder}: label schema mismatch: the config lists {len(settings.schema.tags)} tags "
                             f"{list(settings.schema.tags)} but the weights have {found}")
        relations = state.get("relation_mlp.3.weight")
        if relations is None or relations.shape[0] != len(settings.schema.relation_labels):
            raise ValueError(f"{folder}: label schema mismatch: the config lists relations "
                             f"{list(settings.schema.relation_labels)} but the relation head does not match")
        result = model.load_state_dict(state, strict=False)
        missing_keys = [k for k in result.missing_keys if k not in OPTIONAL_WEIGHTS]
        if missing_keys or result.unexpected_keys:
            raise ValueError(f"{folder}: weights do not match the config: missing {missing_keys[:5]}, "
                             f"unexpected {result.unexpected_keys[:5]}")
        if encoder.config.vocab_size != len(vocab):
            raise ValueError(f"{folder}: vocab.txt has {len(vocab)} tokens but the encoder expects "
                             f"{encoder.config.vocab_size}")
        return model.eval(), vocab


def read_settings(folder: str | Path) -> ModelSettings:
    """A model folder's ``ModelSettings`` without loading its weights."""
    return _read_config(Path(folder))[1]


def _read_config(folder: Path) -> tuple[dict, ModelSettings]:
    """(the BERT config, the zhinvest settings) of a model folder's ``config.json``."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if "zhinvest" not in config:
        raise ValueError(f"{folder}/config.json has no 'zhinvest' section: it is a plain encoder, not a "
                         "zhinvest model; fine-tune it first (make train BASE=...)")
    settings = ModelSettings.from_dict(config.pop("zhinvest"))
    _check_schema(settings.schema)
    return config, settings


def _check_schema(schema: LabelSchema) -> None:
    """The library decodes values and relations for its own labels only: refuse anything else."""
    from .schema import DEFAULT_SCHEMA

    if schema != DEFAULT_SCHEMA:
        raise ValueError(f"label schema mismatch: the model has entities {list(schema.entity_labels)} and relations "
                         f"{schema.relation_tail}; this zhinvest expects {list(DEFAULT_SCHEMA.entity_labels)} and "
                         f"{DEFAULT_SCHEMA.relation_tail}")


def build_from_encoder(name_or_path: str | Path, settings: ModelSettings | None = None
                       ) -> tuple[ZhinvestModel, CharVocab]:
    """A fresh model on top of a pretrained BERT encoder: a local folder or a hub name such as
    ``bert-base-chinese`` (which needs a network)."""
    from transformers import BertModel

    settings = settings or ModelSettings()
    encoder = BertModel.from_pretrained(str(name_or_path), add_pooling_layer=False, dtype=torch.float32)
    vocab_file = Path(name_or_path) / "vocab.txt"
    if vocab_file.is_file():
        vocab = CharVocab.from_file(vocab_file)
    else:
        from transformers import AutoTokenizer

        token_to_id = AutoTokenizer.from_pretrained(str(name_or_path)).get_vocab()
        vocab = CharVocab(sorted(token_to_id, key=token_to_id.get))
    if encoder.config.max_position_embeddings < settings.max_length:
        raise ValueError(f"{name_or_path} has {encoder.config.max_position_embeddings} positions, "
                         f"fewer than max_length={settings.max_length}")
    return ZhinvestModel(encoder, settings, sentence_end_ids(vocab, settings)), vocab


def sentence_end_ids(vocab: CharVocab, settings: ModelSettings) -> torch.Tensor:
    """Token ids of the characters that end a sentence (``\\n`` maps to ``[SEP]``); unknown ones dropped."""
    ids = {int(i) for i in vocab.encode(settings.sentence_ends)} - {vocab.unk_id}
    return torch.tensor(sorted(ids), dtype=torch.long)
