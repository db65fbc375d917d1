"""Clean display names for spreadsheets: scraped pinyin readings and stray whitespace removed.

``Entity.text`` always stays the exact original span; these are what a person reads in a cell.

>>> display_name("中聯(lián)創(chuàng)富業(yè)總部經濟")
'中聯創富業總部經濟'
>>> display_name("中聯(lián)創(chuàng)富業(yè)總部經濟", simplified=True)
'中联创富业总部经济'
>>> display_name(" 智慧 物流\\n科技港 ")
'智慧物流科技港'
"""

from __future__ import annotations

from .normalize import NormalizerConfig, normalize, to_simplified

_READINGS_ONLY = NormalizerConfig(traditional_to_simplified=False, fold_width=False, remove_pinyin=True)


def display_name(text: str, simplified: bool = False) -> str:
    """``text`` without pinyin readings, control characters or whitespace; Simplified if asked."""
    cleaned = normalize(text, _READINGS_ONLY).text.replace("\n", "")
    return to_simplified(cleaned) if simplified else cleaned
