"""Human words everywhere (issue 19 item 4): exception codes and statuses by their labels
with the code as a tooltip, amounts and dates written one way (core.formatting, Babel) on
screens and in sentences, and the 403/404/500 pages inside the layout."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from approvals import policy
from core import business_rules, exception_codes, formatting
from core.api import server_error
from core.demo_documents import ubl_xml
from core.exception_codes import ExceptionCode
from core.models import Document, Invoice, Status
from extraction.intake import receive
from extraction.services import extract_invoice
from matching.services import match_invoice
from tests.factories import demo_invoice, make_purchase_order, make_queue, make_vendor

CODES = [code.value for code in ExceptionCode]


class _Text(HTMLParser):
    """The text a person sees: data outside tags, scripts and styles (attributes, such as
    the `title` tooltips and hidden inputs' values, are not text)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def bare_codes(html: str) -> list[str]:
    text = visible_text(html)
    return [code for code in CODES if code in text]


# --- the vocabulary ---------------------------------------------------------------------


def test_every_exception_code_has_a_sentence_case_label_and_a_one_line_meaning():
    for code in ExceptionCode:
        assert code.label
        assert code.label[0].isupper()
        assert code.label[1:] != code.label[1:].upper()
        assert code.label != code.value
        assert code.help.endswith("."), code
        assert "\n" not in code.help, code
    assert exception_codes.labels(["OVER_BILLED", "NOT_RECEIVED", "OVER_BILLED"]) == (
        "Billed more than ordered, Goods not received"
    )
    assert exception_codes.label("SOMETHING_NEW") == "SOMETHING_NEW"


def test_the_refusal_names_exceptions_by_their_labels():
    refusal = exception_codes.refusal(["VENDOR_UNKNOWN", "PRICE_VARIANCE"])
    assert refusal.startswith("Nobody can approve over Vendor unknown;")
    assert "VENDOR_UNKNOWN" not in refusal


def test_the_label_filter_puts_the_code_and_its_meaning_in_the_tooltip():
    html = Template("{% load ledgerline %}{{ code|exception_label }}").render(
        Context({"code": "OVER_BILLED"})
    )
    assert html == (
        '<span class="code exc" data-code="OVER_BILLED" title="OVER_BILLED: '
        f'{ExceptionCode.OVER_BILLED.help.replace(chr(39), "&#x27;")}">'
        "Billed more than ordered</span>"
    )
    assert bare_codes(html) == []


@pytest.mark.django_db
def test_status_badges_are_in_sentence_case_with_the_code_as_tooltip():
    invoice = make_queue(1)[0]
    html = Template("{% load ledgerline %}{{ invoice|status_label }}").render(
        Context({"invoice": invoice})
    )
    assert html == (
        '<span class="badge status-needs_review" title="needs_review">Needs review</span>'
    )


# --- one way of writing amounts and dates -----------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        (Decimal("9312"), "EUR", "9,312.00 EUR"),
        (Decimal("-1234.5"), "EUR", "-1,234.50 EUR"),
        (Decimal("9312"), "JPY", "9,312 JPY"),  # no minor unit
        (Decimal("1.5"), "KWD", "1.500 KWD"),  # three decimals
        (Decimal("1234.5678"), "TND", "1,234.568 TND"),
        (Decimal("5000"), "", "5,000.00"),  # no currency said: no code
        (None, "EUR", "—"),
    ],
)
def test_amounts_are_written_with_the_currency_s_own_decimals(amount, currency, written):
    assert formatting.format_amount(amount, currency) == written


def test_table_columns_keep_the_currency_s_decimals_without_the_code():
    template = Template("{% load ledgerline %}{{ v|amount:c }} | {{ v|money:c }} | {{ d|day }}")
    context = {"v": Decimal("9312"), "d": date(2026, 3, 4)}
    assert template.render(Context({**context, "c": "JPY"})) == "9,312 | 9,312 JPY | 4 Mar 2026"
    assert template.render(Context({**context, "c": "KWD"})) == (
        "9,312.000 | 9,312.000 KWD | 4 Mar 2026"
    )


def test_the_locale_changes_the_symbols_not_the_order():
    try:
        formatting.set_locale("de_DE")
        assert formatting.format_amount(Decimal("9312.5"), "EUR") == "9.312,50 EUR"
        assert formatting.format_date(date(2026, 3, 4)) == "04.03.2026"
    finally:
        formatting.set_locale("en_GB")
    assert formatting.format_amount(Decimal("9312.5"), "EUR") == "9,312.50 EUR"


def test_one_format_for_dates_and_one_for_moments():
    assert formatting.format_date(date(2026, 3, 4)) == "4 Mar 2026"
    assert formatting.format_datetime(datetime(2026, 3, 4, 14, 5, 59, tzinfo=UTC)) == (
        "4 Mar 2026, 14:05"
    )
    assert formatting.format_number(Decimal("1234.5000")) == "1,234.5"
    assert formatting.format_number(Decimal("12.0000")) == "12"


def test_business_rule_sentences_write_amounts_as_the_screens_do():
    amounts = business_rules.Amounts(
        currency="EUR", net=Decimal("9312"), tax=Decimal("1769.28"), total=Decimal("11000")
    )
    failures = business_rules.check(amounts)
    message = next(f.message for f in failures if f.rule == "BR-CO-15")
    assert "11,000.00 EUR" in message
    assert "9,312.00" in message
    assert "11000.00" not in message


def test_the_policy_writes_the_total_and_the_limit_one_way():
    default = policy.Rule("default", (policy.Level(("role:approver",)),))
    outcome = policy.route(
        policy.RoutingFacts(amount=Decimal("9312"), currency="EUR", straight_through=True),
        [],
        default,
        always_human_above=Decimal(5000),
    )
    assert "total (9,312.00 EUR) is above 5,000.00 EUR" in outcome.reason


# --- the screens ------------------------------------------------------------------------


def _extracted(vendor, name, **overrides) -> Invoice:
    data = ubl_xml(demo_invoice(vendor, **overrides))
    invoice = receive(data, name=name, channel=Document.Channel.UPLOAD, actor="test").invoice
    extract_invoice(invoice)
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def over_billed(db):
    """An invoice billing again what an earlier one billed: OVER_BILLED, which a clerk may
    accept as a variance, and which the match table flags on its line."""
    acme = make_vendor()
    make_purchase_order(acme)
    first = _extracted(acme, "first.xml", invoice_number="A-1")
    match_invoice(first)
    second = _extracted(acme, "second.xml", invoice_number="A-2", invoice_date=date(2026, 9, 1))
    match_invoice(second)
    second.refresh_from_db()
    assert list(second.open_exceptions().values_list("code", flat=True)) == ["OVER_BILLED"]
    return second


def test_the_invoice_page_shows_an_exception_once_by_its_label(client, clerk, over_billed):
    client.force_login(clerk)
    html = client.get(reverse("invoice_detail", args=[over_billed.pk])).content.decode()

    assert bare_codes(html) == []
    assert 'title="OVER_BILLED: ' in html
    text = visible_text(html)
    # The sentence is written once, in Exceptions; the match table and the accept form
    # name it by its label and point there.
    message = over_billed.exceptions.get().message
    assert html.count(message) == 1
    assert html.count(">Billed more than ordered</span>") == 3  # the label chips
    assert "Matching found: Billed more than ordered" in text  # the audit trail's words
    assert text.count("described under Exceptions") == 2
    assert f'href="#exception-{over_billed.exceptions.get().pk}"' in html
    assert "Needs review" in text
    assert "297.50 EUR" in text  # the total, as every amount is written
    assert "1 Sept 2026" in text or "1 Sep 2026" in text  # the invoice date field


def test_queue_and_list_show_labels_not_codes(client, clerk):
    make_queue(2, code="PRICE_VARIANCE")
    make_queue(1, code="NOT_RECEIVED")
    client.force_login(clerk)
    for url in (reverse("work_queue"), reverse("invoice_list")):
        html = client.get(url).content.decode()
        assert bare_codes(html) == [], url
        assert "Price variance" in visible_text(html), url
    queue = visible_text(client.get(reverse("work_queue")).content.decode())
    assert "Goods not received" in queue
    invoices = visible_text(client.get(reverse("invoice_list")).content.decode())
    assert "Needs review" in invoices
    assert "needs review" not in invoices


# --- error pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_404_is_styled_inside_the_layout(client, clerk):
    client.force_login(clerk)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="topbar"' in html
    assert "Work queue" in html
    assert "There is nothing at this address" in html
    assert "/no/such/page/" in html


@pytest.mark.django_db
def test_a_missing_invoice_is_the_same_404_page(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("invoice_detail", args=[999999]))
    assert response.status_code == 404
    assert "There is nothing at this address" in response.content.decode()


@pytest.mark.django_db
def test_403_is_styled_inside_the_layout(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("outbox"))  # admins' page
    assert response.status_code == 403
    html = response.content.decode()
    assert 'class="topbar"' in html
    assert "Your role does not allow this page" in html
    assert "You are signed in as clara (clerk)" in html


def test_500_renders_styled_without_a_database_or_a_request_context():
    # No django_db mark: any query would fail the test.
    response = server_error(RequestFactory().get("/invoices/1/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert 'class="topbar"' in html
    assert "/static/css/app.css" in html
    assert "Something went wrong on our side" in html


def test_api_errors_stay_json():
    response = server_error(RequestFactory().get("/api/v1/whatever"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_an_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"].startswith("No such API resource")


def test_status_values_stay_codes_in_the_model():
    # The labels are the screens' words; the stored value and the API keep the code.
    assert Status.NEEDS_REVIEW.value == "needs_review"


def test_field_names_are_words_in_sentences(clerk, over_billed):
    from audit.models import AuditEvent
    from extraction.corrections import correct_fields
    from extraction.types import field_label

    assert field_label("vendor_vat_id") == "vendor VAT id"
    assert field_label("po_number") == "PO number"
    correct_fields(over_billed, clerk, {"due_date": date(2026, 12, 3), "po_number": "4500001X"})
    event = AuditEvent.objects.filter(invoice_id=over_billed.pk, action="invoice.fields_corrected")
    assert event.get().payload["reason"] == "Corrected due date, PO number"


@pytest.mark.django_db
def test_the_demo_report_names_exceptions_in_words():
    """What `make run` prints once the demo inbox is read: labels, as the screens show."""
    make_queue(1, code="OVER_BILLED")
    out = io.StringIO()

    call_command("demo_report", stdout=out)

    assert "in review (exceptions): 1  [Billed more than ordered 1]" in out.getvalue()
    assert "OVER_BILLED" not in out.getvalue()
