"""The ``zhinvest`` command: ``extract`` files, folders or stdin; ``render`` HTML; ``labelstudio``."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Iterator

from .render import render_html

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

    errors: list[str] = []
    extractor = load_extractor(args.model, args.device)
    names: list[str] = []  # filled as inputs are read, ahead of the results that use them

    def texts() -> Iterator[str]:
        for name, text in iter_inputs(args.paths, errors):
            names.append(name)
            yield text

    results = extractor.pipe(texts(), _repeat(args.doc_date), batch_size=args.batch_size)
    total = count_inputs(args.paths)
    if not args.quiet and total and total > 1:
        from tqdm.auto import tqdm

        results = tqdm(results, total=total, unit="doc", desc="zhinvest", file=sys.stderr)
    out = sys.stdout
    if output_format == "jsonl":
        for index, extraction in enumerate(results):
            out.write(json.dumps({"source": names[index], **extraction.to_dict()}, ensure_ascii=False) + "\n")
    elif output_format == "csv":
        writer = csv.writer(out)
        writer.writerow(["source", "project", "amounts", "amount_values", "dates", "date_values", "investors",
                         "locations"])
        for index, extraction in enumerate(results):
            for row in _project_rows(extraction):
                writer.writerow([names[index], *row])
    else:
        out.write(render_html((names[index], extraction) for index, extraction in enumerate(results)))
    for message in errors:
        print(f"zhinvest: {message}", file=sys.stderr)
    return 1 if errors else 0


def _project_rows(extraction) -> Iterator[list[str]]:
    entities = extraction.entities

    def joined(indices, use_value=False) -> str:
        if not use_value:
            return "；".join(entities[i].text for i in indices)
        return "；".join(_value_text(entities[i].value) for i in indices)

    for project in extraction.projects:
        yield [project.name, joined(project.amounts), joined(project.amounts, True), joined(project.dates),
               joined(project.dates, True), joined(project.investors), joined(project.locations)]


def _value_text(value) -> str:
    if value is None:
        return ""
    data = value.to_dict()
    if "amount" in data:
        return f"{data['amount']} {data['currency']}" + (f" ({data['qualifier']})" if data["qualifier"] else "")
    return data["iso"]


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
        command.add_argument("--model", help="model folder or hub name (default: $ZHINVEST_MODEL or the shipped model)")
        command.add_argument("--device", help="cpu or cuda (default: cuda when available)")
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
        return run_extract(args, "html" if args.command == "render" else args.format)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
