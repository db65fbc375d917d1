"""Invented investment-news sentences with exact gold spans and relations (for training tests)."""

from __future__ import annotations

import random

from zhinvest.annotation import AnnotatedDocument, GoldRelation, GoldSpan

PROJECTS = ["智慧物流科技港项目", "跨境电商产业园", "新能源汽车零部件制造基地", "数字经济产业园项目"]
MONEY = ["20亿元", "超64亿元", "4649万元", "近3亿元"]
DATES = ["3月9日", "2021年", "今日"]
ORGS = ["抖音集团", "星河能源科技股份有限公司", "瑞丰机械集团"]
LOCS = ["中山", "火炬开发区", "西区"]


def sentence(rng: random.Random) -> list[tuple[str, str | None]]:
    """One sentence as (piece, label) parts; exactly one project linked to everything else."""
    project, money, date, org, loc = (rng.choice(PROJECTS), rng.choice(MONEY), rng.choice(DATES),
                                      rng.choice(ORGS), rng.choice(LOCS))
    return [(date, "DATE"), ("，", None), (org, "ORG"), ("投资的", None), (project, "PROJECT"), ("在", None),
            (loc, "LOC"), ("签约，总投资", None), (money, "MONEY"), ("。", None)]


def make_document(doc_id: str, sentences: int, seed: int) -> AnnotatedDocument:
    rng = random.Random(seed)
    text, spans, relations = "", [], []
    for _ in range(sentences):
        ids = {}
        for piece, label in sentence(rng):
            if label:
                span = GoldSpan(f"T{len(spans) + 1}", label, len(text), len(text) + len(piece), piece)
                spans.append(span)
                ids[label] = span.id
            text += piece
        for relation, label in (("投资额", "MONEY"), ("时间", "DATE"), ("投资方", "ORG"), ("地点", "LOC")):
            relations.append(GoldRelation(relation, ids["PROJECT"], ids[label]))
    return AnnotatedDocument(doc_id, text, tuple(spans), tuple(relations), "2021-03-09")


def synthetic_characters() -> str:
    """Every character the invented sentences can contain."""
    fixed = "".join(piece for piece, label in sentence(random.Random(0)) if label is None)
    return fixed + "".join(PROJECTS + MONEY + DATES + ORGS + LOCS)
