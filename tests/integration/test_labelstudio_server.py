"""push → annotate through the API → pull, against a real Label Studio server on 127.0.0.1.

Run with ``bash tests/integration/run_labelstudio.sh``: label-studio pins numpy/pyarrow
versions that the model stack does not share, so it lives in its own virtual environment.
Only torch-free modules of zhinvest are imported here.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("label_studio", reason="the label-studio package is not installed in this environment")

from zhinvest.annotation import AnnotatedDocument, GoldSpan, load_store  # noqa: E402
from zhinvest.labelstudio import document_to_task, prediction_tasks  # noqa: E402
from zhinvest.labelstudio_client import connect, pull, push, register_commands  # noqa: E402
from zhinvest.types import Entity, Extraction, Relation  # noqa: E402

pytestmark = pytest.mark.slow
STARTUP_SECONDS = int(os.environ.get("LS_STARTUP_SECONDS", "120"))  # a cold start takes 25-50 s
PROJECT = "zhinvest-it"
FIRST = "😀中山市火炬开发区签约：智慧物流科技港项目总投资20亿元。"
SECOND = "𠮷📈3月9日，跨境电商产业园在西区动工。"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh Label Studio in a temporary home, with a known user token; stopped with SIGTERM."""
    home = tmp_path_factory.mktemp("labelstudio")
    port, token = free_port(), secrets.token_hex(20)
    env = {**os.environ, "HOME": str(home), "LABEL_STUDIO_BASE_DATA_DIR": str(home / "data"),
           "LABEL_STUDIO_USERNAME": "ci@example.com", "LABEL_STUDIO_PASSWORD": secrets.token_hex(12),
           "LABEL_STUDIO_USER_TOKEN": token, "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
           "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true", "COLLECT_ANALYTICS": "false",
           "LABEL_STUDIO_COLLECT_ANALYTICS": "false", "LATEST_VERSION_CHECK": "false",
           "LABEL_STUDIO_LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": ""}
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        env.pop(name, None)
    log_path = home / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(Path(sys.executable).parent / "label-studio"), "start", "--no-browser",
                                    "--internal-host", "127.0.0.1", "--port", str(port),
                                    "--data-dir", str(home / "data")],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            started = time.monotonic()
            while not _healthy(url):
                if process.poll() is not None:
                    raise RuntimeError(f"label-studio exited with {process.returncode}:\n{_tail(log_path)}")
                if time.monotonic() - started > STARTUP_SECONDS:
                    raise TimeoutError(f"label-studio did not answer within {STARTUP_SECONDS} s:\n{_tail(log_path)}")
                time.sleep(1)
            print(f"label-studio healthy after {time.monotonic() - started:.1f} s", file=sys.stderr)
            yield url, token
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _tail(path: Path) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-30:])


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def _region(rid, text, piece, label, offsets=lambda text, i: i):
    start = text.index(piece)
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": offsets(text, start), "end": offsets(text, start + len(piece)), "text": piece,
                      "labels": [label]}}


def _tasks() -> list[dict]:
    project = FIRST.index("智慧物流科技港项目")
    predicted = Extraction(FIRST, None, (Entity("PROJECT", "智慧物流科技港项目", project, project + 9, 0.9),
                                         Entity("LOC", "中山市", 1, 4, 0.8)), (Relation("地点", 0, 1, 0.5),))
    gold = AnnotatedDocument("0002.txt", SECOND, (GoldSpan("g1", "PROJECT", SECOND.index("跨境"),
                                                           SECOND.index("跨境") + 7, "跨境电商产业园"),))
    return prediction_tasks([("0001.txt", predicted)], "test-model") + [document_to_task(gold, model_version="gold")]


def test_push_annotate_pull_round_trip(server, tmp_path, monkeypatch, capsys):
    url, token = server
    first = push(url, token, PROJECT, _tasks())
    assert first.imported == ("0001.txt", "0002.txt") and first.already_there == ()
    again = push(url, token, PROJECT, _tasks())  # same project, nothing imported twice
    assert (again.project_id, again.imported, again.already_there) == (first.project_id, (), ("0001.txt", "0002.txt"))

    client = connect(url, token)
    tasks = {t.data["article"]: t for t in client.tasks.list(project=first.project_id, fields="all")}
    assert sorted(tasks) == ["0001.txt", "0002.txt"]
    (prediction,) = tasks["0001.txt"].predictions
    sent = _tasks()[0]["predictions"][0]
    assert (prediction.model_version, prediction.score, prediction.result) == ("test-model", 0.85, sent["result"])

    # the annotators' work, through the API: code-point offsets after an emoji in the first task,
    # UTF-16 offsets (as the affected Label Studio front ends store them) in the second
    client.annotations.create(id=tasks["0001.txt"].id, result=[
        _region("p1", FIRST, "智慧物流科技港项目", "PROJECT"), _region("m1", FIRST, "20亿元", "MONEY"),
        {"type": "relation", "from_id": "p1", "to_id": "m1", "direction": "right", "labels": ["投资额"]}])
    client.annotations.create(id=tasks["0002.txt"].id, result=[
        _region("p2", SECOND, "跨境电商产业园", "PROJECT", _utf16), _region("d2", SECOND, "3月9日", "DATE", _utf16),
        _region("l2", SECOND, "西区", "LOC", _utf16),
        {"type": "relation", "from_id": "d2", "to_id": "p2", "direction": "left", "labels": ["时间"]},
        {"type": "relation", "from_id": "p2", "to_id": "l2", "direction": "right", "labels": ["地点"]}])

    # pull through the command, URL and key from the environment: the key must not be printed
    store = tmp_path / "store"
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    parser = argparse.ArgumentParser(prog="zhinvest")
    register_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["labelstudio", "pull", "--project", PROJECT, "--out", str(store)])
    assert args.handler(args) == 0
    captured = capsys.readouterr()
    assert token not in captured.out + captured.err
    assert "2 annotated (5 spans, 3 relations, 3 UTF-16 offsets repaired)" in captured.err

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "0001.txt").write_text(FIRST, encoding="utf-8")
    (corpus / "0002.txt").write_text(SECOND, encoding="utf-8")
    one, two = load_store(store, corpus)
    assert [(s.id, s.label, s.start, s.end, s.text) for s in one.spans] == [
        ("p1", "PROJECT", 12, 21, "智慧物流科技港项目"), ("m1", "MONEY", 24, 28, "20亿元")]
    assert [(r.label, r.head, r.tail) for r in one.relations] == [("投资额", "p1", "m1")]
    assert [(s.id, s.label, s.start, s.end, s.text) for s in two.spans] == [
        ("d2", "DATE", 2, 6, "3月9日"), ("p2", "PROJECT", 7, 14, "跨境电商产业园"), ("l2", "LOC", 15, 17, "西区")]
    assert sorted((r.label, r.head, r.tail) for r in two.relations) == [("地点", "p2", "l2"), ("时间", "p2", "d2")]

    # by id, the same documents
    report = pull(url, token, first.project_id, tmp_path / "by-id")
    assert (report.tasks, report.annotations, report.spans, report.relations) == (2, 2, 5, 3)
    assert sorted(p.name for p in (tmp_path / "by-id").iterdir()) == ["0001.json", "0002.json"]
