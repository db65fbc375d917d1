"""`python -m training.evaluate`: the report files, the error analysis, and scoring part of the train split."""

from __future__ import annotations

import json

import pytest

from synthetic import make_document
from training.evaluate import main
from zhinvest.annotation import save_document


@pytest.fixture(scope="module")
def split_on_disk(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    articles, store = root / "articles", root / "store"
    articles.mkdir()
    names, documents = {"train": [], "dev": []}, {}
    for name, seed in [("t0.txt", 0), ("t1.txt", 1), ("t2.txt", 2), ("d0.txt", 3), ("d1.txt", 4)]:
        doc = make_document(name, sentences=2, seed=seed)
        (articles / doc.id).write_text(doc.text, encoding="utf-8")
        save_document(doc, store)
        names["dev" if name.startswith("d") else "train"].append(doc.id)
        documents[doc.id] = doc
    (root / "split.json").write_text(json.dumps(names), encoding="utf-8")
    arguments = ["--articles", str(articles), "--store", str(store), "--split", str(root / "split.json"),
                 "--no-baseline"]
    return root, arguments, names, documents


def test_dev_report_has_scores_and_error_analysis(split_on_disk, tiny_model_dir, capsys):
    root, arguments, names, documents = split_on_disk
    out = root / "dev-report"

    assert main(["--model", str(tiny_model_dir), "--out", str(out), *arguments]) == 0

    text = (out / "EVALUATION.md").read_text(encoding="utf-8")
    assert text.startswith("# Evaluation of `tiny` on the dev split (2 articles)")
    assert "## Where the errors are" in text
    assert text in capsys.readouterr().out
    record = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    gold_spans = sum(len(documents[name].spans) for name in names["dev"])
    gold_relations = sum(len(documents[name].relations) for name in names["dev"])
    assert record["report"]["entities"]["micro"]["gold"] == gold_spans
    assert record["error_analysis"]["gold_relations"] == gold_relations
    assert (out / "evaluation.png").stat().st_size > 0


def test_train_part_scores_the_first_train_articles(split_on_disk, tiny_model_dir):
    root, arguments, names, documents = split_on_disk
    out = root / "train-fit"

    assert main(["--model", str(tiny_model_dir), "--out", str(out), "--part", "train", "--first", "2",
                 *arguments]) == 0

    record = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    first_two = sorted(names["train"])[:2]
    assert record["report"]["documents"] == 2
    assert record["report"]["entities"]["micro"]["gold"] == sum(len(documents[n].spans) for n in first_two)
    assert "on the train split (2 articles)" in (out / "EVALUATION.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("extra, message", [(["--part", "train"], "--part train needs --out"),
                                            (["--first", "0", "--out", "x"], "--first must be at least 1")])
def test_bad_options_are_refused_before_any_work(split_on_disk, tiny_model_dir, capsys, extra, message):
    _, arguments, _, _ = split_on_disk
    with pytest.raises(SystemExit) as stop:
        main(["--model", str(tiny_model_dir), *extra, *arguments])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
