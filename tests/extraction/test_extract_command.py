"""`manage.py extract`: JSON Lines, one object per file, bad files reported in line."""

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.demo_documents import cii_xml
from core.demo_pdf import pdf_invoice
from extraction.types import HEADER_FIELDS
from tests.factories import demo_invoice

INVOICE = demo_invoice(
    invoice_number="INV-2026-0007", invoice_date=date(2026, 3, 12), due_date=date(2026, 4, 11)
)


@pytest.fixture
def inbox(tmp_path) -> dict[str, Path]:
    files = {
        "pdf": tmp_path / "acme.pdf",
        "empty": tmp_path / "empty.pdf",
        "xml": tmp_path / "acme-cii.xml",
    }
    files["pdf"].write_bytes(pdf_invoice(INVOICE, "modern"))
    files["empty"].write_bytes(b"")
    files["xml"].write_bytes(cii_xml(INVOICE))
    return files


def _run(*args) -> tuple[list[dict], CommandError | None]:
    out = io.StringIO()
    error = None
    try:
        call_command("extract", *args, stdout=out)
    except CommandError as exc:
        error = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], error


def test_one_json_line_per_file_in_order(inbox):
    rows, error = _run(str(inbox["pdf"]), str(inbox["xml"]), "--json")

    assert error is None
    assert [row["file"] for row in rows] == [str(inbox["pdf"]), str(inbox["xml"])]
    assert [row["format"] for row in rows] == ["pdf-text", "cii"]
    for row in rows:
        assert set(row["fields"]) == {*HEADER_FIELDS, "lines"}
        assert row["fields"]["invoice_number"] == "INV-2026-0007"
        assert row["fields"]["invoice_date"] == "2026-03-12"
        assert row["fields"]["total_amount"] == "297.50"
        assert row["fields"]["lines"][0]["quantity"] == "10"
        assert row["seconds"] >= 0
    assert rows[0]["provenance"]["total_amount"]["method"] == "text"
    assert rows[0]["provenance"]["total_amount"]["page"] == 1
    assert len(rows[0]["provenance"]["total_amount"]["bbox"]) == 4
    assert rows[1]["confidence"]["total_amount"] == 1.0


def test_bad_files_in_the_middle_do_not_stop_the_others(inbox, tmp_path):
    missing = str(tmp_path / "missing.pdf")

    rows, error = _run(str(inbox["pdf"]), str(inbox["empty"]), missing, str(inbox["xml"]), "--json")

    assert [row["file"] for row in rows] == [
        str(inbox["pdf"]),
        str(inbox["empty"]),
        missing,
        str(inbox["xml"]),
    ]
    assert rows[1] == {"file": str(inbox["empty"]), "error": "The file is empty (0 bytes)",
                       "seconds": rows[1]["seconds"]}  # fmt: skip
    assert "does not exist" in rows[2]["error"]
    assert "fields" not in rows[2]
    assert rows[3]["fields"]["vendor_name"] == "Acme Office Supplies GmbH"
    assert "2 of 4 files could not be read" in str(error)


def test_summary_without_json(inbox):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("extract", str(inbox["xml"]), str(inbox["empty"]), stdout=out)

    first, second = out.getvalue().splitlines()
    assert first.startswith(f"{inbox['xml']}: cii, 11/11 fields, 1 lines;")
    assert second == f"{inbox['empty']}: ERROR The file is empty (0 bytes)"


def test_exit_status_from_the_shell(inbox):
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    good = subprocess.run(
        [sys.executable, str(manage), "extract", str(inbox["xml"]), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    bad = subprocess.run(
        [sys.executable, str(manage), "extract", str(inbox["empty"]), str(inbox["xml"]), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["format"] == "cii"
    assert bad.returncode == 1
    assert [json.loads(line)["file"] for line in bad.stdout.splitlines()] == [
        str(inbox["empty"]),
        str(inbox["xml"]),
    ]
