"""Cross-domain records: the audit trail of changes, the log of sensitive reads, the timeline
base, and the hash chains' anchors (fengqiao.core.chain)."""

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Chained(models.Model):
    """A row of a hash chain: its place in the chain, the hash of the row before, its own hash
    (over its content, place and the previous hash). Sealed when inserted (core/chain.py)."""

    chain_seq = models.PositiveBigIntegerField(_("chain position"), null=True, editable=False)
    chain_prev = models.CharField(_("previous hash"), max_length=80, blank=True, editable=False)
    chain_hash = models.CharField(_("hash"), max_length=80, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or self.chain_seq is not None:
            super().save(*args, **kwargs)
            return
        from fengqiao.core import chain

        # The seal (chain head, this row, the anchor) commits or rolls back as one.
        with transaction.atomic(savepoint=False):
            chain.seal([self])
            super().save(*args, **kwargs)


class ChainAnchor(models.Model):
    """Append-only record of chain heads, written in the transaction that appends the rows: the
    position and hash of a chain's last row. `fengqiao audit verify` compares each chain's last
    row with its newest anchor, so rows deleted from a chain's end are seen too."""

    class Event(models.TextChoices):
        APPEND = "append", _("appended")
        PURGE = "purge", _("purged after retention")

    chain = models.CharField(_("chain"), max_length=64)
    seq = models.PositiveBigIntegerField(_("position"))
    hash = models.CharField(_("hash"), max_length=80)
    event = models.CharField(_("event"), max_length=8, choices=Event.choices, default="append")
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("chain anchor")
        verbose_name_plural = _("chain anchors")
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="chain_anchor_seq")]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"


class AuditEntry(Chained):
    """One change to reference or business data: who, when, what changed from what.

    Append-only: nothing in the platform updates or deletes these rows (on PostgreSQL a trigger
    refuses it); chained per day and shard (`chain`).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        IMPORT = "import", _("Imported")

    # Set when the row is built (not on insert), so its hash covers the stored time.
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        # Never SET_NULL: that would edit a sealed row. Deactivate accounts instead.
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # {"field": [old, new], ...}; for imports a summary such as {"rows": [null, 42]}.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    chain = models.CharField(_("chain"), max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_entry_chain_seq")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"


class SensitiveAccess(Chained):
    """A read of sensitive personal information (PIPL art. 28): who read which field of what."""

    # Set when the row is built (not on insert), so its hash covers the stored time.
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    field = models.CharField(_("field"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    chain = models.CharField(_("chain"), max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("sensitive data access")
        verbose_name_plural = _("sensitive data access log")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "chain_seq"], name="sensitive_access_chain_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.object_type}#{self.object_id}.{self.field}"


class TimelineEntry(Chained):
    """Base of the append-only timelines (case history, mediation events): who did what, when,
    from which state to which. Rows are never updated or deleted; each timeline is a hash chain."""

    at = models.DateTimeField(_("time"), default=timezone.now)
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
