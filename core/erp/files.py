"""Master data from files, for ERPs that export rather than call: CSV (columns below) or
JSON (a list of the same objects the API takes, or {"items": [...]}).

Each record is applied on its own; a bad one is reported with its line number (CSV) or
index (JSON) and the reasons, and the rest continue.

CSV columns (a header row; extra columns are ignored):
- vendors: external_id, name, vat_id, iban, address, currency, match_mode
- purchase orders, one row per line, the order's columns repeated on each:
  number, vendor_external_id, currency, order_date (YYYY-MM-DD), status, department,
  match_mode, line_no, item_code, description, quantity, unit_price, tax_rate, category,
  cost_center, gl_account
- receipts, one row per line: number, purchase_order, received_on (YYYY-MM-DD), line_no,
  quantity
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from core.erp import bounded_json, masterdata

HEADER = {
    "vendors": ("external_id", "name", "vat_id", "iban", "address", "currency", "match_mode"),
    "purchase_orders": ("number", "vendor_external_id", "currency", "order_date", "status",
                        "department", "match_mode"),
    "receipts": ("number", "purchase_order", "received_on"),
}  # fmt: skip
LINE = {
    "purchase_orders": ("line_no", "item_code", "description", "quantity", "unit_price",
                        "tax_rate", "category", "cost_center", "gl_account"),
    "receipts": ("line_no", "quantity"),
}  # fmt: skip
REQUIRED = {
    "vendors": {"external_id", "name"},
    "purchase_orders": {"number", "vendor_external_id", "currency", "order_date", "line_no",
                        "description", "quantity", "unit_price", "tax_rate"},
    "receipts": {"number", "purchase_order", "received_on", "line_no", "quantity"},
}  # fmt: skip


@dataclass
class Report:
    file: str
    counts: dict = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    )
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {what}" for what, n in self.counts.items())
        return f"{self.file}: {counts}"


def import_file(path: Path, kind: str) -> Report:
    report = Report(str(path))
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{path}: cannot be read as UTF-8 text: {exc}")
        report.counts["failed"] += 1
        return report
    try:
        records = _json(text) if Path(path).suffix.lower() == ".json" else _csv(text, kind)
    except ValueError as exc:
        report.problems.append(f"{path}: {exc}")
        report.counts["failed"] += 1
        return report
    source = f"import:{Path(path).name}"
    for where, record in records:
        try:
            outcome = masterdata.UPSERTS[kind](record, source=source)
        except masterdata.Invalid as exc:
            report.counts["failed"] += 1
            reasons = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.errors.items())
            report.problems.append(f"{path}:{where}: {reasons}")
            continue
        report.counts[outcome.result] += 1
    return report


def _json(text: str) -> list[tuple[str, dict]]:
    try:
        data = bounded_json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("items")
    if not isinstance(data, list):
        raise ValueError('expected a list of records, or {"items": [...]}')
    return [(f"item {n}", item) for n, item in enumerate(data)]


def _csv(text: str, kind: str) -> list[tuple[str, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {name.strip() for name in reader.fieldnames or []}
    missing = REQUIRED[kind] - columns
    if missing:
        raise ValueError(f"missing columns: {', '.join(sorted(missing))}")
    if kind == "vendors":
        return [(f"line {reader.line_num}", _pick(row, HEADER[kind])) for row in reader]
    # Orders and receipts: their rows are lines, grouped by number in file order.
    grouped: dict[str, tuple[list[int], dict]] = {}
    for row in reader:
        number = (row.get("number") or "").strip()
        numbers, record = grouped.setdefault(
            number, ([], {**_pick(row, HEADER[kind]), "lines": []})
        )
        numbers.append(reader.line_num)
        record["lines"].append(_pick(row, LINE[kind]))
    return [
        (f"lines {', '.join(map(str, numbers))}" if len(numbers) > 1 else f"line {numbers[0]}",
         record)
        for numbers, record in grouped.values()
    ]  # fmt: skip


def _pick(row: dict, names) -> dict:
    """The named columns of a row, as text; a line number as a whole number (CSV has only
    text; the API takes JSON numbers there)."""
    picked = {name: (row.get(name) or "").strip() for name in names if row.get(name) is not None}
    if picked.get("line_no", "").isdigit():
        picked["line_no"] = int(picked["line_no"])
    return picked
