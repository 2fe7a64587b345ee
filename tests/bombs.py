"""Small files that decode to something huge, built in the test (never committed): a
multi-page TIFF of blank 6000 x 6000 pages, PDFs whose attachment, page content,
cross-reference stream or object stream inflates to hundreds of megabytes, and PDFs whose
JPEG or JPEG 2000 image says 64 x 64 in its dictionary and 60000 x 60000 in its own header.
Each is built in milliseconds and is under 2 MB."""

import io
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


def image_pdf(image_dictionary: bytes, image_data: bytes) -> bytes:
    """A one-page PDF drawing one image XObject with this dictionary (its /Type, /Subtype
    and /Length are added) and encoded data."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        stream(b"", b"q 500 0 0 700 50 50 cm /Im1 Do Q"),
        stream(b"/Type /XObject /Subtype /Image " + image_dictionary, image_data),
    ]
    return pdf(objects)


def jpeg(width: int, height: int) -> bytes:
    """A real grey JPEG of `width` x `height` pixels (Pillow)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 200).save(out, "JPEG")
    return out.getvalue()


def jpeg_saying(width: int, height: int) -> bytes:
    """A 64 x 64 JPEG whose SOF0 marker is rewritten to say `width` x `height` (each under
    65536): a decoder that trusts the header allocates width x height pixels."""
    data = bytearray(jpeg(64, 64))
    sof = data.find(b"\xff\xc0")  # SOF0: marker, length(2), precision(1), height(2), width(2)
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def jpeg2000_saying(width: int, height: int, *, jp2: bool = False) -> bytes:
    """A 64 x 64 JPEG 2000 image (a bare codestream, or with `jp2` a JP2 file, whose ihdr
    box still says 64 x 64) whose SIZ marker is rewritten to say `width` x `height`."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (64, 64), 255).save(out, "JPEG2000", no_jp2=not jp2)
    data = bytearray(out.getvalue())
    siz = data.find(b"\xff\x4f\xff\x51") + 2  # SOC, then SIZ: marker, Lsiz, Rsiz, Xsiz...
    # Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz: one tile as large as the image.
    struct.pack_into(">IIIIII", data, siz + 6, width, height, 0, 0, width, height)
    return bytes(data)


def xref_stream_pdf(*, xref_data: bytes | None = None, objects_stream: bytes | None = None):
    """A one-page PDF whose cross-reference is a stream (/Type /XRef, FlateDecode), as
    PDF 1.5+ writers make them, with the catalog and page tree in an object stream
    (/Type /ObjStm). `xref_data` (deflated) or `objects_stream` (deflated) replace the
    true data of either stream: a bomb pdfminer inflates while opening the file."""
    inside = [  # objects 1 and 2, in object stream 6
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    ]
    offsets, body = [], b""
    for number, text in enumerate(inside, start=1):
        offsets += [number, len(body)]
        body += text + b" "
    index = b" ".join(b"%d" % n for n in offsets) + b" "
    objstm = stream(
        b"/Type /ObjStm /N 2 /First %d /Filter /FlateDecode" % len(index),
        objects_stream if objects_stream is not None else zlib.compress(index + body),
    )
    direct = {
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        4: stream(b"", TEXT),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        6: objstm,
    }
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    at = {}
    for number, text in direct.items():
        at[number] = len(out)
        out += b"%d 0 obj\n" % number + text + b"\nendobj\n"
    at[7] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]  # W [1 4 2]: type, offset or stream, gen/index
    rows += [struct.pack(">BIH", 2, 6, i) for i in range(2)]
    rows += [struct.pack(">BIH", 1, at[n], 0) for n in range(3, 8)]
    xref = stream(
        b"/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode",
        xref_data if xref_data is not None else zlib.compress(b"".join(rows)),
    )
    out += b"7 0 obj\n" + xref + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % at[7]
    return bytes(out)
