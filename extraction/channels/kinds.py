"""Which received files count as possible invoices: written down once, here (issue 19).

Every channel (AP mailbox, scanner folder, upload screen, documents API) asks `classify`
about each file it got, and a zip file's members are asked the same question. A file that
is a possible invoice is stored as a document and goes through the pipeline; a damaged one
is kept there and waits in review as UNREADABLE with its reason. A file that is not is
*left out*: kept with its reason as a `core.models.LeftOutFile` (bytes retrievable, listed
on the Intake screen and in the email's record), never queued as an invoice.

Possible invoices, by their bytes (`core.models.documents.sniff_content_type`; a file name
or a declared MIME type is never trusted to make a file an invoice):

- PDF (`%PDF`): always (a Factur-X / ZUGFeRD PDF carries its XML inside).
- PNG, JPEG, TIFF: always, a scan or a photo of a paper invoice (the mailbox first leaves
  out inline images, and images under MAIL_MIN_IMAGE_BYTES, as logos and signatures).
- XML: when the root element is an e-invoice's (UBL Invoice or CreditNote, CII
  CrossIndustryInvoice, ZUGFeRD 1 CrossIndustryDocument, a Peppol StandardBusinessDocument,
  FatturaPA, or any root whose name says invoice or credit note), or when no root element
  can be found (a damaged e-invoice, a DOCTYPE the reader refuses: the reader says why).
- ZIP: opened one level deep, each member classified the same way (`files.invoice_files`);
  an office document (a zip inside) is left out whole.

And one rule for damaged files: a file whose *name* says PDF, XML, PNG, JPEG or TIFF
(`.pdf`, `.xml`, `.png`, `.jpg`, `.jpeg`, `.tif`, `.tiff`) but whose bytes are not that
format is taken anyway, so a truncated or mislabelled invoice lands in review with the
reason, where someone asks the vendor for a new copy (an empty `INV-7.pdf` too).

Everything else is left out, with the reason in words: plain text (`.txt`), CSV, HTML,
calendar invites (`.ics`), signatures (`.p7s`), office documents (`.docx`, `.xlsx`, `.odt`:
zip files inside, recognised as such), SVG and other XML, GIF/BMP/WebP/HEIC images, empty
files.
"""

import re
from dataclasses import dataclass
from pathlib import PurePath

from core.models.documents import sniff_content_type

PDF, XML, ZIP = "application/pdf", "application/xml", "application/zip"
IMAGES = frozenset({"image/png", "image/jpeg", "image/tiff"})
# Content types extraction reads (sniffed from the bytes).
INVOICE_TYPES = frozenset({PDF, XML, *IMAGES})
# What the readers take, in words, for the reasons a person reads.
FORMATS_IN_WORDS = "PDF, XML e-invoice, PNG, JPEG, TIFF"
# Names that claim an invoice format: a file so named whose bytes are not that format is
# a damaged invoice (taken, and quarantined with the reason), not a stray file.
INVOICE_SUFFIXES = frozenset({".pdf", ".xml", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})
# MIME types a sender gives for invoice formats: said in the reason when the bytes disagree.
CLAIMED_TYPES = frozenset({PDF, XML, "text/xml", *IMAGES})
# Root elements (local names) of e-invoices; any root naming an invoice counts too.
EINVOICE_ROOTS = frozenset(
    {
        "Invoice",  # UBL 2.x (and OIOUBL, XRechnung UBL, Peppol BIS)
        "CreditNote",  # UBL 2.x
        "CrossIndustryInvoice",  # UN/CEFACT CII D16B (XRechnung CII, Factur-X, ZUGFeRD 2)
        "CrossIndustryDocument",  # ZUGFeRD 1
        "StandardBusinessDocument",  # Peppol envelope around a UBL invoice
        "FatturaElettronica",  # Italy's FatturaPA
    }
)
_INVOICE_WORDS = re.compile(r"invoice|creditnote|credit_note|factur|rechnung", re.IGNORECASE)
# Whatever may stand before the root element: whitespace, comments, processing
# instructions (the XML declaration), a DOCTYPE without an internal subset.
_PROLOG = re.compile(
    r"(?:\s+|<!--.*?-->|<\?.*?\?>|<!DOCTYPE\s+([A-Za-z_][\w.:-]*)[^\[>]*>)*", re.DOTALL
)
_ROOT = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
# What else is recognised, to say what a file is rather than only what it is not.
_OTHER_SIGNATURES = [
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document (.doc, .xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"BEGIN:VCALENDAR", "a calendar invitation"),
    (b"BEGIN:VCARD", "a contact card (vCard)"),
    (b"-----BEGIN", "a key or certificate"),
    (b"0\x82", "a signature or certificate (PKCS #7)"),
    (b"UNA:", "an EDIFACT message (not read here: ask for a PDF or an XML e-invoice)"),
    (b"UNB+", "an EDIFACT message (not read here: ask for a PDF or an XML e-invoice)"),
]
_OFFICE_ZIP_MEMBERS = {
    "word/document.xml": "a Word document (.docx)",
    "xl/workbook.xml": "an Excel workbook (.xlsx)",
    "ppt/presentation.xml": "a PowerPoint presentation (.pptx)",
}


@dataclass(frozen=True)
class Verdict:
    """`invoice`: whether the file is a possible invoice; `reason`: for a file left out,
    why, in words a clerk understands ("not an invoice: a plain text file")."""

    invoice: bool
    reason: str = ""


TAKEN = Verdict(True)


def classify(name: str, data: bytes, declared_type: str = "") -> Verdict:
    """Whether a received file (`name` as sent, its bytes, the MIME type the sender gave,
    if any) is a possible invoice, by the table in this module's docstring. A zip file is
    a possible container: the caller opens it (`files.invoice_files`)."""
    claims_invoice = PurePath(name.lower()).suffix in INVOICE_SUFFIXES
    if not data:
        return TAKEN if claims_invoice else Verdict(False, "not an invoice: an empty file")
    kind = sniff_content_type(data)
    if kind in (PDF, *IMAGES, ZIP):
        return TAKEN
    if kind == XML:
        return _xml(data)
    if claims_invoice:
        return TAKEN  # named as an invoice format but damaged or mislabelled: quarantined
    said = describe(name, data, declared_type)
    if declared_type in CLAIMED_TYPES:
        return Verdict(False, f"not an invoice: sent as {declared_type}, but the bytes are {said}")
    shown = f" ({declared_type})" if declared_type and declared_type not in said else ""
    return Verdict(False, f"not an invoice: {said}{shown}")


def office_document(names: list[str]) -> str:
    """What an office document a zip file really is ("a Word document (.docx)"), from its
    member names; "" for an ordinary zip file."""
    for member, said in _OFFICE_ZIP_MEMBERS.items():
        if member in names:
            return said
    if "mimetype" in names and any(n == "content.xml" for n in names):
        return "an OpenDocument file (.odt, .ods)"
    return ""


def describe(name: str, data: bytes, declared_type: str = "") -> str:
    """What a file that is no invoice format seems to be, in words."""
    for signature, said in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return said
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC photo (save or scan it as PDF or JPEG)"
    suffix = PurePath(name.lower()).suffix
    if _is_text(data):
        if suffix == ".csv" or declared_type == "text/csv":
            return "a CSV file (no e-invoice format)"
        if suffix in (".htm", ".html") or declared_type == "text/html":
            return "an HTML page"
        if suffix == ".ics" or declared_type == "text/calendar":
            return "a calendar invitation"
        return "a plain text file"
    shown = (declared_type if declared_type not in CLAIMED_TYPES else "") or suffix or "unknown"
    return f"a file of another format ({shown}); invoices are {FORMATS_IN_WORDS}"


def _xml(data: bytes) -> Verdict:
    """XML is a possible invoice when its root element is an e-invoice's, or when the root
    cannot be found (the reader then says what is wrong)."""
    head = data[:16384].decode("utf-8", errors="ignore").lstrip("\ufeff")
    prolog = _PROLOG.match(head)
    doctype = prolog.group(1) if prolog else None
    if doctype and doctype.lower() == "html":
        return Verdict(False, "not an invoice: an HTML page")
    root = _ROOT.match(head, prolog.end() if prolog else 0)
    if root is None:
        return TAKEN
    local = root.group(2)
    if local in EINVOICE_ROOTS or _INVOICE_WORDS.search(local):
        return TAKEN
    if local.lower() == "html":
        return Verdict(False, "not an invoice: an HTML page")
    if local.lower() == "svg":
        return Verdict(False, "not an invoice: an SVG image (a logo or drawing)")
    return Verdict(
        False,
        f"not an invoice: an XML file whose root element <{local}> is no e-invoice "
        "(UBL Invoice or CreditNote, CII CrossIndustryInvoice)",
    )


def _is_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not only a character cut at the sample's end
            try:
                sample.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True
