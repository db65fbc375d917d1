"""Ray Data over a local two-CPU Ray instance gives the same results as extract_batch."""

from __future__ import annotations

import json

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_actor_pool_matches_extract_batch(local_ray, tiny_model_dir, tiny_extractor):
    from zhinvest.distributed import extract_dataset

    rows = [{"text": f"中山市火炬开发区项目{k}签约，总投资{k}亿元。", "doc_date": "2021-03-09"} for k in range(12)]
    dataset = ray.data.from_items(rows)
    results = extract_dataset(dataset, model=tiny_model_dir, device="cpu", date_column="doc_date",
                              concurrency=2, rows_per_batch=4).take_all()
    by_text = {r["text"]: json.loads(r["extraction"]) for r in results}
    assert len(by_text) == len(rows)
    for row in rows:
        expected = tiny_extractor(row["text"], row["doc_date"]).to_dict()
        got = by_text[row["text"]]
        assert [(e["label"], e["start"], e["end"]) for e in got["entities"]] == \
            [(e["label"], e["start"], e["end"]) for e in expected["entities"]]
        assert [(r["label"], r["head"], r["tail"]) for r in got["relations"]] == \
            [(r["label"], r["head"], r["tail"]) for r in expected["relations"]]
