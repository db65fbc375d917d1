"""zhinvest: investment projects, amounts, dates, investors and places from Chinese news.

>>> from zhinvest import extract
>>> result = extract("总投资20亿元的智慧物流科技港项目今日动工", doc_date="2021-03-09")  # doctest: +SKIP
"""

from __future__ import annotations

from .types import DateValue, Entity, Extraction, Money, Project, Relation

__all__ = ["DateValue", "Entity", "Extraction", "Extractor", "Money", "Project", "Relation",
           "default_model_path", "extract", "extract_batch"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # the model side imports torch: load it only when asked for
    if name == "Extractor":
        from .extractor import Extractor

        return Extractor
    raise AttributeError(f"module 'zhinvest' has no attribute {name!r}")


from .api import default_model_path, extract, extract_batch  # noqa: E402
