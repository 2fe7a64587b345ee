"""`manage.py create_api_token NAME [--scope SCOPE ...]`: a token for another system.

Prints the secret once; only its hash is stored, so a lost token is revoked (in the admin)
and a new one made.
"""

from django.core.management.base import BaseCommand, CommandError

from core.api import DOCUMENTS
from core.erp.api import MASTERDATA, PAYMENTS
from core.models import ApiToken

SCOPES = (DOCUMENTS, MASTERDATA, PAYMENTS)


class Command(BaseCommand):
    help = "Create an API token and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses it, e.g. 'erp-prod' or 'scanner-gateway'")
        parser.add_argument(
            "--scope",
            action="append",
            choices=SCOPES,
            help=f"What it may do (repeatable; default: {DOCUMENTS})",
        )

    def handle(self, *args, name, scope, **options):
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"A token named {name!r} exists; revoke it in the admin first")
        _, secret = ApiToken.issue(name, scope or [DOCUMENTS])
        self.stdout.write(secret)
