"""Per-character word and place features: what a segmenter's dictionary and a gazetteer know.

The encoder reads one character per token and has no idea where words end or which strings are
places.  A model trained with features also receives, for every character, two ids (0: none):

* **word**: the character's position in its word as the segmenter (jieba, dictionary from its
  wheel) cuts the text, ``B``/``M``/``E``/``S``, crossed with the word's class in the dictionary:
  place (``ns``), organisation (``nt``), person (``nr``), other proper noun (``nz``), number or
  time (``m``, ``t``, ``q``), any other dictionary word, or a word the dictionary lacks;
* **place**: the position in the longest match of a division name from ``places.tsv`` (province,
  city, county or township, with short forms such as 中山 for 中山市), crossed with its level.

Both index one embedding table (place ids follow word ids) whose rows are added to the character
embeddings.  Features are computed once per document on the normalized text, so they follow the
same offsets as the character ids: Traditional script and pinyin readings never shift them.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

POSITIONS = "BMES"
WORD_CLASSES = ("ns", "nt", "nr", "nz", "number", "word", "unknown")
PLACE_LEVELS = ("province", "city", "county", "township")
PLACE_OFFSET = 1 + len(WORD_CLASSES) * len(POSITIONS)
FEATURE_VOCAB_SIZE = PLACE_OFFSET + len(PLACE_LEVELS) * len(POSITIONS)
CHANNELS = 2  # word, place
GAZETTEER = Path(__file__).resolve().parent / "places.tsv"

_FIRST_WORD_ID = {name: 1 + index * len(POSITIONS) for index, name in enumerate(WORD_CLASSES)}
_CLASS_OF_TAG = {"ns": "ns", "nt": "nt", "nr": "nr", "nrt": "nr", "nrfg": "nr", "nz": "nz",
                 "m": "number", "mq": "number", "q": "number", "t": "number"}


@dataclass(frozen=True)
class FeatureSettings:
    """What a model's features were computed with; stored in its config.json."""

    segmenter: str = "jieba"
    segmenter_version: str = ""
    dictionary_sha256: str = ""
    gazetteer_sha256: str = ""
    vocab_size: int = FEATURE_VOCAB_SIZE

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSettings":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown feature settings {sorted(unknown)}; allowed: {sorted(cls.__dataclass_fields__)}")
        return cls(**data)

    def differences(self, other: "FeatureSettings") -> list[str]:
        """Human-readable fields where ``other`` differs from these settings."""
        return [f"{name} {getattr(self, name)!r} (model) vs {getattr(other, name)!r} (installed)"
                for name in self.__dataclass_fields__ if getattr(self, name) != getattr(other, name)]


class CharFeaturizer:
    """Computes the ``[len(text), CHANNELS]`` feature ids of a (normalized) text.

    ``dictionary`` defaults to the segmenter's own dictionary, ``gazetteer`` to the ``places.tsv``
    shipped with zhinvest; a missing file is a ``FileNotFoundError`` naming it.
    """

    def __init__(self, dictionary: str | Path | None = None, gazetteer: str | Path | None = None):
        try:
            import jieba
        except ImportError:
            raise ImportError("this model uses word features, which need the jieba segmenter: "
                              "pip install 'jieba>=0.42.1'") from None
        self._dictionary = Path(dictionary) if dictionary else Path(jieba.__file__).parent / "dict.txt"
        self._gazetteer = Path(gazetteer) if gazetteer else GAZETTEER
        for kind, path in (("segmenter dictionary", self._dictionary), ("place gazetteer", self._gazetteer)):
            if not path.is_file():
                raise FileNotFoundError(f"the {kind} {path} is missing: reinstall zhinvest and jieba, "
                                        "or pass an existing file")
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer(dictionary=str(self._dictionary))
        self._tokenizer.initialize()
        dictionary_bytes, gazetteer_bytes = self._dictionary.read_bytes(), self._gazetteer.read_bytes()
        self._word_class = _word_classes(dictionary_bytes.decode("utf-8"))
        self._places = _places(gazetteer_bytes.decode("utf-8"))
        # names by their first two characters: most positions are ruled out by one lookup
        lengths_by_prefix: dict[str, set[int]] = {}
        for name in self._places:
            lengths_by_prefix.setdefault(name[:2], set()).add(len(name))
        self._lengths_by_prefix = {prefix: sorted(ls, reverse=True) for prefix, ls in lengths_by_prefix.items()}
        self.settings = FeatureSettings(segmenter="jieba", segmenter_version=jieba.__version__,
                                        dictionary_sha256=hashlib.sha256(dictionary_bytes).hexdigest(),
                                        gazetteer_sha256=hashlib.sha256(gazetteer_bytes).hexdigest())

    def __call__(self, text: str) -> np.ndarray:
        features = np.zeros((len(text), CHANNELS), dtype=np.int64)
        features[:, 0] = self.word_ids(text)
        features[:, 1] = self.place_ids(text)
        return features

    def word_ids(self, text: str) -> np.ndarray:
        ids: list[int] = []
        word_class = self._word_class.get
        for word in self._tokenizer.cut(text, HMM=True):
            if word.isspace():
                ids += [0] * len(word)
            else:
                ids += _word_position_ids(_FIRST_WORD_ID[word_class(word, "unknown")], len(word))
        return np.array(ids, dtype=np.int64)

    def place_ids(self, text: str) -> np.ndarray:
        """Left-to-right longest matches of gazetteer names."""
        ids = np.zeros(len(text), dtype=np.int64)
        lengths_of, level_of = self._lengths_by_prefix.get, self._places.get
        position, size = 0, len(text)
        while position < size:
            for length in lengths_of(text[position:position + 2], ()):
                level = level_of(text[position:position + length]) if position + length <= size else None
                if level is not None:
                    ids[position:position + length] = _word_position_ids(PLACE_OFFSET + level * len(POSITIONS), length)
                    position += length
                    break
            else:
                position += 1
        return ids


def padded_batch(features: list[np.ndarray], width: int) -> np.ndarray:
    """``[len(features), width, CHANNELS]`` ids for windows laid out as ``[CLS] chars [SEP] pad…``:
    each window's features from position 1, zeros (no feature) for the special tokens and padding."""
    batch = np.zeros((len(features), width, CHANNELS), dtype=np.int64)
    for row, window in enumerate(features):
        batch[row, 1:len(window) + 1] = window
    return batch


def _word_position_ids(first: int, length: int) -> list[int]:
    """Ids of the characters of a ``length``-character word whose class starts at id ``first``
    (``first`` + 0-based B/M/E/S index)."""
    return [first + 3] if length == 1 else [first] + [first + 1] * (length - 2) + [first + 2]


def _word_classes(dictionary: str) -> dict[str, str]:
    """word → class, from a jieba dictionary (``word frequency tag`` lines)."""
    classes = {}
    for line in dictionary.splitlines():
        fields = line.split()
        if fields:
            classes[fields[0]] = _CLASS_OF_TAG.get(fields[2], "word") if len(fields) > 2 else "word"
    return classes


def _places(gazetteer: str) -> dict[str, int]:
    """name → index of its level in ``PLACE_LEVELS``, from ``places.tsv`` (``name<TAB>level`` lines)."""
    places = {}
    for line in gazetteer.splitlines():
        if line and not line.startswith("#"):
            name, level = line.split("\t")
            if len(name) < 2:
                raise ValueError(f"gazetteer name {name!r} is shorter than two characters")
            places[name] = PLACE_LEVELS.index(level)
    return places
