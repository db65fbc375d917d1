"""Mention replacement keeps every span on its text and every relation on its spans."""

from __future__ import annotations

import random

from synthetic import make_document
from training.augment import mention_pool, replace_mentions
from training.config import TrainConfig
from training.train import epoch_windows
from zhinvest.annotation import AnnotatedDocument, GoldRelation, GoldSpan
from zhinvest.modeling import ModelSettings
from zhinvest.vocab import CharVocab


def _doc() -> AnnotatedDocument:
    text = "华强公司投资的光明项目今日开工，光明项目总投资5亿元。"
    spans = (GoldSpan("o", "ORG", 0, 4, "华强公司"), GoldSpan("p1", "PROJECT", 7, 11, "光明项目"),
             GoldSpan("p2", "PROJECT", 16, 20, "光明项目"), GoldSpan("m", "MONEY", 23, 26, "5亿元"))
    relations = (GoldRelation("投资方", "p1", "o"), GoldRelation("投资额", "p2", "m"))
    return AnnotatedDocument("a.txt", text, spans, relations)


def test_replacement_moves_spans_with_the_edits_and_keeps_relations():
    doc = _doc()
    pool = {"PROJECT": ["光明项目", "新能源汽车零部件产业园"], "ORG": ["华强公司", "某某集团"]}
    copy = replace_mentions(doc, pool, probability=1.0, rng=random.Random(0))
    assert copy.text == "某某集团投资的新能源汽车零部件产业园今日开工，新能源汽车零部件产业园总投资5亿元。"
    for span in copy.spans:
        assert copy.text[span.start:span.end] == span.text
    assert [s.text for s in copy.spans] == ["某某集团", "新能源汽车零部件产业园", "新能源汽车零部件产业园", "5亿元"]
    assert copy.relations == doc.relations


def test_probability_zero_or_a_single_name_pool_leaves_the_article_alone():
    doc = _doc()
    assert replace_mentions(doc, mention_pool([doc], ("PROJECT", "ORG")), 1.0, random.Random(0)) is doc
    pool = {"PROJECT": ["光明项目", "另一个项目"]}
    assert replace_mentions(doc, pool, 0.0, random.Random(0)) is doc


def test_epoch_windows_differ_by_epoch_and_repeat_for_the_same_epoch():
    docs = [make_document(f"{k}.txt", sentences=3, seed=k) for k in range(6)]
    vocab = CharVocab(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted({c for d in docs for c in d.text}))
    settings = ModelSettings(max_length=128, overlap=16)
    plain = epoch_windows(docs, ["unchanged"], vocab, settings, TrainConfig())
    assert plain(1) == plain(2) == ["unchanged"]
    swapped = epoch_windows(docs, [], vocab, settings, TrainConfig(mention_replacement=1.0))
    first, again, second = swapped(1), swapped(1), swapped(2)
    assert [w.ids.tolist() for w in first] == [w.ids.tolist() for w in again]
    assert [w.ids.tolist() for w in first] != [w.ids.tolist() for w in second]
