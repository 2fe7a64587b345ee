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
  page, MAX_DOCUMENT_PIXELS; its stream may inflate to no more than those pixels need.

Streams are found the way pdfminer finds them (the cross-reference table, or a scan of the
file where that is broken). A file pdfium reads differently from pdfminer could hide a
stream from this check; pdfium's and pdfminer's readings of a damaged file rarely differ.
"""

import io
import logging
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
    LITERALS_FLATE_DECODE,
    LITERALS_LZW_DECODE,
    LITERALS_RUNLENGTH_DECODE,
    PDFStream,
    resolve1,
)
from pdfminer.psparser import LIT

from extraction.readers.image import MAX_PIXELS
from extraction.types import OverLimit

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024  # bytes inflated at a time
# Bytes an image's pixels may take: four components of 16 bits, the most PDF allows.
_BYTES_PER_PIXEL = 8
_IMAGE = LIT("Image")
_EMBEDDED_FILE = LIT("EmbeddedFile")


def check_pdf_streams(data: bytes) -> None:
    """Raise OverLimit when a stream of the PDF `data` would inflate past its limit, or
    its images hold too many pixels; return None otherwise (also for a file pdfminer cannot
    parse at all: the readers then say what is wrong with it)."""
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
    except Exception:
        return
    inflated, pixels = 0, 0
    for stream in _streams(document):
        attrs = stream.attrs
        if resolve1(attrs.get("Subtype")) is _IMAGE:
            width, height = _positive(attrs.get("Width")), _positive(attrs.get("Height"))
            if width * height > MAX_PIXELS:
                raise OverLimit(
                    f"An image in the PDF has {width} x {height} pixels (MAX_PIXELS is "
                    f"{MAX_PIXELS:,}): too large to be a scanned invoice page.",
                    setting="MAX_PIXELS",
                    actual=width * height,
                    maximum=MAX_PIXELS,
                )
            pixels += width * height
            if pixels > settings.MAX_DOCUMENT_PIXELS:
                raise OverLimit(
                    f"The PDF's images hold more than {settings.MAX_DOCUMENT_PIXELS:,} pixels "
                    "in all (MAX_DOCUMENT_PIXELS): too large to be a scanned invoice. Scan "
                    "it at 300 dpi or less, or split it into single invoices.",
                    setting="MAX_DOCUMENT_PIXELS",
                    actual=pixels,
                    maximum=settings.MAX_DOCUMENT_PIXELS,
                )
            need = width * height * _BYTES_PER_PIXEL + CHUNK
            if _decoded_size(stream, need) > need:
                raise OverLimit(
                    f"An image in the PDF inflates to more than its {width} x {height} "
                    "pixels can hold: the file is built to exhaust memory (a decompression "
                    "bomb), so it is not read.",
                    setting="MAX_PIXELS",
                    actual=need + 1,
                    maximum=need,
                )
            continue
        limit = settings.MAX_INFLATED_BYTES
        inflated += _decoded_size(stream, limit - inflated)
        if inflated > limit:
            what = (
                "An attachment in the PDF inflates"
                if resolve1(attrs.get("Type")) is _EMBEDDED_FILE
                else "The PDF's page contents, fonts and attachments inflate"
            )
            raise OverLimit(
                f"{what} to more than {limit:,} bytes (MAX_INFLATED_BYTES): a decompression "
                "bomb, or far more than an invoice holds, so the file is not read.",
                setting="MAX_INFLATED_BYTES",
                actual=inflated,
                maximum=limit,
            )


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
            except Exception:  # a damaged object: the readers meet it too, and say so
                log.debug("object %s cannot be parsed; not measured", objid, exc_info=True)
                continue
            if isinstance(found, PDFStream):
                yield found


def _decoded_size(stream: PDFStream, limit: int) -> int:
    """The bytes the stream's filters produce, counted as they come and dropped; the count
    stops once it passes `limit`. Image codecs (DCT, JPX, CCITT, JBIG2) end the count:
    their output is pixels, bounded by the image's size."""
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
            return len(data)
        size, kept = _count(chunks, limit, keep=not last)
        if last or size > limit:
            return size
        data = kept
    return len(data)


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
