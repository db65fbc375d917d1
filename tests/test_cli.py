"""The command line end to end: files, folders, stdin, formats, bad files."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zhinvest.cli import main

ARTICLE = "中山市火炬開發區與抖音集團簽約，總投資超64億元的智慧物流科技港項目今日動工。\r\n西區(qū)项目落户中山。"


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.txt").write_text("跨境电商产业园项目总投资20亿元。", encoding="utf-8")
    (tmp_path / "nested" / "ignored.md").write_text("不是文章", encoding="utf-8")
    return tmp_path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_jsonl_over_a_folder_keeps_offsets(capsys, corpus, tiny_model_dir):
    code, out, err = run(capsys, "extract", str(corpus), "--model", str(tiny_model_dir), "--doc-date", "2021-03-09")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["source"] for line in lines] == [str(corpus / "a.txt"), str(corpus / "nested" / "b.txt")]
    for line in lines:
        source = (corpus / line["source"]).read_bytes().decode("utf-8")
        assert line["text"] == source and line["doc_date"] == "2021-03-09"
        assert all(source[e["start"]:e["end"]] == e["text"] for e in line["entities"])
    assert "zhinvest" in err  # the progress bar for more than one file


def test_stdin(capsys, monkeypatch, tiny_model_dir):
    monkeypatch.setattr(sys, "stdin", io.StringIO(ARTICLE))
    code, out, _ = run(capsys, "extract", "-", "--model", str(tiny_model_dir), "-q")
    (line,) = out.splitlines()
    assert code == 0 and json.loads(line)["text"] == ARTICLE


def test_csv_has_one_row_per_project(capsys, corpus, tiny_model_dir):
    code, out, _ = run(capsys, "extract", str(corpus / "a.txt"), "--format", "csv", "--model", str(tiny_model_dir))
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][:2] == ["source", "project"]
    assert all(row[0] == str(corpus / "a.txt") for row in rows[1:])


def test_render_writes_html(capsys, corpus, tiny_model_dir):
    code, out, _ = run(capsys, "render", str(corpus / "a.txt"), "--model", str(tiny_model_dir))
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "<mark" in out and "a.txt" in out


def test_undecodable_file_is_reported_and_the_rest_processed(capsys, corpus, tiny_model_dir):
    (corpus / "bad.txt").write_bytes("项目".encode("gbk") + b"\xff\xfe")
    code, out, err = run(capsys, "extract", str(corpus), "--model", str(tiny_model_dir), "-q")
    assert code == 1
    assert "bad.txt" in err and "not UTF-8" in err
    assert len(out.splitlines()) == 2


def test_missing_file_and_bad_arguments(capsys, corpus, tiny_model_dir):
    code, _, err = run(capsys, "extract", str(corpus / "nope.txt"), "--model", str(tiny_model_dir))
    assert code == 1 and "nope.txt" in err
    code, _, err = run(capsys, "extract", str(corpus / "a.txt"), "--doc-date", "yesterday")
    assert code == 2 and "not an ISO date" in err


def test_console_script_is_installed(tiny_model_dir, corpus):
    script = Path(sys.executable).parent / "zhinvest"
    completed = subprocess.run([str(script), "extract", str(corpus / "a.txt"), "--model", str(tiny_model_dir)],
                               capture_output=True, text=True, encoding="utf-8")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["text"] == ARTICLE
