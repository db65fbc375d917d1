"""Run zhinvest over a corpus with Ray Data: an actor pool, one loaded ``Extractor`` per worker.

    import ray, zhinvest.distributed as zd
    ds = ray.data.read_text("archive/")            # or from_items([{"text": ..., "doc_date": ...}])
    results = zd.extract_dataset(ds, model="models/zhinvest-small", concurrency=4)
    results.write_json("out/")

Needs the ``ray`` extra (``pip install 'zhinvest[ray]'``).
"""

from __future__ import annotations

import json
import os


class ExtractorActor:
    """A Ray Data batch callable that keeps one model loaded for the life of its worker."""

    def __init__(self, model: str | os.PathLike | None, device: str | None, text_column: str,
                 date_column: str | None, batch_size: int):
        from .api import default_model_path
        from .extractor import Extractor

        self.extractor = Extractor.from_pretrained(model or default_model_path(), device=device)
        self.text_column, self.date_column, self.batch_size = text_column, date_column, batch_size

    def __call__(self, batch: dict) -> dict:
        if self.text_column not in batch:
            raise KeyError(f"batch has no column {self.text_column!r}; columns: {sorted(batch)}")
        texts = [str(t) for t in batch[self.text_column]]
        dates = None
        if self.date_column is not None:
            dates = [d if d else None for d in batch[self.date_column]]
        results = self.extractor.pipe(texts, dates, batch_size=self.batch_size)
        output = dict(batch)
        output["extraction"] = [json.dumps(r.to_dict(), ensure_ascii=False) for r in results]
        return output


def extract_dataset(dataset, *, model: str | os.PathLike | None = None, device: str | None = None,
                    text_column: str = "text", date_column: str | None = None, concurrency: int = 2,
                    rows_per_batch: int = 64, batch_size: int = 16, num_gpus: float = 0, num_cpus: float = 1):
    """A Ray dataset with an ``extraction`` column (the JSON of ``Extraction.to_dict()``) added."""
    return dataset.map_batches(
        ExtractorActor, fn_constructor_kwargs={"model": None if model is None else str(model), "device": device,
                                               "text_column": text_column, "date_column": date_column,
                                               "batch_size": batch_size},
        batch_size=rows_per_batch, batch_format="numpy", concurrency=concurrency, num_gpus=num_gpus,
        num_cpus=num_cpus)
