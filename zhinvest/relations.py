"""Candidate (PROJECT, tail) pairs for the relation head."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .schema import HEAD_LABEL, LabelSchema


def gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters between two spans (0 when they touch or overlap)."""
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


def candidate_pairs(spans: Sequence[tuple[int, int, str]], schema: LabelSchema, max_distance: int
                    ) -> list[tuple[int, int, int]]:
    """``(head index, tail index, relation index)`` for every PROJECT span and every span whose label
    a relation may point to, at most ``max_distance`` characters apart."""
    relation_index = {rel: k for k, rel in enumerate(schema.relation_labels)}
    tail_relation = {tail: relation_index[rel] for rel, tail in schema.relation_tail.items()}
    heads = [i for i, s in enumerate(spans) if s[2] == HEAD_LABEL]
    tails = [j for j, s in enumerate(spans) if s[2] in tail_relation]
    return [(i, j, tail_relation[spans[j][2]]) for i in heads for j in tails
            if gap(spans[i][:2], spans[j][:2]) <= max_distance]



def pair_counts(spans: Sequence[tuple[int, int, str]], pairs: Sequence[tuple[int, ...]]) -> np.ndarray:
    """What lies around each candidate pair, for the relation head: ``[len(pairs), 3]`` counts of
    other PROJECT spans between head and tail, other spans of the tail's label between them, and
    other PROJECT spans nearer to the tail than the head. ``pairs`` rows start with (head index,
    tail index) into ``spans``, as ``candidate_pairs`` gives them."""
    if not pairs:
        return np.zeros((0, 3), dtype=np.int64)
    starts = np.array([s[0] for s in spans])
    ends = np.array([s[1] for s in spans])
    labels = np.array([s[2] for s in spans])
    heads = np.array([p[0] for p in pairs])
    tails = np.array([p[1] for p in pairs])
    low = np.minimum(ends[heads], ends[tails])[:, None]
    high = np.maximum(starts[heads], starts[tails])[:, None]
    others = np.ones((len(pairs), len(spans)), dtype=bool)
    others[np.arange(len(pairs)), heads] = others[np.arange(len(pairs)), tails] = False
    between = others & (starts[None] >= low) & (ends[None] <= high)
    projects = others & (labels == HEAD_LABEL)[None]
    same_label = labels[None] == labels[tails][:, None]
    # characters between each span and the pair's tail (0 when they touch or overlap), as ``gap``
    to_tail = np.maximum(0, np.maximum(starts[None], starts[tails][:, None])
                         - np.minimum(ends[None], ends[tails][:, None]))
    reach = to_tail[np.arange(len(pairs)), heads][:, None]
    return np.stack([(between & projects).sum(1), (between & same_label).sum(1),
                     (projects & (to_tail < reach)).sum(1)], axis=1).astype(np.int64)
