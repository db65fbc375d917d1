"""Push tasks with model pre-annotations to a Label Studio server and pull annotations back.

Uses ``label-studio-sdk`` (the ``labelstudio`` extra).  The server URL and API key come
from arguments or ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``; the key is never
printed.  Pulling uses the full JSON export (JSON_MIN and CSV drop relations).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .annotation import save_document
from .labelstudio import ImportReport, prediction_task, read_export

LABEL_CONFIG = Path(__file__).resolve().parent / "labeling_config.xml"


def connect(url: str | None = None, api_key: str | None = None):
    """An SDK client; raises a clear error when the SDK, the URL or the key is missing."""
    try:
        from label_studio_sdk import LabelStudio
    except ImportError:
        raise ImportError("the Label Studio commands need label-studio-sdk: pip install 'zhinvest[labelstudio]'") from None
    url = url or os.environ.get("LABEL_STUDIO_URL")
    api_key = api_key or os.environ.get("LABEL_STUDIO_API_KEY")
    if not url or not api_key:
        raise ValueError("a Label Studio URL and API key are needed: --url/--api-key or "
                         "LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY")
    return LabelStudio(base_url=url, api_key=api_key)


def find_or_create_project(client, title: str, label_config: str | None = None):
    """The project with this title, created with our labeling config if there is none."""
    for project in client.projects.list():
        if project.title == title:
            return project
    config = label_config or LABEL_CONFIG.read_text(encoding="utf-8")
    return client.projects.create(title=title, label_config=config)


def push(client, project_title: str, tasks: list[dict]) -> int:
    """Import tasks (with their predictions) into the project; returns the project id."""
    project = find_or_create_project(client, project_title)
    if tasks:  # the server refuses an empty import
        client.projects.import_tasks(id=project.id, request=tasks)
    return project.id


def pull(client, project_title: str, store: str | Path) -> ImportReport:
    """Export the project's annotations (full JSON) and write them to the stand-off store."""
    project = find_or_create_project(client, project_title)
    export = client.projects.exports.as_json(project.id)
    report = read_export(export)
    for document in report.documents:
        save_document(document, store)
    return report


def _push_command(args: argparse.Namespace) -> int:
    from .api import _extractor
    from .cli import iter_inputs

    errors: list[str] = []
    named = list(iter_inputs(args.paths, errors))
    extractor = _extractor(args.model, args.device)
    version = args.model_version or Path(str(args.model or "zhinvest-default")).name
    results = extractor.pipe([text for _, text in named], [args.doc_date] * len(named))
    tasks = [prediction_task(Path(name).name, result, version) for (name, _), result in zip(named, results)]
    project_id = push(connect(args.url, args.api_key), args.project, tasks)
    print(f"pushed {len(tasks)} tasks with pre-annotations to project {project_id}", file=sys.stderr)
    for message in errors:
        print(f"zhinvest: {message}", file=sys.stderr)
    return 1 if errors else 0


def _pull_command(args: argparse.Namespace) -> int:
    report = pull(connect(args.url, args.api_key), args.project, args.out)
    print(f"read {report.tasks} tasks: {len(report.documents)} annotated, {report.spans} spans, "
          f"{report.relations} relations, {len(report.repaired)} offsets repaired; written to {args.out}",
          file=sys.stderr)
    return 0


def register_commands(commands) -> None:
    """Add ``labelstudio push`` and ``labelstudio pull`` to the ``zhinvest`` command."""
    group = commands.add_parser("labelstudio", help="push tasks to / pull annotations from Label Studio")
    actions = group.add_subparsers(dest="action", required=True)
    push_parser = actions.add_parser("push", help="import articles with model pre-annotations")
    push_parser.add_argument("paths", nargs="+", help="text files or folders (*.txt)")
    push_parser.add_argument("--model")
    push_parser.add_argument("--model-version", help="shown in Label Studio (default: the model folder name)")
    push_parser.add_argument("--device")
    push_parser.add_argument("--doc-date")
    push_parser.set_defaults(handler=_push_command)
    pull_parser = actions.add_parser("pull", help="export annotations into the stand-off store")
    pull_parser.add_argument("--out", type=Path, default=Path("annotations/standoff"))
    pull_parser.set_defaults(handler=_pull_command)
    for parser in (push_parser, pull_parser):
        parser.add_argument("--project", default="zhinvest", help="project title (created if missing)")
        parser.add_argument("--url", help="default: $LABEL_STUDIO_URL")
        parser.add_argument("--api-key", help="default: $LABEL_STUDIO_API_KEY")
