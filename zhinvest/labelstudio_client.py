"""Push tasks with model pre-annotations to a Label Studio server and pull annotations back.

Needs ``label-studio-sdk`` (``pip install 'zhinvest[labelstudio]'``), imported only
when a server is contacted.  The server URL and API key come from arguments or
``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``; the key is never printed or logged.
Pulling uses the full JSON export: JSON_MIN, CSV and CoNLL drop relations or
annotation metadata, or mangle Chinese tokenization.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .annotation import save_document
from .labelstudio import ImportReport, prediction_tasks, read_export

LABEL_CONFIG = Path(__file__).resolve().parent / "labeling_config.xml"
URL_ENV, KEY_ENV = "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"
INSTALL_HINT = "pip install 'zhinvest[labelstudio]' (or: pip install label-studio-sdk)"


@dataclass(frozen=True)
class PushReport:
    """Where the tasks went: articles imported, and those the project already had (not imported again)."""

    project_id: int
    imported: tuple[str, ...]
    already_there: tuple[str, ...]


def settings(url: str | None = None, api_key: str | None = None) -> tuple[str, str]:
    """The server URL and API key from the arguments or the environment; ValueError naming what is missing."""
    url, api_key = url or os.environ.get(URL_ENV), api_key or os.environ.get(KEY_ENV)
    missing = [name for name, value in (("URL (--url or $" + URL_ENV + ")", url),
                                        ("API key (--api-key or $" + KEY_ENV + ")", api_key)) if not value]
    if missing:
        raise ValueError(f"Label Studio {' and '.join(missing)} is not set")
    return url.rstrip("/"), api_key


def connect(url: str | None = None, api_key: str | None = None):
    """A ``label_studio_sdk.LabelStudio`` client for the server."""
    url, api_key = settings(url, api_key)
    try:
        from label_studio_sdk import LabelStudio
    except ImportError as error:
        raise ImportError(f"talking to Label Studio needs label-studio-sdk ({error}); install it with: "
                          f"{INSTALL_HINT}") from None
    return LabelStudio(base_url=url, api_key=api_key)


def label_config() -> str:
    """Our labeling config (the same file as annotations/labeling_config.xml)."""
    return LABEL_CONFIG.read_text(encoding="utf-8")


def push(url: str | None, api_key: str | None, project_title: str, tasks: list[dict]) -> PushReport:
    """Import ``tasks`` (with their predictions) into the project titled ``project_title``.

    The project is created with our labeling config when missing and reused otherwise
    (its config must be ours).  Articles the project already holds are not imported
    twice; they are listed in the report.
    """
    articles = [_article(task) for task in tasks]
    if len(set(articles)) != len(articles):
        twice = sorted({a for a in articles if articles.count(a) > 1})
        raise ValueError(f"articles given more than once: {', '.join(twice)}")
    client = connect(url, api_key)
    project = _project_by_title(client, project_title, create=True)
    present = {str((task.data or {}).get("article")) for task in client.tasks.list(project=project.id)}
    new = [task for task in tasks if _article(task) not in present]
    if new:  # the server refuses an empty import
        response = client.projects.import_tasks(id=project.id, request=new)
        count = getattr(response, "task_count", None)
        if count is not None and count != len(new):
            raise RuntimeError(f"Label Studio imported {count} of {len(new)} tasks into project {project.id}")
    return PushReport(project.id, tuple(_article(t) for t in new),
                      tuple(a for a in articles if a in present))


def pull(url: str | None, api_key: str | None, project: str | int, store_dir: str | Path) -> ImportReport:
    """Export the project's annotations (full JSON) and write them to the stand-off store.

    ``project`` is a title (str) or an id (int).  Everything is validated before
    anything is written, so a bad annotation leaves the store untouched.
    """
    client = connect(url, api_key)
    project_id = project if isinstance(project, int) else _project_by_title(client, project, create=False).id
    export = client.projects.exports.as_json(project_id)
    report = read_export(export)
    for document in report.documents:
        save_document(document, store_dir)
    return report


def _article(task: dict) -> str:
    article = (task.get("data") or {}).get("article")
    if not article:
        raise ValueError(f"task without data.article: {str(task.get('data'))[:80]!r}; "
                         "build tasks with zhinvest.labelstudio")
    return str(article)


def _normalized(config: str | None) -> str:
    return re.sub(r">\s+<", "><", (config or "").strip())


def _project_by_title(client, title: str, create: bool):
    matches = [p for p in client.projects.list(title=title) if p.title == title]
    if len(matches) > 1:
        raise ValueError(f"{len(matches)} Label Studio projects are titled {title!r} "
                         f"(ids {', '.join(str(p.id) for p in matches)}); use a unique title or the project id")
    if not matches:
        if not create:
            raise LookupError(f"no Label Studio project is titled {title!r}")
        return client.projects.create(title=title, label_config=label_config())
    project = client.projects.get(id=matches[0].id)
    if _normalized(project.label_config) != _normalized(label_config()):
        raise ValueError(f"Label Studio project {title!r} (id {project.id}) has another labeling config than "
                         f"{LABEL_CONFIG.name}; use a new project title or update the project's config")
    return project


def read_articles(paths: list[str | Path]) -> list[tuple[str, str]]:
    """``(article name, text)`` of .txt files and folders (recursively); names are relative to the folder.

    Texts are read exactly (``\\r\\n`` kept) because offsets index the file.
    """
    found: list[tuple[str, Path]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not files:
                raise ValueError(f"{path}: folder holds no .txt files")
            found += [(p.relative_to(path).as_posix(), p) for p in files]
        elif path.is_file():
            found.append((path.name, path))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    names = [name for name, _ in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two inputs share the article name(s) {', '.join(twice)}; article names identify tasks")
    articles = []
    for name, path in found:
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                articles.append((name, handle.read()))
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    return articles


def _push_command(args: argparse.Namespace) -> int:
    url, api_key = settings(args.url, args.api_key)  # fail before running the model
    connect(url, api_key)
    from . import default_model_path, extract_batch

    articles = read_articles(args.paths)
    results = extract_batch([text for _, text in articles], doc_dates=[args.doc_date] * len(articles),
                            model=args.model, device=args.device, batch_size=args.batch_size)
    version = args.model_version or Path(str(args.model or default_model_path())).name
    tasks = prediction_tasks(((name, result) for (name, _), result in zip(articles, results)), version)
    report = push(url, api_key, args.project, tasks)
    print(f"project {report.project_id}: imported {len(report.imported)} tasks with {version} pre-annotations; "
          f"{len(report.already_there)} articles were already there", file=sys.stderr)
    return 0


def _pull_command(args: argparse.Namespace) -> int:
    project = args.project_id if args.project_id is not None else args.project
    report = pull(args.url, args.api_key, project, args.out)
    print(f"read {report.tasks} tasks: {len(report.documents)} annotated ({report.spans} spans, "
          f"{report.relations} relations, {len(report.repaired)} UTF-16 offsets repaired) written to {args.out}; "
          f"{len(report.unannotated)} without annotation, {report.ignored_annotations} annotations ignored "
          "(cancelled or superseded)", file=sys.stderr)
    return 0


def _run(handler):
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (ValueError, LookupError, ImportError, OSError) as error:
            print(f"zhinvest labelstudio: {error}", file=sys.stderr)
            return 2

    return run


def register_commands(commands) -> None:
    """Add ``labelstudio push`` and ``labelstudio pull`` to an argparse subparsers object."""
    group = commands.add_parser("labelstudio", help="push pre-annotated tasks to / pull annotations from Label Studio")
    actions = group.add_subparsers(dest="action", required=True)
    push_parser = actions.add_parser("push", help="import articles with model pre-annotations")
    push_parser.add_argument("paths", nargs="+", help="article .txt files or folders (recursively)")
    push_parser.add_argument("--project", default="zhinvest", help="project title (created if missing)")
    push_parser.add_argument("--model", help="model folder (default: $ZHINVEST_MODEL or the shipped model)")
    push_parser.add_argument("--model-version", help="shown in Label Studio (default: the model folder name)")
    push_parser.add_argument("--device", help="cpu or cuda")
    push_parser.add_argument("--doc-date", help="publication date (YYYY-MM-DD) for all articles")
    push_parser.add_argument("--batch-size", type=int, default=16)
    push_parser.set_defaults(handler=_run(_push_command))
    pull_parser = actions.add_parser("pull", help="export annotations (full JSON) into the stand-off store")
    which = pull_parser.add_mutually_exclusive_group()
    which.add_argument("--project", default="zhinvest", help="project title")
    which.add_argument("--project-id", type=int, help="project id (instead of the title)")
    pull_parser.add_argument("--out", type=Path, default=Path("annotations/standoff"), help="stand-off store folder")
    pull_parser.set_defaults(handler=_run(_pull_command))
    for parser in (push_parser, pull_parser):
        parser.add_argument("--url", help=f"server URL (default: ${URL_ENV})")
        parser.add_argument("--api-key", help=f"API token (default: ${KEY_ENV}; prefer the variable, "
                                               "a command-line key shows in process lists)")


__all__ = ["LABEL_CONFIG", "PushReport", "connect", "label_config", "pull", "push", "read_articles",
           "register_commands", "settings"]
