"""A rule baseline for MONEY and DATE spans: jionlp's regular-expression extractors."""

from __future__ import annotations

import logging

from zhinvest.annotation import AnnotatedDocument
from zhinvest.evaluation import Score


def rule_spans(text: str) -> set[tuple[int, int, str]]:
    """MONEY and DATE spans of jionlp's extractors.

    jionlp's time parser logs a traceback on the root logger for every candidate it cannot parse (and then
    skips it); those are muted here so that a report is not buried under them.
    """
    import jionlp

    logging.disable(logging.ERROR)
    try:
        spans = {(m["offset"][0], m["offset"][1], "MONEY") for m in jionlp.ner.extract_money(text, with_parsing=False)}
        spans |= {(t["offset"][0], t["offset"][1], "DATE") for t in jionlp.ner.extract_time(text, with_parsing=False)}
    finally:
        logging.disable(logging.NOTSET)
    return spans


def rule_baseline_report(documents: list[AnnotatedDocument]) -> dict[str, dict] | None:
    """Strict span P/R/F1 of the rule baseline for MONEY and DATE; None if jionlp is not installed."""
    try:
        import jionlp  # noqa: F401
    except ImportError:
        return None
    scores = {"MONEY": Score(), "DATE": Score()}
    for doc in documents:
        predicted = rule_spans(doc.text)
        for label, score in scores.items():
            score.add({s for s in predicted if s[2] == label},
                      {(s.start, s.end, s.label) for s in doc.spans if s.label == label})
    return {label: score.to_dict() for label, score in scores.items()}
