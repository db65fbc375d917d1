"""Learning curve: the training recipe on growing shares of the train split, scored on the same dev split.

    python -m training.learning_curve --fractions 0.25 0.5 --model 1.0=models/zhinvest-small \\
        --first-stage runs/aux/checkpoint --out models/zhinvest-small

Each fraction trains ``training/configs/small.toml`` with ``train_fraction`` set (a seeded subset of
the train split; the dev split and the seed stay the same) into ``runs/curve/<fraction>``.
``--model F=DIR`` adds an already trained model as the point for fraction F (the shipped model is the
100% point). ``--first-stage`` reuses a checkpoint written after the public-NER first stage, which
does not read the annotated articles, so each run skips that stage and trains exactly as a plain
run would. Every point is scored on dev per corpus folder; the table goes to ``learning_curve.md``
and ``learning_curve.json`` and the plot to ``learning_curve.png`` in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from zhinvest.extractor import Extractor

from .config import TrainConfig
from .data import load_split
from .evaluate import corpus_breakdown
from .train import train

METRICS = ("entity_f1", "PROJECT_f1", "LOC_f1", "relation_f1", "triple_f1")


def train_fraction(config_path: Path, fraction: float, run_root: Path, first_stage: Path | None,
                   overrides: list[str] = ()) -> tuple[Path, int]:
    run_dir = run_root / f"{fraction:g}"
    config = TrainConfig.load(config_path, [*overrides, f"train_fraction={fraction}", f"run_dir={run_dir}",
                                            f"output_dir={run_dir / 'model'}"])
    if first_stage is not None:
        if run_dir.exists():
            shutil.rmtree(run_dir)
        shutil.copytree(first_stage, run_dir / "checkpoint")
    record = train(config, resume=first_stage is not None)
    return run_dir / "model", record["train_articles"]


def score(model_dir: Path, config: TrainConfig) -> dict:
    """Dev figures of one model, per corpus folder and over the whole dev split."""
    from zhinvest.evaluation import evaluate

    _, dev = load_split(config.store, config.articles, config.split)
    extractor = Extractor.from_pretrained(model_dir, device="cpu", quantize=False)
    schema = extractor.settings.schema
    extractions = list(extractor.pipe([d.text for d in dev], [d.doc_date for d in dev]))
    folders = [Path(f) for f in config.articles]
    result = corpus_breakdown(dev, extractions, folders, schema.entity_labels, schema.relation_labels)
    everything = evaluate(dev, extractions, schema.entity_labels, schema.relation_labels)
    result["all dev"] = {"articles": len(dev), "entity_f1": everything.entities["micro"].f1,
                         "PROJECT_f1": everything.entities["PROJECT"].f1, "LOC_f1": everything.entities["LOC"].f1,
                         "relation_f1": everything.relations["micro"].f1, "triple_f1": everything.triples.f1}
    return result


def markdown(points: list[dict]) -> str:
    lines = ["| train share | train articles | dev part | dev articles | entity F1 | PROJECT F1 | LOC F1 | "
             "relation F1 | triples F1 |", "|---|---|---|---|---|---|---|---|---|"]
    for point in points:
        for part, row in point["dev"].items():
            lines.append(f"| {point['fraction']:.0%} | {point['train_articles']} | {part} | {row['articles']} | "
                         + " | ".join(f"{row[m]:.3f}" for m in METRICS) + " |")
    return "\n".join(lines) + "\n"


def plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    sizes = [p["train_articles"] for p in points]
    for metric, style in (("entity_f1", "o-"), ("PROJECT_f1", "s--"), ("LOC_f1", "^--"), ("triple_f1", "d-")):
        axis.plot(sizes, [p["dev"]["all dev"][metric] for p in points], style, label=metric.replace("_f1", " F1"))
    axis.set_xscale("log", base=2)
    axis.set_xticks(sizes, [str(s) for s in sizes])
    axis.set_xlabel("training articles (log scale)")
    axis.set_ylabel("dev F1 (all dev articles)")
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right")
    axis.set_title("learning curve")
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("training/configs/small.toml"))
    parser.add_argument("--fractions", type=float, nargs="*", default=[0.25, 0.5, 1.0])
    parser.add_argument("--model", action="append", default=[], metavar="FRACTION=DIR",
                        help="an already trained model as the point of that fraction")
    parser.add_argument("--first-stage", type=Path, help="checkpoint written after the first stage, reused")
    parser.add_argument("--runs", type=Path, default=Path("runs/curve"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="config overrides for the training runs (not for scoring)")
    parser.add_argument("--no-score", action="store_true", help="train only; score later with --model")
    parser.add_argument("--out", type=Path, default=Path("runs/curve"))
    args = parser.parse_args(argv)
    config = TrainConfig.load(args.config)
    trained: dict[float, tuple[Path, int | None]] = {}
    for item in args.model:
        fraction, _, folder = item.partition("=")
        trained[float(fraction)] = (Path(folder), None)
    for fraction in args.fractions:
        if fraction not in trained:
            trained[fraction] = train_fraction(args.config, fraction, args.runs, args.first_stage, args.overrides)
    if args.no_score:
        return 0
    points = []
    for fraction, (folder, articles) in sorted(trained.items()):
        if articles is None:
            articles = json.loads((folder / "training.json").read_text(encoding="utf-8"))["train_articles"]
        points.append({"fraction": fraction, "train_articles": articles, "model": str(folder),
                       "dev": score(folder, config)})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "learning_curve.json").write_text(json.dumps(points, indent=1) + "\n", encoding="utf-8")
    table = markdown(points)
    (args.out / "learning_curve.md").write_text(table, encoding="utf-8")
    plot(points, args.out / "learning_curve.png")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
