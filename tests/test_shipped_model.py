"""The model shipped in models/: loaded by default, offline, and sensible on our own sample article."""

from __future__ import annotations

from pathlib import Path

import pytest

import zhinvest

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "zhinvest-small"
SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_article.txt"

pytestmark = pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="no shipped model")


def test_default_extract_uses_the_shipped_model(monkeypatch):
    monkeypatch.delenv("ZHINVEST_MODEL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert zhinvest.default_model_path() == SHIPPED
    text = SAMPLE.read_text(encoding="utf-8")
    result = zhinvest.extract(text, doc_date="2024-03-09")
    assert all(text[e.start:e.end] == e.text for e in result.entities)
    money = {e.text: e.value for e in result.entities if e.label == "MONEY"}
    assert money.get("12.5亿元") is not None and money["12.5亿元"].to_dict()["amount"] == "1250000000"
    assert any(e.label == "PROJECT" for e in result.entities)


def test_model_size_and_record():
    assert (SHIPPED / "model.safetensors").stat().st_size < 60 * 2**20
    assert (SHIPPED / "training.json").is_file()
