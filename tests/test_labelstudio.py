"""Label Studio export ⇄ documents: validation, the UTF-16 repair, counts, round trips."""

from __future__ import annotations

import pytest

from synthetic import make_document
from zhinvest.annotation import AnnotationError
from zhinvest.labelstudio import document_to_task, prediction_task, read_export, utf16_to_codepoint
from zhinvest.types import Entity, Extraction, Relation


def export_task(text: str, spans: list[tuple[str, int, int, str]], relations=(), task_id=1, article=None) -> dict:
    result = [{"id": sid, "type": "labels", "from_name": "label", "to_name": "text",
               "value": {"start": s, "end": e, "text": text[s:e] if surface is None else surface, "labels": [label]}}
              for sid, s, e, label, surface in [(*x, None) if len(x) == 4 else x for x in spans]]
    result += [{"type": "relation", "from_id": h, "to_id": t, "labels": [label], "direction": d}
               for h, t, label, d in relations]
    data = {"text": text} | ({"article": article} if article else {})
    return {"id": task_id, "data": data, "annotations": [{"id": 7, "result": result, "was_cancelled": False}]}


def test_spans_and_relations_are_read_and_counted():
    text = "智慧物流科技港项目总投资20亿元。"
    task = export_task(text, [("a", 0, 9, "PROJECT"), ("b", 12, 16, "MONEY")], [("a", "b", "投资额", "right")],
                       article="0001.txt")
    report = read_export([task])
    (doc,) = report.documents
    assert (report.tasks, report.spans, report.relations, report.repaired) == (1, 2, 1, [])
    assert doc.id == "0001.txt" and [(s.start, s.end, s.text) for s in doc.spans] == [(0, 9, "智慧物流科技港项目"),
                                                                                       (12, 16, "20亿元")]
    assert [(r.label, r.head, r.tail) for r in doc.relations] == [("投资额", "a", "b")]


def test_left_relation_is_reversed():
    text = "项目A投资20亿元"
    task = export_task(text, [("p", 0, 3, "PROJECT"), ("m", 5, 9, "MONEY")], [("m", "p", "投资额", "left")])
    (relation,) = read_export([task]).documents[0].relations
    assert (relation.head, relation.tail) == ("p", "m")


@pytest.mark.parametrize("prefix", ["😀", "𠮷", "😀𠮷😀"])
def test_utf16_offsets_after_astral_characters_are_repaired(prefix):
    text = prefix + "跨境电商产业园签约"
    utf16_start = len(prefix.encode("utf-16-le")) // 2
    task = export_task(text, [("s", utf16_start, utf16_start + 7, "PROJECT", "跨境电商产业园")], task_id=9)
    report = read_export([task])
    (span,) = report.documents[0].spans
    assert text[span.start:span.end] == "跨境电商产业园"
    assert report.repaired == ["9/s"]


def test_unrepairable_offsets_name_the_task_and_span():
    text = "跨境电商产业园签约"
    task = export_task(text, [("bad", 1, 8, "PROJECT", "跨境电商产业园")], task_id=3)
    with pytest.raises(AnnotationError, match="task 3: span bad"):
        read_export([task])


def test_wrong_relation_type_is_an_error():
    text = "项目A在中山"
    task = export_task(text, [("p", 0, 3, "PROJECT"), ("l", 4, 6, "LOC")], [("p", "l", "投资额", "right")])
    with pytest.raises(AnnotationError, match="投资额 goes from PROJECT to MONEY"):
        read_export([task])


def test_cancelled_and_missing_annotations():
    text = "项目"
    task = export_task(text, [("p", 0, 2, "PROJECT")])
    task["annotations"].append({"id": 8, "result": [], "was_cancelled": True})
    empty = {"id": 2, "data": {"text": "无标注"}, "annotations": []}
    report = read_export([task, empty])
    assert report.tasks == 2 and report.tasks_without_annotation == ["2"] and report.spans == 1


def test_round_trip_export_documents_tasks_documents():
    docs = [make_document(f"{k}.txt", sentences=2, seed=k) for k in range(3)]
    again = read_export([document_to_task(d) for d in docs]).documents
    assert again == docs


def test_predictions_carry_scores_and_model_version():
    text = "智慧物流科技港项目总投资20亿元。"
    extraction = Extraction(text, "2021-03-09", (Entity("PROJECT", text[0:9], 0, 9, 0.9),
                                                 Entity("MONEY", text[12:16], 12, 16, 0.8)),
                            (Relation("投资额", 0, 1, 0.7),))
    task = prediction_task("0001.txt", extraction, "zhinvest-small@1")
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "zhinvest-small@1"
    labels = [i for i in prediction["result"] if i["type"] == "labels"]
    assert [i["score"] for i in labels] == [0.9, 0.8]
    # a prediction read back as an annotation gives the same spans and relation
    task["annotations"] = [{"result": prediction["result"]}]
    (doc,) = read_export([task]).documents
    assert [(s.start, s.end, s.label) for s in doc.spans] == [(0, 9, "PROJECT"), (12, 16, "MONEY")]
    assert len(doc.relations) == 1


def test_utf16_to_codepoint():
    assert utf16_to_codepoint("a😀b", 3) == 2
    assert utf16_to_codepoint("a😀b", 2) is None  # inside the surrogate pair
    assert utf16_to_codepoint("ab", 2) == 2


def test_the_packaged_labeling_config_is_the_project_one():
    from pathlib import Path

    from zhinvest.labelstudio_client import LABEL_CONFIG

    project_copy = Path(__file__).resolve().parent.parent / "annotations" / "labeling_config.xml"
    assert LABEL_CONFIG.read_text(encoding="utf-8") == project_copy.read_text(encoding="utf-8")
    for label in ("PROJECT", "MONEY", "DATE", "ORG", "LOC", "投资额", "时间", "投资方", "地点"):
        assert f'value="{label}"' in LABEL_CONFIG.read_text(encoding="utf-8")
