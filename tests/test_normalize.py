"""Normalization: the table of what changes, and offsets that always lead back to the raw text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from zhinvest.normalize import _WIDTH_TABLE, NormalizerConfig, normalize, to_simplified


@pytest.mark.parametrize("raw, expected", [
    ("西區(qū)管委會", "西区管委会"),  # pinyin reading after a character, Traditional
    ("近3億元", "近3亿元"),
    ("１２３ＡＢＣ，", "123ABC,"),  # full-width ASCII folds (the ideographic comma is full-width ASCII too)
    ("中山\r\n\r\n火炬", "中山\n火炬"),  # a run of line breaks is one sentence boundary
    ("火炬  开发区\t项目", "火炬开发区项目"),  # other whitespace is noise
    ("零\u200b宽\ufeff字符\x07", "零宽字符"),  # zero-width and control characters
    ("虹(LED)成(2DHT)今(16)", "虹(LED)成(2DHT)今(16)"),  # parentheses that are not pinyin stay
    ("記憶體", "记忆体"),  # character-level: phrase conversion (内存) would change the length
    ("", ""),
    ("𠮷😀項目", "𠮷😀项目"),  # astral characters are single characters
])
def test_normalization_table(raw, expected):
    assert normalize(raw).text == expected


def test_steps_can_be_switched_off():
    config = NormalizerConfig(traditional_to_simplified=False, fold_width=False, remove_pinyin=False)
    assert normalize("西區(qū)１", config).text == "西區(qū)１"
    with pytest.raises(ValueError, match="unknown normalizer settings"):
        NormalizerConfig.from_dict({"lowercase": True})


def test_span_maps_back_over_removed_characters():
    raw = "在西區(qū)管委會簽約"
    normalized = normalize(raw)
    start = normalized.text.index("西区管委会")
    s, e = normalized.to_original(start, start + len("西区管委会"))
    assert raw[s:e] == "西區(qū)管委會"


def test_a_span_ending_at_a_character_keeps_its_reading():
    raw = "在西區(qū)簽約"
    normalized = normalize(raw)
    s, e = normalized.to_original(1, 3)
    assert raw[s:e] == "西區(qū)"


_READING = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü1-5]+[)）]")

_alphabet = st.sampled_from(list("项目投资亿元億區開發中山西区市，。！\n\r\t 　ＡＢ１２abc()（）qūǎ😀𠮷\u200b\x00\u3000é")
                            + ["(qū)", "(gōng)", "\r\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, max_size=60).map("".join))
def test_every_normalized_character_points_into_the_raw_text(raw):
    normalized = normalize(raw)
    assert len(normalized.text) == len(normalized.starts) == len(normalized.ends)
    assert all(0 <= s < e <= len(raw) for s, e in zip(normalized.starts, normalized.ends))
    assert list(normalized.starts) == sorted(set(normalized.starts))  # monotonic, one source each
    for char, start, end in zip(normalized.text, normalized.starts, normalized.ends):
        source = raw[start:end]
        if len(source) > 1:  # a character followed by its removed pinyin reading
            assert _READING.fullmatch(source[1:]), source
            source = source[0]
        if char == "\n":
            assert source in ("\n", "\r")
        else:
            assert not source.isspace() and source not in ("\u200b", "\x00")
            assert char == source or char == to_simplified(source.translate(_WIDTH_TABLE))
