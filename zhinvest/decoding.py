"""BIO tags → spans, without a Python loop over characters.

Tag ids follow ``LabelSchema.tags``: 0 is ``O``, ``1 + 2k`` is ``B-`` of label k
and ``2 + 2k`` is ``I-`` of label k.  An ``I-`` that does not continue a span of
the same label starts a new one, and a ``B-`` always does, so two adjacent
entities of the same label stay apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TaggedSpan:
    """A decoded span in window coordinates (end-exclusive) with its label index and score."""

    start: int
    end: int
    label: int
    score: float


def decode_bio(tags: np.ndarray, probs: np.ndarray) -> list[TaggedSpan]:
    """Spans from tag ids and the probability of each chosen tag.

    >>> decode_bio(np.array([0, 1, 2, 2, 1, 0, 4]), np.ones(7))
    [TaggedSpan(start=1, end=4, label=0, score=1.0), TaggedSpan(start=4, end=5, label=0, score=1.0), TaggedSpan(start=6, end=7, label=1, score=1.0)]
    """
    tags = np.asarray(tags, dtype=np.int64)
    if tags.size == 0:
        return []
    inside = tags > 0
    label = np.where(inside, (tags - 1) // 2, -1)
    is_begin = inside & ((tags - 1) % 2 == 0)
    previous_label = np.concatenate(([-1], label[:-1]))
    starts_here = inside & (is_begin | (previous_label != label))
    starts = np.flatnonzero(starts_here)
    if starts.size == 0:
        return []
    # a span runs until the next span start or the next O
    stops = np.flatnonzero(starts_here | ~inside)
    stop_index = np.searchsorted(stops, starts, side="right")
    ends = np.where(stop_index < stops.size, stops[np.minimum(stop_index, stops.size - 1)], tags.size)
    cumulative = np.concatenate(([0.0], np.cumsum(np.asarray(probs, dtype=np.float64))))
    scores = (cumulative[ends] - cumulative[starts]) / (ends - starts)
    return [TaggedSpan(int(s), int(e), int(label[s]), float(p)) for s, e, p in zip(starts, ends, scores)]


def spans_to_bio(length: int, spans: list[tuple[int, int, int]]) -> np.ndarray:
    """Tag ids for ``length`` characters from ``(start, end, label index)`` spans (the inverse)."""
    tags = np.zeros(length, dtype=np.int64)
    for start, end, label in spans:
        tags[start] = 1 + 2 * label
        tags[start + 1:end] = 2 + 2 * label
    return tags


def bio_transitions(num_labels: int, separated: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """``(allowed[previous, current], allowed_first[current])`` for tag ids laid out as in ``decode_bio``:
    ``I-`` of label k may only follow ``B-`` or ``I-`` of the same label, and cannot open a sequence.
    For a label k in ``separated``, ``B-`` k cannot follow ``B-`` or ``I-`` k: its spans never touch."""
    size = 1 + 2 * num_labels
    allowed = np.ones((size, size), dtype=bool)
    allowed_first = np.ones(size, dtype=bool)
    for k in range(num_labels):
        inside = 2 + 2 * k
        allowed[:, inside] = False
        allowed[inside - 1, inside] = allowed[inside, inside] = True
        allowed_first[inside] = False
    for k in separated:
        allowed[1 + 2 * k:3 + 2 * k, 1 + 2 * k] = False
    return allowed, allowed_first


#: characters that may end a span although they are punctuation: a closing bracket (``研发中心(一期)``)
CLOSING_BRACKETS = frozenset(")）]］】〕")


def boundary_tables(tokens: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vocabulary id: ``(punctuation, may_end, alphanumeric)`` for the decoder's boundary rules.

    No span starts on punctuation, none ends on it unless it is a closing bracket, and none starts
    or ends inside a run of ASCII letters and digits (a file name, a phone number, an id).
    """
    import unicodedata

    single = [t if len(t) == 1 else "" for t in tokens]
    punctuation = np.array([bool(c) and unicodedata.category(c).startswith("P") for c in single])
    may_end = np.array([c in CLOSING_BRACKETS for c in single]) | ~punctuation
    alphanumeric = np.array([bool(c) and c.isascii() and c.isalnum() for c in single])
    return punctuation, may_end, alphanumeric


def blocked_boundaries(ids: np.ndarray, lengths: np.ndarray, tables) -> tuple[np.ndarray, np.ndarray]:
    """``(no_start, no_end)`` ``[B, L]`` masks of positions where a span may not start or end."""
    punctuation, may_end, alphanumeric = tables
    alnum = alphanumeric[ids]
    inside = np.arange(ids.shape[1])[None, :] < np.asarray(lengths)[:, None]
    before = np.zeros_like(alnum)
    before[:, 1:] = alnum[:, :-1]
    after = np.zeros_like(alnum)
    after[:, :-1] = alnum[:, 1:] & inside[:, 1:]
    no_start = punctuation[ids] | (alnum & before)
    no_end = ~may_end[ids] | (alnum & after)
    return no_start & inside, no_end & inside


def viterbi_bio(log_probs: np.ndarray, lengths: np.ndarray, num_labels: int,
                transitions: np.ndarray | None = None, start: np.ndarray | None = None,
                separated: tuple[int, ...] = (), no_start: np.ndarray | None = None,
                no_end: np.ndarray | None = None) -> np.ndarray:
    """The most probable tag sequence of each row that is valid BIO (``[B, L]`` int64).

    ``log_probs`` is ``[B, L, T]``; positions at or beyond a row's length are ignored.
    ``transitions[previous, current]`` and ``start[current]`` add learned scores (a CRF's);
    labels in ``separated`` never get two touching spans (see ``bio_transitions``);
    ``no_start`` / ``no_end`` (``[B, L]`` bool) mark positions where no span may begin / end.
    Vectorized over the batch and the tags; the only loop runs along the sequence axis.
    A plain argmax lets a long name break into pieces where one character's ``I-`` loses
    to ``O``; the constrained path keeps it whole or drops it.

    >>> lp = np.log(np.array([[[.1, .5, .4], [.5, .05, .45], [.2, .1, .7]]]))  # O, B-X, I-X
    >>> viterbi_bio(lp, np.array([3]), 1).tolist()
    [[1, 2, 2]]
    """
    batch, length, size = log_probs.shape
    forbidden = -1e4
    allowed, allowed_first = bio_transitions(num_labels, separated)
    transition = np.where(allowed, 0.0 if transitions is None else transitions, forbidden)
    emissions = np.array(log_probs, dtype=np.float64)
    begins = np.arange(1, size, 2)
    in_span = np.arange(size) > 0
    if no_start is not None:
        emissions[:, :, begins] += np.where(no_start[:, :, None], forbidden, 0.0)
    # leaving[previous, current]: a span that is open at ``previous`` ends before ``current``
    leaving = in_span[:, None] & ~((np.arange(size)[None, :] % 2 == 0) & (np.arange(size)[None, :] > 0)
                                   & ((np.arange(size)[None, :] - 1) // 2 == (np.arange(size)[:, None] - 1) // 2))
    padding = np.arange(length)[None, :] >= np.asarray(lengths)[:, None]
    stay = np.broadcast_to(np.arange(size), (batch, size))
    score = emissions[:, 0] + np.where(allowed_first, 0.0 if start is None else start, forbidden)
    backpointers = np.zeros((length, batch, size), dtype=np.int64)
    for position in range(1, length):
        candidates = score[:, :, None] + transition[None]
        if no_end is not None:
            candidates = candidates + np.where(no_end[:, position - 1, None, None] & leaving[None], forbidden, 0.0)
        best = candidates.argmax(1)
        moved = np.take_along_axis(candidates, best[:, None, :], 1)[:, 0] + emissions[:, position]
        pad = padding[:, position, None]  # past a row's end its path stays where it was
        backpointers[position] = np.where(pad, stay, best)
        score = np.where(pad, score, moved)
    if no_end is not None:  # the last character of a row closes any open span
        last = np.take_along_axis(no_end, np.maximum(np.asarray(lengths) - 1, 0)[:, None], 1)
        score = score + np.where(last & in_span[None, :], forbidden, 0.0)
    tags = np.zeros((batch, length), dtype=np.int64)
    tags[:, -1] = score.argmax(1)
    rows = np.arange(batch)
    for position in range(length - 1, 0, -1):
        tags[:, position - 1] = backpointers[position, rows, tags[:, position]]
    tags[padding] = 0
    return tags
