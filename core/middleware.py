"""Fitting into the intranet: an embed layout for an iframe or portal page, and single
sign-on by the intranet proxy's REMOTE_USER.

Embedding: `/embed/` (or any page with `?embed=1`) switches this session to the embed
layout (minimal chrome). Only the screens that have that layout (EMBED_SCREENS) may then be
framed, by EMBED_FRAME_ANCESTORS (a CSP `frame-ancestors` value) instead of being refused
by X-Frame-Options; everything else (the Django admin, the API, files, approve links) keeps
X-Frame-Options and `frame-ancestors 'none'` whatever the session says (issue 16:
`?embed=1` once let the intranet frame /admin/). `?embed=0` switches back.

Single sign-on (off unless REMOTE_USER_HEADER is set): the proxy in front of the app
authenticates the user and passes the user name in that header; a user who exists here is
signed in, with the roles their groups give. Unknown names are not created. Only turn it
on behind a proxy that strips the header from clients' requests.
"""

from django.conf import settings
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware

# The view names of the screens drawn with the embed layout (templates/base.html), and of
# the form posts that answer with one ("admin:login", with its namespace, is not "login").
EMBED_SCREENS = frozenset(
    {
        "embed",
        "login",
        "work_queue",
        "queue_bulk",
        "invoice_list",
        "invoice_detail",
        "invoice_decide",
        "invoice_fields",
        "invoice_act",
        "upload",
        "intake",
        "mark_handled",
        "reprocess",
        "vendor_list",
        "vendor_trust",
        "out_of_office",
        "audit_home",
        "history",
        "kpi_dashboard",
        "outbox",
        "outbox_act",
    }
)


class EmbedMiddleware:
    """Keeps the session's layout choice in `request.embed`, and lets an embed screen be
    framed by EMBED_FRAME_ANCESTORS (below django-csp's CSPMiddleware, which writes the
    header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wanted = request.GET.get("embed")
        if wanted in ("0", "1") and hasattr(request, "session"):
            request.session["embed"] = wanted == "1"
        request.embed = bool(getattr(request, "session", {}).get("embed"))
        response = self.get_response(request)
        match = request.resolver_match
        if request.embed and match is not None and match.view_name in EMBED_SCREENS:
            response.xframe_options_exempt = True  # XFrameOptionsMiddleware leaves it be
            response._csp_replace = {
                "frame-ancestors": settings.EMBED_FRAME_ANCESTORS.split(),
            }
        return response


class ProxyRemoteUserMiddleware(PersistentRemoteUserMiddleware):
    """REMOTE_USER from the header the settings name (a proxy sets HTTP_X_REMOTE_USER for
    an `X-Remote-User` header); the session persists when later requests lack it."""

    @property
    def header(self):
        return settings.REMOTE_USER_HEADER


class KnownRemoteUserBackend(RemoteUserBackend):
    create_unknown_user = False
