"""The built wheel works on its own: a fresh virtual environment, outside the checkout, extracts with the
default model that travels inside the wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample_article.txt"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (ROOT / "models" / "zhinvest-small" / "model.safetensors").is_file(),
                                 reason="no shipped model")]


def run(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)], cwd=ROOT)
    wheels = list(out.glob("zhinvest-*.whl"))
    assert len(wheels) == 1 and list(out.glob("zhinvest-*.tar.gz")), sorted(p.name for p in out.iterdir())
    return wheels[0]


def test_wheel_carries_the_default_model(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "zhinvest/default_model/model.safetensors" in names
    assert "zhinvest/default_model/config.json" in names
    assert not any(name.startswith(("tests/", "training/", "models/")) for name in names)


def test_fresh_environment_extracts_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    torch_version = __import__("torch").__version__.split("+")[0]
    run([str(python), "-m", "pip", "install", "--quiet", f"torch=={torch_version}"], cwd=tmp_path)
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ZHINVEST_MODEL")}
    environment["HF_HUB_OFFLINE"] = "1"
    script = ("import json, zhinvest, pathlib\n"
              "r = zhinvest.extract(pathlib.Path(r'%s').read_text(encoding='utf-8'), doc_date='2024-03-09')\n"
              "print(json.dumps({'module': zhinvest.__file__, 'model': str(zhinvest.default_model_path()),\n"
              "  'entities': [[e.label, e.text] for e in r.entities]}, ensure_ascii=False))" % SAMPLE)
    found = json.loads(run([str(python), "-c", script], cwd=workdir, env=environment).stdout)
    assert not found["module"].startswith(str(ROOT)) and not found["model"].startswith(str(ROOT))
    assert ["MONEY", "12.5亿元"] in found["entities"]
    assert any(label == "PROJECT" for label, _ in found["entities"])

    article = workdir / "article.txt"
    article.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    cli = run([str(env_dir / "bin" / "zhinvest"), "extract", str(article), "--doc-date", "2024-03-09"],
              cwd=workdir, env=environment)
    record = json.loads(cli.stdout)
    assert record["projects"] and any(e["text"] == "12.5亿元" for e in record["entities"])
