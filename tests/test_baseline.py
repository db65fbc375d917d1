"""The jionlp rule baseline of the evaluation report."""

import logging

import pytest

jionlp = pytest.importorskip("jionlp")

from training.baseline import rule_spans  # noqa: E402


def test_rule_spans_find_money_and_dates_with_offsets():
    text = "2024年3月9日，该项目签约，总投资5亿元。"
    spans = rule_spans(text)
    assert (0, 9, "DATE") in spans
    money = [(start, end) for start, end, label in spans if label == "MONEY"]
    assert money and all("亿元" in text[start:end] for start, end in money)


def test_unparsable_time_candidates_log_nothing(caplog):
    # jionlp's time parser logs a traceback for "每月一" and skips it; the baseline mutes that noise
    with caplog.at_level(logging.DEBUG):
        rule_spans("园区每月一次召开项目推进会。")
    assert not [record for record in caplog.records if "Traceback" in record.getMessage()]
    assert logging.getLogger().isEnabledFor(logging.ERROR), "logging is restored afterwards"
