"""PDFs carrying attached files as a sender's tool writes them, for the hybrid-PDF tests.

fpdf2 lists every attachment both as an associated file (/AF) and as an embedded file
(/Names /EmbeddedFiles), with a MIME type it guesses from the name. Real Factur-X and
ZUGFeRD producers vary all of that, so the files are added here by an incremental update
(PDF 32000-1, 7.5.6) to a PDF from core.demo_pdf: new objects, a new catalog, and a
cross-reference section that points back to the original one.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Attached:
    """A file to attach. `mime_type` is written as the stream's /Subtype (None: none) and
    `relationship` as the file specification's /AFRelationship (None: none); `in_af` and
    `in_names` say where the catalog lists it."""

    name: str
    data: bytes
    mime_type: str | None = "text/xml"
    relationship: str | None = "Alternative"
    in_af: bool = True
    in_names: bool = True


def with_attachments(pdf: bytes, *files: Attached) -> bytes:
    """`pdf` (one written by fpdf2, with a classic cross-reference table) with `files`
    attached, in that order, and its catalog's other entries but /Pages dropped."""
    size = int(_last(rb"/Size (\d+)", pdf))
    root = int(_last(rb"/Root (\d+) 0 R", pdf))
    previous = int(_last(rb"startxref\s+(\d+)", pdf))
    pages = _last(rb"\n%d 0 obj\s*<<.*?/Pages (\d+ 0 R)" % root, pdf)
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets: dict[int, int] = {}

    def put(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    af, names = [], []
    for index, file in enumerate(files):
        stream, spec = size + 2 * index, size + 2 * index + 1
        subtype = b" /Subtype /" + _name(file.mime_type) if file.mime_type else b""
        put(
            stream,
            b"<< /Type /EmbeddedFile%s /Length %d /Params << /Size %d >> >>\nstream\n%s\n"
            b"endstream" % (subtype, len(file.data), len(file.data), file.data),
        )
        relationship = (
            b" /AFRelationship /" + _name(file.relationship) if file.relationship else b""
        )
        label = _string(file.name)
        put(
            spec,
            b"<< /Type /Filespec /F %s /UF %s /EF << /F %d 0 R >>%s >>"
            % (label, label, stream, relationship),
        )
        if file.in_af:
            af.append(b"%d 0 R" % spec)
        if file.in_names:
            names.append(b"%s %d 0 R" % (label, spec))
    put(
        root,
        b"<< /Type /Catalog /Pages %s /AF [%s] /Names << /EmbeddedFiles << /Names [%s] >> >> >>"
        % (pages, b" ".join(af), b" ".join(names)),
    )
    new_size = size + 2 * len(files)
    xref = len(out)
    out.extend(b"xref\n%d 1\n%010d 00000 n \n" % (root, offsets[root]))
    out.extend(b"%d %d\n" % (size, 2 * len(files)))
    for number in range(size, new_size):
        out.extend(b"%010d 00000 n \n" % offsets[number])
    out.extend(
        b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
        % (new_size, root, previous, xref)
    )
    return bytes(out)


def _last(pattern: bytes, pdf: bytes) -> bytes:
    return re.findall(pattern, pdf, re.DOTALL)[-1]


def _name(text: str) -> bytes:
    """A PDF name: "text/xml" is written /text#2Fxml, as producers do."""
    return b"".join(
        bytes([byte]) if chr(byte).isalnum() or chr(byte) in "-_." else b"#%02X" % byte
        for byte in text.encode()
    )


def _string(text: str) -> bytes:
    escaped = text.encode("latin-1").replace(b"\\", b"\\\\")
    return b"(" + escaped.replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
