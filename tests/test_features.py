"""Word and place features: deterministic, aligned with the normalized text, recorded in the model folder."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from zhinvest.assemble import prepare
from zhinvest.features import (CHANNELS, FEATURE_VOCAB_SIZE, PLACE_LEVELS, PLACE_OFFSET, POSITIONS, WORD_CLASSES,
                               CharFeaturizer, padded_batch)
from zhinvest.modeling import ModelSettings


@pytest.fixture(scope="module")
def featurizer():
    return CharFeaturizer()


def word(featurizer, text, position):
    """(position letter, word class) of the character at ``position``."""
    value = int(featurizer(text)[position, 0]) - 1
    return POSITIONS[value % len(POSITIONS)], WORD_CLASSES[value // len(POSITIONS)]


def place(featurizer, text, position):
    value = int(featurizer(text)[position, 1])
    if value == 0:
        return None
    value -= PLACE_OFFSET
    return POSITIONS[value % len(POSITIONS)], PLACE_LEVELS[value // len(POSITIONS)]


def test_same_text_same_features_and_one_row_per_character(featurizer):
    text = "中山市火炬开发区签约总投资20亿元的生物医药项目。\n东莞松山湖"
    first = featurizer(text)
    assert first.shape == (len(text), CHANNELS) and first.dtype == np.int64
    assert np.array_equal(first, CharFeaturizer()(text))
    assert first.min() >= 0 and first.max() < FEATURE_VOCAB_SIZE
    assert featurizer("").shape == (0, CHANNELS)


def test_places_and_words_are_marked(featurizer):
    text = "广东省中山市"
    assert [place(featurizer, text, k) for k in range(3)] == [("B", "province"), ("M", "province"),
                                                               ("E", "province")]
    assert place(featurizer, text, 3) == ("B", "city") and place(featurizer, text, 5) == ("E", "city")
    assert word(featurizer, "东莞松山湖", 0) == ("B", "ns")  # 东莞 is a place word in the dictionary
    assert place(featurizer, "中山", 1) == ("E", "city")  # short forms count, also at the end of a text
    assert place(featurizer, "签约项目", 0) is None


def test_features_follow_the_normalized_text_not_the_raw_offsets(featurizer):
    """Traditional script and pinyin readings are normalized away before features are computed, so a
    Traditional page with readings gets the features of its plain Simplified reading, character for character."""
    settings = ModelSettings(features=featurizer.settings)

    class Vocab:  # prepare() only needs encode()
        @staticmethod
        def encode(text):
            return np.zeros(len(text), dtype=np.int64)

    plain = prepare("廣州市黃埔區簽約新項目", None, settings, Vocab, featurizer)
    with_readings = prepare("廣州市黃埔區(qū)簽約新項目", None, settings, Vocab, featurizer)
    simplified = prepare("广州市黄埔区签约新项目", None, settings, Vocab, featurizer)
    assert with_readings.normalized.text == simplified.normalized.text
    assert np.array_equal(with_readings.features, simplified.features)
    assert np.array_equal(plain.features, simplified.features)
    assert len(with_readings.features) == len(with_readings.ids)
    # a window's features are sliced like its ids
    assert all(len(w.features) == len(w.ids) for w in with_readings.window_inputs())


def test_a_missing_dictionary_or_gazetteer_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="segmenter dictionary .*missing"):
        CharFeaturizer(dictionary=tmp_path / "dict.txt")
    with pytest.raises(FileNotFoundError, match="place gazetteer .*missing"):
        CharFeaturizer(gazetteer=tmp_path / "places.tsv")


def test_place_matches_are_longest_first_left_to_right(tmp_path):
    gazetteer = tmp_path / "places.tsv"
    gazetteer.write_text("# name\tlevel\n中山\tcity\n中山市\tcity\n山市区\tcounty\n火炬开发\ttownship\n", encoding="utf-8")
    custom = CharFeaturizer(gazetteer=gazetteer)
    levels = [None if v == 0 else (POSITIONS[(v - PLACE_OFFSET) % 4], PLACE_LEVELS[(v - PLACE_OFFSET) // 4])
              for v in custom("在中山市区火炬开")[:, 1].tolist()]
    # 中山市 wins over 中山 and over the overlapping 山市区; 火炬开 is only the prefix of a name
    assert levels == [None, ("B", "city"), ("M", "city"), ("E", "city"), None, None, None, None]
    gazetteer.write_text("中\tcity\n", encoding="utf-8")
    with pytest.raises(ValueError, match="shorter than two characters"):
        CharFeaturizer(gazetteer=gazetteer)


def test_padded_batch_leaves_special_tokens_and_padding_without_features():
    batch = padded_batch([np.ones((2, CHANNELS), np.int64), np.full((3, CHANNELS), 5, np.int64)], 5)
    assert batch.shape == (2, 5, CHANNELS)
    assert batch[0, :, 0].tolist() == [0, 1, 1, 0, 0] and batch[1, :, 0].tolist() == [0, 5, 5, 5, 0]


def test_model_refuses_missing_features_and_warns_on_another_segmenter(tmp_path, featurizer):
    from conftest import build_tiny_model
    from zhinvest import Extractor

    settings = ModelSettings(max_length=128, overlap=16, max_pair_distance=40, features=featurizer.settings)
    model, vocab = build_tiny_model(settings=settings)
    ids = torch.zeros((1, 4), dtype=torch.long)
    with pytest.raises(ValueError, match="trained with word features"):
        model(ids, torch.ones_like(ids))
    folder = model.save_pretrained(tmp_path / "featured", vocab)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Extractor.from_pretrained(folder, device="cpu")("广东省中山市签约项目")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["zhinvest"]["features"]["dictionary_sha256"] = "0" * 64
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="dictionary_sha256"):
        Extractor.from_pretrained(folder, device="cpu")
