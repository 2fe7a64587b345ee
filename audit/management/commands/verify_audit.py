"""`manage.py verify_audit`: check the whole hash chain of the audit log; name the first
altered, inserted or deleted event. Exit status 1 when the chain is broken."""

from django.core.management.base import BaseCommand, CommandError

from audit.chain import check_and_record


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first bad event."

    def handle(self, *args, **options):
        report = check_and_record()
        if not report.ok:
            raise CommandError(report.sentence)
        self.stdout.write(report.sentence)
