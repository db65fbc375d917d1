import random

import pytest

from training.batching import length_grouped_order


def test_grouped_order_keeps_every_window_once_and_groups_lengths():
    lengths = [random.Random(i).randint(10, 500) for i in range(200)]
    order = list(range(200))
    random.Random(1).shuffle(order)
    grouped = length_grouped_order(order, lengths, 4, 64, random.Random(2))
    assert sorted(grouped) == list(range(200))
    padded = lambda o: sum(4 * max(lengths[i] for i in o[k:k + 4]) for k in range(0, len(o), 4))
    assert padded(grouped) < 0.85 * padded(order)
    for begin in range(0, 192, 4):  # batches never straddle two groups: each is sorted by length
        batch = [lengths[i] for i in grouped[begin:begin + 4]]
        assert batch == sorted(batch)


def test_grouped_order_is_reproducible_and_off_when_groups_are_batches():
    lengths = list(range(50, 0, -1))
    order = list(range(50))
    first = length_grouped_order(order, lengths, 4, 16, random.Random("13/batches/1"))
    assert first == length_grouped_order(order, lengths, 4, 16, random.Random("13/batches/1"))
    assert length_grouped_order(order, lengths, 4, 0, random.Random(0)) == order
    with pytest.raises(ValueError, match="batch_size"):
        length_grouped_order(order, lengths, 0, 16, random.Random(0))
