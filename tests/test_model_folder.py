"""The model folder: what it contains, and clear errors when it is wrong."""

from __future__ import annotations

import json
import shutil

import pytest

from zhinvest import Extractor
from zhinvest.decoding import decode_bio, spans_to_bio
from zhinvest.modeling import REQUIRED_FILES


def test_folder_describes_itself(tiny_model_dir):
    config = json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8"))
    section = config["zhinvest"]
    assert section["schema"]["entity_labels"] == ["PROJECT", "MONEY", "DATE", "ORG", "LOC"]
    assert section["schema"]["relation_tail"] == {"投资额": "MONEY", "时间": "DATE", "投资方": "ORG", "地点": "LOC"}
    assert {"max_length", "overlap", "normalizer", "max_pair_distance"} <= set(section)
    for name in REQUIRED_FILES + ("tokenizer_config.json",):
        assert (tiny_model_dir / name).is_file()
    assert not list(tiny_model_dir.glob("*.bin")) and not list(tiny_model_dir.glob("*.pt"))


def _copy(tiny_model_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    return target


@pytest.mark.parametrize("missing", REQUIRED_FILES)
def test_missing_file_is_named(tiny_model_dir, tmp_path, missing):
    folder = _copy(tiny_model_dir, tmp_path)
    (folder / missing).unlink()
    with pytest.raises(FileNotFoundError, match=missing):
        Extractor.from_pretrained(folder)


def test_label_schema_mismatch_is_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["zhinvest"]["schema"]["entity_labels"].append("PERSON")
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ValueError, match="label schema mismatch"):
        Extractor.from_pretrained(folder)


def test_folder_without_separated_labels_gets_the_default(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["zhinvest"]["schema"].pop("separated_labels") == ["PROJECT", "MONEY", "DATE"]
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    schema = Extractor.from_pretrained(folder).settings.schema
    assert schema.separated_labels == ("PROJECT", "MONEY", "DATE")
    assert schema.separated_ids == (0, 1, 2)


def test_plain_encoder_folder_is_not_a_model(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    del config["zhinvest"]
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ValueError, match="plain encoder"):
        Extractor.from_pretrained(folder)


def test_unknown_setting_is_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["zhinvest"]["window_size"] = 3
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown model settings"):
        Extractor.from_pretrained(folder)


def test_nonexistent_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="neither a local model folder"):
        Extractor.from_pretrained("no-such-org/no-such-model")


@pytest.mark.parametrize("tags, expected", [
    ([0, 0], []),
    ([1, 2, 2], [(0, 3, 0)]),
    ([2, 2, 0], [(0, 2, 0)]),  # I- without B- starts a span
    ([1, 1], [(0, 1, 0), (1, 2, 0)]),  # adjacent same-label entities stay apart
    ([1, 4, 4], [(0, 1, 0), (1, 3, 1)]),  # label change inside a run splits it
    ([3, 4, 0, 9, 10], [(0, 2, 1), (3, 5, 4)]),
])
def test_bio_decoding_table(tags, expected):
    import numpy as np

    spans = decode_bio(np.array(tags), np.ones(len(tags)))
    assert [(s.start, s.end, s.label) for s in spans] == expected
    round_trip = decode_bio(spans_to_bio(len(tags), expected), np.ones(len(tags)))
    assert [(s.start, s.end, s.label) for s in round_trip] == expected


def test_relation_head_counts_sentence_ends_between_the_pair(tiny_model_dir):
    import torch

    from zhinvest.modeling import ZhinvestModel

    model, vocab = ZhinvestModel.load(tiny_model_dir)
    text = "该项目。总投资！亿元；\n今日"
    ids = torch.from_numpy(vocab.encode(text))[None]
    # rows: (batch, head_start, head_end, tail_start, tail_end); the head may sit after the tail
    pairs = torch.tensor([[0, 0, 3, 1, 2], [0, 0, 3, 4, 7], [0, 8, 10, 0, 3], [0, 0, 3, 12, 14]])
    assert model.sentence_crossings(ids, pairs).tolist() == [0, 1, 2, 4]  # pair_logits caps at 3
    counts = torch.tensor([[0, 0, 0], [1, 2, 3], [4, 0, 9], [0, 1, 0]])  # pair_logits caps these at 3 too
    logits = model.relation_logits(torch.zeros(1, len(text), 32), pairs, ids, counts)
    assert logits.shape == (4, 4)
    capped = model.relation_logits(torch.zeros(1, len(text), 32), pairs[2:3], ids, torch.tensor([[3, 0, 3]]))
    torch.testing.assert_close(logits[2], capped[0])


def test_viterbi_paths_are_valid_bio_and_keep_valid_argmax_paths():
    import numpy as np

    from zhinvest.decoding import bio_transitions, viterbi_bio

    rng = np.random.default_rng(0)
    allowed, allowed_first = bio_transitions(5)
    logits = rng.normal(size=(64, 30, 11)) * 3
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    lengths = rng.integers(1, 31, size=64)
    paths = viterbi_bio(log_probs, lengths, 5)
    for row, n in enumerate(lengths):
        path, argmax = paths[row, :n], log_probs[row, :n].argmax(-1)
        assert allowed_first[path[0]] and all(allowed[a, b] for a, b in zip(path[:-1], path[1:]))
        chosen = np.take_along_axis(log_probs[row, :n], path[:, None], 1).sum()
        assert chosen <= log_probs[row, :n].max(-1).sum() + 1e-9
        if allowed_first[argmax[0]] and all(allowed[a, b] for a, b in zip(argmax[:-1], argmax[1:])):
            assert path.tolist() == argmax.tolist()


def test_decoding_setting_is_checked():
    from zhinvest.modeling import ModelSettings

    with pytest.raises(ValueError, match="decoding"):
        ModelSettings(decoding="beam")
