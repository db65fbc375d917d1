"""An HTML view of extractions: highlighted spans and the project table."""

from __future__ import annotations

import html
from typing import Iterable

from .types import Extraction

COLORS = {"PROJECT": "#ffd166", "MONEY": "#06d6a0", "DATE": "#8ecae6", "ORG": "#f4a3c0", "LOC": "#cdb4db"}
_STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.8}"
          "mark{padding:0 2px;border-radius:3px}mark sup{font-size:60%;margin-left:2px;color:#333}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
          ".doc{white-space:pre-wrap;border-top:1px solid #999;padding-top:1em}")


def render_html(documents: Iterable[tuple[str, Extraction]]) -> str:
    """A standalone HTML page for ``(name, extraction)`` pairs."""
    parts = [f"<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'><title>zhinvest</title>"
             f"<style>{_STYLE}</style></head><body>"]
    parts.append("<p>" + " ".join(f"<mark style='background:{c}'>{label}</mark>" for label, c in COLORS.items())
                 + "</p>")
    for name, extraction in documents:
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.append(_project_table(extraction))
        parts.append(f"<div class='doc'>{_highlight(extraction)}</div>")
    parts.append("</body></html>")
    return "".join(parts)


def _highlight(extraction: Extraction) -> str:
    out, last = [], 0
    for entity in extraction.entities:
        out.append(html.escape(extraction.text[last:entity.start]))
        value = "" if entity.value is None else html.escape(str(entity.value.to_dict()), quote=True)
        out.append(f"<mark style='background:{COLORS.get(entity.label, '#eee')}' "
                   f"title='{entity.label} {entity.score:.2f} {value}'>{html.escape(entity.text)}"
                   f"<sup>{entity.label}</sup></mark>")
        last = entity.end
    out.append(html.escape(extraction.text[last:]))
    return "".join(out)


def _project_table(extraction: Extraction) -> str:
    if not extraction.projects:
        return "<p>No projects found.</p>"
    rows = ["<table><tr><th>项目</th><th>投资额</th><th>时间</th><th>投资方</th><th>地点</th></tr>"]
    for project in extraction.projects:
        cells = [project.name] + ["；".join(extraction.entities[i].text for i in indices) for indices in
                                  (project.amounts, project.dates, project.investors, project.locations)]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    rows.append("</table>")
    return "".join(rows)
