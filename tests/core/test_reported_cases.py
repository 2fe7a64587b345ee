"""The reported cases of ../shared/data/cases (README.md there), each through the whole
product: master data imported, the file ingested with `ingest --sync` into a fresh database,
the result checked against the README's "right result". Plus the team's own variants of each
kind, made from the case files at test time (other encodings, other type codes, other
separators): a fix covers the kind, not the one file.

The cases are read from ../shared/data/cases beside the checkout, never copied here; a
checkout without the folder skips these tests, saying why.
"""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.models import Invoice

CASES = Path(__file__).resolve().parents[3] / "shared" / "data" / "cases"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not CASES.is_dir(), reason=f"{CASES} is not beside the checkout"),
]


@pytest.fixture(autouse=True)
def master_data():
    call_command(
        "import_master_data",
        "--vendors",
        str(CASES / "masterdata" / "vendors.csv"),
        "--purchase-orders",
        str(CASES / "masterdata" / "purchase_orders.csv"),
        stdout=io.StringIO(),
    )


def ingest(path: Path) -> tuple[Invoice, list[str]]:
    """Ingest one file with `ingest --sync`: the invoice and its open exception codes."""
    out = io.StringIO()
    call_command("ingest", str(path), "--sync", stdout=out)
    (line,) = out.getvalue().splitlines()
    row = json.loads(line)
    invoice = Invoice.objects.get(pk=row["id"])
    assert sorted(row["exceptions"]) == sorted(
        invoice.open_exceptions().values_list("code", flat=True)
    )
    return invoice, row["exceptions"]


def amounts(invoice: Invoice) -> tuple:
    return (invoice.net_amount, invoice.tax_amount, invoice.total_amount)


def variant(tmp_path: Path, case: str, name: str, data: bytes) -> Path:
    path = tmp_path / f"{Path(case).stem}-{name}{Path(case).suffix}"
    path.write_bytes(data)
    return path


def case_bytes(case: str) -> bytes:
    return (CASES / case).read_bytes()


# --- c01: document-level allowance and charge ----------------------------------------------


def test_c01_an_allowance_and_a_charge_on_the_document_add_up():
    invoice, codes = ingest(CASES / "c01_ubl_doc_allowance_charge.xml")

    assert amounts(invoice) == (Decimal("970.00"), Decimal("184.30"), Decimal("1154.30"))
    assert "TAX_MISMATCH" not in codes
    assert (invoice.line_total_amount, invoice.allowance_total_amount) == (
        Decimal("1000.00"),
        Decimal("50.00"),
    )
    assert invoice.charge_total_amount == Decimal("20.00")
    document_level = invoice.allowances_charges.filter(line=None)
    assert sorted((a.charge, a.amount) for a in document_level) == [
        (False, Decimal("50.00")),
        (True, Decimal("20.00")),
    ]


def test_c01_variant_a_wrong_net_names_br_co_13(tmp_path):
    data = case_bytes("c01_ubl_doc_allowance_charge.xml").replace(
        b'<cbc:TaxExclusiveAmount currencyID="EUR">970.00',
        b'<cbc:TaxExclusiveAmount currencyID="EUR">1000.00',
    )
    invoice, codes = ingest(variant(tmp_path, "c01.xml", "wrong-net", data))

    assert "TAX_MISMATCH" in codes
    rules = {e.details.get("rule") for e in invoice.open_exceptions().filter(code="TAX_MISMATCH")}
    assert "BR-CO-13" in rules


# --- c02, c03: Factur-X attachments ---------------------------------------------------------


def test_c02_an_attachment_without_extension_is_read_as_the_e_invoice():
    invoice, _ = ingest(CASES / "c02_facturx_attachment_without_extension.pdf")

    assert invoice.format == "pdf+cii"
    assert set(invoice.confidence.values()) == {1.0}
    rates = set(invoice.lines.values_list("tax_rate", flat=True))
    assert rates == {Decimal("19")}


def test_c03_a_delivery_note_attached_first_does_not_end_the_search():
    invoice, codes = ingest(CASES / "c03_facturx_nonstandard_name_second_xml.pdf")

    assert invoice.format == "pdf+cii"
    assert set(invoice.confidence.values()) == {1.0}
    assert "EINVOICE_UNUSABLE" not in codes


# --- c07: UTF-16 ---------------------------------------------------------------------------


def _c07_text() -> str:
    data = case_bytes("c07_cii_utf16_bom.xml")
    return data.decode("utf-16")


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("as-sent", None),
        ("utf16-be-bom", lambda t: b"\xfe\xff" + t.encode("utf-16-be")),
        ("utf16-le-no-bom", lambda t: t.encode("utf-16-le")),
        ("utf8-bom", lambda t: b"\xef\xbb\xbf" + t.replace('"UTF-16"', '"UTF-8"').encode()),
        (
            "latin1-leading-blank",
            lambda t: b"\n  " + t.replace('"UTF-16"', '"ISO-8859-1"').encode("latin-1"),
        ),
    ],
)
def test_c07_an_e_invoice_reads_in_any_declared_encoding(tmp_path, name, encode):
    path = CASES / "c07_cii_utf16_bom.xml"
    if encode is not None:
        path = variant(tmp_path, path.name, name, encode(_c07_text()))

    invoice, codes = ingest(path)

    assert "UNREADABLE" not in codes
    assert invoice.invoice_number == "BW-2026-0107"
    assert invoice.invoice_date.isoformat() == "2026-03-08"
    assert amounts(invoice) == (Decimal("115.00"), Decimal("21.85"), Decimal("136.85"))
    assert invoice.po_number == "4500017006"


# --- c08, c09: printed documents -------------------------------------------------------------


def test_c08_a_swiss_pdf_with_typographic_apostrophes():
    invoice, _ = ingest(CASES / "c08_swiss_chf_typographic_apostrophe.pdf")

    assert invoice.currency == "CHF"
    assert amounts(invoice) == (Decimal("8590.00"), Decimal("695.79"), Decimal("9285.79"))
    assert invoice.lines.count() == 2


def test_c09_a_printed_gutschrift_with_trailing_minus_is_a_credit_note_in_review():
    invoice, codes = ingest(CASES / "c09_pdf_gutschrift_trailing_minus.pdf")

    assert invoice.document_type == "credit_note"
    assert invoice.invoice_number == "GS-2026-0042"
    assert amounts(invoice) == (Decimal("-100.00"), Decimal("-19.00"), Decimal("-119.00"))
    assert invoice.status == Invoice.Status.NEEDS_REVIEW
    assert "CREDIT_NOTE" in codes


# --- c13: the same invoice sent again under other punctuation --------------------------------


@pytest.mark.parametrize(
    "resent_as", [None, "KFS2026-0815", "kfs/2026/815", "KFS 2026 O815", "2026-0815"]
)
def test_c13_the_same_invoice_sent_again_is_a_duplicate_of_the_first(tmp_path, resent_as):
    original, _ = ingest(CASES / "c13a_dup_original.xml")
    path = CASES / "c13b_dup_resent_other_punctuation.xml"
    if resent_as is not None:
        data = path.read_bytes().replace(b"kfs 2026 0815", resent_as.encode())
        assert data != path.read_bytes()
        path = variant(tmp_path, path.name, "renumbered", data)

    again, codes = ingest(path)

    assert "DUPLICATE" in codes
    finding = again.open_exceptions().get(code="DUPLICATE")
    assert original.pk in finding.details["invoice_ids"]
    assert finding.details["rule"]


def test_c13_the_invoice_screen_links_the_duplicate_to_the_original(client, clerk):
    original, _ = ingest(CASES / "c13a_dup_original.xml")
    again, _ = ingest(CASES / "c13b_dup_resent_other_punctuation.xml")
    client.force_login(clerk)

    page = client.get(reverse("invoice_detail", args=[again.pk])).content.decode()

    assert f'href="{reverse("invoice_detail", args=[original.pk])}"' in page
    assert f"Open invoice #{original.pk}" in page


# --- c14: type code 83, and the whole credit note family --------------------------------------


@pytest.mark.parametrize("code", ["83", "81", "261", "262", "296", "308", "381", "396", "420",
                                  "458", "532"])  # fmt: skip
def test_c14_every_credit_note_type_code_is_a_credit_note_in_review(tmp_path, code):
    path = CASES / "c14_cii_typecode_83_credit_note.xml"
    data = path.read_bytes().replace(
        b"<ram:TypeCode>83</ram:TypeCode>", f"<ram:TypeCode>{code}</ram:TypeCode>".encode(), 1
    )
    invoice, codes = ingest(variant(tmp_path, path.name, code, data))

    assert (invoice.document_type, invoice.type_code) == ("credit_note", code)
    assert invoice.status == Invoice.Status.NEEDS_REVIEW
    assert "CREDIT_NOTE" in codes


@pytest.mark.parametrize(("code", "expected"), [("999", "DOCUMENT_TYPE"), ("325", "DOCUMENT_TYPE")])
def test_an_unknown_or_proforma_type_code_is_an_exception_not_an_invoice(tmp_path, code, expected):
    path = CASES / "c14_cii_typecode_83_credit_note.xml"
    data = path.read_bytes().replace(
        b"<ram:TypeCode>83</ram:TypeCode>", f"<ram:TypeCode>{code}</ram:TypeCode>".encode(), 1
    )
    invoice, codes = ingest(variant(tmp_path, path.name, code, data))

    assert invoice.type_code == code
    assert expected in codes
    assert invoice.status == Invoice.Status.NEEDS_REVIEW


# --- c19: sub-lines -----------------------------------------------------------------------------


def test_c19_only_the_detail_lines_count():
    invoice, codes = ingest(CASES / "c19_cii_xrechnung_ext_sub_lines.xml")

    assert amounts(invoice) == (Decimal("600.00"), Decimal("114.00"), Decimal("714.00"))
    assert "TAX_MISMATCH" not in codes
    counted = invoice.lines.filter(counted=True)
    assert sum(line.amount for line in counted) == Decimal("600.00")
    assert invoice.lines.get(line_status="GROUP").counted is False


def test_c19_variant_counting_the_group_line_too_is_caught(tmp_path):
    path = CASES / "c19_cii_xrechnung_ext_sub_lines.xml"
    # The group marked a detail line: its 500.00 now counts beside its sub-lines.
    data = path.read_bytes().replace(b">GROUP<", b">DETAIL<")
    invoice, codes = ingest(variant(tmp_path, path.name, "group-as-detail", data))

    assert "TAX_MISMATCH" in codes
    rules = {e.details.get("rule") for e in invoice.open_exceptions().filter(code="TAX_MISMATCH")}
    assert "BR-CO-10" in rules
