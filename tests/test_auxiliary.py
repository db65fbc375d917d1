"""Public NER sets as partial labels: readers, allowed-tag masks, packing and the loss."""

from __future__ import annotations

import json
import math

import numpy as np
import torch

from training.auxiliary import allowed_tags, pack_windows, partial_tag_loss, read_sentences
from zhinvest.normalize import normalize
from zhinvest.schema import DEFAULT_SCHEMA
from zhinvest.vocab import CharVocab

TAGS = DEFAULT_SCHEMA.tags


def tag_set(allowed_row: np.ndarray) -> set[str]:
    return {TAGS[k] for k in np.flatnonzero(allowed_row)}


def test_bio_reader_and_mask(tmp_path):
    path = tmp_path / "people.txt"
    lines = ["青 B-LOC", "海 I-LOC", "省 I-LOC", "张 B-PER", "三 I-PER", "在 O", "新 B-ORG", "华 I-ORG", "社 I-ORG", "",
             "好 O", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    first, second = read_sentences(path)
    assert first.text == "青海省张三在新华社" and second.text == "好"
    assert first.spans == ((0, 3, "LOC"), (3, 5, "O"), (6, 9, "ORG"))

    allowed = allowed_tags(first, DEFAULT_SCHEMA)
    assert tag_set(allowed[0]) == {"B-LOC"} and tag_set(allowed[1]) == {"I-LOC"}
    assert tag_set(allowed[3]) == {"O"}  # a person is not an entity for us
    assert tag_set(allowed[6]) == {"B-ORG"}
    # an unlabelled character may be O or any label the set does not annotate, never LOC or ORG
    unlabelled = tag_set(allowed[5])
    assert "O" in unlabelled and "B-MONEY" in unlabelled and "I-PROJECT" in unlabelled
    assert not unlabelled & {"B-LOC", "I-LOC", "B-ORG", "I-ORG"}


def test_cluener_reader_keeps_inclusive_ends_and_loosens_addresses(tmp_path):
    path = tmp_path / "cluener.json"
    record = {"text": "浙商银行在杭州市西湖区设点", "label": {"company": {"浙商银行": [[0, 3]]},
                                                     "address": {"杭州市西湖区": [[5, 10]]}}}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (sentence,) = read_sentences(path)
    assert sentence.spans == ((0, 4, "ORG"), (5, 11, "LOC?"))
    allowed = allowed_tags(sentence, DEFAULT_SCHEMA)
    assert tag_set(allowed[3]) == {"I-ORG"}
    assert tag_set(allowed[8]) == {"O", "B-LOC", "I-LOC"}  # their chains are one span, ours are split


def test_packing_normalizes_and_keeps_masks_aligned(tmp_path):
    path = tmp_path / "msra.txt"
    sentence = [("台", "B-LOC"), ("灣", "I-LOC"), ("　", "O"), ("好", "O"), ("。", "O")]
    path.write_text("\n".join(f"{c}\t{t}" for c, t in sentence) + "\n\n" + "\n".join(
        f"{c}\t{t}" for c, t in sentence) + "\n", encoding="utf-8")
    vocab = CharVocab(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "台", "湾", "好", "。"])
    windows = pack_windows(read_sentences(path), vocab, DEFAULT_SCHEMA, max_chars=6)
    # the full-width space is removed and 灣 becomes 湾; two 4-character sentences do not fit in 6
    assert [list(w.ids) for w in windows] == [[5, 6, 7, 8]] * 2
    assert tag_set(windows[0].allowed[0]) == {"B-LOC"} and tag_set(windows[0].allowed[1]) == {"I-LOC"}
    assert "O" in tag_set(windows[0].allowed[2])


def test_partial_loss_is_minus_log_allowed_mass():
    logits = torch.zeros(1, 2, len(TAGS))
    allowed = torch.zeros(1, 2, len(TAGS), dtype=torch.bool)
    allowed[0, 0, :3] = True  # three of eleven equally likely tags
    loss = partial_tag_loss(logits, allowed)  # the second position allows nothing: ignored (padding)
    assert math.isclose(loss.item(), -math.log(3 / len(TAGS)), rel_tol=1e-6)


def test_auxiliary_stage_teaches_the_tagger(tmp_path):
    from conftest import build_tiny_model
    from synthetic import make_document
    from training.config import TrainConfig
    from training.train import train_auxiliary

    model, vocab = build_tiny_model(seed=3)
    doc = make_document("0000.txt", sentences=3, seed=0)
    places = [s for s in doc.spans if s.label == "LOC"]
    assert places
    tags = ["O"] * len(doc.text)
    for span in places:
        tags[span.start:span.end] = ["B-LOC"] + ["I-LOC"] * (span.end - span.start - 1)
    path = tmp_path / "places.txt"
    path.write_text("\n".join(f"{c} {t}" for c, t in zip(doc.text, tags) if not c.isspace()) + "\n",
                    encoding="utf-8")
    config = TrainConfig(auxiliary=[str(path)], auxiliary_epochs=40, batch_size=1, learning_rate=5e-3,
                         head_learning_rate=5e-3, max_length=128, device="cpu", freeze_word_embeddings=False)
    record = train_auxiliary(model, vocab, config, torch.device("cpu"), torch.autocast("cpu", enabled=False))
    assert record["sentences"] == 1 and record["windows"] >= 1

    model.eval()
    text = normalize("".join(c for c in doc.text if not c.isspace())[:126]).text  # as the stage saw it
    ids = torch.tensor([[vocab.cls_id, *vocab.encode(text), vocab.sep_id]])
    with torch.inference_mode():
        predicted = model(ids, torch.ones_like(ids))[1][0, 1:-1].argmax(-1)
    expected = [t for c, t in zip(doc.text, tags) if not c.isspace()][:126]
    assert len(expected) == len(text)
    is_place = torch.tensor([t != "O" for t in expected])
    place_tags = {TAGS.index("B-LOC"), TAGS.index("I-LOC")}
    assert all(int(k) in place_tags for k in predicted[is_place])
    assert not any(int(k) in place_tags for k in predicted[~is_place])
