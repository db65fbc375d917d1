"""Corpus statistics and inter-annotator agreement for ``annotations/README.md``.

    python -m training.annotation_report [--articles ../shared/articles]

Counts spans and relations per label and split; compares the first pass with each other
pass (``annotations/blind_pass``, ``annotations/third_pass``, ``annotations/second_pass``) on the
articles both annotated:
strict span F1 and relation F1 (both ends and the label must match), per label and overall.
The first pass is the gold, except for articles whose gold was later changed by resolving the
differences: their first-pass version is kept in ``annotations/first_pass`` and used instead,
so that agreement is measured between the passes as they were made.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from zhinvest.annotation import load_store
from zhinvest.evaluation import Score, gold_sets
from zhinvest.schema import ENTITY_LABELS, RELATION_LABELS


def counts(documents) -> tuple[Counter, Counter]:
    spans, relations = Counter(), Counter()
    for doc in documents:
        spans.update(s.label for s in doc.spans)
        relations.update(r.label for r in doc.relations)
    return spans, relations


def agreement(first, second) -> dict[str, Score]:
    by_id = {d.id: d for d in first}
    scores = {label: Score() for label in (*ENTITY_LABELS, "spans", *RELATION_LABELS, "relations")}
    for other in second:
        doc = by_id.get(other.id)
        if doc is None:
            continue
        spans_a, relations_a, _ = gold_sets(doc)
        spans_b, relations_b, _ = gold_sets(other)
        scores["spans"].add(spans_b, spans_a)
        scores["relations"].add(relations_b, relations_a)
        for label in ENTITY_LABELS:
            scores[label].add({s for s in spans_b if s[2] == label}, {s for s in spans_a if s[2] == label})
        for label in RELATION_LABELS:
            scores[label].add({r for r in relations_b if r[2] == label}, {r for r in relations_a if r[2] == label})
    return scores


def markdown(train, dev, first, passes: dict[str, list]) -> str:
    lines = ["| label | train | dev | all |", "|---|---|---|---|"]
    (train_spans, train_rel), (dev_spans, dev_rel) = counts(train), counts(dev)
    for label in ENTITY_LABELS:
        lines.append(f"| {label} | {train_spans[label]} | {dev_spans[label]} | {train_spans[label] + dev_spans[label]} |")
    for label in RELATION_LABELS:
        lines.append(f"| {label} | {train_rel[label]} | {dev_rel[label]} | {train_rel[label] + dev_rel[label]} |")
    lines.append(f"| articles | {len(train)} | {len(dev)} | {len(train) + len(dev)} |")
    for name, second in passes.items():
        shared = sorted({d.id for d in first} & {d.id for d in second})
        lines += ["", f"Agreement of `{name}` with the first pass on {len(shared)} articles "
                  "(F1 of that pass against the first pass; strict offsets):", "",
                  f"| | F1 | gold | {name} | matched |", "|---|---|---|---|---|"]
        for label, score in agreement(first, [d for d in second if d.id in shared]).items():
            lines.append(f"| {label} | {score.f1:.3f} | {score.gold} | {score.predicted} | {score.true_positives} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, nargs="+", default=[Path("../shared/articles"), Path("../shared/articles-more")],
                        help="folders of article texts")
    parser.add_argument("--store", type=Path, default=Path("annotations/standoff"))
    parser.add_argument("--passes", type=Path, nargs="*",
                        default=[Path("annotations/blind_pass"), Path("annotations/third_pass"),
                                 Path("annotations/second_pass")],
                        help="folders of other annotation passes to compare with the gold")
    parser.add_argument("--first-pass", type=Path, default=Path("annotations/first_pass"),
                        help="first-pass versions of gold articles changed by resolution")
    parser.add_argument("--split", type=Path, default=Path("annotations/split.json"))
    args = parser.parse_args(argv)
    split = json.loads(args.split.read_text(encoding="utf-8"))
    gold = load_store(args.store, args.articles)
    before = {d.id: d for d in load_store(args.first_pass, args.articles)} if args.first_pass.is_dir() else {}
    first = [before.get(d.id, d) for d in gold]
    passes = {folder.name: load_store(folder, args.articles) for folder in args.passes if folder.is_dir()}
    dev_names = set(split["dev"])
    print(markdown([d for d in gold if d.id not in dev_names], [d for d in gold if d.id in dev_names],
                   first, passes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
