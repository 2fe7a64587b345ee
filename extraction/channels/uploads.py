"""Uploads (the upload screen, the documents API) held to MAX_STORED_BYTES while they
stream in, not after.

Django writes an uploaded file to a temporary file as it arrives, and the views then read
it to take it; a 300 MB upload was read into memory before its size was compared. This
handler, first in FILE_UPLOAD_HANDLERS, counts each file's bytes as they arrive and drops
the file the moment it passes the limit (Django then reads the rest of that part and
throws it away); the other files of the request are taken as usual. What was dropped is
kept on the request for the view to list with the other files it did not take.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from core.models.documents import safe_file_name
from extraction.channels.files import LeftOut


class SizeLimitedUploadHandler(FileUploadHandler):
    """Drops an uploaded file once it passes MAX_STORED_BYTES (by its declared length, or
    by the bytes received); the files after it in the request go on."""

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        self.received = 0
        if content_length and content_length > settings.MAX_STORED_BYTES:
            self._refuse(content_length)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MAX_STORED_BYTES:
            self._refuse(self.received)
        return raw_data

    def file_complete(self, file_size: int):
        return None  # the handlers after this one keep the file

    def _refuse(self, size: int):
        refused = self.request.__dict__.setdefault("refused_uploads", [])
        name = safe_file_name(self.file_name or "upload")
        refused.append(
            LeftOut(
                name,
                f"{name} is over the limit of {settings.MAX_STORED_BYTES:,} bytes "
                f"(MAX_STORED_BYTES); the upload was stopped at {size:,} bytes.",
            )
        )
        raise SkipFile


def refused_uploads(request: HttpRequest) -> list[LeftOut]:
    """The files of this request's upload dropped for their size. Read request.FILES
    first: the upload is parsed then."""
    return list(getattr(request, "refused_uploads", []))
