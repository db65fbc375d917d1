"""The corpus consistency check flags what an annotator has to decide, and honours recorded decisions."""

from __future__ import annotations

from zhinvest.annotation import AnnotatedDocument, GoldSpan
from training.consistency import bad_edge, check, markdown, read_decisions


def doc(name: str, text: str, *spans: tuple[str, str]) -> AnnotatedDocument:
    placed, at = [], 0
    for number, (label, surface) in enumerate(spans, 1):
        start = text.index(surface, at)
        placed.append(GoldSpan(f"T{number}", label, start, start + len(surface), surface))
        at = start + len(surface)
    return AnnotatedDocument(name, text, tuple(placed), ())


def test_bad_edges():
    assert bad_edge("“智慧港") and bad_edge("中山,") and bad_edge("产业园(")
    assert not bad_edge("研发中心(一期)") and not bad_edge("項目建設(shè)") and not bad_edge("中山")


def test_findings_of_each_kind():
    documents = [
        doc("a.txt", "东莞松山湖的智慧物流科技港项目开工。", ("LOC", "东莞松山湖"), ("PROJECT", "智慧物流科技港项目")),
        doc("b.txt", "东莞松山湖再签智慧物流科技港项目。", ("LOC", "东莞"), ("LOC", "松山湖")),
        doc("c.txt", "东莞与抖音集团签约，抖音集团。", ("ORG", "抖音集团"), ("PROJECT", "抖音集团")),
        doc("d.txt", "中山,火炬区", ("LOC", "中山,")),
    ]
    findings = check(documents)
    assert findings.chain_splits == {"东莞松山湖": (["a.txt"], ["b.txt"])}
    assert findings.unlabelled_repeats[("智慧物流科技港项目", "PROJECT")] == ["b.txt"]
    assert findings.label_conflicts["抖音集团"] == {"ORG": ["c.txt"], "PROJECT": ["c.txt"]}
    assert findings.punctuation_edges == [("d.txt", "LOC", "中山,")]


def test_decisions_mark_findings_decided(tmp_path):
    documents = [doc("c.txt", "抖音集团签约，抖音集团。", ("ORG", "抖音集团"), ("PROJECT", "抖音集团"))]
    path = tmp_path / "decisions.tsv"
    path.write_text("# kind\ttext\tdecision\nlabel\t抖音集团\tkept: the company and its project\n", encoding="utf-8")
    decisions = read_decisions(path)
    report = markdown(check(documents), 1, decisions)
    assert "0 undecided" in report and "decided: kept: the company and its project" in report
