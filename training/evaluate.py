"""Evaluate a model folder on the dev split: entities (seqeval and our scorer), relations, triples.

    python -m training.evaluate --model models/zhinvest-small [--articles ../shared/articles]

Writes ``EVALUATION.md``, ``evaluation.json`` and ``evaluation.png`` (confusion matrix and
learning curve) into the model folder (or ``--out``), and prints the Markdown.  ``--part train
--first 40 --out DIR`` scores the first train articles instead, to see how well the model fits
the data it was trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhinvest.evaluation import Report, bio_sequence, gold_sets
from zhinvest.extractor import Extractor

from .baseline import rule_baseline_report
from .data import load_split
from .error_analysis import ErrorAnalysis, analyse


def seqeval_scores(documents, extractions) -> dict[str, dict[str, float]]:
    """Strict IOB2 entity scores from seqeval over character tag sequences of the raw texts."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    gold = [bio_sequence(len(d.text), gold_sets(d)[0]) for d in documents]
    predicted = [bio_sequence(len(e.text), [(x.start, x.end, x.label) for x in e.entities]) for e in extractions]
    report = classification_report(gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    return {label: {k: round(float(v), 4) for k, v in scores.items() if k in ("precision", "recall", "f1-score")}
            for label, scores in report.items()}


def error_breakdown(report: Report) -> dict[str, int]:
    """Counts of label confusions, missed gold spans and spurious predictions (by offsets)."""
    counts = {"label confused": 0, "missed or wrong boundary": 0, "spurious or wrong boundary": 0}
    for (gold, predicted), n in report.confusion.items():
        if gold != "-" and predicted != "-" and gold != predicted:
            counts["label confused"] += n
        elif predicted == "-":
            counts["missed or wrong boundary"] += n
        elif gold == "-":
            counts["spurious or wrong boundary"] += n
    return counts


def corpus_breakdown(documents, extractions, folders: list[Path], entity_labels, relation_labels) -> dict:
    """The headline scores of each corpus folder's articles (each article counted in the first folder
    that holds it), so that figures on the original and the newer corpus can be told apart."""
    from zhinvest.evaluation import evaluate

    groups: dict[str, list[int]] = {}
    for index, doc in enumerate(documents):
        folder = next((f for f in folders if (f / doc.id).is_file()), None)
        groups.setdefault(folder.name if folder else "?", []).append(index)
    result = {}
    for name, indices in groups.items():
        part = evaluate([documents[i] for i in indices], [extractions[i] for i in indices], entity_labels,
                        relation_labels)
        result[name] = {"articles": len(indices), "entity_f1": part.entities["micro"].f1,
                        **{f"{label}_f1": part.entities[label].f1 for label in ("PROJECT", "LOC")},
                        "relation_f1": part.relations["micro"].f1, "triple_f1": part.triples.f1}
    return result


def breakdown_markdown(breakdown: dict) -> list[str]:
    lines = ["", "## By corpus", "", "| corpus | articles | entity F1 | PROJECT F1 | LOC F1 | relation F1 | triples F1 |",
             "|---|---|---|---|---|---|---|"]
    for name, row in breakdown.items():
        lines.append(f"| {name} | {row['articles']} | {row['entity_f1']:.3f} | {row['PROJECT_f1']:.3f} | "
                     f"{row['LOC_f1']:.3f} | {row['relation_f1']:.3f} | {row['triple_f1']:.3f} |")
    return lines


def markdown(report: Report, seqeval: dict, baseline: dict | None, errors: dict, analysis: ErrorAnalysis,
             model: Path, documents: int, part: str = "dev") -> str:
    lines = [f"# Evaluation of `{model.name}` on the {part} split ({documents} articles)", "",
             "Strict span match (same offsets and label). seqeval columns: strict IOB2 over characters.", "",
             "| entity | precision | recall | F1 | seqeval F1 | gold |", "|---|---|---|---|---|---|"]
    for label, score in report.entities.items():
        key = "micro avg" if label == "micro" else label
        lines.append(f"| {label} | {score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f} | "
                     f"{seqeval.get(key, {}).get('f1-score', 0):.3f} | {score.gold} |")
    lines += ["", "| relation | precision | recall | F1 | gold |", "|---|---|---|---|---|"]
    for label, score in report.relations.items():
        lines.append(f"| {label} | {score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f} | {score.gold} |")
    t = report.triples
    lines += ["", f"Document-level triples (distinct project, relation, tail text per article): "
              f"P {t.precision:.3f}, R {t.recall:.3f}, **F1 {t.f1:.3f}** ({t.gold} gold).", "",
              "Entity errors by exact offsets: " + ", ".join(f"{k} {v}" for k, v in errors.items()) + ".", "",
              "## Where the errors are", "",
              "Gold spans not predicted exactly, by what overlaps them: a predicted span of the same label "
              "(boundary), only spans of other labels (confused), nothing (missed); spurious: predicted spans "
              "overlapping no gold span.", ""]
    lines += analysis.markdown([label for label in report.entities if label != "micro"])
    if baseline:
        lines += ["", "## Rule baseline", "", "jionlp `extract_money` / `extract_time` on the same articles:", "",
                  "| entity | precision | recall | F1 |", "|---|---|---|---|"]
        for label, score in baseline.items():
            lines.append(f"| {label} | {score['precision']:.3f} | {score['recall']:.3f} | {score['f1']:.3f} |")
    return "\n".join(lines) + "\n"


def plot(report: Report, history: list[dict], path: Path, labels: tuple[str, ...], part: str = "dev") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(labels) + ["-"]
    matrix = [[report.confusion.get((g, p), 0) for p in names] for g in names]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    left.imshow(matrix, cmap="Blues")
    left.set_xticks(range(len(names)), names, rotation=45)
    left.set_yticks(range(len(names)), names)
    left.set_xlabel("predicted (- = no span at these offsets)")
    left.set_ylabel("gold")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            left.text(j, i, str(value), ha="center", va="center", fontsize=8)
    left.set_title(f"entity confusion ({part})")
    if history:
        epochs = [h["epoch"] for h in history]
        for key in ("dev_entity_f1", "dev_relation_f1", "dev_triple_f1"):
            right.plot(epochs, [h[key] for h in history], marker="o", label=key.replace("dev_", ""))
        right.set_xlabel("epoch")
        right.set_ylabel("dev F1")
        right.set_ylim(0, 1)
        right.legend()
        right.set_title("learning curve")
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/zhinvest-small"))
    parser.add_argument("--articles", type=Path, nargs="+", default=[Path("../shared/articles"), Path("../shared/articles-more")],
                        help="folders of article texts")
    parser.add_argument("--store", type=Path, default=Path("annotations/standoff"))
    parser.add_argument("--split", type=Path, default=Path("annotations/split.json"))
    parser.add_argument("--out", type=Path, help="report folder (default: the model folder)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--quantize", action="store_true", help="evaluate the int8 CPU variant")
    parser.add_argument("--part", choices=("dev", "train"), default="dev", help="which split to score")
    parser.add_argument("--first", type=int, help="score only the first N articles of the split")
    args = parser.parse_args(argv)
    if args.part == "train" and args.out is None:
        parser.error("--part train needs --out, so the dev report in the model folder is kept")
    if args.first is not None and args.first < 1:
        parser.error(f"--first must be at least 1, got {args.first}")

    train, dev = load_split(args.store, args.articles, args.split)
    documents = (train if args.part == "train" else dev)[:args.first]
    extractor = Extractor.from_pretrained(args.model, device=args.device, quantize=args.quantize)
    extractions = list(extractor.pipe([d.text for d in documents], [d.doc_date for d in documents]))
    from zhinvest.evaluation import evaluate

    schema = extractor.settings.schema
    report = evaluate(documents, extractions, schema.entity_labels, schema.relation_labels)
    seqeval = seqeval_scores(documents, extractions)
    for label in schema.entity_labels:
        ours, theirs = report.entities[label].f1, seqeval.get(label, {}).get("f1-score", 0.0)
        if abs(ours - theirs) > 1e-3:
            raise RuntimeError(f"span scorer and seqeval disagree on {label}: {ours:.4f} vs {theirs:.4f}")
    baseline = None if args.no_baseline else rule_baseline_report(documents)
    errors = error_breakdown(report)
    analysis = analyse(documents, extractions)
    out = args.out or (args.model / "int8" if args.quantize else args.model)
    out.mkdir(parents=True, exist_ok=True)
    breakdown = corpus_breakdown(documents, extractions, args.articles, schema.entity_labels, schema.relation_labels)
    text = markdown(report, seqeval, baseline, errors, analysis, args.model, len(documents), args.part)
    text += "\n".join(breakdown_markdown(breakdown)) + "\n"
    (out / "EVALUATION.md").write_text(text, encoding="utf-8")
    (out / "evaluation.json").write_text(json.dumps(
        {"report": report.to_dict(), "seqeval": seqeval, "baseline": baseline, "errors": errors,
         "error_analysis": analysis.to_dict(), "by_corpus": breakdown},
        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    training = args.model / "training.json"
    history = json.loads(training.read_text(encoding="utf-8")).get("history", []) if training.is_file() else []
    plot(report, history, out / "evaluation.png", schema.entity_labels, args.part)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
