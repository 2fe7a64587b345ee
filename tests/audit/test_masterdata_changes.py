"""Every change of master data is in the hash chain, each field from and to, whatever the
door: the ERP's API and import (tests/erp) and the Django admin (here)."""

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from audit import chain
from audit.models import AuditEvent
from core.demo_documents import ubl_xml
from core.models import Document, Invoice, PurchaseOrder, Status, Vendor
from extraction.intake import receive
from extraction.services import extract_invoice
from matching.models import ToleranceRule
from matching.services import match_invoice
from tests.factories import demo_invoice, make_purchase_order, make_vendor

pytestmark = pytest.mark.django_db

OLD_IBAN = "DE89370400440532013000"
NEW_IBAN = "DE02120300000000202051"


@pytest.fixture
def ada():
    user = User.objects.create_user("ada", password="test-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="admin"))
    return user


def _vendor_form(vendor: Vendor, **changes) -> dict:
    values = {
        "name": vendor.name,
        "vat_id": vendor.vat_id,
        "iban": vendor.iban,
        "address": vendor.address,
        "external_id": vendor.external_id or "",
        "currency": vendor.currency,
        "match_mode": vendor.match_mode,
    }
    return values | changes


def test_a_vendor_changed_in_the_admin_is_in_the_audit_chain_with_from_and_to(client, ada):
    vendor = make_vendor(iban=OLD_IBAN)
    client.force_login(ada)

    response = client.post(
        reverse("admin:core_vendor_change", args=[vendor.pk]),
        _vendor_form(vendor, iban="DE02 1203 0000 0000 2020 51", name="Acme Office Supplies AG"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="masterdata.vendor_updated")
    assert event.actor == "ada"
    assert event.payload["key"] == "V-1001"
    assert event.payload["source"] == "admin"
    assert event.payload["changes"] == {
        "iban": {"from": OLD_IBAN, "to": NEW_IBAN},  # as stored, spaces taken out
        "name": {"from": "Acme Office Supplies GmbH", "to": "Acme Office Supplies AG"},
    }
    assert chain.verify().ok


def test_saving_a_vendor_unchanged_in_the_admin_writes_no_event(client, ada):
    vendor = make_vendor()
    client.force_login(ada)
    client.post(reverse("admin:core_vendor_change", args=[vendor.pk]), _vendor_form(vendor))
    assert not AuditEvent.objects.filter(action__startswith="masterdata.").exists()


def test_a_vendor_added_and_deleted_in_the_admin_is_audited(admin_client):
    client = admin_client  # a superuser: the admin role may not delete vendors
    vendor = Vendor(name="Kestrel Tooling GmbH", iban=NEW_IBAN, currency="EUR")
    client.post(reverse("admin:core_vendor_add"), _vendor_form(vendor))
    vendor = Vendor.objects.get(name="Kestrel Tooling GmbH")
    created = AuditEvent.objects.get(action="masterdata.vendor_created")
    assert created.payload["id"] == vendor.pk
    assert created.payload["changes"]["iban"] == {"from": None, "to": NEW_IBAN}

    client.post(reverse("admin:core_vendor_delete", args=[vendor.pk]), {"post": "yes"})

    deleted = AuditEvent.objects.get(action="masterdata.vendor_deleted")
    assert deleted.payload["changes"]["iban"] == {"from": NEW_IBAN, "to": None}
    assert chain.verify().ok


def test_an_iban_changed_in_the_admin_holds_invoices_for_two_approvers(client, ada):
    """The two-approver control reads the vendor master: after an admin changes the IBAN,
    an invoice asking for payment to the old account is held for two approvers."""
    vendor = make_vendor(iban=OLD_IBAN)
    make_purchase_order(vendor)
    client.force_login(ada)
    client.post(
        reverse("admin:core_vendor_change", args=[vendor.pk]), _vendor_form(vendor, iban=NEW_IBAN)
    )
    data = ubl_xml(demo_invoice(vendor, vendor_iban=OLD_IBAN))
    invoice = receive(data, name="inv.xml", channel=Document.Channel.UPLOAD, actor="t").invoice
    extract_invoice(invoice)
    match_invoice(Invoice.objects.get(pk=invoice.pk))

    problem = Invoice.objects.get(pk=invoice.pk).exceptions.get(code="BANK_DETAILS_CHANGED")
    assert problem.details == {"expected": NEW_IBAN, "actual": OLD_IBAN, "approvers_required": 2}
    assert Invoice.objects.get(pk=invoice.pk).status == Status.NEEDS_REVIEW


def test_a_purchase_order_line_changed_inline_in_the_admin_is_in_the_event(admin_client):
    client = admin_client  # a superuser: the admin role reads purchase order lines only
    vendor = make_vendor()
    order = make_purchase_order(vendor, received=False)
    line = order.lines.get()
    form = {
        "number": order.number,
        "vendor": vendor.pk,
        "currency": "EUR",
        "order_date": "2026-10-01",
        "status": "open",
        "match_mode": "",
        "requested_by": "",
        "department": "Facilities",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": line.pk,
        "lines-0-purchase_order": order.pk,
        "lines-0-line_no": "1",
        "lines-0-item_code": line.item_code,
        "lines-0-description": line.description,
        "lines-0-quantity": "12",
        "lines-0-unit_price": "25.00",
        "lines-0-tax_rate": "19",
        "lines-0-category": "",
        "lines-0-cost_center": "",
        "lines-0-gl_account": "",
    }

    response = client.post(reverse("admin:core_purchaseorder_change", args=[order.pk]), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="masterdata.purchase_order_updated")
    assert event.payload["key"] == order.number
    assert event.payload["changes"] == {
        "department": {"from": "", "to": "Facilities"},
        "lines.1": {"quantity": {"from": "10.0000", "to": "12.0000"}},
    }
    assert PurchaseOrder.objects.get().order_date == date(2026, 10, 1)


def test_a_role_given_in_the_admin_is_audited(admin_client, clerk):
    client = admin_client  # a superuser: the admin role does not manage users
    clerk.date_joined = clerk.date_joined.replace(microsecond=0)  # as the form gives it back
    clerk.save()
    form = {
        "username": clerk.username,
        "first_name": "",
        "last_name": "",
        "email": clerk.email,
        "is_active": "on",
        "groups": [Group.objects.get(name="clerk").pk, Group.objects.get(name="approver").pk],
        "date_joined_0": clerk.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": clerk.date_joined.strftime("%H:%M:%S"),
    }

    response = client.post(reverse("admin:auth_user_change", args=[clerk.pk]), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="masterdata.user_updated")
    assert event.payload["key"] == "clara"
    assert event.payload["changes"] == {"groups": {"from": ["clerk"], "to": ["approver", "clerk"]}}


def test_a_password_set_on_the_admins_password_page_is_audited_without_its_hash(
    admin_client, clerk
):
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    new = "a-new-Passw0rd-for-clara"

    response = admin_client.post(
        url, {"password1": new, "password2": new, "usable_password": "true"}
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="masterdata.user_updated")
    assert event.payload["key"] == "clara"
    assert event.payload["changes"] == {"password": {"from": "(hidden)", "to": "(hidden)"}}
    assert clerk.password not in str(event.payload)
    assert chain.verify().ok


def test_a_tolerance_rule_changed_in_the_admin_is_audited_with_its_new_version(admin_client):
    rule = ToleranceRule.objects.create()
    response = admin_client.post(
        reverse("admin:matching_tolerancerule_change", args=[rule.pk]),
        {
            "vendor": "",
            "category": "",
            "price_percent": "2.000",
            "price_absolute": "0.0100",
            "quantity_percent": "0.000",
            "total_absolute": "1.00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    changes = AuditEvent.objects.get(action="masterdata.tolerance_rule_updated").payload["changes"]
    assert changes["price_percent"] == {"from": "0.500", "to": "2.000"}
    assert changes["version"] == {"from": 1, "to": 2}


def test_reverting_a_vendor_to_an_older_version_in_the_admin_is_audited(admin_client):
    """simple_history's revert saves without save_related, where the event is written."""
    vendor = make_vendor(iban=OLD_IBAN)
    admin_client.post(
        reverse("admin:core_vendor_change", args=[vendor.pk]), _vendor_form(vendor, iban=NEW_IBAN)
    )
    first = vendor.history.order_by("history_id").first()
    url = reverse("admin:core_vendor_simple_history", args=[vendor.pk, first.history_id])

    response = admin_client.post(url, _vendor_form(Vendor.objects.get(pk=vendor.pk), iban=OLD_IBAN))

    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.iban == OLD_IBAN
    event = AuditEvent.objects.filter(action="masterdata.vendor_updated").latest("id")
    assert event.payload["changes"]["iban"] == {"from": NEW_IBAN, "to": OLD_IBAN}
    assert chain.verify().ok
