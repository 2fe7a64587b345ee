"""A PDF's streams measured before any library reads them, so a bomb is refused having
cost no more memory than one chunk of what it inflates to.

pdfminer (the text layer) and pdfium (attachments, pages drawn) inflate a stream whole
before anyone can see its size: a 1 MB file whose attachment inflates to 1 GiB, or whose
page content inflates to 512 MB, takes gigabytes and then reads as an invoice with missing
fields. So every stream is decoded here first, in chunks that are counted and dropped, and
the count stops at the limit:

- streams other than images (page contents, fonts, attachments, metadata) may inflate to
  MAX_INFLATED_BYTES in all;
- an image counts its pixels against MAX_PIXELS and, with every other image and scanned
  page, MAX_DOCUMENT_PIXELS; its stream may inflate to no more than those pixels need. A
  JPEG (DCTDecode) or JPEG 2000 (JPXDecode) image is as large as its dictionary or its own
  header says, whichever is larger: pdfium allocates what the header says, so an image
  whose dictionary says 64 x 64 and whose header says 60000 x 60000 is a 14 GB bomb.
- cross-reference streams (/Type /XRef) and object streams (/Type /ObjStm) are inflated
  by pdfminer while it opens the file, before any stream can be listed; each is counted
  (against MAX_INFLATED_BYTES, with the other streams) in chunks just before pdfminer
  would inflate it, so a bomb there is refused having cost one chunk too.

Streams are found the way pdfminer finds them (the cross-reference table, or a scan of the
file where that is broken). A file pdfium reads differently from pdfminer could hide a
stream from this check; pdfium's and pdfminer's readings of a damaged file rarely differ.
"""

import io
import logging
import struct
import zlib
from collections.abc import Iterable, Iterator

from django.conf import settings
from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import (
    LITERALS_ASCII85_DECODE,
    LITERALS_ASCIIHEX_DECODE,
    LITERALS_DCT_DECODE,
    LITERALS_FLATE_DECODE,
    LITERALS_JPX_DECODE,
    LITERALS_LZW_DECODE,
    LITERALS_RUNLENGTH_DECODE,
    PDFStream,
    resolve1,
)
from pdfminer.psparser import LIT
from PIL import Jpeg2KImagePlugin, JpegImagePlugin

from extraction.readers.image import MAX_PIXELS, check_document_pixels
from extraction.types import OverLimit

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024  # bytes inflated at a time
# Bytes an image's pixels may take: four components of 16 bits, the most PDF allows.
_BYTES_PER_PIXEL = 8
_IMAGE = LIT("Image")
_EMBEDDED_FILE = LIT("EmbeddedFile")
_OPENING = LIT("XRef"), LIT("ObjStm")  # streams pdfminer inflates to open the file


def check_pdf_streams(data: bytes) -> None:
    """Raise OverLimit when a stream of the PDF `data` would inflate past its limit, or
    its images hold too many pixels; return None otherwise (also for a file pdfminer cannot
    parse at all: the readers then say what is wrong with it)."""
    budget = _Budget()
    try:
        document = PDFDocument(_CountingParser(io.BytesIO(data), budget))
    except OverLimit:
        raise
    except Exception:
        return
    pixels = 0
    for stream in _streams(document):
        attrs = stream.attrs
        if resolve1(attrs.get("Subtype")) is _IMAGE:
            pixels = _check_image(stream, pixels)
            continue
        if stream.objid is not None and stream.objid in budget.counted:
            continue  # a cross-reference or object stream counted as pdfminer opened it
        budget.count(stream)


class _Budget:
    """The bytes the PDF's streams other than images inflate to, so far (against
    MAX_INFLATED_BYTES), and the objects already counted."""

    def __init__(self) -> None:
        self.inflated = 0
        self.counted: set[int] = set()

    def count(self, stream: PDFStream) -> None:
        """Add what `stream` inflates to; OverLimit once the total passes the limit."""
        limit = settings.MAX_INFLATED_BYTES
        self.inflated += _decoded_size(stream, limit - self.inflated)
        if stream.objid is not None:
            self.counted.add(stream.objid)
        if self.inflated <= limit:
            return
        kind = resolve1(stream.attrs.get("Type"))
        if kind is _EMBEDDED_FILE:
            what = "An attachment in the PDF inflates"
        elif kind in _OPENING:
            what = "The PDF's cross-reference and object streams inflate"
        else:
            what = "The PDF's page contents, fonts and attachments inflate"
        raise OverLimit(
            f"{what} to more than {limit:,} bytes (MAX_INFLATED_BYTES): a decompression "
            "bomb, or far more than an invoice holds, so the file is not read.",
            setting="MAX_INFLATED_BYTES",
            actual=self.inflated,
            maximum=limit,
        )


class _CountedStream(PDFStream):
    """A stream that is counted against the budget, in chunks, before pdfminer inflates it
    whole (pdfminer inflates cross-reference and object streams while opening the file)."""

    def __init__(self, found: PDFStream, budget: _Budget) -> None:
        super().__init__(found.attrs, found.rawdata, found.decipher)
        self._budget = budget

    def decode(self) -> None:
        if self.data is None and self.rawdata is not None:
            self._budget.count(self)  # OverLimit past the limit, before anything is held
        super().decode()


class _CountingParser(PDFParser):
    """pdfminer's parser, except that every stream it parses is a _CountedStream: whatever
    pdfminer inflates while opening the file is counted first, wherever it found it (a
    cross-reference offset, a /Prev or /XRefStm, or its scan of a damaged file)."""

    def __init__(self, fp: io.BytesIO, budget: _Budget) -> None:
        super().__init__(fp)
        self._budget = budget

    def do_keyword(self, pos, token) -> None:
        super().do_keyword(pos, token)
        if token is self.KEYWORD_STREAM and self.curstack:
            at, found = self.curstack[-1]
            if isinstance(found, PDFStream):
                self.curstack[-1] = (at, _CountedStream(found, self._budget))


def _check_image(stream: PDFStream, pixels: int) -> int:
    """`pixels` (of the document's images so far) plus this image's; OverLimit when the
    image passes MAX_PIXELS, the document MAX_DOCUMENT_PIXELS, or the stream inflates to
    more than its pixels need. A JPEG or JPEG 2000 image is as large as its dictionary or
    its header says, whichever is larger."""
    attrs = stream.attrs
    width, height = _positive(attrs.get("Width")), _positive(attrs.get("Height"))
    _check_image_pixels(width, height)
    need = width * height * _BYTES_PER_PIXEL + CHUNK
    size, codec, encoded = _decode(stream, need)
    if size > need:
        raise OverLimit(
            f"An image in the PDF inflates to more than its {width} x {height} "
            "pixels can hold: the file is built to exhaust memory (a decompression "
            "bomb), so it is not read.",
            setting="MAX_PIXELS",
            actual=need + 1,
            maximum=need,
        )
    header_width, header_height = _header_size(codec, encoded)
    if header_width > width or header_height > height:
        width, height = max(width, header_width), max(height, header_height)
        _check_image_pixels(width, height)
    pixels += width * height
    check_document_pixels(pixels, "The PDF's images")
    return pixels


def _check_image_pixels(width: int, height: int) -> None:
    """OverLimit when one image of `width` x `height` pixels passes MAX_PIXELS."""
    if width * height > MAX_PIXELS:
        raise OverLimit(
            f"An image in the PDF has {width} x {height} pixels (MAX_PIXELS is "
            f"{MAX_PIXELS:,}): too large to be a scanned invoice page.",
            setting="MAX_PIXELS",
            actual=width * height,
            maximum=MAX_PIXELS,
        )


def _header_size(codec, encoded: bytes) -> tuple[int, int]:
    """(width, height) in pixels that a JPEG (`codec` DCTDecode: its SOFn marker) or JPEG
    2000 image (JPXDecode: a codestream's SIZ marker, and a JP2 file's ihdr box and the SIZ
    of its jp2c codestream) says it has, read by Pillow from the headers without decoding
    a pixel; (0, 0) for another codec, or a header Pillow cannot read (the dictionary's
    size then stands)."""
    try:
        if codec in LITERALS_DCT_DECODE:
            return JpegImagePlugin.JpegImageFile(io.BytesIO(encoded)).size
        if codec in LITERALS_JPX_DECODE:
            width, height = Jpeg2KImagePlugin.Jpeg2KImageFile(io.BytesIO(encoded)).size
            codestream = _jp2_codestream(encoded)
            if codestream is not None:  # OpenJPEG sizes the image by this, not by ihdr
                inner = Jpeg2KImagePlugin.Jpeg2KImageFile(io.BytesIO(codestream)).size
                width, height = max(width, inner[0]), max(height, inner[1])
            return width, height
    except Exception:  # not a JPEG / JPEG 2000 Pillow can read: the readers will say so
        log.debug("image header cannot be read; its dictionary's size counts", exc_info=True)
    return 0, 0


def _jp2_codestream(data: bytes) -> bytes | None:
    """The contents of a JP2 file's first top-level 'jp2c' box (ISO 15444-1, I.4: a box is
    a 4-byte length, covering the box, a 4-byte type, and with length 1 an 8-byte length
    after the type; length 0 runs to the end), or None for a bare codestream or none."""
    if not data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return None
    position = 0
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if length == 1 and position + 16 <= len(data):
            (length,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif length == 0:
            length = len(data) - position
        if length < header:
            return None
        if kind == b"jp2c":
            return data[position + header : position + length]
        position += length
    return None


def _streams(document: PDFDocument) -> Iterator[PDFStream]:
    """Every stream object in the file, each once. Streams are never inside object
    streams, so only objects stored directly in the file are parsed: parsing one stored in
    an object stream would make pdfminer inflate that object stream whole, unchecked."""
    seen = set()
    for xref in document.xrefs:
        for objid in xref.get_objids():
            if objid in seen:
                continue
            seen.add(objid)
            try:
                in_stream, _, _ = xref.get_pos(objid)
                if in_stream is not None:
                    continue
                found = document.getobj(objid)
            except OverLimit:
                raise
            except Exception:  # a damaged object: the readers meet it too, and say so
                log.debug("object %s cannot be parsed; not measured", objid, exc_info=True)
                continue
            if isinstance(found, PDFStream):
                yield found


def _decoded_size(stream: PDFStream, limit: int) -> int:
    """The bytes the stream's filters produce, counted as they come and dropped; the count
    stops once it passes `limit`. Image codecs (DCT, JPX, CCITT, JBIG2) end the count:
    their output is pixels, bounded by the image's size."""
    return _decode(stream, limit)[0]


def _decode(stream: PDFStream, limit: int) -> tuple[int, object, bytes]:
    """(the bytes the stream's filters produce, counted as in _decoded_size; the image
    codec the filters end in, a pdfminer literal such as /DCTDecode, or None; that codec's
    input, the encoded image, or b"" without one or past `limit`)."""
    data = stream.rawdata if stream.rawdata is not None else stream.data or b""
    if stream.decipher:
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    filters = stream.get_filters()
    for position, (name, _) in enumerate(filters):
        last = position == len(filters) - 1
        if name in LITERALS_FLATE_DECODE:
            chunks = _inflate(data)
        elif name in LITERALS_LZW_DECODE:
            chunks = LZWDecoder(io.BytesIO(data)).run()
        elif name in LITERALS_RUNLENGTH_DECODE:
            chunks = _run_length(data)
        elif name in LITERALS_ASCII85_DECODE:
            chunks = iter([ascii85decode(data)])  # never longer than its input
        elif name in LITERALS_ASCIIHEX_DECODE:
            chunks = iter([asciihexdecode(data)])
        else:
            return len(data), name, data
        size, kept = _count(chunks, limit, keep=not last)
        if last or size > limit:
            return size, None, b""
        data = kept
    return len(data), None, b""


def _count(chunks: Iterable[bytes], limit: int, *, keep: bool) -> tuple[int, bytes]:
    """(bytes seen, stopping past `limit`; those bytes, if `keep`: for a next filter)."""
    size, kept = 0, []
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return size, b""
        if keep:
            kept.append(chunk)
    return size, b"".join(kept)


def _inflate(data: bytes) -> Iterator[bytes]:
    """zlib inflation CHUNK bytes at a time. A damaged stream ends where the damage is, as
    pdfminer's salvage does."""
    inflater = zlib.decompressobj()
    try:
        while True:
            chunk = inflater.decompress(data, CHUNK)
            yield chunk
            data = inflater.unconsumed_tail
            if inflater.eof or (not data and len(chunk) < CHUNK):
                return
    except zlib.error:
        return


def _run_length(data: bytes) -> Iterator[bytes]:
    """RunLengthDecode (PDF 32000-1, 7.4.5): a length byte n, then n + 1 bytes to copy
    (n < 128) or one byte to repeat 257 - n times (n > 128); 128 ends the data."""
    position = 0
    while position < len(data):
        length = data[position]
        if length == 128:
            return
        if length < 128:
            yield data[position + 1 : position + 2 + length]
            position += length + 2
        else:
            yield data[position + 1 : position + 2] * (257 - length)
            position += 2


def _positive(value) -> int:
    try:
        return max(0, int(resolve1(value)))
    except (TypeError, ValueError):
        return 0
