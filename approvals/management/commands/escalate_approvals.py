"""One pass of reminders and escalations (what the django-q2 schedule runs every 15 min)."""

from django.core.management.base import BaseCommand

from approvals import escalation


class Command(BaseCommand):
    help = "Remind approvers of approvals coming due, and escalate those past their SLA."

    def handle(self, *args, **options):
        done = escalation.run()
        self.stdout.write(
            f"{len(done.reminded)} reminded, {len(done.escalated)} escalated"
            + (f" (invoices {', '.join(map(str, done.escalated))})" if done.escalated else "")
        )
