"""Flag likely inconsistencies across the whole annotated corpus, for an annotator to decide.

    python -m training.consistency [--store annotations/standoff] [--articles A B] [--out annotations/CONSISTENCY.md]

Checks (each finding names the articles, so it can be looked up and decided):

* **label conflicts**: the same surface text labelled with different labels in different articles;
* **unlabelled repeats**: a text labelled in one place but left unlabelled elsewhere (outside any span),
  for texts of at least ``--min-chars`` characters;
* **punctuation edges**: a span that starts or ends with punctuation (a closing bracket whose opening
  one is inside the span, and a scraped pinyin reading such as ``設(shè)``, are fine);
* **chain splits**: a LOC written as one span in one article while the same text is split into
  adjacent LOC spans in another (``东莞松山湖`` vs ``东莞 | 松山湖``).

A finding that was looked at and found right (``翠亨新區`` is the place in one sentence and the project
being built in the next) is recorded in the decisions file (``--decisions``, TAB-separated
``kind  text  decision``, kind one of ``label``, ``unlabelled``, ``punctuation``, ``chain``); the report
lists it as decided. Exit status 1 while any finding is undecided.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from zhinvest.annotation import AnnotatedDocument, load_store

_OPENERS = {")": "(", "）": "（", "]": "[", "】": "【", "》": "《", "」": "「", "』": "『", "”": "“"}
_READING_END = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,8}[)）]$")


@dataclass
class Findings:
    label_conflicts: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # text → label → articles
    unlabelled_repeats: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (text, label) → articles
    punctuation_edges: list[tuple[str, str, str]] = field(default_factory=list)  # (article, label, text)
    chain_splits: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # text → (whole, split)

    def count(self) -> int:
        return (len(self.label_conflicts) + len(self.unlabelled_repeats) + len(self.punctuation_edges)
                + len(self.chain_splits))

    def keys(self) -> list[tuple[str, str]]:
        """``(kind, text)`` of every finding, the key a decision is recorded under."""
        return ([("label", t) for t in self.label_conflicts] + [("unlabelled", t) for t, _ in self.unlabelled_repeats]
                + [("punctuation", t) for _, _, t in self.punctuation_edges] + [("chain", t) for t in self.chain_splits])


def read_decisions(path: Path | None) -> dict[tuple[str, str], str]:
    """``(kind, text) → decision`` from a TAB-separated decisions file (``#`` lines are comments)."""
    if path is None or not path.is_file():
        return {}
    decisions = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in ("label", "unlabelled", "punctuation", "chain"):
            raise ValueError(f"{path}:{number}: expected 'kind<TAB>text<TAB>decision', got {line!r}")
        decisions[(parts[0], parts[1])] = parts[2]
    return decisions


def is_punctuation(character: str) -> bool:
    return unicodedata.category(character).startswith("P")


def bad_edge(text: str) -> bool:
    """True when the span text starts or ends with punctuation that does not belong to it."""
    if not text:
        return False
    if is_punctuation(text[0]):
        return True
    last = text[-1]
    if not is_punctuation(last):
        return False
    if _READING_END.search(text):
        return False
    opener = _OPENERS.get(last)
    return opener is None or opener not in text[:-1]


def check(documents: list[AnnotatedDocument], min_chars: int = 3) -> Findings:
    findings = Findings()
    labels_of: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    whole_loc: dict[str, set[str]] = defaultdict(set)
    split_loc: dict[str, set[str]] = defaultdict(set)
    for doc in documents:
        spans = sorted(doc.spans, key=lambda s: s.start)
        for span in spans:
            labels_of[span.text][span.label].add(doc.id)
            if bad_edge(span.text):
                findings.punctuation_edges.append((doc.id, span.label, span.text))
            if span.label == "LOC":
                whole_loc[span.text].add(doc.id)
        for left, right in zip(spans, spans[1:]):
            if left.label == right.label == "LOC" and left.end == right.start:
                split_loc[left.text + right.text].add(doc.id)
    for text, by_label in labels_of.items():
        if len(by_label) > 1:
            findings.label_conflicts[text] = {label: sorted(ids) for label, ids in sorted(by_label.items())}
    for text in sorted(set(whole_loc) & set(split_loc)):
        findings.chain_splits[text] = (sorted(whole_loc[text]), sorted(split_loc[text]))
    findings.unlabelled_repeats = unlabelled_repeats(documents, labels_of, min_chars)
    return findings


def unlabelled_repeats(documents, labels_of, min_chars: int) -> dict[tuple[str, str], list[str]]:
    """Occurrences of a labelled text (one label only, ``min_chars`` or longer) that no span covers."""
    texts = sorted((t for t, by_label in labels_of.items() if len(t) >= min_chars and len(by_label) == 1),
                   key=len, reverse=True)
    if not texts:
        return {}
    pattern = re.compile("|".join(re.escape(t) for t in texts))
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for doc in documents:
        covered = bytearray(len(doc.text))
        for span in doc.spans:
            covered[span.start:span.end] = b"\x01" * (span.end - span.start)
        at = 0
        while (match := pattern.search(doc.text, at)) is not None:
            start, end = match.span()
            if not any(covered[start:end]):
                label = next(iter(labels_of[match.group()]))
                found[(match.group(), label)].add(doc.id)
            at = start + 1
    return {key: sorted(ids) for key, ids in sorted(found.items())}


def markdown(findings: Findings, documents: int, decisions: dict[tuple[str, str], str]) -> str:
    undecided = sum(1 for key in findings.keys() if key not in decisions)
    lines = ["# Consistency check of the annotations", "",
             f"`python -m training.consistency` over {documents} annotated articles: "
             f"{findings.count()} findings, {findings.count() - undecided} of them decided "
             f"(looked at and kept, with the reason), {undecided} undecided.", ""]

    def section(title: str, kind: str, rows: list[tuple[str, str]]) -> None:
        lines.extend([f"## {title} ({len(rows)})", ""])
        for text, row in rows:
            decision = decisions.get((kind, text))
            lines.append(row + (f" — decided: {decision}" if decision else " — **undecided**"))
        lines.extend(([] if rows else ["None."]) + [""])

    def articles(ids: list[str]) -> str:
        return ", ".join(ids[:8]) + (" …" if len(ids) > 8 else "")

    section("Same text, different labels", "label", [
        (text, f"- `{text}`: " + "; ".join(f"{label} in {articles(ids)}" for label, ids in by_label.items()))
        for text, by_label in findings.label_conflicts.items()])
    section("Labelled in one place, unlabelled in another", "unlabelled", [
        (text, f"- `{text}` ({label}) unlabelled in {articles(ids)}")
        for (text, label), ids in findings.unlabelled_repeats.items()])
    section("Spans starting or ending with punctuation", "punctuation", [
        (text, f"- {article}: {label} `{text}`") for article, label, text in findings.punctuation_edges])
    section("LOC chains split in one article, whole in another", "chain", [
        (text, f"- `{text}`: whole in {articles(whole)}; split in {articles(split)}")
        for text, (whole, split) in findings.chain_splits.items()])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("annotations/standoff"))
    parser.add_argument("--articles", type=Path, nargs="+",
                        default=[Path("../shared/articles"), Path("../shared/articles-more")])
    parser.add_argument("--out", type=Path, help="write the report here (markdown) as well as to stdout")
    parser.add_argument("--min-chars", type=int, default=3, help="shortest text checked for unlabelled repeats")
    parser.add_argument("--decisions", type=Path, default=Path("annotations/consistency_decisions.tsv"))
    args = parser.parse_args(argv)
    documents = load_store(args.store, args.articles)
    findings = check(documents, args.min_chars)
    decisions = read_decisions(args.decisions)
    text = markdown(findings, len(documents), decisions)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if any(key not in decisions for key in findings.keys()) else 0


if __name__ == "__main__":
    sys.exit(main())
