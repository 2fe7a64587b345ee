"""Approval policies as data, the approval route each invoice takes, the decisions given
on it, out-of-office delegation and reporting lines (for escalation)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from approvals import policy
from core import roles
from core.models import Invoice, Vendor
from core.money import MONEY


def _codes(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


class ApprovalRule(models.Model):
    """One rule of the approval policy. Rules are tried in priority order (lowest first);
    the first whose conditions all hold gives the approval chain. Empty conditions match
    anything. Exactly one rule is the default, used when no other applies (its conditions
    are ignored). Each change raises the version; every route and decision records the
    version it used, and the history keeps every version."""

    name = models.CharField(max_length=120)
    priority = models.PositiveIntegerField(default=100, help_text="Lower is tried first")
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False, help_text="Used when no other rule applies; its conditions are ignored"
    )
    min_amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Total in the company currency, at least"
    )
    max_amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Total in the company currency, under"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, null=True, blank=True)
    cost_centers = models.CharField(max_length=300, blank=True, help_text="Comma separated")
    departments = models.CharField(max_length=300, blank=True, help_text="Comma separated")
    categories = models.CharField(
        max_length=300, blank=True, help_text="Item categories, comma separated"
    )
    exception_codes = models.CharField(
        max_length=300,
        blank=True,
        help_text="Applies when the invoice raised any of these (e.g. PRICE_VARIANCE)",
    )
    accepted_variance = models.BooleanField(
        default=False, help_text="Applies only when a clerk accepted a variance"
    )
    always_human = models.BooleanField(
        default=False, help_text="Invoices under this rule never go straight through"
    )
    chain = models.JSONField(
        default=list,
        help_text='Levels in order, e.g. [{"approvers": ["role:approver"], "mode": "any", '
        '"sla_hours": 24, "escalate_to": "manager"}, {"approvers": ["user:cfo"]}]. '
        'approvers: "role:NAME", "group:NAME" or "user:USERNAME"; mode: "any" (count '
        'people, default 1) or "all"; escalate_to: "manager" or "next" (level).',
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_default", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_rule"
            )
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def save(self, *args, **kwargs):
        if self.pk:
            self.version += 1
        self.updated_at = timezone.now()
        super().save(*args, **kwargs)

    def clean(self):
        try:
            policy.parse_chain(self.chain)
        except policy.PolicyError as exc:
            raise ValidationError({"chain": str(exc)}) from exc
        if (
            self.min_amount is not None
            and self.max_amount is not None
            and self.min_amount >= self.max_amount
        ):
            raise ValidationError({"max_amount": "The upper bound is above the lower one."})

    def facts(self) -> policy.Rule:
        return policy.Rule(
            id=self.pk,
            name=self.name,
            version=self.version,
            levels=policy.parse_chain(self.chain),
            min_amount=self.min_amount,
            max_amount=self.max_amount,
            vendor_id=self.vendor_id,
            cost_centers=_codes(self.cost_centers),
            departments=_codes(self.departments),
            categories=_codes(self.categories),
            exception_codes=_codes(self.exception_codes),
            accepted_variance=self.accepted_variance,
            always_human=self.always_human,
        )


class ApprovalRoute(models.Model):
    """The approval an invoice is waiting for: the rule and version that chose it, its
    levels with the people resolved when it started, and where it stands.

    `levels` is a snapshot: [{...Level.as_dict(), "eligible": [usernames],
    "added": [{"user": username, "for": username or None, "why": text}]}]; escalation
    adds people to a level, never removes anyone.
    """

    class State(models.TextChoices):
        OPEN = "open"
        APPROVED = "approved"
        REJECTED = "rejected"
        CLOSED = "closed", "closed (the invoice moved on otherwise)"

    class Kind(models.TextChoices):
        CHAIN = "chain", "approval chain"
        PROPOSE = "propose", "proposal for a clerk to confirm"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="approval_routes")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHAIN)
    rule = models.ForeignKey(ApprovalRule, on_delete=models.SET_NULL, null=True, blank=True)
    rule_name = models.CharField(max_length=120)
    rule_version = models.PositiveIntegerField()
    reason = models.TextField()
    levels = models.JSONField(default=list)
    level = models.PositiveSmallIntegerField(default=0, help_text="The level deciding now")
    level_started_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(state="open"), name="one_open_route_per_invoice"
            )
        ]
        indexes = [models.Index(fields=["state", "level_started_at"], name="route_open_by_age")]

    def __str__(self):
        return f"{self.get_kind_display()} for invoice {self.invoice_id} ({self.state})"

    @property
    def current(self) -> dict | None:
        return self.levels[self.level] if self.state == self.State.OPEN else None

    @property
    def policy_label(self) -> str:
        return f"{self.rule_name} (v{self.rule_version})"


class Approval(models.Model):
    """One person's decision on an invoice, at one level of its route, with the policy
    version it was given under. A delegate's decision names whom they stood in for."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "approved"
        REJECT = "reject", "rejected"

    class Capacity(models.TextChoices):
        SELF = "self", "in person"
        DELEGATE = "delegate", "as out-of-office delegate"
        ESCALATION = "escalation", "after escalation"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="approvals")
    route = models.ForeignKey(
        ApprovalRoute, on_delete=models.CASCADE, null=True, related_name="decisions"
    )
    level = models.PositiveSmallIntegerField(default=0)
    decision = models.CharField(max_length=8, choices=Decision.choices, default="approve")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals_by_others",
    )
    capacity = models.CharField(max_length=12, choices=Capacity.choices, default="self")
    rule_name = models.CharField(max_length=120, blank=True)
    rule_version = models.PositiveIntegerField(null=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Nobody decides twice on one route: two levels are two different people.
            models.UniqueConstraint(fields=["route", "user"], name="one_decision_per_person")
        ]

    def __str__(self):
        return self.sentence

    @property
    def sentence(self) -> str:
        text = f"{self.get_decision_display().capitalize()} by {self.user.get_username()}"
        if self.on_behalf_of_id and self.capacity == self.Capacity.DELEGATE:
            text += f" on behalf of {self.on_behalf_of.get_username()}"
        elif self.on_behalf_of_id:
            text += f" (escalated from {self.on_behalf_of.get_username()})"
        return text


class ApprovalLink(models.Model):
    """An approve or reject link mailed to one approver for one level of an invoice's
    route (approvals.email_links). The link carries a random token (secrets.token_urlsafe,
    256 bits); only its SHA-256 hash is kept here, so the table cannot be turned back into
    links. A link works until `expires_at`, once (`used_at`), while its level is deciding
    and the invoice is as it was when mailed (`invoice_version`)."""

    class Action(models.TextChoices):
        APPROVE = "approve"
        REJECT = "reject"

    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256, hex")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    route = models.ForeignKey(ApprovalRoute, on_delete=models.CASCADE, related_name="links")
    level = models.PositiveSmallIntegerField(help_text="The route level it was mailed for")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    invoice_version = models.PositiveBigIntegerField(help_text="Invoice.version when mailed")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.action} link for invoice {self.invoice_id} to {self.approver_id}"


class DelegationQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Delegation(models.Model):
    """Out of office: from `starts_on` to `ends_on` (inclusive) `delegate` decides what
    waits for `principal`, and each decision says on whose behalf."""

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_taken"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()
    objects = DelegationQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(delegate=models.F("principal")), name="delegation_to_someone_else"
            ),
        ]

    def __str__(self):
        return (
            f"{self.delegate} for {self.principal}, "
            f"{self.starts_on:%Y-%m-%d} to {self.ends_on:%Y-%m-%d}"
        )

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The last day is on or after the first."})
        if self.principal_id and self.principal_id == self.delegate_id:
            raise ValidationError({"delegate": "A delegate is someone else."})
        # Whoever decides for an approver must hold the approve permission themselves
        # (issue 16: a compliance user made delegate approved "on behalf of" one).
        for name in ("principal", "delegate"):
            person_id = getattr(self, f"{name}_id")
            if person_id and not roles.approvers().filter(pk=person_id).exists():
                raise ValidationError(
                    {name: "Only people who may approve invoices delegate or stand in."}
                )


class ReportingLine(models.Model):
    """Whom a person reports to: where an approval goes when its SLA passes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reporting_line"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    history = HistoricalRecords()

    def __str__(self):
        return f"{self.user} reports to {self.manager}"

    def clean(self):
        if self.user_id and self.user_id == self.manager_id:
            raise ValidationError({"manager": "A manager is someone else."})
