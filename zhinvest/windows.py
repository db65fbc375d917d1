"""Overlapping character windows over long texts, cut near sentence ends.

Each window owns a *core*: the windows' cores tile the text without gaps or
overlap, and a prediction is kept from the window whose core holds it, so no
character is dropped and none is counted twice.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

SENTENCE_ENDS = frozenset("。！？；!?;\n")


@dataclass(frozen=True)
class Window:
    start: int
    end: int
    core_start: int
    core_end: int

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end

    def centrality(self, position: float) -> float:
        """Distance from ``position`` to the nearer window edge (larger is more central)."""
        return min(position - self.start, self.end - position)


def sentence_starts(text: str) -> list[int]:
    """Offsets where a sentence starts (0 and every offset after a sentence end)."""
    return [0] + [i + 1 for i, ch in enumerate(text) if ch in SENTENCE_ENDS and i + 1 < len(text)]


def sentence_ids(text: str) -> list[int]:
    """For each character, the index of its sentence."""
    ids, current = [], 0
    for ch in text:
        ids.append(current)
        if ch in SENTENCE_ENDS:
            current += 1
    return ids


def plan_windows(text: str, max_chars: int, overlap: int) -> list[Window]:
    """Windows of at most ``max_chars`` characters; consecutive ones share about ``overlap``."""
    if max_chars < 2 or not 0 <= overlap < max_chars // 2:
        raise ValueError(f"need max_chars >= 2 and 0 <= overlap < max_chars // 2, got {max_chars}, {overlap}")
    n = len(text)
    if n <= max_chars:
        return [Window(0, n, 0, n)]
    boundaries = sentence_starts(text) + [n]
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        limit = start + max_chars
        if limit >= n:
            spans.append((start, n))
            break
        # end at the last sentence boundary in the second half of the window, else cut hard
        last = bisect_right(boundaries, limit) - 1
        end = boundaries[last] if boundaries[last] >= start + max_chars // 2 else limit
        spans.append((start, end))
        # start the next window at a sentence start inside the overlap, else `overlap` back
        first = bisect_left(boundaries, end - overlap)
        next_start = boundaries[first] if boundaries[first] < end else end - overlap
        start = max(next_start, start + 1)
    windows = []
    for k, (start, end) in enumerate(spans):
        core_start = 0 if k == 0 else windows[-1].core_end
        core_end = n if k == len(spans) - 1 else (spans[k + 1][0] + end) // 2
        windows.append(Window(start, end, core_start, core_end))
    return windows
