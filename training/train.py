"""Fine-tune the tagging and relation heads (and the encoder) on the annotated train split.

    python -m training.train --config training/configs/small.toml [--set epochs=3 ...] [--resume]

Per-epoch dev metrics go to stdout; the best epoch (dev entity micro-F1 plus
relation triple F1) is written as a model folder that ``Extractor.from_pretrained`` loads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from zhinvest.extractor import Extractor
from zhinvest.features import CharFeaturizer, padded_batch
from zhinvest.modeling import PAIR_COUNTS, ModelSettings, ZhinvestModel, build_from_encoder
from zhinvest.schema import DEFAULT_SCHEMA

from .augment import mention_pool, replace_mentions
from .auxiliary import collate_partial, pack_windows, partial_tag_loss, read_sentences
from .averaging import WeightAverage
from .batching import length_grouped_order
from .config import TrainConfig
from .crf import crf_nll
from .data import WindowExample, document_windows, load_split, relation_coverage, subsample
from .model_card import write_model_card
from .scoring import evaluate_model


def collate(batch: list[WindowExample], pad_id: int, cls_id: int, sep_id: int) -> dict[str, torch.Tensor]:
    longest = max(len(w.ids) for w in batch)
    ids = np.full((len(batch), longest + 2), pad_id, dtype=np.int64)
    tags = np.full((len(batch), longest + 2), -100, dtype=np.int64)
    pairs, relation, gold, counts = [], [], [], []
    for row, window in enumerate(batch):
        n = len(window.ids)
        ids[row, 0], ids[row, 1:n + 1], ids[row, n + 1] = cls_id, window.ids, sep_id
        tags[row, 1:n + 1] = window.tags
        for hs, he, ts, te, rel, is_gold, *around in window.pairs:
            pairs.append((row, hs + 1, he + 1, ts + 1, te + 1))
            relation.append(rel)
            gold.append(is_gold)
            counts.append(around)
    input_ids = torch.from_numpy(ids)
    mask = (input_ids != pad_id).long()
    mask[:, 0] = 1
    collated = {"input_ids": input_ids, "attention_mask": mask, "tags": torch.from_numpy(tags),
                "pairs": torch.tensor(pairs, dtype=torch.long).reshape(-1, 5),
                "relation": torch.tensor(relation, dtype=torch.long), "gold": torch.tensor(gold, dtype=torch.float),
                "counts": torch.tensor(counts, dtype=torch.long).reshape(len(relation), PAIR_COUNTS)}
    if batch[0].features is not None:
        collated["features"] = torch.from_numpy(padded_batch([w.features for w in batch], ids.shape[1]))
    return collated


def loss_of(model: ZhinvestModel, batch: dict[str, torch.Tensor], relation_weight: float,
            positive_weight: float = 1.0, crf_weight: float = 0.0) -> torch.Tensor:
    hidden, logits = model(batch["input_ids"], batch["attention_mask"], batch.get("features"))
    tag_loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), batch["tags"].flatten(),
                                                 ignore_index=-100)
    if crf_weight:
        tag_loss = tag_loss + crf_weight * crf_nll(logits[:, 1:].float().log_softmax(-1), batch["tags"][:, 1:],
                                                   model.transitions, model.start_transitions)
    if batch["pairs"].numel() == 0:
        return tag_loss
    counts = batch["counts"] if model.settings.pair_counts else None
    pair_logits = model.relation_logits(hidden, batch["pairs"], batch["input_ids"], counts).float()
    chosen = pair_logits.gather(1, batch["relation"][:, None]).squeeze(1)
    relation_loss = torch.nn.functional.binary_cross_entropy_with_logits(
        chosen, batch["gold"], pos_weight=torch.tensor(positive_weight, device=chosen.device))
    return tag_loss + relation_weight * relation_loss


def seed_everything(seed: int) -> None:
    """Seed every generator and ask torch for deterministic kernels: without them the backward pass of
    the span-vector indexing accumulates in thread order on the CPU, and two runs drift apart."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS, if CUDA is used
    torch.use_deterministic_algorithms(True, warn_only=True)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def split_hashes(documents) -> str:
    digest = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.id):
        digest.update(f"{doc.id}:{hashlib.sha256(doc.text.encode()).hexdigest()}:{len(doc.spans)}:"
                      f"{len(doc.relations)}\n".encode())
    return digest.hexdigest()


def train(config: TrainConfig, resume: bool = False) -> dict:
    seed_everything(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = pick_device(config.device)
    train_docs, dev_docs = load_split(config.store, config.articles, config.split)
    train_docs = subsample(train_docs, config.train_fraction, config.max_train_docs, config.seed)
    if not train_docs:
        raise ValueError(f"no annotated training articles in {config.store}")
    featurizer = CharFeaturizer() if config.features else None
    settings = ModelSettings(schema=DEFAULT_SCHEMA, max_length=config.max_length, overlap=config.overlap,
                             max_pair_distance=config.max_pair_distance, pair_counts=config.pair_counts,
                             features=featurizer.settings if featurizer else None)
    model, vocab = build_from_encoder(config.base_encoder, settings)
    model.to(device)
    train_settings = replace(settings, max_length=min(config.train_max_length, config.max_length))
    windows = [w for doc in train_docs for w in document_windows(doc, vocab, train_settings, featurizer)]
    windows_of_epoch = epoch_windows(train_docs, windows, vocab, train_settings, config, featurizer)
    covered, total = relation_coverage(train_docs, settings)
    print(f"train: {len(train_docs)} articles, {len(windows)} windows, {covered}/{total} gold relations "
          f"within {settings.max_pair_distance} chars; dev: {len(dev_docs)} articles; device {device}", flush=True)

    if config.freeze_word_embeddings:
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" and config.bf16 else nullcontext())
    optimizer, schedule = make_optimizer(model, config, math.ceil(len(windows) / config.batch_size) * config.epochs)

    run_dir = Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    state = {"epoch": 0, "best": -1.0, "best_epoch": 0, "history": [], "since_best": 0}
    average = None
    if resume and (run_dir / "checkpoint" / "state.json").is_file():
        state = _load_checkpoint(run_dir / "checkpoint", model, optimizer, schedule)
        print(f"resumed after epoch {state['epoch']}", flush=True)
    elif config.auxiliary:
        state["auxiliary"] = train_auxiliary(model, vocab, config, device, autocast, featurizer)
        for folder in ("checkpoint", "first-stage"):  # --resume skips the stage; first-stage/ stays for reuse
            _save_checkpoint(run_dir / folder, model, vocab, optimizer, schedule, state)
    if state["epoch"] == 0:
        # the fine-tuning stage draws its dropout masks from a fresh seed, so that a run resumed from
        # the first stage's checkpoint trains exactly like one that ran the first stage itself
        seed_everything(config.seed + 1)
    if config.weight_average_decay:
        average = WeightAverage(model, config.weight_average_decay)
        if state["epoch"] and (run_dir / "checkpoint" / "average.pt").is_file():
            average.load(run_dir / "checkpoint" / "average.pt")

    order_rng = random.Random(config.seed)
    for past in range(1, state["epoch"] + 1):
        order_rng.shuffle(list(range(len(windows_of_epoch(past)))))
    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        model.train()
        examples = windows_of_epoch(epoch)
        order = list(range(len(examples)))
        order_rng.shuffle(order)
        order = length_grouped_order(order, [len(w.ids) for w in examples], config.batch_size,
                                     config.length_group_size, random.Random(f"{config.seed}/batches/{epoch}"))
        started, losses = time.time(), []
        for batch in device_batches(examples, order, config.batch_size, device, f"epoch {epoch}", losses,
                                    lambda chosen: collate(chosen, vocab.pad_id, vocab.cls_id, vocab.sep_id)):
            with autocast:
                loss = loss_of(model, batch, config.relation_loss_weight, config.relation_positive_weight,
                               config.crf_loss_weight)
            losses.append(optimizer_step(model, optimizer, schedule, loss))
            if average:
                average.update(model)
        model.eval()
        record = {"epoch": epoch, "loss": round(float(np.mean(losses)), 4), "seconds": round(time.time() - started, 1)}
        if not average or config.score_raw_weights:
            score, metrics, report = score_on_dev(model, vocab, device, dev_docs, featurizer)
        if average:  # the averaged weights are the ones chosen and shipped; the raw ones are logged
            if config.score_raw_weights:
                record.update({f"raw_{key}": value for key, value in metrics.items()})
            with average.applied(model):
                score, metrics, report = score_on_dev(model, vocab, device, dev_docs, featurizer)
        record.update(metrics)
        state["history"].append(record)
        print(json.dumps(record), flush=True)
        state["epoch"] = epoch
        if score > state["best"]:
            state.update(best=score, best_epoch=epoch, since_best=0, best_report=report.to_dict() if report else None)
            with average.applied(model) if average else nullcontext():
                model.save_pretrained(run_dir / "best", vocab)
        else:
            state["since_best"] += 1
        _save_checkpoint(run_dir / "checkpoint", model, vocab, optimizer, schedule, state)
        if average:
            average.save(run_dir / "checkpoint" / "average.pt")
        if state["since_best"] >= config.patience:
            print(f"early stop: no dev improvement for {config.patience} epochs", flush=True)
            break

    best, best_vocab = ZhinvestModel.load(run_dir / "best")
    record = {"config": config.to_dict(), "base_encoder": config.base_encoder,
              "train_articles": len(train_docs), "dev_articles": len(dev_docs),
              "train_split_sha256": split_hashes(train_docs), "dev_split_sha256": split_hashes(dev_docs),
              "auxiliary": state.get("auxiliary"),
              "best_epoch": state["best_epoch"], "history": state["history"], "dev_report": state.get("best_report"),
              "torch": torch.__version__, "device": str(device)}
    best.save_pretrained(config.output_dir, best_vocab, dtype=getattr(torch, config.save_dtype), extra=record)
    write_model_card(config.output_dir, record)
    print(f"saved {config.output_dir} (best epoch {state['best_epoch']})", flush=True)
    return record


def score_on_dev(model: ZhinvestModel, vocab, device: torch.device, dev_docs,
                 featurizer: CharFeaturizer | None = None) -> tuple[float, dict, object]:
    """(selection score: mean of entity micro-F1 and triple F1, rounded metrics, full report or None)."""
    if not dev_docs:
        return 0.0, {"dev_entity_f1": 0.0, "dev_relation_f1": 0.0, "dev_triple_f1": 0.0}, None
    report = evaluate_model(Extractor(model, vocab, device, featurizer), dev_docs)
    entity_f1, triple_f1 = report.entities["micro"].f1, report.triples.f1
    metrics = {"dev_entity_f1": round(entity_f1, 4), "dev_relation_f1": round(report.relations["micro"].f1, 4),
               "dev_triple_f1": round(triple_f1, 4)}
    return (entity_f1 + triple_f1) / 2, metrics, report


def epoch_windows(train_docs, windows: list[WindowExample], vocab, settings: ModelSettings, config: TrainConfig,
                  featurizer: CharFeaturizer | None = None):
    """``epoch → training windows``: always ``windows`` without mention replacement, else windows of
    articles with names swapped, drawn from a generator seeded by (seed, epoch) so resuming repeats them."""
    if config.mention_replacement <= 0:
        return lambda epoch: windows
    pool = mention_pool(train_docs, tuple(config.mention_replacement_labels))

    def windows_of(epoch: int) -> list[WindowExample]:
        rng = random.Random(f"{config.seed}/{epoch}")
        documents = [replace_mentions(doc, pool, config.mention_replacement, rng) for doc in train_docs]
        return [w for doc in documents for w in document_windows(doc, vocab, settings, featurizer)]
    return windows_of


def device_batches(windows: list, order: list[int], batch_size: int, device: torch.device, desc: str,
                   losses: list[float], collate_batch):
    """Batches of ``windows`` in ``order``, collated and on ``device``, under a progress bar that shows
    the mean of the last 20 ``losses`` (the caller appends one per batch)."""
    bar = tqdm(range(0, len(order), batch_size), desc=desc, file=sys.stderr, leave=False)
    for begin in bar:
        batch = collate_batch([windows[i] for i in order[begin:begin + batch_size]])
        yield {k: v.to(device) for k, v in batch.items()}
        if losses:
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")


def optimizer_step(model: ZhinvestModel, optimizer, schedule, loss: torch.Tensor) -> float:
    """Backpropagate ``loss``, clip gradients to norm 1, step the optimizer and the schedule."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    schedule.step()
    return loss.item()


def make_optimizer(model: ZhinvestModel, config: TrainConfig, total_steps: int):
    """AdamW with separate encoder / head learning rates and linear warm-up then decay over ``total_steps``."""
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.AdamW([{"params": encoder_params, "lr": config.learning_rate},
                                   {"params": head_params, "lr": config.head_learning_rate}],
                                  weight_decay=config.weight_decay)
    warmup = max(1, int(total_steps * config.warmup_ratio))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
    return optimizer, schedule


def train_auxiliary(model: ZhinvestModel, vocab, config: TrainConfig, device: torch.device, autocast,
                    featurizer: CharFeaturizer | None = None) -> dict:
    """First stage: tagging only, on the public NER sets in ``config.auxiliary`` with the partial-label loss."""
    sentences = []
    for path in config.auxiliary:
        found = read_sentences(path)
        sentences += found[:config.auxiliary_max_sentences] if config.auxiliary_max_sentences else found
    random.Random(config.seed).shuffle(sentences)
    windows = pack_windows(sentences, vocab, model.settings.schema, min(config.train_max_length, config.max_length) - 2,
                           model.settings.normalizer, featurizer)
    steps = math.ceil(len(windows) / config.batch_size) * config.auxiliary_epochs
    optimizer, schedule = make_optimizer(model, config, steps)
    print(f"auxiliary stage: {len(sentences)} sentences in {len(windows)} windows, "
          f"{config.auxiliary_epochs} epoch(s)", flush=True)
    started, losses = time.time(), []
    rng = random.Random(config.seed)
    model.train()
    for epoch in range(1, config.auxiliary_epochs + 1):
        order = list(range(len(windows)))
        rng.shuffle(order)
        for batch in device_batches(windows, order, config.batch_size, device, f"auxiliary {epoch}", losses,
                                    lambda chosen: collate_partial(chosen, vocab.pad_id, vocab.cls_id, vocab.sep_id)):
            with autocast:
                _, logits = model(batch["input_ids"], batch["attention_mask"], batch.get("features"))
            loss = partial_tag_loss(logits, batch["allowed"])
            losses.append(optimizer_step(model, optimizer, schedule, loss))
    record = {"sentences": len(sentences), "windows": len(windows), "epochs": config.auxiliary_epochs,
              "loss": round(float(np.mean(losses[-100:])), 4), "seconds": round(time.time() - started, 1)}
    print(json.dumps({"auxiliary": record}), flush=True)
    return record


def _save_checkpoint(folder: Path, model, vocab, optimizer, schedule, state: dict) -> None:
    model.save_pretrained(folder, vocab)
    torch.save({"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()}, folder / "optimizer.pt")
    (folder / "state.json").write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")


def _load_checkpoint(folder: Path, model, optimizer, schedule) -> dict:
    from safetensors.torch import load_file

    model.load_state_dict({k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()})
    saved = torch.load(folder / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    return json.loads((folder / "state.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("training/configs/small.toml"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--articles", nargs="+", help="folders of article texts (override the config)")
    parser.add_argument("--resume", action="store_true", help="continue from run_dir/checkpoint")
    args = parser.parse_args(argv)
    overrides = args.overrides + ([f"articles={','.join(args.articles)}"] if args.articles else [])
    train(TrainConfig.load(args.config, overrides), resume=args.resume)
    return 0


if __name__ == "__main__":
    sys.exit(main())
