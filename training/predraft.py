"""Pre-annotate articles with a model as editable drafts (``training.drafts`` format) for annotators.

Each article gets ``OUT/<stem>.txt``: the model's spans and relations as draft lines, which an
annotator reads against the article, corrects, and converts with ``python -m training.drafts``.
``--review`` also writes one file per batch with each article marked up, for reading in one go.

    python -m training.predraft ../shared/articles-more --out drafts/pre --review drafts/review --batch 40
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from tqdm import tqdm

from zhinvest.extractor import Extractor

from .drafts import record_to_draft, render


def prediction_record(name: str, text: str, extraction) -> dict:
    """A stand-off record (as in ``annotations/standoff``) of one model extraction."""
    spans = [{"id": f"T{i + 1}", "label": e.label, "start": e.start, "end": e.end, "text": e.text}
             for i, e in enumerate(extraction.entities)]
    relations = [{"label": r.label, "head": f"T{r.head + 1}", "tail": f"T{r.tail + 1}"}
                 for r in extraction.relations]
    return {"article": name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "spans": spans, "relations": relations}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path, help="folder of article texts (*.txt)")
    parser.add_argument("--names", type=Path, help="file listing the article names to draft (default: all)")
    parser.add_argument("--model", default="models/zhinvest-small")
    parser.add_argument("--out", type=Path, required=True, help="folder for the draft files")
    parser.add_argument("--review", type=Path, help="folder for batch review files (marked-up articles)")
    parser.add_argument("--batch", type=int, default=40, help="articles per review file")
    args = parser.parse_args(argv)
    names = (args.names.read_text(encoding="utf-8").split() if args.names
             else sorted(p.name for p in args.articles.glob("*.txt")))
    texts = [(args.articles / n).read_text(encoding="utf-8") for n in names]
    extractor = Extractor.from_pretrained(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    reviews: list[str] = []
    for name, text, extraction in zip(names, texts, tqdm(extractor.pipe(texts, batch_size=16), total=len(texts))):
        record = prediction_record(name, text, extraction)
        (args.out / (Path(name).stem + ".txt")).write_text(record_to_draft(text, record), encoding="utf-8")
        reviews.append(f"===== {name}\n--- text\n{text}\n--- model\n{render(text, record)}\n")
    if args.review:
        args.review.mkdir(parents=True, exist_ok=True)
        for number, first in enumerate(range(0, len(reviews), args.batch), 1):
            (args.review / f"batch{number:02d}.txt").write_text("\n".join(reviews[first:first + args.batch]),
                                                                 encoding="utf-8")
    print(json.dumps({"drafted": len(names)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
