"""Small files that decode to something huge, built in the test (never committed): a
multi-page TIFF of blank 6000 x 6000 pages, and PDFs whose attachment or page content
inflates to hundreds of megabytes. Each is built in milliseconds and is under 2 MB."""

import struct
import zlib


def deflated_zeros(size: int, block: int = 1024 * 1024) -> bytes:
    """A zlib stream that inflates to `size` zero bytes (a multiple of `block`): one
    compressed block, byte-aligned by a full flush, repeated; about 1 KB per MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    count, rest = divmod(size, block)
    assert rest == 0, "a whole number of blocks"
    adler32 = ((size % 65521) << 16) | 1  # Adler-32 of zeros: A stays 1, B counts bytes
    return b"\x78\xda" + one * count + end + struct.pack(">I", adler32)


def blank_tiff(pages: int, width: int, height: int) -> bytes:
    """A TIFF of `pages` white 1-bit pages (PackBits), all sharing one strip of data."""
    row, left = b"", width // 8
    while left:
        run = min(128, left)
        row += bytes([257 - run if run > 1 else 0, 0])
        left -= run
    strip = row * height
    entries = [
        (256, 4, width),  # ImageWidth
        (257, 4, height),  # ImageLength
        (258, 3, 1),  # BitsPerSample
        (259, 3, 32773),  # Compression: PackBits
        (262, 3, 0),  # PhotometricInterpretation: WhiteIsZero
        (273, 4, 8),  # StripOffsets: right after the header
        (277, 3, 1),  # SamplesPerPixel
        (278, 4, height),  # RowsPerStrip
        (279, 4, len(strip)),  # StripByteCounts
    ]
    out = bytearray(b"II*\x00") + struct.pack("<I", 8 + len(strip)) + strip
    for page in range(pages):
        following = len(out) + 2 + 12 * len(entries) + 4
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
            out += struct.pack("<HHI", tag, kind, 1) + packed
        out += struct.pack("<I", following if page < pages - 1 else 0)
    return bytes(out)


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (object n is objects[n - 1]; object 1 the catalog), with a
    correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


TEXT = b"BT /F1 12 Tf 72 770 Td (Invoice INV-1 Total 100.00 EUR) Tj ET"


def one_page_pdf(
    content: bytes = TEXT,
    *,
    filters: bytes = b"",
    size: tuple[float, float] = (595, 842),
    attachment: bytes | None = None,
) -> bytes:
    """A one-page PDF with `content` as its page content (encoded with `filters`), and,
    with `attachment` (FlateDecode data), a Factur-X attachment named factur-x.xml."""
    names = b" /Names << /EmbeddedFiles << /Names [(factur-x.xml) 6 0 R] >> >> /AF [6 0 R]"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R%s >>" % (names if attachment else b""),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>" % size,
        stream(filters, content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if attachment:
        objects += [
            b"<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml) /EF << /F 7 0 R >> "
            b"/AFRelationship /Data >>",
            stream(b"/Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode", attachment),
        ]
    return pdf(objects)
