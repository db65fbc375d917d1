"""Turn quick text-based annotation drafts into stand-off annotation files.

A draft names spans by their surface text instead of offsets, which is much
faster to type and review.  One line per item, fields separated by TAB:

    PROJECT<TAB>智慧物流科技港项目            every occurrence of the text
    LOC<TAB>中山<TAB>@1,@3                    only occurrences 1 and 3 (1-based)
    REL<TAB>投资额<TAB>智慧物流科技港项目<TAB>20亿元
    REL<TAB>地点<TAB>某某项目@2<TAB>中山@3    pick the mentions explicitly

Occurrences are counted over the raw article text, left to right, without
overlap.  Longer surface texts are placed first; an occurrence that overlaps
an already placed span is skipped (so ``中山`` inside ``中山市商务局`` stays
part of the ORG).  A relation without ``@k`` joins the closest pair of
mentions of its two texts.  Lines starting with ``#`` are comments.

    python -m training.drafts DRAFT_DIR --articles ../shared/articles --out annotations/standoff
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from zhinvest.annotation import span_record

ENTITY_LABELS = ("PROJECT", "MONEY", "DATE", "ORG", "LOC")
RELATION_TAILS = {"投资额": "MONEY", "时间": "DATE", "投资方": "ORG", "地点": "LOC"}


class DraftError(ValueError):
    """A draft line that cannot be placed on the article text."""


@dataclass(frozen=True)
class PlacedSpan:
    label: str
    start: int
    end: int
    text: str


def occurrences(text: str, needle: str) -> list[int]:
    """Start offsets of non-overlapping occurrences of ``needle`` in ``text``."""
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + len(needle))
    return found


def split_mention(field: str) -> tuple[str, list[int] | None]:
    """``"中山@1,@3"`` → ``("中山", [1, 3])``; no ``@`` → all occurrences."""
    if "@" not in field:
        return field, None
    surface, _, picks = field.partition("@")
    numbers = [int(p.strip().lstrip("@")) for p in picks.split(",") if p.strip()]
    return surface, numbers


def place_spans(text: str, entity_lines: list[tuple[str, str, list[int] | None]], name: str) -> list[PlacedSpan]:
    taken = [False] * len(text)
    placed: list[PlacedSpan] = []
    for label, surface, picks in sorted(entity_lines, key=lambda e: -len(e[1])):
        starts = occurrences(text, surface)
        if not starts:
            raise DraftError(f"{name}: {label} {surface!r} does not occur in the article")
        chosen = starts if picks is None else []
        if picks is not None:
            for k in picks:
                if not 1 <= k <= len(starts):
                    raise DraftError(f"{name}: {surface!r}@{k} but it occurs {len(starts)} times")
                chosen.append(starts[k - 1])
        for start in chosen:
            end = start + len(surface)
            if any(taken[start:end]):
                if picks is not None:
                    raise DraftError(f"{name}: {label} {surface!r}@{starts.index(start) + 1} overlaps another span")
                continue
            taken[start:end] = [True] * len(surface)
            placed.append(PlacedSpan(label, start, end, surface))
    return sorted(placed, key=lambda s: s.start)


def find_mentions(spans: list[PlacedSpan], text: str, field: str, name: str) -> list[int]:
    surface, picks = split_mention(field)
    indices = [i for i, s in enumerate(spans) if s.text == surface]
    if not indices:
        raise DraftError(f"{name}: relation end {surface!r} is not an annotated span")
    if picks is None:
        return indices
    starts = occurrences(text, surface)
    wanted = {starts[k - 1] for k in picks if 1 <= k <= len(starts)}
    chosen = [i for i in indices if spans[i].start in wanted]
    if len(chosen) != len(picks):
        raise DraftError(f"{name}: relation end {field!r} does not name annotated mentions")
    return chosen


def convert(text: str, draft: str, name: str) -> dict:
    entity_lines, relation_lines = [], []
    for number, line in enumerate(draft.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        fields = [f for f in fields if f]
        if fields[0] == "REL":
            if len(fields) != 4 or fields[1] not in RELATION_TAILS:
                raise DraftError(f"{name}:{number}: bad relation line {line!r}")
            relation_lines.append(fields[1:])
        elif fields[0] in ENTITY_LABELS and len(fields) in (2, 3):
            picks = split_mention("x@" + fields[2])[1] if len(fields) == 3 and fields[2] != "*" else None
            entity_lines.append((fields[0], fields[1], picks))
        else:
            raise DraftError(f"{name}:{number}: cannot read line {line!r}")
    spans = place_spans(text, entity_lines, name)
    relations = []
    for label, head_field, tail_field in relation_lines:
        heads = [i for i in find_mentions(spans, text, head_field, name) if spans[i].label == "PROJECT"]
        tails = [i for i in find_mentions(spans, text, tail_field, name) if spans[i].label == RELATION_TAILS[label]]
        if not heads or not tails:
            raise DraftError(f"{name}: {label} needs PROJECT → {RELATION_TAILS[label]}: {head_field!r} → {tail_field!r}")
        head, tail = min(((h, t) for h in heads for t in tails),
                         key=lambda p: abs(spans[p[0]].start - spans[p[1]].start))
        relation = {"label": label, "head": f"T{head + 1}", "tail": f"T{tail + 1}"}
        if relation not in relations:
            relations.append(relation)
    return {
        "article": name,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "spans": [span_record(f"T{i + 1}", s.label, s.start, s.end, s.text) for i, s in enumerate(spans)],
        "relations": relations,
    }


def record_to_draft(text: str, record: dict) -> str:
    """The draft that ``convert`` turns back into ``record`` (spans and relations; ids renumbered).

    A surface text is written once without ``@k`` when the record labels every occurrence that no
    other span covers; otherwise its occurrences are picked explicitly.  A relation gets ``@k``
    picks when the closest-pair rule would join other mentions.
    """
    spans = [{**s, "text": text[s["start"]:s["end"]]} for s in sorted(record["spans"], key=lambda s: s["start"])]
    covered = [None] * len(text)
    for index, span in enumerate(spans):
        for at in range(span["start"], span["end"]):
            covered[at] = index
    groups: dict[tuple[str, str], list[int]] = {}
    for span in spans:
        groups.setdefault((span["label"], span["text"]), []).append(span["start"])
    lines = []
    for (label, surface), starts in sorted(groups.items(), key=lambda g: min(g[1])):
        every = occurrences(text, surface)
        free = [s for s in every
                if all(covered[at] is None or spans[covered[at]]["text"] == surface
                       and spans[covered[at]]["start"] == s for at in range(s, s + len(surface)))]
        if sorted(starts) == free:
            lines.append(f"{label}\t{surface}")
        else:
            lines.append(f"{label}\t{surface}\t" + ",".join(f"@{every.index(s) + 1}" for s in sorted(starts)))
    by_id = {s["id"]: s for s in spans}
    for relation in record["relations"]:
        head, tail = by_id[relation["head"]], by_id[relation["tail"]]
        heads = [s for s in spans if s["text"] == head["text"] and s["label"] == "PROJECT"]
        tails = [s for s in spans if s["text"] == tail["text"] and s["label"] == RELATION_TAILS[relation["label"]]]
        closest = min(((h, t) for h in heads for t in tails), key=lambda p: abs(p[0]["start"] - p[1]["start"]))
        fields = [head["text"], tail["text"]]
        if closest != (head, tail):
            fields = [f"{s['text']}@{occurrences(text, s['text']).index(s['start']) + 1}" for s in (head, tail)]
        lines.append("\t".join(["REL", relation["label"], *fields]))
    return "\n".join(lines) + "\n"


def render(text: str, record: dict) -> str:
    """The article with ``【LABEL:text】`` marks and a numbered relation list, for review."""
    out, last = [], 0
    spans = [{**s, "text": text[s["start"]:s["end"]]} for s in record["spans"]]
    for span in spans:
        out.append(text[last:span["start"]])
        out.append(f"【{span['id']} {span['label']}:{span['text']}】")
        last = span["end"]
    out.append(text[last:])
    by_id = {s["id"]: s for s in spans}
    rels = [f"  {r['label']}: {by_id[r['head']]['text']}({r['head']}) → {by_id[r['tail']]['text']}({r['tail']})"
            for r in record["relations"]]
    return "".join(out) + "\nRELATIONS\n" + "\n".join(rels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drafts", type=Path, nargs="+", help="draft files (NNNN.txt) or folders of them")
    parser.add_argument("--articles", type=Path, default=Path("../shared/articles"))
    parser.add_argument("--out", type=Path, default=Path("annotations/standoff"))
    parser.add_argument("--show", action="store_true", help="print the marked-up article for review")
    args = parser.parse_args(argv)
    files = [f for d in args.drafts for f in (sorted(d.glob("*.txt")) if d.is_dir() else [d])]
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for draft_file in files:
        name = draft_file.stem + ".txt"
        text = (args.articles / name).read_text(encoding="utf-8")
        try:
            record = convert(text, draft_file.read_text(encoding="utf-8"), name)
        except DraftError as error:
            print(f"ERROR {error}", file=sys.stderr)
            failures += 1
            continue
        (args.out / (draft_file.stem + ".json")).write_text(
            json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if args.show:
            print(f"===== {name}\n{render(text, record)}\n")
    print(f"{len(files) - failures} converted, {failures} failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
