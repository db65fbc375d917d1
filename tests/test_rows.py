"""Spreadsheet rows: clean display names from Traditional pages with scraped pinyin readings; exact offsets."""

from __future__ import annotations

import csv
import io
import re

from zhinvest.cli import main
from zhinvest.display import display_name
from zhinvest.projects import group_projects
from zhinvest.rows import LIST_SEPARATOR, ProjectRow, project_rows
from zhinvest.types import DateValue, Entity, Extraction, Money, Relation

READING = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,8}[)）]")
TEXT = "中聯(lián)創(chuàng)富業(yè)總部經濟項目近日在東莞松山湖簽約，總投資超64億元，2；今年動工。"


def span(label: str, surface: str, value=None, occurrence: int = 0) -> Entity:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(surface, start + 1)
    return Entity(label, surface, start, start + len(surface), 0.9, value)


def extraction() -> Extraction:
    entities = (span("PROJECT", "中聯(lián)創(chuàng)富業(yè)總部經濟項目"), span("DATE", "近日"),
                span("LOC", "東莞"), span("LOC", "松山湖"),
                span("MONEY", "超64億元", Money(__import__("decimal").Decimal("6400000000"), "CNY", "over")),
                span("DATE", "2"), span("DATE", "今年", DateValue("2024", "year", True)))
    relations = tuple(Relation(label, 0, tail) for label, tail in
                      (("时间", 1), ("地点", 2), ("地点", 3), ("投资额", 4), ("时间", 5), ("时间", 6)))
    return Extraction(TEXT, "2024-03-09", entities, relations, tuple(group_projects(entities, relations)))


def test_display_names_drop_readings_and_can_be_simplified():
    assert display_name("中聯(lián)創(chuàng)富業(yè)總部經濟") == "中聯創富業總部經濟"
    assert display_name("中聯(lián)創(chuàng)富業(yè)總部經濟", simplified=True) == "中联创富业总部经济"
    assert display_name("西 區(qū)\r\n") == "西區"
    assert display_name("(LED)工厂") == "(LED)工厂"  # brackets that are not readings stay


def test_rows_are_clean_while_entities_stay_exact():
    result = extraction()
    assert all(TEXT[e.start:e.end] == e.text for e in result.entities)
    [row] = project_rows(result)
    assert row.project == "中聯創富業總部經濟項目"
    assert row.locations == ("東莞", "松山湖")
    assert row.amount_values == ("6400000000 CNY (over)",)
    assert row.dates == ("近日", "2", "今年") and row.date_values == ("2024",)  # no empty value slots
    assert all(LIST_SEPARATOR * 2 not in cell and not cell.startswith(LIST_SEPARATOR) for cell in row.cells())
    [simplified] = project_rows(result, simplified=True)
    assert simplified.project == "中联创富业总部经济项目" and simplified.locations == ("东莞", "松山湖")
    data = result.to_dict(simplified=True)["projects"][0]
    assert data["name"] == "中聯(lián)創(chuàng)富業(yè)總部經濟項目" and data["display"] == "中联创富业总部经济项目"
    assert [d["display"] for d in data["locations"]] == ["东莞", "松山湖"]


def test_csv_cells_never_hold_empty_list_items(capsys, tmp_path, tiny_model_dir):
    (tmp_path / "a.txt").write_text(TEXT * 3, encoding="utf-8")
    assert main(["extract", str(tmp_path / "a.txt"), "--model", str(tiny_model_dir), "--format", "csv",
                 "--simplified", "--float32"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["source", *ProjectRow.columns()]
    for row in rows[1:]:
        for cell in row[1:]:
            items = cell.split(LIST_SEPARATOR) if cell else []
            assert all(item.strip() for item in items), row
            assert not READING.search(cell), row  # no pinyin readings left in display cells


def test_a_place_named_twice_fills_its_cell_once():
    text = "產業園項目落戶青川市，青川市總投資5億元，另5億元"
    surfaces = [("PROJECT", "產業園項目", 0), ("LOC", "青川市", 0), ("LOC", "青川市", 8), ("MONEY", "5億元", 0),
                ("MONEY", "5億元", 19)]
    entities = []
    for label, surface, after in surfaces:
        start = text.index(surface, after)
        entities.append(Entity(label, surface, start, start + len(surface), 0.9))
    entities = tuple(entities)
    relations = tuple(Relation(label, 0, tail) for label, tail in (("地点", 1), ("地点", 2), ("投资额", 3), ("投资额", 4)))
    [row] = project_rows(Extraction(text, None, entities, relations, tuple(group_projects(entities, relations))))
    assert row.locations == ("青川市",)
    assert row.amounts == ("5億元", "5億元")  # two tranches stay two items
