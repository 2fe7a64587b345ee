"""The JSON API for other systems, v1: hand over documents and ask how they are doing.

Authentication is a bearer token (`Authorization: Bearer <token>`, tokens from
`manage.py create_api_token NAME`), checked against its scopes. Errors are JSON with a
message and the right 4xx status, never a page. The same bytes posted twice, or first
uploaded by a clerk or mailed in, are the same document: the answer says `created: false`
and points at the invoice that exists.
"""

import functools

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from core.models import ApiToken, Document
from extraction.channels.files import take
from extraction.channels.uploads import refused_uploads

DOCUMENTS = "documents"  # scope: post documents and read their status


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def api_view(methods: str | tuple[str, ...], scope: str):
    """A JSON endpoint: the methods it answers, a bearer token with `scope`, and errors as
    JSON (405, 401, 403, 413: a body over MAX_REQUEST_BODY_BYTES or more files than
    UPLOAD_MAX_FILES), never an HTML page; no CSRF, as no browser cookie is used."""
    allowed = (methods,) if isinstance(methods, str) else methods

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in allowed:
                response = _error(405, f"Use {' or '.join(allowed)} here")
                response["Allow"] = ", ".join(allowed)
                return response
            kind, _, secret = request.headers.get("Authorization", "").partition(" ")
            if kind.lower() not in ("bearer", "token") or not secret.strip():
                return _error(401, "An API token is required: Authorization: Bearer <token>")
            token = ApiToken.objects.authenticate(secret.strip())
            if token is None:
                return _error(401, "The API token is not valid (unknown or revoked)")
            if scope not in token.scopes:
                return _error(403, f"The token {token.name!r} lacks the scope {scope!r}")
            request.api_token = token
            try:
                return view(request, *args, **kwargs)
            except RequestDataTooBig:
                return _error(413, "The request is too large")
            except TooManyFilesSent:
                return _error(
                    413,
                    f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files a request; send "
                    "the rest after",
                )

        # Read by tests/erp/test_openapi.py: the schema must say the same methods and scope.
        wrapper.api_methods, wrapper.api_scope = allowed, scope
        return csrf_exempt(wrapper)

    return decorate


@api_view("POST", DOCUMENTS)
def post_documents(request: HttpRequest):
    """multipart/form-data with one or more `file` parts (zip files are opened)."""
    uploads = request.FILES.getlist("file")
    # Files dropped while streaming in (over MAX_STORED_BYTES) are listed with the rest.
    left_out = [item.as_dict() for item in refused_uploads(request)]
    if not uploads and not left_out:
        return _error(400, "No file: send the document as a multipart part named 'file'")
    actor = f"api:{request.api_token.name}"
    documents = []
    for upload in uploads:
        taken = take(
            upload.name,
            upload.read(),
            channel=Document.Channel.API,
            actor=actor,
            source={"api_token": request.api_token.name},
        )
        left_out += [item.as_dict() for item in taken.left_out]
        documents += [
            {**_status(request, received.document), "created": received.created}
            for received in taken.received
        ]
    if not documents:
        return _error(422, "Nothing in the request could be taken", left_out=left_out)
    created = any(document["created"] for document in documents)
    return JsonResponse(
        {"documents": documents, "left_out": left_out}, status=201 if created else 200
    )


@api_view("GET", DOCUMENTS)
def document_status(request: HttpRequest, pk: int):
    document = Document.objects.select_related("invoice").defer("words").filter(pk=pk).first()
    if document is None:
        return _error(404, f"No document {pk}")
    return JsonResponse(_status(request, document))


def _status(request: HttpRequest, document: Document) -> dict:
    invoice = document.invoice
    return {
        "document_id": document.pk,
        "invoice_id": invoice.pk,
        "file": document.original_name,
        "sha256": document.sha256,
        "channel": document.channel,
        "received_at": document.received_at.isoformat(),
        "status": invoice.status,
        "status_url": request.build_absolute_uri(
            reverse("api_document_status", args=[document.pk])
        ),
        "exceptions": [
            {"code": code, "message": message}
            for code, message in invoice.open_exceptions().values_list("code", "message")
        ],
        "ocr": _ocr_progress(document),
    }


def _ocr_progress(document: Document) -> dict:
    """How far OCR has got: pages read of pages to read (both 0 for a document that needs
    no OCR), when reading started and finished (ISO 8601, or null), and the seconds left
    as estimated (Document.ocr_seconds_left; null when no page is being read or nothing
    is known yet to estimate from)."""
    return {
        "pages_read": document.pages_read,
        "pages_to_read": document.pages_to_read,
        "started_at": _isoformat(document.ocr_started_at),
        "finished_at": _isoformat(document.ocr_finished_at),
        "seconds_left": document.ocr_seconds_left(),
    }


def _isoformat(moment) -> str | None:
    return moment.isoformat() if moment else None


def bad_request(request: HttpRequest, exception=None):
    """400 for a request Django itself refuses before or while a view reads it (a multipart
    body it cannot parse, a suspicious header): JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _error(400, "The request could not be read (malformed body or headers)")
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception=None):
    """404 for a URL no view matched (or Http404): JSON under /api/, elsewhere the page
    templates/404.html inside the layout."""
    if request.path.startswith("/api/"):
        return _error(404, f"No such API resource: {request.path}")
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception=None):
    """403 for PermissionDenied: JSON under /api/, elsewhere templates/403.html inside the
    layout, with the refusal's own sentence when it has one."""
    if request.path.startswith("/api/"):
        return _error(403, str(exception or "") or "Not allowed")
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest):
    """500: JSON under /api/, elsewhere templates/500.html (standalone: rendered with no
    context, so it shows even when the database is what failed)."""
    if request.path.startswith("/api/"):
        return _error(500, "Something went wrong on our side; it is logged")
    return defaults.server_error(request)
