"""Masked-LM pretraining of the small Chinese encoder, one token per character.

    python -m training.pretrain --corpus ../shared/corpus --out models/base-new [--steps 6000 ...]

The recipe of ``models/base``: bert-base-chinese vocabulary, each character
lowercased (else its NFKC form, else ``[UNK]``), whitespace skipped; lines
packed into 512-token ``[CLS] … [SEP]`` sequences with ``[SEP]`` between
documents; 15% of positions masked (80% ``[MASK]``, 10% random, 10% kept);
AdamW with warm-up and cosine decay; bf16 autocast on CUDA.  Improvement over
that recipe: ``--dedup`` drops near-duplicate lines (same text once digits,
Latin letters and punctuation are removed), common in news transcripts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import math
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from zhinvest.vocab import CharVocab

_NOISE = re.compile(r"[\sA-Za-z0-9\W_]+")


def read_lines(corpus: Path, max_lines: int = 0, shards: str = "*") -> list[str]:
    lines = []
    for shard in sorted(corpus.glob(f"{shards}.txt.xz")) + sorted(corpus.glob(f"{shards}.txt")):
        opener = lzma.open if shard.suffix == ".xz" else open
        with opener(shard, "rt", encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line:
                    lines.append(line)
                if max_lines and len(lines) >= max_lines:
                    return lines
    if not lines:
        raise FileNotFoundError(f"no corpus lines in {corpus} (*.txt.xz or *.txt)")
    return lines


def article_lines(folders: list[Path], excluded: set[str]) -> list[str]:
    """Non-empty lines of the ``*.txt`` articles in ``folders``, leaving out the article names in ``excluded``."""
    lines = []
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            if path.name not in excluded:
                lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def dev_articles(split_file: Path | None) -> set[str]:
    """The dev article names of a split file (kept out of in-domain pretraining text)."""
    if split_file is None:
        return set()
    return set(json.loads(split_file.read_text(encoding="utf-8"))["dev"])


def near_duplicate_filter(lines: list[str]) -> list[str]:
    """Keep the first of lines whose Chinese characters alone are identical."""
    seen, kept = set(), []
    for line in lines:
        key = hashlib.blake2b(_NOISE.sub("", line).encode("utf-8"), digest_size=12).digest()
        if key not in seen:
            seen.add(key)
            kept.append(line)
    return kept


def pack(lines: list[str], vocab: CharVocab, seq_len: int) -> np.ndarray:
    """``[CLS] doc [SEP] doc [SEP] …`` cut into rows of ``seq_len`` token ids (the last partial row dropped)."""
    body = seq_len - 1
    stream = []
    for line in lines:
        ids = vocab.encode(re.sub(r"\s+", "", line))
        stream.append(ids)
        stream.append(np.array([vocab.sep_id], dtype=np.int64))
    flat = np.concatenate(stream)
    rows = len(flat) // body
    packed = flat[:rows * body].reshape(rows, body)
    return np.concatenate([np.full((rows, 1), vocab.cls_id, dtype=np.int64), packed], axis=1)


def mask_tokens(ids: torch.Tensor, vocab: CharVocab, generator: torch.Generator, rate: float = 0.15
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: returns (inputs, labels) with labels -100 where nothing is predicted."""
    special = (ids == vocab.cls_id) | (ids == vocab.sep_id) | (ids == vocab.pad_id)
    chosen = (torch.rand(ids.shape, generator=generator) < rate) & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    inputs = ids.clone()
    roll = torch.rand(ids.shape, generator=generator)
    inputs[chosen & (roll < 0.8)] = vocab.mask_id
    random_tokens = torch.randint(len(vocab), ids.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = random_tokens[swap]
    return inputs, labels


def build_model(vocab_size: int, layers: int, hidden: int, heads: int, seq_len: int):
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=4 * hidden,
                        max_position_embeddings=max(512, seq_len))
    return BertForMaskedLM(config)


def masked_lm_loss(model, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy over the masked positions only, and their logits.

    The vocabulary projection is applied to the ~15% of positions that are predicted instead of to
    every position, which is a large share of the step's compute with a 21k vocabulary and a small encoder.
    """
    hidden = model.bert(input_ids=inputs).last_hidden_state
    picked = labels != -100
    logits = model.cls(hidden[picked])
    return torch.nn.functional.cross_entropy(logits.float(), labels[picked]), logits


@torch.no_grad()
def held_out_scores(model, rows: np.ndarray, vocab: CharVocab, device, batch_size: int, autocast) -> tuple[float, float]:
    generator = torch.Generator().manual_seed(0)
    model.eval()
    losses, correct, total = [], 0, 0
    for begin in range(0, len(rows), batch_size):
        ids = torch.from_numpy(rows[begin:begin + batch_size])
        inputs, labels = mask_tokens(ids, vocab, generator)
        with autocast:
            loss, logits = masked_lm_loss(model, inputs.to(device), labels.to(device))
        losses.append(loss.item())
        picked = labels != -100
        correct += int((logits.argmax(-1).cpu() == labels[picked]).sum())
        total += int(picked.sum())
    model.train()
    return float(np.mean(losses)), correct / max(1, total)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--shards", default="*", help="glob of the corpus shards to read (e.g. p2_gov_biz*)")
    parser.add_argument("--articles", type=Path, action="append", default=[],
                        help="folder of in-domain articles (*.txt) added to the corpus lines; repeatable")
    parser.add_argument("--exclude-dev", type=Path, help="split file whose dev articles are left out of --articles")
    parser.add_argument("--init", type=Path, help="continue from this masked-LM checkpoint (domain-adaptive pretraining)")
    parser.add_argument("--vocab", type=Path, default=Path("models/base/vocab.txt"))
    parser.add_argument("--out", type=Path, default=Path("runs/pretrain/encoder"))
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument("--heads", type=int, default=6)
    parser.add_argument("--lr", type=float, default=7e-4)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--held-out-lines", type=int, default=2000)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--max-lines", type=int, default=0, help="read at most this many corpus lines (tests)")
    parser.add_argument("--dedup", action="store_true", help="drop near-duplicate lines first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    vocab = CharVocab.from_file(args.vocab)
    lines = read_lines(args.corpus, args.max_lines, args.shards) + article_lines(args.articles,
                                                                               dev_articles(args.exclude_dev))
    before = len(lines)
    if args.dedup:
        lines = near_duplicate_filter(lines)
    random.Random(args.seed).shuffle(lines)
    held_out, train_lines = lines[:args.held_out_lines], lines[args.held_out_lines:]
    train_rows, held_rows = pack(train_lines, vocab, args.seq_len), pack(held_out, vocab, args.seq_len)
    print(json.dumps({"lines": before, "after_dedup": len(lines), "train_sequences": len(train_rows),
                      "held_out_sequences": len(held_rows), "device": str(device)}), flush=True)

    if args.init:
        from transformers import BertForMaskedLM

        model = BertForMaskedLM.from_pretrained(args.init, dtype=torch.float32).to(device)
    else:
        model = build_model(len(vocab), args.layers, args.hidden, args.heads, args.seq_len).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / max(1, args.warmup)) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, max(0, s - args.warmup) / max(1, args.steps - args.warmup)))))
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                else torch.autocast("cpu", enabled=False))
    generator = torch.Generator().manual_seed(args.seed)
    best, history, started = float("inf"), [], time.time()
    if args.init:  # the starting point, on the same held-out lines, for comparison
        held_loss, accuracy = held_out_scores(model, held_rows, vocab, device, args.batch_size, autocast)
        history.append({"step": 0, "held_out_loss": round(held_loss, 4), "held_out_accuracy": round(accuracy, 4)})
        print(json.dumps(history[-1]), flush=True)
    model.train()
    for step in tqdm(range(1, args.steps + 1), desc="pretrain", file=sys.stderr):
        rows = torch.from_numpy(train_rows[torch.randint(len(train_rows), (args.batch_size,), generator=generator).numpy()])
        inputs, labels = mask_tokens(rows, vocab, generator)
        with autocast:
            loss, _ = masked_lm_loss(model, inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % args.eval_every == 0 or step == args.steps:
            held_loss, accuracy = held_out_scores(model, held_rows, vocab, device, args.batch_size, autocast)
            record = {"step": step, "train_loss": round(loss.item(), 4), "held_out_loss": round(held_loss, 4),
                      "held_out_accuracy": round(accuracy, 4), "minutes": round((time.time() - started) / 60, 2)}
            history.append(record)
            print(json.dumps(record), flush=True)
            if held_loss < best:
                best = held_loss
                save(model, vocab, args.out, {"args": {k: str(v) for k, v in vars(args).items()}, "history": history})
    return 0


def save(model, vocab: CharVocab, out: Path, info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(out)
    model.to(torch.float32)
    vocab.save(out / "vocab.txt")
    (out / "pretrain_info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
