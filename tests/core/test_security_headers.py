"""What every response tells the browser (issue 16): a Content-Security-Policy on every
page, X-Frame-Options everywhere but the embed screens, and no redirect off the site."""

import pytest
from django.urls import reverse

from core.demo_documents import ubl_xml
from core.models import Document, Status
from extraction.intake import receive
from extraction.services import extract_invoice
from tests.factories import demo_invoice

pytestmark = pytest.mark.django_db

PAGES = ["/login/", "/invoices/", "/queue/", "/intake/", "/audit/", "/admin/", "/decide/x/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_content_security_policy(client, admin_user, path):
    if path != "/login/":
        client.force_login(admin_user)

    page = client.get(path)

    assert page.status_code in (200, 410)
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_embed_screens_may_be_framed_by_the_intranet_and_the_admin_may_not(
    client, admin_user, settings
):
    settings.EMBED_FRAME_ANCESTORS = "'self' https://intranet.example.com"
    client.force_login(admin_user)

    queue = client.get("/embed/", follow=True)

    assert queue.request["PATH_INFO"] == "/queue/"
    assert "X-Frame-Options" not in queue.headers
    assert (
        "frame-ancestors 'self' https://intranet.example.com"
        in (queue.headers["Content-Security-Policy"])
    )
    # The session is in the embed layout now; the admin is still never framed.
    admin = client.get("/admin/")
    assert admin.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in admin.headers["Content-Security-Policy"]
    assert client.get("/admin/?embed=1").headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def quarantined_invoice(settings):
    settings.MAX_DOCUMENT_BYTES = 100
    xml = ubl_xml(demo_invoice(invoice_number="INV-BIG-1"))
    invoice = receive(xml, name="big.xml", channel=Document.Channel.UPLOAD, actor="test").invoice
    extract_invoice(invoice)
    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    settings.MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
    return invoice


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "https:evil.example", "\\\\evil"]
)
def test_reprocess_does_not_redirect_off_the_site(client, admin_user, quarantined_invoice, target):
    client.force_login(admin_user)

    answer = client.post(reverse("reprocess", args=[quarantined_invoice.pk]), {"next": target})

    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("intake")


def test_reprocess_goes_back_to_the_page_it_came_from(client, admin_user, quarantined_invoice):
    client.force_login(admin_user)
    back = reverse("invoice_detail", args=[quarantined_invoice.pk])

    answer = client.post(reverse("reprocess", args=[quarantined_invoice.pk]), {"next": back})

    assert answer.headers["Location"] == back
