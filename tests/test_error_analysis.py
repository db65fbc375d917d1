"""The dev error analysis: span errors by overlap kind, label mix-ups, relation head on found ends."""

from zhinvest.annotation import AnnotatedDocument, GoldRelation, GoldSpan
from zhinvest.types import Entity, Extraction, Relation

from training.error_analysis import analyse


def gold_span(text: str, id_: str, label: str, surface: str) -> GoldSpan:
    start = text.index(surface)
    return GoldSpan(id_, label, start, start + len(surface), surface)


def entity(text: str, label: str, surface: str) -> Entity:
    start = text.index(surface)
    return Entity(label, surface, start, start + len(surface))


def test_span_errors_are_classified_by_what_overlaps_them():
    text = "星河产业园项目落户黄圃镇，由星河集团投资10亿元，今年开工。"
    gold = AnnotatedDocument("a", text, spans=(
        gold_span(text, "p", "PROJECT", "星河产业园项目"), gold_span(text, "l", "LOC", "黄圃镇"),
        gold_span(text, "o", "ORG", "星河集团"), gold_span(text, "m", "MONEY", "10亿元"),
        gold_span(text, "d", "DATE", "今年")))
    predicted = Extraction(text, entities=(
        entity(text, "LOC", "星河产业园"),  # gold PROJECT found only as LOC
        entity(text, "LOC", "黄圃镇"), entity(text, "MONEY", "10亿元"),
        Entity("ORG", "星河", 14, 16),  # boundary: shorter than the gold ORG
        entity(text, "PROJECT", "开工")))  # overlaps no gold span

    analysis = analyse([gold], [predicted])

    assert dict(analysis.span_errors) == {("PROJECT", "confused"): 1, ("ORG", "boundary"): 1,
                                          ("DATE", "missed"): 1, ("PROJECT", "spurious"): 1}
    assert dict(analysis.gold_overlaps) == {("PROJECT", "LOC"): 1}
    assert dict(analysis.predicted_overlaps) == {("LOC", "PROJECT"): 1}
    assert text[14:16] == "星河"


def test_relation_head_is_scored_only_where_both_ends_were_found():
    text = "甲项目投资5亿元落户乙市。"
    spans = (gold_span(text, "p", "PROJECT", "甲项目"), gold_span(text, "m", "MONEY", "5亿元"),
             gold_span(text, "l", "LOC", "乙市"))
    gold = AnnotatedDocument("b", text, spans=spans,
                             relations=(GoldRelation("投资额", "p", "m"), GoldRelation("地点", "p", "l")))
    missing_project = AnnotatedDocument("c", text, spans=spans, relations=(GoldRelation("投资额", "p", "m"),))
    entities = tuple(entity(text, s.label, s.text) for s in spans)
    predicted = Extraction(text, entities=entities,
                           relations=(Relation("投资额", 0, 1), Relation("时间", 0, 2)))  # second: wrong label
    no_project = Extraction(text, entities=entities[1:])

    analysis = analyse([gold, missing_project], [predicted, no_project])

    assert analysis.gold_relations == 3
    assert analysis.gold_relations_with_both_ends == 2
    assert analysis.found_among_both_ends == 1
    assert analysis.predicted_relations_on_gold_ends == 2
    assert analysis.correct_among_gold_ends == 1
    assert analysis.head_recall == 0.5 and analysis.head_precision == 0.5
    assert analysis.to_dict()["gold_relations_with_both_ends"] == 2
    report = "\n".join(analysis.markdown(["PROJECT", "MONEY", "LOC"]))
    assert "2 of 3 gold relations have both ends predicted exactly" in report
