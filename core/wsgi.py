"""The WSGI application, for gunicorn (`gunicorn core.wsgi`) and Django's runserver.

A WSGI server runs no system checks, so the refusal of development defaults outside
development (core.checks) is made here, before the first request is served.
"""

import os

from django.core.wsgi import get_wsgi_application

from core.checks import refuse_development_defaults

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
application = get_wsgi_application()
refuse_development_defaults()
