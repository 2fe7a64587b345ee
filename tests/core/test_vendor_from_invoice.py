"""Issue 19, item 2: an unknown vendor is settled from the invoice (admins add or link it,
clerks request it), and "Match again" looks the vendor up in the master as it is now."""

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.urls import reverse
from django_q.conf import Conf

from audit.models import AuditEvent
from core import pipeline
from core.demo_documents import ubl_xml
from core.models import Invoice, Status, Vendor, VendorRequest
from extraction.intake import receive
from tests.factories import demo_invoice, make_purchase_order, make_vendor

READ = {"name": "Acme Office Supplies GmbH", "vat_id": "DE123456789"}


@pytest.fixture
def ada(db):
    user = User.objects.create_user("ada", "ada@example.com", "test-pass-123")
    user.groups.add(Group.objects.get(name="admin"))
    return user


@pytest.fixture
def unknown(db):
    """An invoice read through the pipeline before its vendor and order reached the
    master: in review with VENDOR_UNKNOWN (and PO_NOT_FOUND)."""
    received = receive(ubl_xml(demo_invoice()), name="acme.xml", channel="upload", actor="t")
    invoice = pipeline.advance(received.invoice.pk)
    assert invoice.status == Status.NEEDS_REVIEW
    assert _open_codes(invoice) >= {"VENDOR_UNKNOWN", "PO_NOT_FOUND"}
    return invoice


@pytest.fixture
def inline_pipeline(monkeypatch, django_capture_on_commit_callbacks):
    """django-q2 runs queued tasks where they are queued; on-commit callbacks run."""
    monkeypatch.setattr(Conf, "SYNC", True)
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _open_codes(invoice) -> set[str]:
    return set(invoice.open_exceptions().values_list("code", flat=True))


def _actions(invoice) -> list[str]:
    return list(
        AuditEvent.objects.filter(invoice_id=invoice.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


# "Match again" reads the vendor master as it is now (the bug).


@pytest.mark.django_db
def test_match_again_finds_a_vendor_the_erp_added_since(client, clerk, unknown, inline_pipeline):
    """The vendor and its order arrive from the ERP after the invoice was read: matching
    again recognises the vendor (by its VAT id, as extraction does), finds the order and
    its goods receipt, and the invoice goes on."""
    vendor = make_vendor()
    make_purchase_order(vendor)
    client.force_login(clerk)

    with inline_pipeline():
        client.post(reverse("invoice_act", args=[unknown.pk]), {"action": "rematch"})

    unknown.refresh_from_db()
    assert unknown.vendor == vendor
    assert "VENDOR_UNKNOWN" not in _open_codes(unknown)
    assert unknown.status in (Status.MATCHED, Status.PENDING_APPROVAL, Status.POSTED)
    matched = AuditEvent.objects.filter(invoice_id=unknown.pk, action="invoice.matched").get()
    assert matched.payload["inputs"]["vendor_recognised_by"] == "vat_id"
    assert matched.payload["inputs"]["vendor_id"] == vendor.pk


@pytest.mark.django_db
def test_match_again_finds_a_vendor_added_in_the_django_admin(client, ada, unknown,
                                                              inline_pipeline):  # fmt: skip
    ada.is_staff = True
    ada.save()
    client.force_login(ada)
    added = client.post(
        reverse("admin:core_vendor_add"),
        {"name": "Acme Office Supplies GmbH", "vat_id": "", "iban": "", "address": "",
         "external_id": "", "currency": "EUR", "match_mode": "two_way"},
    )  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:2000]

    with inline_pipeline():
        client.post(reverse("invoice_act", args=[unknown.pk]), {"action": "rematch"})

    unknown.refresh_from_db()
    assert unknown.vendor.name == "Acme Office Supplies GmbH"  # by name, as extraction does
    assert "VENDOR_UNKNOWN" not in _open_codes(unknown)


@pytest.mark.django_db
def test_match_again_keeps_an_unknown_vendor_unknown(client, clerk, unknown, inline_pipeline):
    make_vendor(name="Someone Else Ltd", vat_id="GB123456789", iban="", external_id="V-2")
    client.force_login(clerk)

    with inline_pipeline():
        client.post(reverse("invoice_act", args=[unknown.pk]), {"action": "rematch"})

    unknown.refresh_from_db()
    assert unknown.vendor is None
    assert "VENDOR_UNKNOWN" in _open_codes(unknown)


@pytest.mark.django_db
def test_saving_the_fields_unchanged_matches_again(client, clerk, unknown, inline_pipeline):
    vendor = make_vendor()
    make_purchase_order(vendor)
    client.force_login(clerk)
    url = reverse("invoice_fields", args=[unknown.pk])
    form = client.get(url).context["form"]
    unchanged = {name: form[name].value() or "" for name in form.fields}

    with inline_pipeline():
        page = client.post(url, unchanged, follow=True)

    assert "No field was changed; matching again" in page.content.decode()
    unknown.refresh_from_db()
    assert unknown.vendor == vendor
    assert "VENDOR_UNKNOWN" not in _open_codes(unknown)


# Admins add or link the vendor from the invoice.


@pytest.mark.django_db
def test_admin_adds_the_vendor_from_the_invoice_prefilled(client, ada, unknown, inline_pipeline):
    client.force_login(ada)
    detail = client.get(reverse("invoice_detail", args=[unknown.pk])).content.decode()
    url = reverse("invoice_vendor", args=[unknown.pk])
    assert f'href="{url}"' in detail  # the exception line's button

    page = client.get(url)
    form = page.context["form"]
    assert form["name"].value() == READ["name"]
    assert form["vat_id"].value() == READ["vat_id"]
    assert form["iban"].value() == "DE89370400440532013000"
    assert form["currency"].value() == "EUR"
    assert 'value="Acme Office Supplies GmbH"' in page.content.decode()

    values = {name: form[name].value() or "" for name in form.fields}
    with inline_pipeline():
        done = client.post(url, {**values, "action": "add", "external_id": "V-7001"}, follow=True)

    vendor = Vendor.objects.get()
    assert (vendor.name, vendor.vat_id, vendor.external_id) == (READ["name"], READ["vat_id"],
                                                                 "V-7001")  # fmt: skip
    unknown.refresh_from_db()
    assert unknown.vendor == vendor
    assert "VENDOR_UNKNOWN" not in _open_codes(unknown)
    resolved = unknown.exceptions.get(code="VENDOR_UNKNOWN")
    assert resolved.resolved_by == ada
    created = AuditEvent.objects.get(action="masterdata.vendor_created")
    assert created.actor == "ada"
    assert created.payload["source"] == f"invoice:{unknown.pk}"
    assert created.payload["changes"]["vat_id"] == {"from": None, "to": READ["vat_id"]}
    linked = AuditEvent.objects.get(action="invoice.vendor_linked", invoice_id=unknown.pk)
    assert linked.payload["how"] == "added"
    assert linked.payload["vendor_id"] == vendor.pk
    # Linked, then matched again: the order is still not in the master.
    assert _actions(unknown)[-3:] == [
        "invoice.vendor_linked", "invoice.extracted", "invoice.needs_review"
    ]  # fmt: skip
    assert _open_codes(unknown) == {"PO_NOT_FOUND"}
    text = done.content.decode()
    assert "added to the vendor master" in text
    assert 'class="resolved"' in text  # the exception, resolved, on the invoice's page


@pytest.mark.django_db
def test_adding_refuses_a_vat_id_another_vendor_has(client, ada, unknown):
    make_vendor(name="Acme Holding AG", iban="", external_id="V-1")
    client.force_login(ada)
    url = reverse("invoice_vendor", args=[unknown.pk])

    page = client.post(
        url,
        {"action": "add", "name": "Acme Office Supplies GmbH", "vat_id": "DE 123 456 789",
         "iban": "", "address": "", "external_id": "", "currency": "EUR",
         "match_mode": "three_way"},
    )  # fmt: skip

    assert page.status_code == 400
    assert "Acme Holding AG already has this VAT id" in page.content.decode()
    assert Vendor.objects.count() == 1
    assert "VENDOR_UNKNOWN" in _open_codes(unknown)


@pytest.mark.django_db
def test_adding_refuses_an_iban_with_wrong_check_digits(client, ada, unknown):
    client.force_login(ada)
    page = client.post(reverse("invoice_vendor", args=[unknown.pk]),
                       {"action": "add", "name": "Acme", "vat_id": "", "external_id": "",
                        "iban": "DE00370400440532013000", "address": "", "currency": "EUR",
                        "match_mode": "three_way"})  # fmt: skip
    assert page.status_code == 400
    assert "not a valid IBAN" in page.content.decode()
    assert not Vendor.objects.exists()


@pytest.mark.django_db
def test_admin_links_the_invoice_to_a_vendor_in_the_master(client, ada, unknown,
                                                           inline_pipeline):  # fmt: skip
    """A vendor the resolver cannot find (another name, no identifiers on record): the
    admin finds it by search and links it; matching again keeps the person's choice."""
    other = make_vendor(name="ACME Büro Gesellschaft", vat_id="", iban="", external_id="V-9")
    client.force_login(ada)
    url = reverse("invoice_vendor", args=[unknown.pk])
    found = client.get(url, {"q": "acme"})
    assert other in found.context["results"]

    with inline_pipeline():
        client.post(url, {"action": "link", "vendor": other.pk})

    unknown.refresh_from_db()
    assert unknown.vendor == other
    assert "VENDOR_UNKNOWN" not in _open_codes(unknown)
    linked = AuditEvent.objects.get(action="invoice.vendor_linked", invoice_id=unknown.pk)
    assert linked.actor == "ada"
    assert linked.payload == {
        "reason": "Vendor ACME Büro Gesellschaft linked", "how": "chosen",
        "vendor_id": other.pk, "vendor": other.name, "from_vendor_id": None,
        "vendor_name_read": READ["name"], "requests_closed": [],
    }  # fmt: skip


@pytest.mark.django_db
def test_suggestions_put_the_same_vat_id_first_then_names_alike(unknown):
    from core.vendors import suggestions

    same_vat = make_vendor(name="Renamed Ltd", iban="", external_id="V-1")
    alike = make_vendor(name="Acme Office Supply", vat_id="", iban="", external_id="V-2")
    make_vendor(name="Northwind Traders", vat_id="", iban="", external_id="V-3")

    found = suggestions(unknown.vendor_name, unknown.vendor_vat_id, unknown.vendor_iban)

    assert [(s.vendor, s.reason) for s in found][:2] == [
        (same_vat, "same VAT id"),
        (alike, f"name {found[1].score}% alike"),
    ]
    assert "Northwind Traders" not in [s.vendor.name for s in found]


# Clerks request it; they may not change the vendor master.


@pytest.mark.django_db
def test_a_clerk_cannot_add_or_link_a_vendor(client, clerk, unknown):
    vendor = make_vendor(name="Other GmbH", vat_id="", iban="", external_id="V-3")
    client.force_login(clerk)
    url = reverse("invoice_vendor", args=[unknown.pk])

    page = client.get(url).content.decode()
    added = client.post(url, {"action": "add", "name": "Acme", "currency": "EUR",
                              "match_mode": "three_way"})  # fmt: skip
    linked = client.post(url, {"action": "link", "vendor": vendor.pk})

    assert "Request this vendor" in page
    assert 'value="add"' not in page
    assert "Link</button>" not in page
    assert (added.status_code, linked.status_code) == (403, 403)
    assert Vendor.objects.count() == 1
    unknown.refresh_from_db()
    assert unknown.vendor is None
    assert client.get(reverse("vendor_requests")).status_code == 403


@pytest.mark.django_db
def test_a_clerk_requests_the_vendor_and_the_admins_are_told(
    client, clerk, ada, unknown, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    detail = client.get(reverse("invoice_detail", args=[unknown.pk])).content.decode()
    assert "Request this vendor" in detail
    url = reverse("invoice_vendor", args=[unknown.pk])

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"action": "request", "comment": "New toner supplier"},
                           follow=True)  # fmt: skip

    request = VendorRequest.objects.get()
    assert (request.invoice, request.requested_by, request.state) == (unknown, clerk, "open")
    assert (request.name, request.vat_id, request.comment) == (READ["name"], READ["vat_id"],
                                                               "New toner supplier")  # fmt: skip
    event = AuditEvent.objects.get(action="vendor.requested")
    assert (event.actor, event.invoice_id) == ("clara", unknown.pk)
    assert event.payload["request_id"] == request.pk
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert READ["vat_id"] in mail.outbox[0].body
    assert url in mail.outbox[0].body
    assert "requested by clara" in done.content.decode()

    again = client.post(url, {"action": "request"}, follow=True)
    assert "clara already requested this vendor" in again.content.decode()
    assert VendorRequest.objects.count() == 1

    client.force_login(ada)
    listed = client.get(reverse("vendor_requests")).content.decode()
    assert "New toner supplier" in listed
    assert f'href="{url}"' in listed
    detail = client.get(reverse("invoice_detail", args=[unknown.pk])).content.decode()
    assert "requested by clara" in detail
    assert "Add or link vendor" in detail


@pytest.mark.django_db
def test_adding_the_vendor_closes_the_request(client, clerk, ada, unknown, inline_pipeline):
    client.force_login(clerk)
    url = reverse("invoice_vendor", args=[unknown.pk])
    client.post(url, {"action": "request", "comment": ""})
    client.force_login(ada)
    values = {name: field.value() or "" for name, field in
              ((n, client.get(url).context["form"][n]) for n in ("name", "vat_id", "iban",
               "address", "external_id", "currency", "match_mode"))}  # fmt: skip

    with inline_pipeline():
        client.post(url, {**values, "action": "add"})

    request = VendorRequest.objects.get()
    assert (request.state, request.vendor, request.resolved_by) == ("done", Vendor.objects.get(),
                                                                     ada)  # fmt: skip
    assert client.get(reverse("vendor_requests")).context["open_count"] == 0
    linked = AuditEvent.objects.get(action="invoice.vendor_linked")
    assert linked.payload["requests_closed"] == [request.pk]


@pytest.mark.django_db
def test_no_request_for_an_invoice_whose_vendor_is_known(client, clerk, unknown):
    unknown.exceptions.update(resolved_at=unknown.created_at)
    client.force_login(clerk)

    page = client.post(reverse("invoice_vendor", args=[unknown.pk]),
                       {"action": "request"}, follow=True)  # fmt: skip

    assert "nothing to request" in page.content.decode()
    assert not VendorRequest.objects.exists()


@pytest.mark.django_db
def test_the_vendor_is_settled_only_while_the_invoice_is_in_review(client, ada, unknown):
    Invoice.objects.filter(pk=unknown.pk).update(status=Status.REJECTED)
    vendor = make_vendor()
    client.force_login(ada)

    page = client.post(reverse("invoice_vendor", args=[unknown.pk]),
                       {"action": "link", "vendor": vendor.pk}, follow=True)  # fmt: skip

    assert "settled while an invoice is in review" in page.content.decode()
    unknown.refresh_from_db()
    assert unknown.vendor is None
