"""The model folder's README: what the model is and how it was trained, written from the training record."""

from __future__ import annotations

from pathlib import Path

_KEPT_SETTINGS = ("epochs", "batch_size", "learning_rate", "head_learning_rate", "warmup_ratio", "weight_decay",
                  "freeze_word_embeddings", "relation_positive_weight", "crf_loss_weight", "mention_replacement",
                  "weight_average_decay", "train_max_length", "max_length", "overlap", "max_pair_distance",
                  "patience", "seed", "save_dtype")


def model_card(record: dict, name: str) -> str:
    """Markdown for ``README.md`` in the model folder, from the dict ``training.train`` records."""
    config = record["config"]
    lines = [
        f"# {name}",
        "",
        "A zhinvest extractor: a Chinese BERT encoder with a per-character BIO tagger "
        "(PROJECT, MONEY, DATE, ORG, LOC) and a relation head scoring (PROJECT, other span) pairs "
        "(投资额, 时间, 投资方, 地点). Load it with `zhinvest.Extractor.from_pretrained(path)`.",
        "",
        "## Training",
        "",
        f"- base encoder: `{record['base_encoder']}`",
        f"- data: {record['train_articles']} annotated articles of the train split "
        f"(sha256 of the split {record['train_split_sha256'][:16]}…); "
        f"model selection and early stopping on {record['dev_articles']} dev articles "
        f"(sha256 {record['dev_split_sha256'][:16]}…)",
        f"- best epoch: {record['best_epoch']} of {len(record['history'])} run; device `{record['device']}`, "
        f"torch {record['torch']}",
        "- settings: " + ", ".join(f"{k}={config[k]}" for k in _KEPT_SETTINGS if k in config),
    ]
    if config.get("features"):
        lines.append("- word features: per character, the position and dictionary class of its jieba word and "
                     "its place in the division gazetteer (`zhinvest/places.tsv`), added to the character "
                     "embeddings; `config.json` records the segmenter version and the dictionary and gazetteer "
                     "hashes (loading with others warns)")
    if config.get("pair_counts"):
        lines.append("- relation head: reads both spans' endpoints, their distance, the sentence ends between them "
                     "and three counts (other projects between the pair, other spans of the tail's label between "
                     "them, projects nearer to the tail than the head)")
    auxiliary = record.get("auxiliary")
    if auxiliary:
        sets = ", ".join(f"`{Path(p).parent.name}/{Path(p).name}`" for p in config.get("auxiliary", []))
        lines.append(f"- first stage: {auxiliary['epochs']} epoch(s) of tagging on {auxiliary['sentences']} "
                     f"sentences of public NER sets ({sets}) as partial labels (LOC, ORG)")
    lines += [
        "",
        "The full record (configuration, per-epoch history, dev report) is in `training.json`; "
        "`EVALUATION.md` holds the dev evaluation written by `make evaluate`.",
        "",
        "Reproduce with `make train && make evaluate` from a checkout of the repository.",
        "",
        "On the CPU, `Extractor.from_pretrained` runs the linear layers in int8 by default (dynamic "
        "quantization, about twice as fast; `quantize=False` keeps float32; a GPU runs bf16). "
        "`EVALUATION.md` scores float32 and `int8/EVALUATION.md` the int8 variant "
        "(`make evaluate` and `python -m training.evaluate --quantize`).",
    ]
    report = record.get("dev_report")
    if report:
        saved_dtype = config.get("save_dtype", "float32")
        rounding = ("" if saved_dtype == "float32" else f" The saved weights are rounded to {saved_dtype} and "
                    "score slightly differently: `EVALUATION.md` has their figures.")
        lines += ["", "## Dev figures at the selected epoch", "",
                  "Scored during training, with the weights in float32; the dev split chose the epoch, so "
                  "these figures are slightly optimistic." + rounding, "",
                  "| | precision | recall | F1 |", "|---|---|---|---|"]
        rows = [(k, v) for k, v in report["entities"].items()] + [("relations", report["relations"]["micro"]),
                                                                   ("triples", report["triples"])]
        for label, score in rows:
            lines.append(f"| {label} | {score['precision']:.3f} | {score['recall']:.3f} | {score['f1']:.3f} |")
    return "\n".join(lines) + "\n"


def write_model_card(folder: str | Path, record: dict) -> Path:
    path = Path(folder) / "README.md"
    path.write_text(model_card(record, Path(folder).name), encoding="utf-8")
    return path
