"""import_master_data: CSV and JSON from ERP exports; a bad row is reported with its line
number and the rest continue; importing the same files again changes nothing."""

import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from core.models import GoodsReceipt, PurchaseOrder, Vendor

pytestmark = pytest.mark.django_db

VENDORS = """external_id,name,vat_id,iban,currency
V-1,Acme Office Supplies GmbH,DE123456789,,EUR
V-2,,DE999,,EUR
V-3,Kestrel Tooling GmbH,DE287654321,,euro
V-4,Nordlicht Papier AG,,,EUR
"""
ORDERS = """number,vendor_external_id,currency,order_date,department,line_no,description,\
quantity,unit_price,tax_rate,cost_center
PO-1,V-1,EUR,2026-11-01,IT,1,Paper,10,25.00,19,IT-100
PO-1,V-1,EUR,2026-11-01,IT,2,Toner,2,80.00,19,IT-100
PO-2,V-2,EUR,2026-11-01,,1,Nothing,1,1,19,
PO-3,V-4,EUR,01/11/2026,,1,Labels,5,2.00,19,
PO-4,V-4,EUR,2026-11-03,,1,Folders,five,2.00,19,
"""
RECEIPTS = """number,purchase_order,received_on,line_no,quantity
GR-1,PO-1,2026-11-04,1,10
GR-1,PO-1,2026-11-04,2,2
GR-2,PO-9,2026-11-04,1,1
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(**files):
    try:
        call_command("import_master_data", **files)
    except CommandError as exc:
        return str(exc)
    return ""


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_imported(tmp_path, capsys):
    outcome = run(
        vendors=write(tmp_path, "vendors.csv", VENDORS),
        purchase_orders=write(tmp_path, "orders.csv", ORDERS),
        receipts=write(tmp_path, "receipts.csv", RECEIPTS),
    )
    out, err = capsys.readouterr()

    assert outcome == "6 record(s) refused; the others were imported"
    assert sorted(Vendor.objects.values_list("external_id", flat=True)) == ["V-1", "V-4"]
    assert "vendors.csv:line 3: name: This field is required." in err
    assert "vendors.csv:line 4: currency: A currency is three capital letters" in err
    assert "orders.csv:line 4: vendor_external_id: No vendor 'V-2'" in err
    assert "orders.csv:line 5: order_date: Enter a valid date." in err
    assert "orders.csv:line 6: lines.0.quantity: Enter a number." in err
    assert "receipts.csv:line 4: purchase_order: No purchase order 'PO-9'" in err
    assert "vendors.csv: 2 created, 0 updated, 0 unchanged, 2 failed" in out
    order = PurchaseOrder.objects.get(number="PO-1")
    assert [line.cost_center for line in order.lines.all()] == ["IT-100", "IT-100"]
    assert GoodsReceipt.objects.get(number="GR-1").lines.count() == 2
    event = AuditEvent.objects.get(action="masterdata.vendor_created", payload__key="V-1")
    assert event.actor == "import:vendors.csv"


def test_importing_the_same_file_again_changes_nothing(tmp_path, capsys):
    good = "external_id,name\nV-1,Acme\nV-2,Beta\n"
    path = write(tmp_path, "vendors.csv", good)
    assert run(vendors=path) == ""
    events = AuditEvent.objects.count()
    assert run(vendors=path) == ""
    assert "0 created, 0 updated, 2 unchanged, 0 failed" in capsys.readouterr().out
    assert AuditEvent.objects.count() == events


def test_json_files_take_the_api_objects(tmp_path):
    vendors = [{"external_id": "V-1", "name": "Acme"}, {"external_id": "V-2"}]
    path = tmp_path / "vendors.json"
    path.write_text(json.dumps({"items": vendors}))
    assert run(vendors=path) == "1 record(s) refused; the others were imported"
    assert Vendor.objects.get().name == "Acme"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("vendors.csv", b"id,title\n1,x\n", "missing columns: external_id, name"),
        ("vendors.csv", b"\xff\xfe\x00garbage", "cannot be read as UTF-8 text"),
        ("vendors.json", b"{not json", "not valid JSON"),
        ("vendors.json", b'"a string"', "expected a list of records"),
        # The API's limits hold for files too (core.erp.bounded_json): a 500 there, a
        # crashed import here.
        ("vendors.json", b"[" * 5000 + b"]" * 5000, "nested 5000 levels deep"),
        ("vendors.json", b'[{"external_id": ' + b"9" * 5000 + b"}]", "a number of 5,000"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(tmp_path, capsys, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    assert run(vendors=path) == "1 record(s) refused; the others were imported"
    assert reason in capsys.readouterr().err


def test_no_file_named_is_an_error():
    with pytest.raises(CommandError, match="Name at least one file"):
        call_command("import_master_data")
