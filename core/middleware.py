"""Fitting into the intranet: an embed layout for an iframe or portal page, and single
sign-on by the intranet proxy's REMOTE_USER.

Embedding: `/embed/` (or any page with `?embed=1`) switches this session to the embed
layout (minimal chrome); its responses may be framed by EMBED_FRAME_ANCESTORS (a CSP
`frame-ancestors` value) instead of being refused by X-Frame-Options. `?embed=0` switches
back. Other pages keep X-Frame-Options.

Single sign-on (off unless REMOTE_USER_HEADER is set): the proxy in front of the app
authenticates the user and passes the user name in that header; a user who exists here is
signed in, with the roles their groups give. Unknown names are not created. Only turn it
on behind a proxy that strips the header from clients' requests.
"""

from django.conf import settings
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware


class EmbedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wanted = request.GET.get("embed")
        if wanted in ("0", "1") and hasattr(request, "session"):
            request.session["embed"] = wanted == "1"
        request.embed = bool(getattr(request, "session", {}).get("embed"))
        response = self.get_response(request)
        if request.embed:
            response.xframe_options_exempt = True  # XFrameOptionsMiddleware leaves it be
            response["Content-Security-Policy"] = (
                f"frame-ancestors {settings.EMBED_FRAME_ANCESTORS}"
            )
        return response


class ProxyRemoteUserMiddleware(PersistentRemoteUserMiddleware):
    """REMOTE_USER from the header the settings name (a proxy sets HTTP_X_REMOTE_USER for
    an `X-Remote-User` header); the session persists when later requests lack it."""

    @property
    def header(self):
        return settings.REMOTE_USER_HEADER


class KnownRemoteUserBackend(RemoteUserBackend):
    create_unknown_user = False
