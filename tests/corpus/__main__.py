"""Write the corpus to disk: `python -m tests.corpus OUTDIR [--seed N] [--count N] [--no-scans]`.

Each item becomes NAME.pdf, a scan NAME.jpg or NAME.png, and for EU vendors NAME.ubl.xml
and NAME.cii.xml; labels.json holds the ground truth of every item.
"""

import argparse
import json
import sys
from pathlib import Path

from core.demo_documents import cii_xml, ubl_xml
from tests.corpus import COUNT, SEED, generate
from tests.corpus.scoring import truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--no-scans", action="store_true", help="skip the (slow) scanned images")
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    labels = {}
    for item in generate(args.seed, args.count):
        files = {"pdf": f"{item.name}.pdf"}
        (args.outdir / files["pdf"]).write_bytes(item.pdf)
        if not args.no_scans:
            files["scan"] = item.scan_name
            (args.outdir / item.scan_name).write_bytes(item.scan())
        if item.has_xml:
            for kind, render in (("ubl", ubl_xml), ("cii", cii_xml)):
                files[kind] = f"{item.name}.{kind}.xml"
                (args.outdir / files[kind]).write_bytes(render(item.invoice))
        labels[item.name] = {
            "layout": item.layout,
            "language": item.language,
            "files": files,
            "fields": {name: _json(value) for name, value in truth(item.invoice).items()},
            "lines": [
                {
                    "item_code": line.item_code,
                    "description": line.description,
                    "quantity": str(line.quantity),
                    "unit_price": str(line.unit_price),
                    "amount": str(line.amount),
                    "tax_rate": str(line.tax_rate),
                }
                for line in item.invoice.lines
            ],
        }
    path = args.outdir / "labels.json"
    path.write_text(json.dumps(labels, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(labels)} invoices written to {args.outdir}", file=sys.stderr)


def _json(value):
    return value if value is None or isinstance(value, str) else str(value)


if __name__ == "__main__":
    main()
