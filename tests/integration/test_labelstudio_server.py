"""push → annotate through the API → pull, against a real Label Studio server on 127.0.0.1.

Run with ``bash tests/integration/run_labelstudio.sh`` (its own virtual environment:
label-studio pins versions that the model stack does not share).
"""

from __future__ import annotations

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

pytest.importorskip("label_studio", reason="label-studio is not installed in this environment")

from zhinvest.annotation import load_store  # noqa: E402
from zhinvest.labelstudio_client import connect, pull, push  # noqa: E402
from zhinvest.labelstudio import prediction_task  # noqa: E402
from zhinvest.types import Entity, Extraction, Relation  # noqa: E402

STARTUP_SECONDS = 240
TEXT = "😀青川市签约：智慧物流科技港项目总投资20亿元。"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("labelstudio")
    port, token = free_port(), secrets.token_hex(20)
    env = {**os.environ, "HOME": str(home), "LABEL_STUDIO_BASE_DATA_DIR": str(home / "data"),
           "LABEL_STUDIO_USERNAME": "ci@example.com", "LABEL_STUDIO_PASSWORD": secrets.token_hex(12),
           "LABEL_STUDIO_USER_TOKEN": token, "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
           "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true", "COLLECT_ANALYTICS": "false",
           "LABEL_STUDIO_COLLECT_ANALYTICS": "false", "LATEST_VERSION_CHECK": "false",
           "LABEL_STUDIO_LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": ""}
    executable = Path(sys.executable).parent / "label-studio"
    log = open(home / "server.log", "w")
    process = subprocess.Popen([str(executable), "start", "--no-browser", "--internal-host", "127.0.0.1",
                                "--port", str(port), "--data-dir", str(home / "data")],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"label-studio exited with {process.returncode}; see {home / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"label-studio did not answer within {STARTUP_SECONDS} s")
            time.sleep(1)
        yield url, token
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_push_annotate_pull_round_trip(server, tmp_path):
    url, token = server
    client = connect(url, token)
    project_start = TEXT.index("智慧物流科技港项目")
    money_start = TEXT.index("20亿元")
    extraction = Extraction(TEXT, None, (Entity("PROJECT", "智慧物流科技港项目", project_start, project_start + 9, 0.9),),
                            ())
    project_id = push(client, "zhinvest-it", [prediction_task("0001.txt", extraction, "test-model")])
    assert push(client, "zhinvest-it", []) == project_id  # the project is reused, not duplicated

    (task,) = list(client.tasks.list(project=project_id))
    assert task.data["article"] == "0001.txt"
    # the annotator's work, through the API: the project span, a MONEY span and the relation
    result = [
        {"id": "p1", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": project_start, "end": project_start + 9, "text": "智慧物流科技港项目", "labels": ["PROJECT"]}},
        {"id": "m1", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": money_start, "end": money_start + 4, "text": "20亿元", "labels": ["MONEY"]}},
        {"type": "relation", "from_id": "p1", "to_id": "m1", "direction": "right", "labels": ["投资额"]},
    ]
    client.annotations.create(id=task.id, result=result)

    store = tmp_path / "store"
    report = pull(client, "zhinvest-it", store)
    assert (report.tasks, report.spans, report.relations) == (1, 2, 1)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "0001.txt").write_text(TEXT, encoding="utf-8")
    (doc,) = load_store(store, corpus)
    assert sorted((s.label, s.start, s.end, s.text) for s in doc.spans) == [
        ("MONEY", money_start, money_start + 4, "20亿元"),
        ("PROJECT", project_start, project_start + 9, "智慧物流科技港项目")]
    (relation,) = doc.relations
    spans = doc.span_by_id()
    assert (relation.label, spans[relation.head].label, spans[relation.tail].label) == ("投资额", "PROJECT", "MONEY")
