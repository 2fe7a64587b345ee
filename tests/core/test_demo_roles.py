"""The demo logins can do what the README says each can (issue 19, item 7).

Each demo user (core.demo.DEMO_USERS, seeded as `make run` seeds them) signs in and opens
every link their menu and the Intake screen give them (each answers 200), and the admin
opens every admin screen the README sends her to. Screens a role has no right to answer
with the 403 page.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from core.demo import DEMO_PASSWORD, DEMO_USERS, seed_master_data

pytestmark = pytest.mark.django_db

# The admin screens the README names ("admin: Vendor profiles", ...) and the Intake
# screen's own links (Mailboxes), by their Django admin URL names.
README_ADMIN_SCREENS = [
    "admin:index",
    "admin:auth_user_changelist",
    "admin:auth_user_add",
    "admin:core_mailbox_changelist",
    "admin:core_mailbox_add",
    "admin:core_mailmessage_changelist",
    "admin:extraction_vendorprofile_changelist",
    "admin:matching_tolerancerule_changelist",
    "admin:matching_tolerancerule_add",
    "admin:approvals_approvalrule_changelist",
    "admin:approvals_reportingline_changelist",
    "admin:approvals_delegation_changelist",
    "admin:core_vendor_changelist",
    "admin:core_invoice_changelist",
    "admin:audit_auditevent_changelist",
]
# The top menu per role, as the README's table says what each can do.
MENU = {
    "clara": {"work_queue", "invoice_list", "upload", "intake", "vendor_list"},
    "arnold": {"work_queue", "invoice_list", "intake", "vendor_list", "out_of_office"},
    "connie": {"work_queue", "invoice_list", "intake", "vendor_list", "audit_home", "outbox"},
    "ada": {
        "work_queue",
        "invoice_list",
        "upload",
        "intake",
        "vendor_list",
        "audit_home",
        "outbox",
        "out_of_office",
        "admin:index",
    },
}
# Screens outside a role's rights: the 403 page.
FORBIDDEN = {
    "clara": ["audit_home", "kpi_dashboard", "outbox", "out_of_office"],
    "arnold": ["upload", "audit_home", "outbox"],
    "connie": ["upload", "out_of_office"],
}
# The README's roles table: username -> role.
README_ROLES = {"clara": "clerk", "arnold": "approver", "connie": "compliance", "ada": "admin"}


@pytest.fixture
def demo_users():
    seed_master_data()
    return {username: role for username, _, role in DEMO_USERS}


def _signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD), username
    return client


def _nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.DOTALL)
    assert nav, "the top menu"
    return re.findall(r'href="([^"#]+)"', nav.group(1))


def test_the_demo_users_have_the_roles_the_readme_names(demo_users):
    assert demo_users == README_ROLES
    readme = (settings.BASE_DIR / "README.md").read_text()
    for username, role in README_ROLES.items():
        assert re.search(rf"\| {username} \| {role} \|", readme), (username, role)


@pytest.mark.parametrize("username", sorted(README_ROLES))
def test_every_menu_link_opens_for_the_role_it_is_shown_to(demo_users, username):
    client = _signed_in(username)
    page = client.get(reverse("invoice_list"))
    assert page.status_code == 200
    links = _nav_links(page.content.decode())
    assert {reverse(name) for name in MENU[username]} <= set(links), username
    for link in links:
        if link == reverse("logout"):
            continue
        response = client.get(link)
        assert response.status_code == 200, (username, link)


@pytest.mark.parametrize("username", sorted(README_ROLES))
def test_every_link_on_the_intake_screen_opens_for_its_reader(demo_users, username):
    client = _signed_in(username)
    page = client.get(reverse("intake"))
    assert page.status_code == 200
    main = page.content.decode().split("<main", 1)[1]
    for link in set(re.findall(r'href="(/[^"#]*)"', main)):
        assert client.get(link).status_code == 200, (username, link)


def test_the_demo_admin_opens_every_admin_screen_the_readme_names(demo_users):
    client = _signed_in("ada")
    refused = [
        name for name in README_ADMIN_SCREENS if client.get(reverse(name)).status_code != 200
    ]
    assert refused == []


def test_every_admin_screen_the_readme_names_opens_for_the_demo_admin(demo_users):
    """Each "(admin: Name)" in the README is a Django admin screen the demo admin opens."""
    from django.contrib import admin

    readme = (settings.BASE_DIR / "README.md").read_text()
    named = set(re.findall(r"\(admin: ([A-Z][A-Za-z ]+?)[,)]", readme))
    assert {"Vendor profiles", "Tolerance rules", "Approval rules", "Reporting lines"} <= named
    screens = {
        str(model._meta.verbose_name_plural).lower(): reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        for model in admin.site._registry
    }
    missing = sorted(name for name in named if name.lower() not in screens)
    assert missing == [], "README names admin screens that do not exist"
    client = _signed_in("ada")
    answered = {name: client.get(screens[name.lower()]).status_code for name in named}
    assert answered == dict.fromkeys(named, 200)


def test_the_demo_admin_is_no_superuser_her_rights_come_from_the_admin_role(demo_users):
    from django.contrib.auth.models import User

    ada = User.objects.get(username="ada")
    assert not ada.is_superuser
    assert ada.is_staff
    assert ada.has_perm("extraction.change_vendorprofile")
    assert ada.has_perm("matching.change_tolerancerule")
    assert ada.has_perm("core.change_mailbox")
    assert ada.has_perm("auth.change_user")


@pytest.mark.parametrize("username", sorted(FORBIDDEN))
def test_a_role_without_the_right_gets_the_403_page(demo_users, username):
    client = _signed_in(username)
    answered = {name: client.get(reverse(name)).status_code for name in FORBIDDEN[username]}
    assert answered == dict.fromkeys(FORBIDDEN[username], 403)


@pytest.mark.parametrize("username", ["clara", "arnold", "connie"])
def test_only_the_admin_reaches_the_django_admin(demo_users, username):
    response = _signed_in(username).get(reverse("admin:core_mailbox_changelist"))
    assert response.status_code == 302  # to the admin's own sign-in: not staff
    assert "/admin/login/" in response["Location"]
