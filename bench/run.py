"""Throughput and memory, side by side in one run: zhinvest vs the transformers pipeline vs raw forward.

    python -m bench.run [--model models/zhinvest-small] [--articles ../shared/articles] [--device cpu]

Each method runs in its own subprocess on the same texts, so peak RSS is its own. The methods run
in interleaved rounds (``--rounds``, default 3) and each reports its median-throughput run, so a
slow moment of the machine does not land on one method only.
(a) ``zhinvest.extract_batch``: normalization, windows, tagging, relations, values, projects;
(b) ``transformers.pipeline("token-classification")`` on the same encoder and tagger weights;
(c) the encoder's raw forward over full 512-token windows of the same characters: the ceiling;
plus (a) with per-character argmax decoding instead of Viterbi, and (CPU) with int8 linear layers.
Prints a table with the ratios a/b and a/c and writes ``bench/results/<device>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

METHODS = ("zhinvest", "hf_pipeline", "raw_forward", "zhinvest_argmax", "zhinvest_int8")
FEATURES = "word_features"  # segmentation + gazetteer alone, for models that use them


def load_texts(articles: Path, repeat: int) -> list[str]:
    files = sorted(articles.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no .txt articles in {articles}")
    return [f.read_text(encoding="utf-8") for f in files] * repeat


def run_method(method: str, model: Path, texts: list[str], device: str, batch_size: int) -> dict:
    import torch

    if device == "cpu":
        torch.set_num_threads(max(1, torch.get_num_threads()))
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if method.startswith("zhinvest"):
        from zhinvest import Extractor

        extractor = Extractor.from_pretrained(model, device=device, quantize=method == "zhinvest_int8",
                                              decoding="argmax" if method == "zhinvest_argmax" else None)
        extractor("预热。")
        synchronize()
        started = time.perf_counter()
        count = sum(1 for _ in extractor.pipe(texts, batch_size=batch_size))
        synchronize()
    elif method == "hf_pipeline":
        pipe = hf_pipeline(model, device)
        pipe("预热。")
        synchronize()
        started = time.perf_counter()
        count = len(pipe(texts, batch_size=batch_size))
        synchronize()
    elif method == FEATURES:
        count, started = word_features(texts)
    else:
        count, started = raw_forward(model, texts, device, batch_size, synchronize)
    seconds = time.perf_counter() - started
    chars = sum(len(t) for t in texts)
    result = {"method": method, "documents": count, "characters": chars, "seconds": round(seconds, 3),
              "chars_per_s": round(chars / seconds, 1), "docs_per_s": round(count / seconds, 2),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if device == "cuda":
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return result


def hf_pipeline(model: Path, device: str):
    """A ``BertForTokenClassification`` carrying our encoder and tagger weights, in a stock pipeline."""
    import torch
    from transformers import BertForTokenClassification, BertTokenizer, pipeline

    from zhinvest.modeling import ZhinvestModel

    ours, _ = ZhinvestModel.load(model)
    tags = ours.settings.schema.tags
    config = ours.encoder.config
    config.id2label = dict(enumerate(tags))
    config.label2id = {t: i for i, t in enumerate(tags)}
    classifier = BertForTokenClassification(config)
    classifier.bert.load_state_dict(ours.encoder.state_dict(), strict=False)
    classifier.classifier.load_state_dict(ours.tagger.state_dict())
    tokenizer = BertTokenizer(vocab_file=str(model / "vocab.txt"), do_lower_case=True,
                              model_max_length=ours.settings.max_length)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    return pipeline("token-classification", model=classifier.to(dtype), tokenizer=tokenizer,
                    aggregation_strategy="simple", device=device, stride=64)


def word_features(texts: list[str]):
    """What a featured model adds on the CPU: each (normalized) text segmented and matched against the gazetteer."""
    from zhinvest.features import CharFeaturizer
    from zhinvest.normalize import normalize

    featurizer = CharFeaturizer()
    normalized = [normalize(text).text for text in texts]
    featurizer(normalized[0])
    started = time.perf_counter()
    for text in normalized:
        featurizer(text)
    return len(texts), started


def uses_features(model: Path) -> bool:
    from zhinvest.modeling import read_settings

    return read_settings(model).features is not None


def raw_forward(model: Path, texts: list[str], device: str, batch_size: int, synchronize):
    """The encoder alone over the texts' characters packed into full windows: no padding, no decoding."""
    import torch

    from zhinvest.modeling import ZhinvestModel

    ours, vocab = ZhinvestModel.load(model)
    encoder = ours.encoder.to(device).eval()
    ids = torch.from_numpy(vocab.encode("".join(texts)))
    width = ours.settings.max_length
    usable = (len(ids) // width) * width
    windows = ids[:usable].reshape(-1, width)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else torch.autocast("cpu", enabled=False)
    with torch.inference_mode(), autocast:
        encoder(input_ids=windows[:1].to(device))
        synchronize()
        started = time.perf_counter()
        for begin in range(0, len(windows), batch_size):
            encoder(input_ids=windows[begin:begin + batch_size].to(device))
        synchronize()
    return len(texts), started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/zhinvest-small"))
    parser.add_argument("--articles", type=Path, default=Path("../shared/articles"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=1, help="pass over the articles this many times")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs of every method; median kept")
    parser.add_argument("--method", choices=METHODS + (FEATURES,), help=argparse.SUPPRESS)  # one method, in a subprocess
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    texts = load_texts(args.articles, args.repeat)
    if args.method:
        print(json.dumps(run_method(args.method, args.model, texts, args.device, args.batch_size)))
        return 0

    methods = list(METHODS if args.device == "cpu" else METHODS[:4]) + ([FEATURES] if uses_features(args.model) else [])
    runs: dict[str, list[dict]] = {method: [] for method in methods}
    for round_number in range(1, args.rounds + 1):
        for method in methods:
            command = [sys.executable, "-m", "bench.run", "--method", method, "--model", str(args.model),
                       "--articles", str(args.articles), "--device", args.device, "--repeat", str(args.repeat),
                       "--batch-size", str(args.batch_size)]
            completed = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[method].append(json.loads(completed.stdout.strip().splitlines()[-1]))
            print(f"round {round_number}/{args.rounds} {method}: {runs[method][-1]['chars_per_s']:,.0f} chars/s",
                  file=sys.stderr, flush=True)
    results = {method: median_run(method_runs) for method, method_runs in runs.items()}
    a, b, c = (results[m]["chars_per_s"] for m in METHODS[:3])
    summary = {"machine": machine_name(args.device), "device": args.device, "model": str(args.model),
               "texts": len(texts), "batch_size": args.batch_size, "rounds": args.rounds, "results": results,
               "all_runs_chars_per_s": {m: [r["chars_per_s"] for r in rs] for m, rs in runs.items()},
               "ratio_zhinvest_vs_hf_pipeline": round(a / b, 2), "ratio_zhinvest_vs_raw_forward": round(a / c, 3)}
    summary["ratio_argmax_vs_viterbi"] = round(results["zhinvest_argmax"]["chars_per_s"] / a, 2)
    if "zhinvest_int8" in results:
        summary["ratio_int8_vs_zhinvest"] = round(results["zhinvest_int8"]["chars_per_s"] / a, 2)
    if FEATURES in results:  # share of zhinvest's (and int8's) time spent computing the word features
        summary["feature_share_of_zhinvest"] = round(a / results[FEATURES]["chars_per_s"], 3)
        if "zhinvest_int8" in results:
            summary["feature_share_of_int8"] = round(results["zhinvest_int8"]["chars_per_s"]
                                                     / results[FEATURES]["chars_per_s"], 3)
    out = args.out or Path("bench/results") / f"{args.device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(table(summary))
    return 0


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (the lower middle one for an even count)."""
    return sorted(runs, key=lambda r: r["chars_per_s"])[(len(runs) - 1) // 2]


def machine_name(device: str) -> str:
    import os

    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"


def table(summary: dict) -> str:
    rows = [f"Machine: {summary['machine']}; {summary['texts']} articles; batch size {summary['batch_size']}; "
            f"median of {summary['rounds']} interleaved run(s) per method", "",
            "| method | chars/s | docs/s | peak RSS MB |" + (" peak GPU MB |" if summary["device"] == "cuda" else ""),
            "|---|---|---|---|" + ("---|" if summary["device"] == "cuda" else "")]
    for method, r in summary["results"].items():
        gpu = f" {r['peak_gpu_mb']} |" if "peak_gpu_mb" in r else ""
        rows.append(f"| {method} | {r['chars_per_s']:,.0f} | {r['docs_per_s']} | {r['peak_rss_mb']} |{gpu}")
    rows += ["", f"zhinvest / HF pipeline: {summary['ratio_zhinvest_vs_hf_pipeline']}x; "
             f"zhinvest / raw forward: {summary['ratio_zhinvest_vs_raw_forward']:.1%}"]
    if "ratio_argmax_vs_viterbi" in summary:
        rows.append(f"argmax decoding / Viterbi decoding: {summary['ratio_argmax_vs_viterbi']}x")
    if "ratio_int8_vs_zhinvest" in summary:
        rows.append(f"int8 (CPU) / zhinvest float32: {summary['ratio_int8_vs_zhinvest']}x")
    if "feature_share_of_zhinvest" in summary:
        share = f"word features (segmenter + gazetteer): {summary['feature_share_of_zhinvest']:.1%} of zhinvest's time"
        if "feature_share_of_int8" in summary:
            share += f", {summary['feature_share_of_int8']:.1%} of int8's"
        rows.append(share)
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
