"""The CRF loss and Viterbi with learned transitions agree with brute force over all valid BIO paths."""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from training.crf import crf_nll
from zhinvest.decoding import bio_transitions, viterbi_bio


def valid_paths(length: int, num_labels: int, separated: tuple[int, ...] = ()):
    allowed, allowed_first = bio_transitions(num_labels, separated)
    for path in itertools.product(range(1 + 2 * num_labels), repeat=length):
        if allowed_first[path[0]] and all(allowed[a, b] for a, b in zip(path, path[1:])):
            yield path


def path_score(path, emissions, transitions, start) -> float:
    return float(start[path[0]] + sum(emissions[i, t] for i, t in enumerate(path))
                 + sum(transitions[a, b] for a, b in zip(path, path[1:])))


def test_crf_nll_matches_enumeration_and_ignores_unlabelled_positions():
    generator = torch.Generator().manual_seed(0)
    num_labels, length = 2, 4
    size = 1 + 2 * num_labels
    log_probs = torch.randn(2, length + 1, size, generator=generator).log_softmax(-1)
    transitions = torch.randn(size, size, generator=generator).requires_grad_()
    start = torch.randn(size, generator=generator)
    gold = [(1, 2, 0, 3), (3, 4, 4)]  # the second row has 3 labelled characters, then padding
    tags = torch.full((2, length + 1), -100)
    for row, path in enumerate(gold):
        tags[row, :len(path)] = torch.tensor(path)

    expected, labelled = 0.0, 0
    for row, path in enumerate(gold):
        e, t, s = log_probs[row].numpy(), transitions.detach().numpy(), start.numpy()
        log_z = np.logaddexp.reduce([path_score(p, e, t, s) for p in valid_paths(len(path), num_labels)])
        expected += log_z - path_score(path, e, t, s)
        labelled += len(path)
    loss = crf_nll(log_probs, tags, transitions, start)
    assert math.isclose(loss.item(), expected / labelled, rel_tol=1e-5)
    loss.backward()
    assert torch.isfinite(transitions.grad).all() and transitions.grad.abs().sum() > 0


def test_viterbi_with_transitions_finds_the_best_valid_path():
    rng = np.random.default_rng(1)
    num_labels, size = 2, 5
    log_probs = np.log(rng.dirichlet(np.ones(size), size=(3, 5)))
    transitions, start = rng.normal(size=(size, size)), rng.normal(size=size)
    lengths = np.array([5, 3, 1])
    tags = viterbi_bio(log_probs, lengths, num_labels, transitions, start)
    for row, n in enumerate(lengths):
        best = max(valid_paths(n, num_labels), key=lambda p: path_score(p, log_probs[row], transitions, start))
        assert tuple(tags[row, :n]) == best
        assert not tags[row, n:].any()


def test_viterbi_never_lets_spans_of_a_separated_label_touch():
    rng = np.random.default_rng(2)
    num_labels, size = 2, 5
    log_probs = np.log(rng.dirichlet(np.ones(size) * 0.3, size=(4, 5)))
    transitions, start = rng.normal(size=(size, size)), rng.normal(size=size)
    lengths = np.array([5, 5, 4, 2])
    tags = viterbi_bio(log_probs, lengths, num_labels, transitions, start, separated=(0,))
    for row, n in enumerate(lengths):
        best = max(valid_paths(n, num_labels, (0,)),
                   key=lambda p: path_score(p, log_probs[row], transitions, start))
        assert tuple(tags[row, :n]) == best


def test_a_name_split_by_a_second_begin_tag_is_decoded_whole():
    # O, B-PROJECT, I-PROJECT, B-LOC, I-LOC: "天中鸟" where 中 looks like the start of a new name
    log_probs = np.log(np.array([[[.02, .89, .07, .01, .01], [.01, .94, .03, .01, .01], [.01, .01, .96, .01, .01]]]))
    lengths = np.array([3])
    assert viterbi_bio(log_probs, lengths, 2).tolist() == [[1, 1, 2]]  # two touching PROJECT spans
    assert viterbi_bio(log_probs, lengths, 2, separated=(0,)).tolist() == [[1, 2, 2]]
    chain = np.log(np.array([[[.02, .01, .01, .89, .07], [.01, .01, .01, .94, .03]]]))  # LOC chains may touch
    assert viterbi_bio(chain, np.array([2]), 2, separated=(0,)).tolist() == [[3, 3]]


def test_viterbi_boundary_rules_keep_punctuation_and_digit_runs_outside_spans():
    import numpy as np

    from zhinvest.decoding import blocked_boundaries, boundary_tables, decode_bio, viterbi_bio

    tokens = ["[PAD]", "“", "智", "慧", "港", "”", "(", "一", "期", ")", "2", "6", "7", ".", "j", "p", "g"]
    tables = boundary_tables(tokens)

    def decoded(ids: list[int], wanted_begins: list[int]) -> list[tuple[int, int]]:
        """Spans chosen when the tagger favours I- everywhere and B- at ``wanted_begins``."""
        ids = np.array([ids])
        lengths = np.array([ids.shape[1]])
        probs = np.tile(np.array([0.02, 0.30, 0.68]), (1, ids.shape[1], 1))
        probs[0, wanted_begins] = [0.02, 0.96, 0.02]
        no_start, no_end = blocked_boundaries(ids, lengths, tables)
        tags = viterbi_bio(np.log(probs), lengths, 1, no_start=no_start, no_end=no_end)[0]
        return [(s.start, s.end) for s in decode_bio(tags, np.ones(len(tags)))]

    assert decoded([1, 2, 3, 4, 5], [0]) == [(1, 4)]  # “智慧港”: the quotes stay outside
    assert decoded([4, 6, 7, 8, 9], [0]) == [(0, 5)]  # 港(一期): a closing bracket may end a span
    spans = decoded([11, 10, 12, 13, 14, 15, 16], [1])  # 627.jpg: no span starts inside 627
    assert all(s not in (1, 2) and e not in (1, 2) for s, e in spans), spans
    assert all(s not in (5, 6) and e not in (5, 6) for s, e in spans), spans
