"""The stand-off annotation store: joins texts by hash, refuses anything that does not fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthetic import make_document
from zhinvest.annotation import AnnotationError, load_store, save_document

REPO = Path(__file__).resolve().parent.parent
SHARED_ARTICLES = REPO.parent / "shared" / "articles"


@pytest.fixture
def store_and_corpus(tmp_path):
    doc = make_document("0001.txt", sentences=2, seed=3)
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    corpus.mkdir()
    (corpus / doc.id).write_text(doc.text, encoding="utf-8")
    save_document(doc, store)
    return doc, store, corpus


def test_round_trip_and_no_text_in_the_store(store_and_corpus):
    doc, store, corpus = store_and_corpus
    assert load_store(store, corpus) == [doc]
    record = json.loads((store / "0001.json").read_text(encoding="utf-8"))
    assert "text" not in record and len(record["sha256"]) == 64


def test_changed_text_is_refused_by_name(store_and_corpus):
    doc, store, corpus = store_and_corpus
    (corpus / doc.id).write_text(doc.text + "。", encoding="utf-8")
    with pytest.raises(AnnotationError, match="0001.txt.*sha256"):
        load_store(store, corpus)


def test_wrong_surface_text_is_refused_naming_the_span(store_and_corpus):
    doc, store, corpus = store_and_corpus
    path = store / "0001.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["spans"][1]["text"] = "别的"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(AnnotationError, match=f"0001.txt: span {record['spans'][1]['id']}"):
        load_store(store, corpus)


def test_relation_with_wrong_types_is_refused(store_and_corpus):
    doc, store, corpus = store_and_corpus
    path = store / "0001.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["relations"][0]["label"] = "地点"  # its tail is a MONEY span
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(AnnotationError, match="goes from PROJECT to LOC"):
        load_store(store, corpus)


@pytest.mark.skipif(not SHARED_ARTICLES.is_dir(), reason="the article corpus is not beside the checkout")
def test_every_committed_annotation_loads_against_the_corpus():
    documents = load_store(REPO / "annotations" / "standoff", [SHARED_ARTICLES, SHARED_ARTICLES.parent / "articles-more"])
    assert len(documents) == len(list((REPO / "annotations" / "standoff").glob("*.json")))
    split = json.loads((REPO / "annotations" / "split.json").read_text(encoding="utf-8"))
    assert not set(split["train"]) & set(split["dev"])
    assert {d.id for d in documents} <= set(split["train"]) | set(split["dev"])
    for doc in documents:
        assert all(doc.text[s.start:s.end] == s.text for s in doc.spans)


def test_agreement_is_measured_against_the_first_pass_kept_before_resolution(store_and_corpus, tmp_path, capsys):
    import dataclasses

    from training.annotation_report import main as report

    doc, store, corpus = store_and_corpus
    third, first_pass = tmp_path / "third_pass", tmp_path / "first_pass"
    save_document(doc, third)  # the other pass agrees with the resolved gold ...
    unresolved = dataclasses.replace(doc, spans=doc.spans[1:], relations=())
    save_document(unresolved, first_pass)  # ... but not with the first pass as it was made
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": [doc.id], "dev": []}), encoding="utf-8")
    args = ["--articles", str(corpus), "--store", str(store), "--split", str(split), "--passes", str(third)]
    report(args + ["--first-pass", str(tmp_path / "none")])
    assert "| spans | 1.000 |" in capsys.readouterr().out
    report(args + ["--first-pass", str(first_pass)])
    out = capsys.readouterr().out
    assert "| spans | 1.000 |" not in out and "| articles | 1 | 0 | 1 |" in out
