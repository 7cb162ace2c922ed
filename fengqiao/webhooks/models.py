"""Webhook subscriptions, the events produced from case history, and their deliveries.

Events come from an explicit outbox reader over CaseHistory (events.py), never from signals.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CASE_CREATED = "case.created", _("case created")
    CASE_STATE_CHANGED = "case.state_changed", _("case state changed")
    CASE_OVERDUE = "case.overdue", _("case overdue")
    CASE_CLOSED = "case.closed", _("case closed")
    CASE_REOPENED = "case.reopened", _("case reopened")
    SUPERVISION_RAISED = "supervision.raised", _("supervision card raised")
    WARNING_RAISED = "warning.raised", _("warning raised")
    WARNING_ACKNOWLEDGED = "warning.acknowledged", _("warning acknowledged")
    WARNING_CLOSED = "warning.closed", _("warning closed")


class Subscription(models.Model):
    """An endpoint that wants some event types of the cases inside one region."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # Needed in clear to sign payloads; shown to the owner once, when created.
    secret = models.CharField(_("secret"), max_length=64, editable=False)
    event_types = models.JSONField(_("event types"), default=list)
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"


class WebhookEvent(models.Model):
    """One event derived from one history row (at most one per row and type): a case history
    row for the case.* and supervision.* types, a warning's history row for warning.*."""

    type = models.CharField(_("type"), max_length=32, choices=EventType.choices)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    warning = models.ForeignKey(
        "risk.Warning",
        verbose_name=_("warning"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    history_id = models.BigIntegerField(_("history entry"))
    payload = models.JSONField(_("payload"))
    occurred_at = models.DateTimeField(_("occurred"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["history_id", "type"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.case_id or self.warning_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """One event for one subscription, with its retry schedule."""

    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(
        WebhookEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts since the last replay"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="webhook_delivery_once")
        ]

    def __str__(self) -> str:
        return str(self.uuid)


class DeliveryAttempt(models.Model):
    """The log of one POST: what came back, or what went wrong."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="log"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    response_excerpt = models.TextField(_("response (first 1 KB)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    success = models.BooleanField(_("delivered"), default=False)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error[:40]}"


class OutboxCursor(models.Model):
    """How far the event collector has read the case history (one row per name)."""

    name = models.CharField(max_length=40, unique=True)
    last_history_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_history_id}"
