"""Long CLI runs lose nothing: results are flushed per document and ``--resume`` continues a killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.synthetic import make_document
from zhinvest.cli import finished_documents, main

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "zhinvest-small"


def write_archive(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for number in range(count):
        path = folder / f"doc{number:04d}.txt"
        path.write_text(make_document(path.name, sentences=3, seed=number).text, encoding="utf-8")
        paths.append(path)
    return paths


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_finished_documents_drops_a_line_cut_off_by_a_kill(tmp_path):
    out = tmp_path / "out.jsonl"
    complete = json.dumps({"source": "a.txt", "sha256": "x1", "entities": []}) + "\n"
    out.write_text(complete + '{"source": "b.txt", "sha2', encoding="utf-8")
    assert finished_documents(out) == {("a.txt", "x1")}
    assert out.read_text(encoding="utf-8") == complete


def test_resume_needs_jsonl_and_an_output_file(capsys, tmp_path, tiny_model_dir):
    (tmp_path / "a.txt").write_text("项目总投资20亿元。", encoding="utf-8")
    args = ["extract", str(tmp_path / "a.txt"), "--model", str(tiny_model_dir), "--resume"]
    assert main(args + ["--format", "csv", "--out", str(tmp_path / "o.csv")]) == 2
    assert main(args) == 2
    assert "--resume needs" in capsys.readouterr().err


def test_resume_skips_done_documents_and_redoes_changed_ones(tmp_path, tiny_model_dir):
    paths = write_archive(tmp_path / "archive", 5)
    out = tmp_path / "out.jsonl"
    base = ["extract", str(tmp_path / "archive"), "--model", str(tiny_model_dir), "--out", str(out), "-q"]
    assert main(base) == 0
    first = records(out)
    paths[2].write_text("新的内容：跨境电商产业园项目总投资20亿元。", encoding="utf-8")
    assert main(base + ["--resume"]) == 0
    after = records(out)
    assert after[:5] == first  # nothing rewritten
    assert [r["source"] for r in after[5:]] == [str(paths[2])]  # only the changed document is done again
    assert after[5]["text"].startswith("新的内容")


@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="no shipped model")
def test_a_killed_run_resumes_with_no_duplicates_and_no_gaps(tmp_path):
    write_archive(tmp_path / "archive", 200)
    command = [sys.executable, "-m", "zhinvest.cli", "extract", str(tmp_path / "archive"), "--model", str(SHIPPED),
               "--device", "cpu", "--batch-size", "4", "-q", "--doc-date", "2021-03-09"]
    killed_out, full_out = tmp_path / "killed.jsonl", tmp_path / "full.jsonl"

    process = subprocess.Popen(command + ["--out", str(killed_out)])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if killed_out.is_file() and killed_out.stat().st_size > 0:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    written_before = len(finished_documents(killed_out))
    assert 0 < written_before < 200, "the run should be killed part-way"

    subprocess.run(command + ["--out", str(killed_out), "--resume"], check=True)
    subprocess.run(command + ["--out", str(full_out)], check=True)
    resumed, full = records(killed_out), records(full_out)
    assert len(resumed) == 200
    assert len({r["source"] for r in resumed}) == 200
    assert sorted(resumed, key=lambda r: r["source"]) == sorted(full, key=lambda r: r["source"])
