"""The one-call API: ``extract`` and ``extract_batch`` over a lazily loaded default model."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from .types import Extraction

MODEL_ENV = "ZHINVEST_MODEL"
MODEL_PACKAGE = "zhinvest.default_model"  # the shipped model, installed with the library (package data)
SOURCE_TREE_MODEL = Path(__file__).resolve().parent.parent / "models" / "zhinvest-small"


def default_model_path() -> Path:
    """``$ZHINVEST_MODEL`` if set, else the model installed with the library.

    The model ships inside the wheel as ``zhinvest.default_model``; in a source checkout that is not
    installed, ``models/zhinvest-small`` beside the package is used.
    """
    configured = os.environ.get(MODEL_ENV)
    if configured:
        return Path(configured)
    for folder in [*installed_model_folders(), SOURCE_TREE_MODEL]:
        if (folder / "config.json").is_file():
            return folder
    raise FileNotFoundError(f"no default model: the package {MODEL_PACKAGE} is not installed and "
                            f"{SOURCE_TREE_MODEL} does not exist; set {MODEL_ENV} or pass model=")


def installed_model_folders() -> list[Path]:
    """Folders of the installed model package (a data-only namespace package), if any."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except ImportError:
        return []
    return [Path(p).resolve() for p in (spec.submodule_search_locations or [])] if spec else []


@lru_cache(maxsize=4)
def _load(model: str, device: str | None, quantize: bool | None):
    from .extractor import Extractor

    return Extractor.from_pretrained(model, device=device, quantize=quantize)


def load_extractor(model=None, device=None, quantize: bool | None = None):
    """An ``Extractor`` for ``model`` (a folder, a hub name, an Extractor, or None for the default), cached.

    ``quantize`` as in ``Extractor.from_pretrained``: by default int8 on the CPU, bf16 on a GPU.
    """
    from .extractor import Extractor

    if isinstance(model, Extractor):
        return model
    return _load(str(model if model is not None else default_model_path()), None if device is None else str(device),
                 quantize)


def extract(text: str, *, doc_date=None, model=None, device=None) -> Extraction:
    """Entities, relations and project records of one text (offsets index ``text``)."""
    from .extractor import check_text

    return load_extractor(model, device)(check_text(text), doc_date)


def extract_batch(texts: Sequence[str], *, doc_dates: Sequence | None = None, batch_size: int = 16,
                  model=None, device=None, progress: bool = False) -> list[Extraction]:
    """``extract`` over many texts, batched; the same results as calling ``extract`` on each."""
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of str, not a single str; use extract() for one text")
    if doc_dates is not None and len(doc_dates) != len(texts):
        raise ValueError(f"doc_dates has {len(doc_dates)} items but texts has {len(texts)}")
    results = load_extractor(model, device).pipe(texts, doc_dates, batch_size=batch_size)
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(texts), unit="doc", desc="zhinvest")
    return list(results)
