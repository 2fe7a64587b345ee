"""Names with bidi controls (U+202A-U+202E, U+2066-U+2069) or control characters are
refused at every door where they are typed: the admin, the ERP's API and file import, the
fields a clerk corrects, a person's names (core.validators)."""

import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.erp.files import import_file
from core.forms import InvoiceFieldsForm
from core.models import ApiToken, Vendor
from core.validators import visible_lines, visible_text
from tests.factories import make_queue

pytestmark = pytest.mark.django_db

# "Acme" + RIGHT-TO-LEFT OVERRIDE + "gnp.exe" displays as "Acmeexe.png".
SPOOFED = "Acme\u202egnp.exe"
HIDDEN = [
    "Acme\u202agmbh",
    SPOOFED,
    "Acme\u2066GmbH\u2069",
    "Acme\x00GmbH",
    "Acme\x1b[31mGmbH",
    "Acme\x7f",
    "Acme\x85GmbH",
    "Acme\nGmbH",
]


@pytest.mark.parametrize("name", HIDDEN)
def test_a_name_with_hidden_characters_is_refused(name):
    with pytest.raises(ValidationError, match="hidden character U\\+"):
        visible_text(name)


@pytest.mark.parametrize(
    "name", ["Müller & Söhne GmbH", "شركة الأمل", "חברה בע״מ", "Kestrel (UK) Ltd.", "株式会社"]
)
def test_names_in_any_script_are_accepted(name):
    visible_text(name)


def test_an_address_may_have_line_breaks_but_no_overrides():
    visible_lines("Hauptstr. 1\n10115 Berlin")
    with pytest.raises(ValidationError):
        visible_lines("Hauptstr. 1\u202e\n10115 Berlin")


@pytest.fixture
def ada():
    user = User.objects.create_user("ada", password="test-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="admin"))
    return user


def test_the_admin_refuses_a_vendor_name_with_an_override(client, ada):
    client.force_login(ada)
    response = client.post(
        reverse("admin:core_vendor_add"),
        {"name": SPOOFED, "currency": "EUR", "match_mode": "three_way"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in response.content.decode()
    assert not Vendor.objects.exists()


def test_the_api_refuses_a_vendor_name_with_an_override(client):
    token = ApiToken.issue("erp", ["masterdata"])[1]
    response = client.put(
        reverse("api_vendor", args=["V-77"]),
        data=json.dumps({"name": SPOOFED, "address": "Hauptstr. 1\n10115 Berlin"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["name"]
    assert not Vendor.objects.exists()


def test_the_import_refuses_a_vendor_name_with_a_control_character(tmp_path):
    path = tmp_path / "vendors.csv"
    path.write_text("external_id,name\nV-1,Acme\x1bGmbH\nV-2,Kestrel Tooling GmbH\n")
    report = import_file(path, "vendors")
    assert report.counts["failed"] == 1
    assert "hidden character U+001B" in report.problems[0]
    assert list(Vendor.objects.values_list("external_id", flat=True)) == ["V-2"]


def test_a_clerk_cannot_type_an_override_into_the_vendor_name():
    (invoice,) = make_queue(1)
    form = InvoiceFieldsForm(
        {"vendor_name": "Acme\u2067Supplies", "currency": "EUR"}, instance=invoice
    )
    assert not form.is_valid()
    assert "vendor_name" in form.errors


def test_a_persons_names_refuse_hidden_characters_in_the_admin(admin_client, clerk):
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[clerk.pk]),
        {
            "username": clerk.username,
            "first_name": "Clara\u202e",
            "last_name": "",
            "email": clerk.email,
            "is_active": "on",
            "date_joined_0": clerk.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": clerk.date_joined.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 200
    assert "U+202E" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.first_name == ""
