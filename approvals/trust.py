"""The trust ladder: a vendor's automation level is earned on its measured record.

manual -> assisted -> auto. Promotion is suggested when the vendor's last
TRUST_PROMOTION_STREAK invoices since its last change of level went without a field
correction, an accepted variance, an approval over open exceptions or a failed posting;
an admin applies it, with a reason. A correction or a failed posting demotes the vendor
one step at once. Every change is an audit event with its reason and the record behind it,
and a row of the vendor's history.
"""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit import chain
from audit.models import AuditEvent
from core.models import AutomationLevel, Invoice, InvoiceException, Status, Vendor
from core.models.invoices import actor_name

LADDER = [AutomationLevel.MANUAL, AutomationLevel.ASSISTED, AutomationLevel.AUTO]
# What marks an invoice as not clean, by the audit event that records it.
BLEMISHES = {
    "invoice.fields_corrected": "field correction",
    "invoice.lines_corrected": "line correction",
    "invoice.variance_accepted": "accepted variance",
    "invoice.posting_failed": "failed posting",
}
FINISHED = (Status.APPROVED, Status.POSTED, Status.PAID, Status.REJECTED, Status.DUPLICATE)


@dataclass(frozen=True)
class TrackRecord:
    invoices: int  # received from the vendor, all time
    corrected: int  # invoices with a field or line correction
    exceptions: int  # invoices with any exception raised
    overrides: int  # invoices with an accepted variance or approved over open exceptions
    failed_postings: int
    streak: int  # clean invoices in a row, newest first, since the last change of level
    needed: int  # the streak a promotion needs
    since: object  # when the level last changed (None: never)
    last_blemish: str  # what broke the streak, in words ("" when nothing did)

    @property
    def as_dict(self) -> dict:
        return {key: str(value) if key == "since" else value for key, value in asdict(self).items()}


def track_record(vendor: Vendor) -> TrackRecord:
    invoices = Invoice.objects.filter(vendor=vendor)
    ids = list(invoices.values_list("pk", flat=True))
    marks: dict[int, str] = {}  # each invoice's first blemish, in words
    seen: dict[str, set[int]] = {action: set() for action in BLEMISHES}
    over_exceptions: set[int] = set()
    for invoice_id, action, payload in AuditEvent.objects.filter(
        invoice_id__in=ids, action__in=[*BLEMISHES, "invoice.approved"]
    ).values_list("invoice_id", "action", "payload"):
        if action in BLEMISHES:
            seen[action].add(invoice_id)
            marks.setdefault(invoice_id, BLEMISHES[action])
        elif (payload or {}).get("inputs", {}).get("overridden_exceptions"):
            over_exceptions.add(invoice_id)
            marks.setdefault(invoice_id, "approved over open exceptions")
    corrected = seen["invoice.fields_corrected"] | seen["invoice.lines_corrected"]
    overrides = seen["invoice.variance_accepted"] | over_exceptions
    failed = seen["invoice.posting_failed"]
    streak, last_blemish = 0, ""
    recent = invoices.filter(status__in=FINISHED)
    if vendor.automation_changed_at:
        recent = recent.filter(created_at__gte=vendor.automation_changed_at)
    for invoice_id in recent.order_by("-created_at", "-id").values_list("pk", flat=True):
        if invoice_id in marks:
            last_blemish = f"invoice #{invoice_id}: {marks[invoice_id]}"
            break
        streak += 1
    return TrackRecord(
        invoices=len(ids),
        corrected=len(corrected),
        exceptions=InvoiceException.objects.filter(invoice__vendor=vendor)
        .values("invoice")
        .distinct()
        .count(),
        overrides=len(overrides),
        failed_postings=len(failed),
        streak=streak,
        needed=settings.TRUST_PROMOTION_STREAK,
        since=vendor.automation_changed_at,
        last_blemish=last_blemish,
    )


def suggestion(vendor: Vendor, record: TrackRecord | None = None) -> str | None:
    """The level a promotion would move the vendor to, when its record earns it."""
    step = LADDER.index(vendor.automation_level)
    if step + 1 == len(LADDER):
        return None
    record = record or track_record(vendor)
    return LADDER[step + 1] if record.streak >= record.needed else None


def can_change_level(user) -> bool:
    return user.has_perm("core.change_automation_level")


def set_level(vendor: Vendor, level: str, *, by, reason: str) -> None:
    """An admin moves the vendor on the ladder (a promotion, usually as suggested)."""
    if not can_change_level(by):
        raise PermissionDenied("Only admins move vendors on the automation ladder.")
    if level not in AutomationLevel.values:
        raise ValidationError(f"{level} is not an automation level.")
    if not reason.strip():
        raise ValidationError("Say why the level changes: it is kept with the vendor's record.")
    record = track_record(vendor)
    suggested = suggestion(vendor, record)
    up = LADDER.index(level) > LADDER.index(vendor.automation_level)
    if up and level != suggested:
        raise ValidationError(
            f"The record does not earn {level}: {record.streak} clean invoices in a row "
            f"of the {record.needed} a step needs, one step at a time."
        )
    _change(vendor, level, actor=by, reason=reason.strip(), record=record, how="set by an admin")


def onboard(vendor: Vendor, level: str, *, actor, reason: str) -> None:
    """Set the level a vendor starts at when it arrives with a history elsewhere (the demo's
    established vendors, an ERP migration); audited like every change."""
    _change(vendor, level, actor=actor, reason=reason, record=track_record(vendor), how="onboarded")


def demote(vendor: Vendor | None, *, actor, reason: str, invoice_id: int | None = None) -> bool:
    """One step down at once (a correction, a failed posting); False when already manual
    or this invoice demoted the vendor already."""
    if vendor is None or vendor.automation_level == AutomationLevel.MANUAL:
        return False
    if (
        invoice_id is not None
        and AuditEvent.objects.filter(
            action="vendor.automation_changed", invoice_id=invoice_id
        ).exists()
    ):
        return False
    level = LADDER[LADDER.index(vendor.automation_level) - 1]
    _change(
        vendor,
        level,
        actor=actor,
        reason=reason,
        record=track_record(vendor),
        how="demoted automatically",
        invoice_id=invoice_id,
    )
    return True


def _change(vendor, level, *, actor, reason, record, how, invoice_id=None) -> None:
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        before = locked.automation_level
        if before == level:
            return
        locked.automation_level = level
        locked.automation_changed_at = timezone.now()
        locked._change_reason = f"automation {before} -> {level}: {reason}"[:100]
        locked.save(update_fields=["automation_level", "automation_changed_at"])
        chain.record(
            "vendor.automation_changed",
            actor=actor_name(actor),
            invoice_id=invoice_id,
            payload={
                "vendor_id": locked.pk,
                "vendor": locked.name,
                "from": before,
                "to": level,
                "how": how,
                "reason": reason,
                "record": record.as_dict,
            },
        )
    vendor.refresh_from_db()


def changes(vendor: Vendor):
    """The vendor's moves on the ladder, newest first (audit events)."""
    return AuditEvent.objects.filter(
        action="vendor.automation_changed", payload__vendor_id=vendor.pk
    ).order_by("-id")
