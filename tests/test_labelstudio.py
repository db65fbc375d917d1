"""Label Studio export ⇄ documents: validation, the UTF-16 repair, counts, round trips, the CLI wiring."""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthetic import make_document
from zhinvest.annotation import AnnotationError
from zhinvest.labelstudio import (document_to_task, prediction_task, prediction_tasks, read_export,
                                  utf16_to_codepoint)
from zhinvest.types import Entity, Extraction, Relation

REPO = Path(__file__).resolve().parent.parent


def utf16(text: str, index: int) -> int:
    """The UTF-16 code-unit offset of code point ``index``: what the buggy Label Studio versions store."""
    return len(text[:index].encode("utf-16-le")) // 2


def region(rid, start, end, label, surface):
    return {"id": rid, "type": "labels", "from_name": "label", "to_name": "text", "origin": "manual",
            "value": {"start": start, "end": end, "text": surface, "labels": [label]}}


def link(source, target, label, direction="right"):
    return {"type": "relation", "from_id": source, "to_id": target, "labels": [label], "direction": direction}


def task(text, result, task_id=1, article=None, **annotation):
    data = {"text": text} | ({"article": article} if article else {})
    return {"id": task_id, "data": data, "predictions": [],
            "annotations": [{"id": 10 * task_id, "result": result, "was_cancelled": False,
                             "updated_at": "2024-03-01T10:00:00.000000Z"} | annotation]}


def at(text, piece, label, rid=None, offsets=lambda text, i: i):
    start = text.index(piece)
    return region(rid or piece, offsets(text, start), offsets(text, start + len(piece)), label, piece)


TEXT = "智慧物流科技港项目总投资20亿元。"


def test_spans_and_relations_are_read():
    export = [task(TEXT, [at(TEXT, "智慧物流科技港项目", "PROJECT", "a"), at(TEXT, "20亿元", "MONEY", "b"),
                          link("a", "b", "投资额")], article="0001.txt")]
    report = read_export(export)
    (doc,) = report.documents
    assert doc.id == "0001.txt" and doc.text == TEXT
    assert [(s.id, s.label, s.start, s.end, s.text) for s in doc.spans] == [
        ("a", "PROJECT", 0, 9, "智慧物流科技港项目"), ("b", "MONEY", 12, 16, "20亿元")]
    assert [(r.label, r.head, r.tail) for r in doc.relations] == [("投资额", "a", "b")]
    assert report.repaired == ()


def test_counts_reconcile_with_the_export():
    text = "项目A在中山签约"
    full = [at(text, "项目A", "PROJECT", "p"), at(text, "中山", "LOC", "l"), link("p", "l", "地点")]
    superseded = task(text, full[:1], task_id=1, article="a.txt", updated_at="2024-01-01T00:00:00Z")["annotations"]
    first = task(text, full, task_id=1, article="a.txt")
    first["annotations"] += superseded + [{"id": 99, "result": [], "was_cancelled": True,
                                           "updated_at": "2025-01-01T00:00:00Z"}]
    second = task(text, full[:2], task_id=2, article="b.txt")
    unannotated = {"id": 3, "data": {"text": "无标注", "article": "c.txt"}, "annotations": [],
                   "predictions": [{"result": full}]}
    cancelled_only = task("跳过", [], task_id=4, was_cancelled=True)
    export = [first, second, unannotated, cancelled_only]

    report = read_export(export)

    listed = [a for t in export for a in t["annotations"]]
    assert report.tasks == len(export) == len(report.documents) + len(report.unannotated)
    assert report.annotations == len(listed) == len(report.documents) + report.ignored_annotations
    assert report.unannotated == ("c.txt", "4")
    assert [d.id for d in report.documents] == ["a.txt", "b.txt"]
    assert (report.spans, report.relations) == (4, 1)
    assert report.spans == sum(len(d.spans) for d in report.documents)
    assert report.relations == sum(len(d.relations) for d in report.documents)


def test_latest_non_cancelled_annotation_is_used():
    text = "项目A在中山签约"
    old = task(text, [at(text, "项目A", "PROJECT")], updated_at="2024-06-01T01:00:00+02:00")  # 23:00 UTC["annotations"][0]
    new = task(text, [at(text, "中山", "LOC")], updated_at="2024-06-01T00:00:00Z")["annotations"][0]
    cancelled = {"id": 3, "result": [at(text, "签约", "DATE")], "was_cancelled": True,
                 "updated_at": "2025-01-01T00:00:00Z"}
    export = [{"id": 1, "data": {"text": text}, "annotations": [new, cancelled, old]}]
    (doc,) = read_export(export).documents
    assert [s.text for s in doc.spans] == ["中山"]
    export[0]["annotations"][0]["updated_at"] = "yesterday"
    with pytest.raises(AnnotationError, match="task 1: annotation 10 has an unreadable time 'yesterday'"):
        read_export(export)


# Label Studio counting in UTF-16 code units: every span after an astral character shifts
ASTRAL = [
    ("😀跨境电商产业园签约", "跨境电商产业园", "PROJECT"),
    ("𠮷跨境电商产业园签约", "跨境电商产业园", "PROJECT"),
    ("😀𠮷😀，火炬开发区与抖音集团签约", "抖音集团", "ORG"),
    ("与𠮷野家集团签约", "𠮷野家集团", "ORG"),  # the span itself holds a CJK Extension B character
    ("📈数据：😀20亿元", "20亿元", "MONEY"),
]


@pytest.mark.parametrize(("text", "piece", "label"), ASTRAL)
def test_utf16_offsets_around_astral_characters_are_repaired(text, piece, label):
    report = read_export([task(text, [at(text, piece, label, "s", offsets=utf16)], task_id=9)])
    (span,) = report.documents[0].spans
    assert (span.start, span.end, span.text) == (text.index(piece), text.index(piece) + len(piece), piece)
    assert report.repaired == ("9/s",)


@pytest.mark.parametrize(("text", "piece", "label"), ASTRAL)
def test_code_point_offsets_around_astral_characters_need_no_repair(text, piece, label):
    report = read_export([task(text, [at(text, piece, label, "s")])])
    assert report.documents[0].spans[0].text == piece and report.repaired == ()


@pytest.mark.parametrize(("text", "start", "end", "surface"), [
    ("跨境电商产业园签约", 1, 8, "跨境电商产业园"),      # shifted, and no astral character explains it
    ("a😀跨境", 2, 4, "😀跨"),                          # UTF-16 offset 2 falls inside the emoji's surrogate pair
    ("😀跨境电商产业园签约", 2, 9, "跨境电商产业圆"),     # right place, different surface text
    ("跨境电商产业园", 0, 40, "跨境电商产业园"),          # beyond the end
])
def test_unrepairable_offsets_name_the_task_and_span(text, start, end, surface):
    export = [task(text, [region("bad7", start, end, "PROJECT", surface)], task_id=3, article="0003.txt")]
    with pytest.raises(AnnotationError, match=r"task 3 \(0003\.txt\): span bad7 PROJECT"):
        read_export(export)


def test_left_relation_is_reversed():
    text = "项目A投资20亿元"
    export = [task(text, [at(text, "项目A", "PROJECT", "p"), at(text, "20亿元", "MONEY", "m"),
                          link("m", "p", "投资额", "left")])]
    (relation,) = read_export(export).documents[0].relations
    assert (relation.label, relation.head, relation.tail) == ("投资额", "p", "m")


@pytest.mark.parametrize(("relation", "message"), [
    (link("p", "l", "投资额"), r"relation 投资额 p→l \('项目A' → '中山'\): relation 投资额 goes from PROJECT to MONEY"),
    (link("l", "p", "地点"), "relation 地点 l→p .*goes from PROJECT to LOC, not from LOC to PROJECT"),
    (link("p", "l", "地点", "bi"), "relation 地点 p→l is bidirectional"),
    (link("p", "l", "地点", "up"), "relation 地点 p→l has direction 'up'"),
    (link("p", "x", "地点"), "relation 地点 p→x names span.* x that the annotation lacks"),
    (link("p", "l", "位于"), "relation 位于 p→l .*unknown relation label '位于'"),
    ({"type": "relation", "from_id": "p", "to_id": "l", "labels": [], "direction": "right"}, "relation p→l has labels \\[\\]; exactly one of 投资额"),
])
def test_bad_relations_are_errors_naming_them(relation, message):
    text = "项目A在中山"
    export = [task(text, [at(text, "项目A", "PROJECT", "p"), at(text, "中山", "LOC", "l"), relation], task_id=5)]
    with pytest.raises(AnnotationError, match="task 5: " + message):
        read_export(export)


@pytest.mark.parametrize(("item", "message"), [
    (region("s", 0, 2, "COMPANY", "项目"), "unknown entity label 'COMPANY'"),
    ({"id": "s", "type": "labels", "value": {"start": 0, "end": 2, "text": "项目", "labels": []}}, "has labels"),
    ({"id": "s", "type": "labels", "value": {"start": "0", "end": 2, "text": "项目", "labels": ["PROJECT"]}},
     "needs integer start/end"),
    ({"id": "c", "type": "textarea", "value": {"text": ["备注"]}}, "has type 'textarea'"),
])
def test_bad_regions_are_errors(item, message):
    with pytest.raises(AnnotationError, match=message):
        read_export([task("项目A在中山", [item])])


def test_overlapping_regions_are_an_error_naming_the_task():
    text = "智慧物流科技港项目"
    export = [task(text, [region("a", 0, 9, "PROJECT", text), region("b", 0, 4, "PROJECT", "智慧物流")], task_id=6)]
    with pytest.raises(AnnotationError, match="task 6: spans b and a overlap"):
        read_export(export)


def test_region_without_id_gets_a_stable_one():
    text = "项目A在中山"
    item = at(text, "中山", "LOC")
    del item["id"]
    (doc,) = read_export([task(text, [item])]).documents
    assert doc.spans[0].id == "span-4-6"


def test_task_identity_is_the_article_else_the_task_id():
    export = [task("项目", [], task_id=11, article="0011.txt"), task("项目", [], task_id=12)]
    assert [d.id for d in read_export(export).documents] == ["0011.txt", "12"]


def test_the_same_article_annotated_in_two_tasks_is_an_error():
    export = [task("项目", [], task_id=1, article="0001.txt"), task("项目", [], task_id=2, article="0001.txt")]
    with pytest.raises(AnnotationError, match=r"task 2 \(0001\.txt\) and task 1 \(0001\.txt\)"):
        read_export(export)


def test_round_trip_export_documents_tasks_documents():
    text = "😀3月9日，𠮷野家集团投资的跨境电商产业园在中山签约，总投资20亿元。"
    export = [task(text, [at(text, "跨境电商产业园", "PROJECT", "p", offsets=utf16),
                          at(text, "3月9日", "DATE", "d", offsets=utf16), at(text, "𠮷野家集团", "ORG", "o"),
                          at(text, "中山", "LOC", "l", offsets=utf16), at(text, "20亿元", "MONEY", "m"),
                          link("p", "d", "时间"), link("o", "p", "投资方", "left"), link("p", "l", "地点"),
                          link("p", "m", "投资额")], article="0042.txt")]
    export[0]["data"]["doc_date"] = "2024-03-09"
    export += [document_to_task(make_document(f"{k}.txt", sentences=2, seed=k)) for k in range(3)]
    docs = read_export(export).documents
    again = read_export([document_to_task(doc) for doc in docs])
    assert again.documents == docs and again.repaired == ()
    assert docs[0].doc_date == "2024-03-09" and len(docs[0].relations) == 4


def test_documents_as_predictions():
    doc = make_document("7.txt", sentences=1, seed=7)
    made = document_to_task(doc, model_version="gold-v1")
    assert made["data"] == {"text": doc.text, "article": "7.txt", "doc_date": doc.doc_date}
    (prediction,) = made["predictions"]
    assert (prediction["model_version"], prediction["score"]) == ("gold-v1", 1.0)
    made["annotations"] = [{"result": prediction["result"]}]
    assert read_export([made]).documents == (doc,)


def extraction(text="😀智慧物流科技港项目总投资20亿元。"):
    project, money = text.index("智慧物流科技港项目"), text.index("20亿元")
    return Extraction(text, "2021-03-09", (Entity("PROJECT", "智慧物流科技港项目", project, project + 9, 0.9),
                                           Entity("MONEY", "20亿元", money, money + 4, 0.7)),
                      (Relation("投资额", 0, 1, 0.6),))


def test_prediction_task_layout():
    made = prediction_task("0001.txt", extraction(), "zhinvest-small@1")
    assert made["data"] == {"text": extraction().text, "article": "0001.txt", "doc_date": "2021-03-09"}
    (prediction,) = made["predictions"]
    assert (prediction["model_version"], prediction["score"]) == ("zhinvest-small@1", 0.8)
    labels, relations = prediction["result"][:2], prediction["result"][2:]
    assert [(i["id"], i["type"], i["from_name"], i["to_name"], i["score"], i["value"]["labels"]) for i in labels] == [
        ("e0", "labels", "label", "text", 0.9, ["PROJECT"]), ("e1", "labels", "label", "text", 0.7, ["MONEY"])]
    assert relations == [link("e0", "e1", "投资额")]
    # accepted as is by an annotator, the prediction reads back as the same spans and relation
    made["annotations"] = [{"result": prediction["result"]}]
    (doc,) = read_export([made]).documents
    assert [(s.label, s.start, s.end, s.text) for s in doc.spans] == [
        (e.label, e.start, e.end, e.text) for e in extraction().entities]
    assert [(r.label, r.head, r.tail) for r in doc.relations] == [("投资额", "e0", "e1")]


def test_prediction_offsets_must_match_the_text():
    bad = Extraction("项目A在中山", None, (Entity("LOC", "中山", 3, 5),))
    with pytest.raises(ValueError, match=r"0009.txt: entity 0 LOC '中山' does not match the text at 3:5 \('在中'\)"):
        prediction_task("0009.txt", bad, "m")
    with pytest.raises(ValueError, match="given twice"):
        prediction_tasks([("a.txt", extraction()), ("a.txt", extraction())], "m")


def test_empty_prediction_has_score_zero():
    made = prediction_task("e.txt", Extraction("无项目"), "m")
    assert made["predictions"][0]["score"] == 0.0 and made["predictions"][0]["result"] == []


@given(st.text(alphabet=st.sampled_from("项目a😀𠮷📈\n"), max_size=30))
def test_utf16_offsets_convert_back_to_code_points(text):
    for index in range(len(text) + 1):
        assert utf16_to_codepoint(text, utf16(text, index)) == index


def test_utf16_offset_inside_a_surrogate_pair_is_none():
    assert utf16_to_codepoint("a😀b", 2) is None and utf16_to_codepoint("a😀b", 9) is None


def test_the_labeling_config_is_the_guide_one():
    from zhinvest.labelstudio_client import label_config

    project_copy = (REPO / "annotations" / "labeling_config.xml").read_text(encoding="utf-8")
    assert label_config() == project_copy
    root = ET.fromstring(project_copy)
    assert [r.get("value") for r in root.iter("Relation")] == ["投资额", "时间", "投资方", "地点"]
    assert [label.get("value") for label in root.iter("Label")] == ["PROJECT", "MONEY", "DATE", "ORG", "LOC"]
    (labels,), (text,) = root.findall("Labels"), root.findall("Text")
    assert (labels.get("name"), labels.get("toName"), text.get("name"), text.get("value"),
            text.get("granularity")) == ("label", "text", "text", "$text", "symbol")


# the client side, without a server or the SDK


def test_settings_name_what_is_missing_and_never_the_key(monkeypatch):
    from zhinvest.labelstudio_client import settings

    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "secret-token-123")
    with pytest.raises(ValueError, match=r"URL \(--url or \$LABEL_STUDIO_URL\) is not set") as caught:
        settings()
    assert "secret-token-123" not in str(caught.value)
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:8080/")
    assert settings() == ("http://127.0.0.1:8080", "secret-token-123")
    assert settings("http://other", "k") == ("http://other", "k")


def test_missing_sdk_says_how_to_install(monkeypatch):
    from zhinvest.labelstudio_client import connect

    monkeypatch.setitem(sys.modules, "label_studio_sdk", None)
    with pytest.raises(ImportError, match=r"pip install 'zhinvest\[labelstudio\]'"):
        connect("http://127.0.0.1:1", "k")


def test_commands_parse():
    from zhinvest.labelstudio_client import register_commands

    parser = argparse.ArgumentParser(prog="zhinvest")
    register_commands(parser.add_subparsers(dest="command", required=True))
    pushed = parser.parse_args(["labelstudio", "push", "a.txt", "dir", "--model", "m", "--project", "p"])
    assert (pushed.paths, pushed.model, pushed.project, pushed.url) == (["a.txt", "dir"], "m", "p", None)
    pulled = parser.parse_args(["labelstudio", "pull", "--project-id", "4"])
    assert (pulled.project_id, pulled.out) == (4, Path("annotations/standoff"))
    with pytest.raises(SystemExit):
        parser.parse_args(["labelstudio", "pull", "--project", "x", "--project-id", "4"])


def test_pull_command_reports_errors_without_a_traceback(monkeypatch, capsys):
    from zhinvest.labelstudio_client import register_commands

    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "secret-token-123")
    parser = argparse.ArgumentParser(prog="zhinvest")
    register_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["labelstudio", "pull"])
    assert args.handler(args) == 2
    err = capsys.readouterr().err
    assert "LABEL_STUDIO_URL" in err and "secret-token-123" not in err


def test_read_articles_keeps_text_exactly(tmp_path):
    from zhinvest.labelstudio_client import read_articles

    (tmp_path / "corpus" / "nested").mkdir(parents=True)
    (tmp_path / "corpus" / "0001.txt").write_bytes("项目A\r\n在中山".encode())
    (tmp_path / "corpus" / "nested" / "0002.txt").write_text("项目B", encoding="utf-8")
    (tmp_path / "corpus" / "notes.md").write_text("不是文章", encoding="utf-8")
    (tmp_path / "0003.txt").write_text("项目C", encoding="utf-8")
    assert read_articles([tmp_path / "corpus", tmp_path / "0003.txt"]) == [
        ("0001.txt", "项目A\r\n在中山"), ("nested/0002.txt", "项目B"), ("0003.txt", "项目C")]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "0003.txt").write_text("又一个", encoding="utf-8")
    with pytest.raises(ValueError, match="share the article name.* 0003.txt"):
        read_articles([tmp_path / "0003.txt", tmp_path / "other"])
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        read_articles([tmp_path / "missing.txt"])


def test_push_command_pre_annotates_with_the_model(monkeypatch, capsys, tmp_path, tiny_model_dir):
    from zhinvest import labelstudio_client
    from zhinvest.labelstudio_client import PushReport, register_commands

    sent = {}

    def fake_push(url, api_key, project, tasks):
        sent.update(url=url, project=project, tasks=tasks)
        return PushReport(7, tuple(t["data"]["article"] for t in tasks), ())

    monkeypatch.setattr(labelstudio_client, "connect", lambda url, api_key: None)
    monkeypatch.setattr(labelstudio_client, "push", fake_push)
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "secret-token-123")
    texts = {"0001.txt": "中山市火炬开发区与抖音集团签约，总投资超64亿元的智慧物流科技港项目今日动工。",
             "0002.txt": "😀跨境电商产业园项目总投资20亿元。"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    parser = argparse.ArgumentParser(prog="zhinvest")
    register_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["labelstudio", "push", str(tmp_path), "--model", str(tiny_model_dir),
                              "--doc-date", "2024-03-09", "--project", "p"])
    assert args.handler(args) == 0
    assert (sent["url"], sent["project"]) == ("http://127.0.0.1:9", "p")
    assert [t["data"] for t in sent["tasks"]] == [{"text": text, "article": name, "doc_date": "2024-03-09"}
                                                  for name, text in texts.items()]
    for made in sent["tasks"]:
        (prediction,) = made["predictions"]
        assert prediction["model_version"] == Path(tiny_model_dir).name
        for item in prediction["result"]:
            if item["type"] == "labels":
                value = item["value"]
                assert made["data"]["text"][value["start"]:value["end"]] == value["text"]
    err = capsys.readouterr().err
    assert "project 7: imported 2 tasks" in err and "secret-token-123" not in err
