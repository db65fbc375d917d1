"""Build ``zhinvest/places.tsv``, the place gazetteer of the word features, from jionlp's division data.

jionlp (Apache-2.0) ships China's administrative divisions as ``dictionary/china_location.txt``: one
name per line, indented by level (province, city, county, township, village), with the short form
of each province, city and county (中山 for 中山市).  The gazetteer keeps levels down to townships
(villages are too many and too ambiguous), short forms of two characters or more, and for a name
that occurs at several levels the highest one.

    python -m training.gazetteer            # rewrites zhinvest/places.tsv
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from zhinvest.features import PLACE_LEVELS

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "zhinvest" / "places.tsv"


def division_file() -> Path:
    try:
        import jionlp
    except ImportError:
        raise SystemExit("the gazetteer is built from jionlp's data: pip install 'jionlp>=1.5'") from None
    path = Path(jionlp.__file__).parent / "dictionary" / "china_location.txt"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: this jionlp does not ship its division data")
    return path


def read_places(path: Path) -> dict[str, int]:
    """name → level index into ``PLACE_LEVELS`` (the highest level at which the name occurs)."""
    places: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        if depth >= len(PLACE_LEVELS) or not line.strip():
            continue
        fields = line.strip().split("\t")
        names = [fields[0]] + ([fields[2]] if len(fields) > 2 else [])
        for name in names:
            if len(name) >= 2 and places.get(name, depth) >= depth:
                places[name] = depth
    return places


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    import jionlp

    source = division_file()
    places = read_places(source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    lines = [f"# China's administrative divisions, province to township, with short forms; from jionlp "
             f"{jionlp.__version__} (Apache-2.0) dictionary/china_location.txt sha256 {digest[:16]}",
             "# name<TAB>level (" + ", ".join(PLACE_LEVELS) + ")"]
    lines += [f"{name}\t{PLACE_LEVELS[level]}" for name, level in sorted(places.items())]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(places)} names → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
