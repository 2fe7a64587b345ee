"""`manage.py poll_mailboxes`: one pass over every AP mailbox (the admin's and IMAP_URL).

Prints a line per mailbox; exits 1 if any mailbox could not be polled.
"""

from django.core.management.base import BaseCommand

from extraction.channels.mailbox import poll_all


class Command(BaseCommand):
    help = "Take the invoice attachments of new messages in every configured AP mailbox."

    def handle(self, *args, **options):
        results = poll_all()
        if not results:
            self.stdout.write("No mailbox is configured (admin: Mailboxes, or IMAP_URL).")
        for result in results:
            line = (
                f"{result.mailbox}: {result.messages} new message(s), {result.documents} "
                f"document(s), {result.needs_attention} need attention, "
                f"{result.already_taken} already taken"
            )
            line += "".join(f"; {too_large}" for too_large in result.left_in_mailbox)
            self.stdout.write(line + (f"; ERROR {result.error}" if result.error else ""))
        if any(result.error for result in results):
            raise SystemExit(1)
