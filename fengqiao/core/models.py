"""Cross-domain records: the audit trail of reference-data changes and the log of sensitive reads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One change to reference or business data: who, when, what changed from what.

    Append-only: nothing in the platform updates or deletes these rows.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        IMPORT = "import", _("Imported")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # {"field": [old, new], ...}; for imports a summary such as {"rows": [null, 42]}.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"


class SensitiveAccess(models.Model):
    """A read of sensitive personal information (PIPL art. 28): who read which field of what."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    field = models.CharField(_("field"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("sensitive data access")
        verbose_name_plural = _("sensitive data access log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.object_type}#{self.object_id}.{self.field}"


class TimelineEntry(models.Model):
    """Base of the append-only timelines (case history, mediation events): who did what, when,
    from which state to which. Rows are never updated or deleted."""

    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        abstract = True


class RefDataState(models.Model):
    """One row whose generation changes (to a new random number) on every change of reference
    data (fengqiao.core.refdata), so every process can see its snapshots are stale."""

    generation = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"reference data generation {self.generation}"


class FormToken(models.Model):
    """A one-time token in a form that creates something (fengqiao.core.formtokens): the first
    successful submit consumes it and records where its result is; a repeated submit is sent
    there instead of creating a second one."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    purpose = models.CharField(_("form"), max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    consumed_at = models.DateTimeField(_("consumed at"), null=True, blank=True)
    result_url = models.CharField(_("result"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("form token")
        verbose_name_plural = _("form tokens")

    def __str__(self) -> str:
        return f"{self.purpose} {self.token[:8]}…"
