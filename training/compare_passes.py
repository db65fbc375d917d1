"""Show where two annotation passes over the same articles differ, article by article.

    python -m training.compare_passes [--first annotations/standoff] [--second annotations/second_pass]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zhinvest.annotation import load_store
from zhinvest.evaluation import gold_sets


def describe(text: str, span: tuple[int, int, str]) -> str:
    start, end, label = span
    return f"{label}:{text[start:end]}@{start}"


def differences(first, second) -> list[str]:
    by_id = {d.id: d for d in second}
    lines = []
    for doc in first:
        other = by_id.get(doc.id)
        if other is None:
            continue
        spans_a, relations_a, _ = gold_sets(doc)
        spans_b, relations_b, _ = gold_sets(other)
        if spans_a == spans_b and relations_a == relations_b:
            continue
        lines.append(f"== {doc.id}")
        lines += [f"  span only in first:  {describe(doc.text, s)}" for s in sorted(spans_a - spans_b)]
        lines += [f"  span only in second: {describe(doc.text, s)}" for s in sorted(spans_b - spans_a)]
        for name, only in (("first", relations_a - relations_b), ("second", relations_b - relations_a)):
            lines += [f"  relation only in {name}: {label} {describe(doc.text, h)} -> {describe(doc.text, t)}"
                      for h, t, label in sorted(only)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, nargs="+", default=[Path("../shared/articles"), Path("../shared/articles-more")],
                        help="folders of article texts")
    parser.add_argument("--first", type=Path, default=Path("annotations/standoff"))
    parser.add_argument("--second", type=Path, default=Path("annotations/second_pass"))
    args = parser.parse_args(argv)
    print("\n".join(differences(load_store(args.first, args.articles), load_store(args.second, args.articles))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
