"""One token per character: the id mapping the base encoder was pretrained with.

Each character is lowercased and looked up; if absent, its NFKC form; else
``[UNK]``.  Line breaks (kept by normalization as sentence boundaries) map to
``[SEP]``.  Encoding is a table lookup by code point, with the fallbacks
computed once per distinct unseen character.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


class CharVocab:
    """Maps text to token ids, one id per character."""

    def __init__(self, tokens: list[str]):
        missing = [t for t in SPECIAL_TOKENS if t not in tokens]
        if missing:
            raise ValueError(f"vocabulary lacks special tokens {missing}")
        self.tokens = list(tokens)
        self.token_to_id = {t: i for i, t in enumerate(tokens)}
        self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id = (
            self.token_to_id[t] for t in SPECIAL_TOKENS)
        self._table = np.full(0x110000, -1, dtype=np.int32)  # -1: fallback not computed yet
        for token, index in self.token_to_id.items():
            if len(token) == 1:
                self._table[ord(token)] = index
        for upper in range(ord("A"), ord("Z") + 1):
            self._table[upper] = self.token_to_id.get(chr(upper).lower(), self.unk_id)
        self._table[ord("\n")] = self.sep_id

    @classmethod
    def from_file(cls, path: str | Path) -> "CharVocab":
        """Read a BERT ``vocab.txt``; split on "\\n" only (the file holds U+2028 as a token)."""
        content = Path(path).read_text(encoding="utf-8")
        return cls(content.split("\n")[:-1] if content.endswith("\n") else content.split("\n"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text("\n".join(self.tokens) + "\n", encoding="utf-8")

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str) -> np.ndarray:
        """Token ids (int64) for each character of ``text``; no special tokens added."""
        if not text:
            return np.zeros(0, dtype=np.int64)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        ids = self._table[codes]
        unseen = ids < 0
        if unseen.any():
            for code in np.unique(codes[unseen]):
                self._table[code] = self._fallback(chr(code))
            ids = self._table[codes]
        return ids.astype(np.int64)

    def _fallback(self, char: str) -> int:
        for candidate in (char.lower(), unicodedata.normalize("NFKC", char),
                          unicodedata.normalize("NFKC", char).lower()):
            if candidate in self.token_to_id:
                return self.token_to_id[candidate]
        return self.unk_id
