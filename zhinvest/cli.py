"""The ``zhinvest`` command: ``extract`` files, folders or stdin; ``render`` HTML; ``labelstudio``."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Iterator

from .render import render_html
from .rows import ProjectRow, project_rows

FORMATS = ("jsonl", "csv", "html")


def iter_inputs(paths: list[str], errors: list[str]) -> Iterator[tuple[str, str]]:
    """``(name, text)`` for each readable input; unreadable ones are reported in ``errors`` and skipped."""
    for raw in paths:
        if raw == "-":
            try:
                text = _read_stdin()
            except UnicodeDecodeError as error:
                errors.append(f"<stdin>: not UTF-8 text ({error.reason} at byte {error.start})")
                continue
            yield "<stdin>", text
            continue
        path = Path(raw)
        files = sorted(p for p in path.rglob("*.txt") if p.is_file()) if path.is_dir() else [path]
        if path.is_dir() and not files:
            errors.append(f"{path}: folder holds no .txt files")
        for file in files:
            try:
                with open(file, encoding="utf-8", newline="") as handle:  # keep \r\n: offsets index the file
                    text = handle.read()
            except UnicodeDecodeError as error:
                errors.append(f"{file}: not UTF-8 text ({error.reason} at byte {error.start})")
                continue
            except OSError as error:
                errors.append(f"{file}: {error.strerror or error}")
                continue
            yield str(file), text


def _read_stdin() -> str:
    stream = getattr(sys.stdin, "buffer", None)
    return stream.read().decode("utf-8") if stream is not None else sys.stdin.read()


def count_inputs(paths: list[str]) -> int | None:
    total = 0
    for raw in paths:
        path = Path(raw)
        if raw == "-":
            total += 1
        elif path.is_dir():
            total += sum(1 for p in path.rglob("*.txt") if p.is_file())
        else:
            total += 1
    return total


def run_extract(args: argparse.Namespace, output_format: str) -> int:
    from .api import load_extractor

    if args.resume and (output_format != "jsonl" or not args.out):
        print("zhinvest: --resume needs --format jsonl and --out FILE (the JSON lines record what is done)",
              file=sys.stderr)
        return 2
    errors: list[str] = []
    done = finished_documents(args.out) if args.resume else set()
    extractor = load_extractor(args.model, args.device, quantize=False if args.float32 else None)
    names: list[str] = []  # filled as inputs are read, ahead of the results that use them
    hashes: list[str] = []

    def texts() -> Iterator[str]:
        for name, text in iter_inputs(args.paths, errors):
            digest = text_sha256(text)
            if (name, digest) in done:
                continue
            names.append(name)
            hashes.append(digest)
            yield text

    results = extractor.pipe(texts(), _repeat(args.doc_date), batch_size=args.batch_size)
    total = count_inputs(args.paths)
    if not args.quiet and total and total > 1:
        from tqdm.auto import tqdm

        results = tqdm(results, total=max(0, total - len(done)), unit="doc", desc="zhinvest", file=sys.stderr)
    out = open_output(args.out, append=args.resume) if args.out else sys.stdout
    try:
        write_results(out, output_format, results, names, hashes, args.simplified,
                      header=not (args.resume and out.tell() > 0))
    finally:
        if out is not sys.stdout:
            out.close()
    for message in errors:
        print(f"zhinvest: {message}", file=sys.stderr)
    return 1 if errors else 0


def write_results(out, output_format: str, results, names: list[str], hashes: list[str], simplified: bool,
                  header: bool = True) -> None:
    """Write each document's result as soon as it is ready, flushed, so a killed run keeps what it wrote."""
    if output_format == "html":
        out.write(render_html((names[index], extraction) for index, extraction in enumerate(results)))
        return
    writer = csv.writer(out)
    if output_format == "csv" and header:
        writer.writerow(["source", *ProjectRow.columns()])
    for index, extraction in enumerate(results):
        if output_format == "jsonl":
            record = {"source": names[index], "sha256": hashes[index], **extraction.to_dict(simplified)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            for row in project_rows(extraction, simplified):
                writer.writerow([names[index], *row.cells()])
        out.flush()


def open_output(path: Path, append: bool):
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a" if append else "w", encoding="utf-8", newline="")


def finished_documents(path: Path | None) -> set[tuple[str, str]]:
    """``(source, sha256)`` of the documents an earlier run wrote to the JSON-lines file ``path``.

    A last line cut off by a killed run is removed from the file, so that its document is done again.
    """
    if path is None or not path.is_file():
        return set()
    done, complete_bytes = set(), 0
    with open(path, "rb") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                break
            if not line.endswith(b"\n"):
                break
            done.add((record["source"], record["sha256"]))
            complete_bytes += len(line)
    if complete_bytes < path.stat().st_size:
        with open(path, "r+b") as handle:
            handle.truncate(complete_bytes)
    return done


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _repeat(value):
    while True:
        yield value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhinvest", description="Investment projects from Chinese news.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("extract", "extract spans, relations and projects; one JSON line per document"),
                            ("render", "an HTML page highlighting spans and listing projects")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("paths", nargs="+", help="text files, folders (*.txt, recursively) or - for stdin")
        command.add_argument("--doc-date", help="publication date (YYYY-MM-DD) that relative dates resolve against")
        if name == "extract":
            command.add_argument("--format", choices=FORMATS, default="jsonl")
        if name == "extract":
            command.add_argument("--out", type=Path, help="write to this file (flushed per document) instead of stdout")
            command.add_argument("--resume", action="store_true",
                                 help="with --out FILE.jsonl: skip documents already in it (same path and text)")
            command.add_argument("--simplified", action="store_true",
                                 help="display names in Simplified script (offsets and span texts stay exact)")
        command.add_argument("--model", help="model folder or hub name (default: $ZHINVEST_MODEL or the shipped model)")
        command.add_argument("--device", help="cpu or cuda (default: cuda when available)")
        command.add_argument("--float32", action="store_true",
                             help="full precision on the CPU (default there: int8 linear layers, about 2x faster)")
        command.add_argument("--batch-size", type=int, default=16)
        command.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    from .labelstudio_client import register_commands

    register_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("extract", "render"):
        if args.batch_size < 1:
            print(f"zhinvest: --batch-size must be at least 1, got {args.batch_size}", file=sys.stderr)
            return 2
        from .extractor import parse_doc_date

        try:
            parse_doc_date(args.doc_date)
        except ValueError as error:
            print(f"zhinvest: {error}", file=sys.stderr)
            return 2
        if args.command == "render":
            args.out, args.resume, args.simplified = None, False, False
        return run_extract(args, "html" if args.command == "render" else args.format)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
