"""Candidate (PROJECT, tail) pairs for the relation head."""

from __future__ import annotations

from typing import Sequence

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
