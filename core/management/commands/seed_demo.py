from django.core.management.base import BaseCommand

from core import demo


class Command(BaseCommand):
    help = "Create the demo company (vendors, POs, receipts, one user per role) and its inbox."

    def handle(self, *args, **options):
        demo.seed_master_data()
        paths = demo.write_inbox()
        self.stdout.write(f"Demo company ready; {len(paths)} files in {demo.demo_inbox_dir()}")
