"""Raw text → the text the model reads, with a map of every character back to the raw text.

Steps, all composed into one offset map:

* pinyin readings that scraped pages insert after characters (``西區(qū)``) are removed; the
  reading belongs to its character, so a span ending at ``區`` maps back to the raw text with
  its reading (``西區(qū)``);
* control and zero-width characters are removed;
* whitespace: a run that contains a line break becomes one ``"\\n"`` (a sentence
  boundary); any other run (spaces between words, stray tabs) is removed;
* full-width ASCII forms fold to ASCII (``１２３ＡＢ`` → ``123AB``);
* Traditional → Simplified with OpenCC ``t2s``, kept one character for one
  character: a chunk whose phrase-level conversion changes length is converted
  character by character instead.

Only the last two replace characters; the rest delete them, so every normalized
character comes from exactly one raw character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_REMOVABLE = re.compile(
    rf"(?P<pinyin>(?<=[{_HAN}])[(（](?:(?=[a-zü]*[{_TONED}])[a-z{_TONED}ü]{{1,8}}|[a-zü]{{1,7}}[1-5])[)）])"
    r"|(?P<space>[\s\u200b\u2060\ufeff]+)"
    r"|(?P<control>[\x00-\x1f\x7f-\x9f\u200c-\u200f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb])"
)
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")


@dataclass(frozen=True)
class NormalizedText:
    """Normalized text plus, for each of its characters, the raw span it came from."""

    original: str
    text: str
    starts: np.ndarray  # raw start offset of normalized character i
    ends: np.ndarray  # raw end offset (exclusive) of normalized character i

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalized span ``[start, end)`` (non-empty) to the raw text."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} is outside the normalized text of length {len(self.text)}")
        return int(self.starts[start]), int(self.ends[end - 1])


@dataclass(frozen=True)
class NormalizerConfig:
    """Which normalization steps run; stored in the model folder."""

    traditional_to_simplified: bool = True
    fold_width: bool = True
    remove_pinyin: bool = True

    def to_dict(self) -> dict:
        return {"traditional_to_simplified": self.traditional_to_simplified,
                "fold_width": self.fold_width, "remove_pinyin": self.remove_pinyin}

    @classmethod
    def from_dict(cls, data: dict) -> "NormalizerConfig":
        unknown = set(data) - set(cls().to_dict())
        if unknown:
            raise ValueError(f"unknown normalizer settings {sorted(unknown)}; allowed: {sorted(cls().to_dict())}")
        return cls(**data)


def normalize(raw: str, config: NormalizerConfig = NormalizerConfig()) -> NormalizedText:
    """Normalize ``raw``; see the module docstring for the steps."""
    kept: list[tuple[int, int]] = []  # raw [start, end) ranges copied verbatim
    readings: list[tuple[int, int]] = []  # raw [start, end) of removed pinyin readings
    position = 0
    for match in _REMOVABLE.finditer(raw):
        kind = match.lastgroup
        if kind == "pinyin" and not config.remove_pinyin:
            continue
        if kind == "pinyin":
            readings.append(match.span())
        kept.append((position, match.start()))
        if kind == "space":
            newline = next((i for i, ch in enumerate(match.group(), match.start()) if ch in _LINE_BREAKS), None)
            if newline is not None:
                kept.append((newline, -1))  # a single "\n" standing for the whole run
        position = match.end()
    kept.append((position, len(raw)))

    pieces, starts = [], []
    for start, end in kept:
        if end == -1:
            pieces.append("\n")
            starts.append(np.array([start]))
        elif end > start:
            pieces.append(raw[start:end])
            starts.append(np.arange(start, end))
    text = "".join(pieces)
    start_array = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    end_array = start_array + 1
    if readings:  # each reading is part of the character before it
        reading_starts, reading_ends = np.array(readings, dtype=np.int64).T
        owners = np.searchsorted(start_array, reading_starts - 1)
        end_array[owners] = reading_ends
    if config.fold_width:
        text = text.translate(_WIDTH_TABLE)
    if config.traditional_to_simplified:
        text = to_simplified(text)
    return NormalizedText(raw, text, start_array.astype(np.int64), end_array.astype(np.int64))


_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def to_simplified(text: str) -> str:
    """Traditional → Simplified, one character for one character (line by line)."""
    converter, table = _opencc(), _char_table()
    out = []
    for line in text.split("\n"):
        by_character = line.translate(table)
        if by_character == line:  # no Traditional character: nothing to do (and the slow path is skipped)
            out.append(line)
            continue
        converted = converter.convert(line)
        out.append(converted if len(converted) == len(line) else by_character)
    return "\n".join(out)


@lru_cache(maxsize=1)
def _opencc():
    import opencc  # imported lazily: building the converter reads its dictionaries

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _char_table() -> dict[int, int]:
    """Single-character Traditional → Simplified table from OpenCC's character dictionary."""
    from importlib import resources

    table = {}
    source = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    for line in source.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
            table[ord(parts[0])] = ord(parts[1])
    return table
