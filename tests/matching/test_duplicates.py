"""Duplicates caught however they are typed: the same number under other punctuation, case,
prefix or zeros; the same total on close dates; numbers one misread character apart; each
hit naming its rule, each lookup a read of the two duplicate indexes."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.identifiers import invoice_number_key, invoice_number_parts
from core.models import Document, Invoice, Status
from matching.duplicates import DuplicateHit, duplicate_findings, find_duplicates
from tests.factories import make_vendor

pytestmark = pytest.mark.django_db
_documents = count(1)


@pytest.fixture
def kfs():
    return make_vendor(name="Kontor Fachservice GmbH", vat_id="DE811111111", external_id="V-13")


def _invoice(vendor, number, total="2201.50", day=date(2026, 3, 2), **fields) -> Invoice:
    """An invoice as matching sees it; by default an original already matched and posted."""
    n = next(_documents)
    document = Document.objects.create(original_name=f"d{n}.xml", sha256=f"{n:064x}", size=1,
                                       file=f"d/{n}.xml", content_type="application/xml",
                                       channel=Document.Channel.UPLOAD)  # fmt: skip
    values = {
        "status": Status.POSTED,
        "vendor": vendor,
        "vendor_name": vendor.name if vendor else "",
        "currency": "EUR",
        "invoice_number": number,
        "invoice_date": day,
        "total_amount": None if total is None else Decimal(total),
        **fields,
    }
    return Invoice.objects.create(document=document, **values)


def _new(vendor, number, total="2201.50", day=date(2026, 3, 16), **fields) -> Invoice:
    """The invoice being matched: received after the others, not yet matched."""
    return _invoice(vendor, number, total, day, status=Status.EXTRACTED, **fields)


def _rules(invoice) -> dict[int, str]:
    return {hit.invoice_id: hit.rule for hit in find_duplicates(invoice)}


# --- the reported case: c13 -------------------------------------------------------------------


def test_c13_the_invoice_sent_again_under_other_punctuation_is_a_duplicate(kfs):
    original = _invoice(kfs, "KFS-2026/0815", "2201.50", date(2026, 3, 2))
    again = _new(kfs, "kfs 2026 0815", "2201.50", date(2026, 3, 16))

    assert find_duplicates(again) == [
        DuplicateHit(original.pk, "same_number", "KFS-2026/0815", date(2026, 3, 2),
                     Decimal("2201.50"))
    ]  # fmt: skip


@pytest.mark.parametrize(
    "typed",
    [
        "KFS-2026/0815",
        "kfs 2026 0815",
        "KFS2026-0815",
        "K.F.S. 2026.0815",
        "2026-0815",  # without the prefix
        "KFS-2026-00815",  # a group padded with zeros
        "kfs/2026/815",  # or without them
        "KFS-02026-0815",  # leading zeros
    ],
)
def test_the_same_number_is_found_whatever_its_case_punctuation_prefix_and_zeros(kfs, typed):
    original = _invoice(kfs, "KFS-2026/0815")
    again = _new(kfs, typed, total="999.00", day=date(2026, 9, 1))  # any total, any date

    assert _rules(again) == {original.pk: "same_number"}


def test_the_same_number_of_an_unknown_vendor_is_found_by_its_name():
    original = _invoice(None, "RE-42", vendor_name="Kontor Fachservice GmbH")
    again = _new(None, "re 0042", vendor_name="KONTOR FACHSERVICE GMBH", total="1.00")
    stranger = _new(None, "RE-42", vendor_name="Another Shop")

    assert _rules(again) == {original.pk: "same_number"}
    assert _rules(stranger) == {}


def test_the_same_number_from_another_vendor_is_no_duplicate(kfs):
    other = make_vendor(name="Other GmbH", vat_id="DE822222222", external_id="V-14")
    _invoice(other, "KFS-2026/0815")

    assert _rules(_new(kfs, "KFS-2026/0815")) == {}


def test_a_credit_note_is_no_duplicate_of_the_invoice_it_shares_a_number_with(kfs):
    invoice = _invoice(kfs, "GS-2026-0042", total="119.00")
    credit = _new(kfs, "GS-2026-0042", total="-119.00", document_type="credit_note")
    credit_again = _new(kfs, "gs 2026 0042", total="-119.00", document_type="credit_note")

    assert _rules(credit) == {}
    assert _rules(credit_again) == {credit.pk: "same_number"}
    assert invoice.pk not in _rules(credit_again)


@pytest.mark.parametrize(("total", "found"), [("500.00", True), ("80.00", False)])
def test_another_series_of_the_same_vendor_is_a_duplicate_only_with_the_same_total(
    kfs, total, found
):
    invoice = _invoice(kfs, "RE-42", total="500.00")

    rules = _rules(_new(kfs, "GS-42", total=total, day=date(2026, 9, 1)))

    assert rules == ({invoice.pk: "same_number_other_series"} if found else {})


def test_a_rejected_invoice_or_one_marked_duplicate_is_no_original(kfs):
    _invoice(kfs, "KFS-2026/0815", status=Status.REJECTED)
    _invoice(kfs, "KFS-2026/0815", status=Status.DUPLICATE)

    assert _rules(_new(kfs, "KFS-2026/0815")) == {}


def test_the_later_copy_never_flags_the_original(kfs):
    first = _new(kfs, "KFS-2026/0815")
    second = _new(kfs, "kfs 2026 0815")

    # Neither is matched yet: the second is the copy, whichever is matched first.
    assert _rules(first) == {}
    assert _rules(second) == {first.pk: "same_number"}
    # Once the first has passed matching it still counts as the original.
    Invoice.objects.filter(pk=first.pk).update(status=Status.MATCHED)
    assert _rules(second) == {first.pk: "same_number"}


# --- same amount, dates close -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "total", "day", "found"),
    [
        ("A-77", "2201.50", date(2026, 3, 9), True),
        ("A-77", "2201.50", date(2026, 2, 23), True),
        ("A-77", "2201.50", date(2026, 3, 10), False),  # eight days on
        ("A-77", "2201.49", date(2026, 3, 3), False),
        ("A-77", "2201.50", None, False),  # no date to compare
    ],
)
def test_the_same_total_within_a_week_under_another_number_is_a_duplicate(
    kfs, number, total, day, found
):
    original = _invoice(kfs, "KFS-2026/0815", total="2201.50", day=date(2026, 3, 2))

    rules = _rules(_new(kfs, number, total=total, day=day))

    assert rules == ({original.pk: "same_amount_close_dates"} if found else {})


# --- one OCR error apart ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "read_as", ["INV-2O26-0815", "INV-2026-O815", "inv-2026-08l5", "INV-2026-0B15", "INV O815"]
)
def test_numbers_equal_once_misread_letters_are_digits_are_one_ocr_error_apart(kfs, read_as):
    typed = "INV-0815" if read_as == "INV O815" else "INV-2026-0815"
    original = _invoice(kfs, typed, total="80.00")

    again = _new(kfs, read_as, total="81.00", day=date(2026, 6, 1))  # any total, any date

    assert _rules(again) == {original.pk: "ocr_one_apart"}


@pytest.mark.parametrize(
    ("earlier", "later", "rule"),
    [
        ("RE-158", "RE-I58", "ocr_one_apart"),  # the misread 1 joined the prefix
        ("RE-I58", "RE-158", "ocr_one_apart"),  # or it did in the earlier one
        ("RE-0815", "RE O815", "ocr_one_apart"),
        ("RE-58", "RE-158", None),  # another number, not a misread one
        ("RE-158", "RES8", None),  # a misread letter that reads as another digit
    ],
)
def test_a_digit_misread_next_to_the_prefix_is_read_back_into_the_number(kfs, earlier, later, rule):
    original = _invoice(kfs, earlier, total="80.00")

    rules = _rules(_new(kfs, later, total="95.00", day=date(2026, 9, 1)))  # another total

    assert rules == ({original.pk: rule} if rule else {})


@pytest.mark.parametrize(
    ("number", "total", "day", "rule"),
    [
        ("INV-2026-0816", "2201.50", date(2026, 3, 2), "ocr_one_apart"),
        ("INV-2026-0315", "2201.50", None, "ocr_one_apart"),  # no date: may be the same
        ("INV-2026-08155", "2201.50", date(2026, 3, 4), "ocr_one_apart"),
        ("INV-2026-815", "2201.50", None, "same_number"),  # a zero left out is the same number
        # Another total: the vendor's next invoice.
        ("INV-2026-0816", "310.00", date(2026, 3, 3), None),
        # The same total a month on: the next invoice of a fixed amount (rent, a licence).
        ("INV-2026-0816", "2201.50", date(2026, 4, 2), None),
        # Two characters apart is another number.
        ("INV-2026-0917", "2201.50", None, None),
        # Another series one digit apart.
        ("GS-2026-0816", "2201.50", date(2026, 3, 2), "same_amount_close_dates"),
    ],
)
def test_numbers_one_digit_apart_are_a_duplicate_with_the_same_total_and_close_dates(
    kfs, number, total, day, rule
):
    original = _invoice(kfs, "INV-2026-0815", total="2201.50", day=date(2026, 3, 2))

    rules = _rules(_new(kfs, number, total=total, day=day))

    assert rules == ({original.pk: rule} if rule else {})


# --- findings ---------------------------------------------------------------------------------


def test_a_finding_names_the_earlier_invoice_and_the_rule(kfs):
    original = _invoice(kfs, "KFS-2026/0815", "2201.50", date(2026, 3, 2))
    again = _new(kfs, "kfs 2026 0815")

    [finding] = duplicate_findings("kfs 2026 0815", "EUR", Decimal("2201.50"),
                                   find_duplicates(again))  # fmt: skip

    assert finding["code"] == "DUPLICATE"
    for shown in (f"#{original.pk}", "KFS-2026/0815", "2 Mar 2026", "2,201.50 EUR",
                  "same vendor and invoice number"):  # fmt: skip
        assert shown in finding["message"]
    details = finding["details"]
    assert details["rule"] == "same_number"
    assert details["invoice_ids"] == [original.pk]
    assert details["earlier"] == {
        "invoice_id": original.pk,
        "invoice_number": "KFS-2026/0815",
        "invoice_date": "2026-03-02",
        "total_amount": "2201.50",
    }


@pytest.mark.parametrize(
    ("rule", "number", "words"),
    [
        ("same_number_other_series", "RE-42", "under series RE where this one is GS"),
        ("ocr_one_apart", "GS-4Z", "letters a scan takes for digits"),
        ("ocr_one_apart", "GS-43", "one character apart"),
        ("same_amount_close_dates", "X-1", "dates at most 7 days apart"),
    ],
)
def test_each_rule_is_said_in_words(rule, number, words):
    hit = DuplicateHit(7, rule, number, date(2026, 3, 2), Decimal("80.00"))

    [finding] = duplicate_findings("GS-42", "EUR", Decimal("80.00"), [hit])

    assert words in finding["message"]
    assert finding["details"]["rule"] == rule
    assert finding["details"]["rule_text"]


# --- the lookup stays indexed -----------------------------------------------------------------


def test_the_lookup_reads_the_duplicate_indexes_in_two_queries(kfs):
    _history(kfs, 500)  # a vendor's years of invoices: reading them all would be a scan
    original = _invoice(kfs, "KFS-2026/0815")
    again = _new(kfs, "kfs 2026 0815")

    with CaptureQueriesContext(connection) as queries:
        assert _rules(again) == {original.pk: "same_number"}

    by_number, by_total = (query["sql"] for query in queries.captured_queries)
    assert "normalised_number" in by_number
    assert "'20260815'" in by_number
    assert "total_amount" in by_total
    assert "invoice_dup_by_number" in _plan(by_number)
    assert "invoice_dup_by_total" in _plan(by_total)


def _history(vendor, size: int) -> None:
    documents = Document.objects.bulk_create(
        Document(original_name=f"h{n}.xml", sha256=f"h{n:063x}", size=1, file=f"h/{n}.xml",
                 content_type="application/xml", channel=Document.Channel.UPLOAD)
        for n in range(size)
    )  # fmt: skip
    numbers = [f"KFS-2025/{n:04}" for n in range(size)]
    Invoice.objects.bulk_create(
        Invoice(document=document, status=Status.POSTED, vendor=vendor, invoice_number=number,
                normalised_number=invoice_number_key(number),  # bulk_create skips save()
                invoice_date=date(2025, 1, 1) + timedelta(days=n // 2), currency="EUR",
                total_amount=Decimal(100 + n))
        for n, (document, number) in enumerate(zip(documents, numbers, strict=True))
    )  # fmt: skip


def _plan(sql: str) -> str:
    """The query plan of `sql`, as the database would run it on a large table."""
    with connection.cursor() as cursor:
        # Both plan by their statistics, as a production database has them.
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql":
            # A test table is small enough for a sequential scan to be cheapest; forbid it
            # to show the query can be served from an index at all, and which.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_the_key_is_unchanged_by_prefix_zeros_case_and_punctuation():
    assert invoice_number_parts("KFS-2026/0815") == ("KFS", "20260815")
    assert invoice_number_parts("kfs 2026 0815") == ("KFS", "20260815")
    assert invoice_number_parts("0815") == ("", "815")
    assert invoice_number_parts("RE-O42") == ("REO", "42")


# --- review findings: groups, re-matching, a misread first digit, consecutive numbers ---------


@pytest.fixture
def hurtownia():
    return make_vendor(name="Hurtownia Sp. z o.o.", vat_id="PL1234567890", external_id="V-PL")


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("FV 11/2/2026", "FV 1/12/2026"),  # number/month/year, as invoices are numbered in PL
        ("FV 1/11/2026", "FV 11/1/2026"),
        ("FV 10/2026", "FV 1/2026"),  # no zero padded in where a separator was
        ("FV 100/2026", "FV 1/2026"),
        ("12-345", "123-45"),
        ("2026/1/12", "2026/11/2"),
        ("KFS-2026/0815", "KFS-2026/08/15"),  # groups one to one
    ],
)
def test_numbers_whose_groups_differ_are_no_duplicate_though_their_keys_are_alike(
    hurtownia, earlier, later
):
    _invoice(hurtownia, earlier, total="1230.00", day=date(2026, 2, 20))

    assert _rules(_new(hurtownia, later, total="99.00", day=date(2026, 12, 1))) == {}


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("FV 5/1/2026", "FV 05/01/2026"),  # each group with or without its zeros
        ("2026/1/5", "2026/01/05"),
        ("2026/1/5", "02026-001-5"),
        ("FV 12/11/2026", "fv 12 11 2026"),
        ("KFS-2026/0815", "KFS20260815"),  # one run: its groups cannot be told
        ("KFS20260815", "kfs 2026 0815"),
    ],
)
def test_numbers_whose_groups_agree_are_the_same_number(hurtownia, earlier, later):
    original = _invoice(hurtownia, earlier, total="1230.00", day=date(2026, 2, 20))

    rules = _rules(_new(hurtownia, later, total="99.00", day=date(2026, 12, 1)))

    assert rules == {original.pk: "same_number"}


@pytest.mark.parametrize(
    "typed",
    ["kfs 2026 0815", "KFS2026-0815", "kfs/2026/815", "KFS 2026 O815", "2026-0815"],
)
def test_c13_the_reported_copies_are_still_found(kfs, typed):
    original = _invoice(kfs, "KFS-2026/0815")

    rules = _rules(_new(kfs, typed, total="999.00", day=date(2026, 9, 1)))

    assert rules.keys() == {original.pk}
    assert rules[original.pk] in ("same_number", "ocr_one_apart")


def test_the_original_matched_again_is_not_flagged_against_its_copy_in_review(kfs):
    original = _invoice(kfs, "KFS-2026/0815", status=Status.NEEDS_REVIEW)
    copy = _invoice(kfs, "kfs 2026 0815", status=Status.NEEDS_REVIEW)
    copy.exceptions.create(code="DUPLICATE", message="a copy", details={"invoice_ids": [1]})

    assert _rules(original) == {}
    assert _rules(copy) == {original.pk: "same_number"}
    # Once the copy's finding is settled (it is not one), it counts as any passed invoice.
    copy.exceptions.update(resolved_at=copy.created_at)
    assert _rules(original) == {copy.pk: "same_number"}


def test_an_invoice_stuck_in_ocr_is_still_caught_against_a_later_copy_already_posted(kfs):
    stuck = _new(kfs, "KFS-2026/0815")
    posted = _invoice(kfs, "kfs 2026 0815", status=Status.POSTED)

    assert _rules(stuck) == {posted.pk: "same_number"}


@pytest.mark.parametrize("copy_first", [False, True])
def test_exactly_one_of_two_copies_is_flagged_whatever_order_they_are_matched_in(kfs, copy_first):
    first = _new(kfs, "KFS-2026/0815")
    second = _new(kfs, "kfs 2026 0815")

    flagged = set()
    for invoice in (second, first) if copy_first else (first, second):
        if _rules(invoice):
            flagged.add(invoice.pk)
            invoice.exceptions.create(code="DUPLICATE", message="a copy")
        Invoice.objects.filter(pk=invoice.pk).update(status=Status.NEEDS_REVIEW)
    # And each matched again, in either order: still the same one.
    for invoice in (first, second, first):
        assert bool(_rules(invoice)) == (invoice.pk in flagged)

    assert flagged == {second.pk}


def test_the_original_matched_again_after_a_correction_keeps_no_duplicate(kfs, clerk):
    from approvals.decisions import send_back_to_matching
    from extraction.corrections import correct_fields
    from matching.services import match_invoice

    amounts = {"net_amount": Decimal("1850.00"), "tax_amount": Decimal("351.50")}
    original = _new(kfs, "KFS-2026/0815", day=date(2026, 3, 2), po_number="4509999", **amounts)
    match_invoice(original)
    copy = _new(kfs, "kfs 2026 0815", day=date(2026, 3, 2), **amounts)
    match_invoice(copy)
    original.refresh_from_db()
    correct_fields(original, clerk, {"due_date": date(2026, 4, 1)})
    original.refresh_from_db()
    send_back_to_matching(original, clerk, "corrected")

    match_invoice(original)

    assert not original.open_exceptions().filter(code="DUPLICATE").exists()
    [finding] = copy.open_exceptions().filter(code="DUPLICATE")
    assert finding.details["invoice_ids"] == [original.pk]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("1058", "I058"),
        ("5001234", "S001234"),
        ("80451", "B0451"),
        ("2026-0815", "Z026-0815"),
        ("S-10045", "5-10045"),  # the letter typed apart from the number
        ("5-10045", "S-10045"),
        ("I058", "1058"),  # or misread in the earlier one
        ("1058", "1O58"),
        ("RE-1058", "RE-I058"),
        ("RE-1058", "REI058"),
    ],
)
@pytest.mark.parametrize("total", ["500.00", "500.01"])  # at any total too
def test_a_misread_first_digit_without_a_prefix_is_given_back_to_the_number(
    hurtownia, earlier, later, total
):
    original = _invoice(hurtownia, earlier, total="500.00", day=date(2026, 3, 2))

    # A reminder copy scanned weeks later.
    rules = _rules(_new(hurtownia, later, total=total, day=date(2026, 3, 30)))

    assert rules == {original.pk: "ocr_one_apart"}


@pytest.mark.parametrize(
    ("earlier", "later", "rule"),
    [
        ("A-1058", "1058", "same_number"),  # a real prefix stays a prefix
        ("INV-42", "42", "same_number"),
        ("I-1058", "1058", "same_number"),
        ("1058", "I059", None),  # given back, another number
        ("1058", "IS058", None),  # more than the misread digit
    ],
)
def test_a_real_prefix_is_not_given_back(hurtownia, earlier, later, rule):
    original = _invoice(hurtownia, earlier, total="500.00", day=date(2026, 3, 2))

    rules = _rules(_new(hurtownia, later, total="77.00", day=date(2026, 9, 1)))

    assert rules == ({original.pk: rule} if rule else {})


@pytest.mark.parametrize(
    ("later", "day", "rule"),
    [
        ("I0588", date(2026, 3, 4), "ocr_one_apart"),  # given back, one character more
        ("I0588", None, "ocr_one_apart"),
        ("I0588", date(2026, 4, 2), None),  # a month on
    ],
)
def test_a_number_given_back_one_character_apart_needs_the_same_total_and_close_dates(
    hurtownia, later, day, rule
):
    original = _invoice(hurtownia, "1058", total="500.00", day=date(2026, 3, 2))

    rules = _rules(_new(hurtownia, later, total="500.00", day=day))

    assert rules == ({original.pk: rule} if rule else {})


def test_a_copy_misread_in_its_prefix_says_it_is_the_same_number_once_read(hurtownia):
    original = _invoice(hurtownia, "1058", total="500.00", day=date(2026, 3, 2))
    again = _new(hurtownia, "I058", total="1.00", day=date(2026, 9, 1))

    [finding] = duplicate_findings("I058", "EUR", Decimal("1.00"), find_duplicates(again))

    assert finding["details"]["invoice_ids"] == [original.pk]
    assert "letters a scan takes for digits" in finding["message"]


@pytest.mark.parametrize(
    ("earlier", "later", "day", "rule"),
    [
        # A weekly invoice of the same amount: the vendor's next number, a week on.
        ("W-2026-10", "W-2026-11", date(2026, 3, 9), "same_amount_close_dates"),
        ("W-2026-10", "W-2026-11", None, None),
        ("1002", "1003", date(2026, 3, 3), "same_amount_close_dates"),
        ("1002", "1003", None, None),
        # Digits OCR confuses are a misread.
        ("1003", "1008", None, "ocr_one_apart"),
        ("1005", "1006", None, "ocr_one_apart"),
        ("1001", "1007", None, "ocr_one_apart"),
        ("1000", "1008", None, "ocr_one_apart"),
        ("1006", "1008", None, "ocr_one_apart"),
        ("W-2026-10", "W-2026-1O", None, "ocr_one_apart"),  # same number once read
        ("W-2026-13", "W-2026-1B", None, "ocr_one_apart"),  # a letter for a digit
        ("W-2026-12", "W-2026-1Z", None, "ocr_one_apart"),
        ("W-2026-12", "W-2026-1S", None, "ocr_one_apart"),
    ],
)
def test_consecutive_numbers_are_no_misread_digit(hurtownia, earlier, later, day, rule):
    original = _invoice(hurtownia, earlier, total="450.00", day=date(2026, 3, 2))

    rules = _rules(_new(hurtownia, later, total="450.00", day=day))

    assert rules == ({original.pk: rule} if rule else {})
