"""The Content-Security-Policy breaks no screen: in a real Chromium every page, the Django
admin's included, loads its scripts and styles with no violation reported."""

import pytest
from playwright.sync_api import expect

from core.models import Invoice, Vendor
from tests.browser.test_screens import _demo_company, _sign_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_no_screen_breaks_the_content_security_policy(page, live_server, screenshot):
    _demo_company()
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: refused.append(str(error)))
    _sign_in(page, live_server, "ada")
    invoice = Invoice.objects.get(invoice_number="AC-2026-1203")
    vendor = Vendor.objects.order_by("pk").first()
    paths = [
        "/invoices/",
        "/queue/",
        f"/invoices/{invoice.pk}/",
        "/upload/",
        "/intake/",
        "/vendors/",
        f"/vendors/{vendor.pk}/",
        "/audit/",
        "/kpis/",
        "/outbox/",
        "/away/",
        "/admin/",
        "/admin/core/invoice/",
        f"/admin/core/vendor/{vendor.pk}/change/",
    ]

    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        if not path.startswith("/admin/"):
            assert page.evaluate("() => typeof window.htmx") == "object", path

    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    # Style attributes are allowed: the confidence bars and the boxes over the page image.
    expect(page.locator(".conf span").first).to_be_visible()
    assert page.evaluate("() => document.querySelector('.conf span').offsetWidth") > 0
    screenshot("csp-invoice-detail")
    page.goto(f"{live_server.url}/admin/core/vendor/{vendor.pk}/change/")
    screenshot("csp-admin-vendor")
    assert refused == []
