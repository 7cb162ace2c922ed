"""Operations: the leases of running background tasks."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskLease(models.Model):
    """A running task of the database queue held by one worker until `expires_at`.

    The worker renews it while the task runs (fengqiao.ops.leases); a lease that expired means
    the worker died, and the task goes back into the queue.
    """

    task_id = models.UUIDField(_("task"), primary_key=True)
    worker_id = models.CharField(_("worker"), max_length=64)
    taken_at = models.DateTimeField(_("taken"))
    renewed_at = models.DateTimeField(_("renewed"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("task lease")
        verbose_name_plural = _("task leases")

    def __str__(self) -> str:
        return f"{self.task_id} @ {self.worker_id} until {self.expires_at:%H:%M:%S}"


class DeadLetter(models.Model):
    """Work given up after its last retry (a notification a provider kept refusing): kept for
    administrators to read and replay (the task is enqueued again with fresh attempts)."""

    kind = models.CharField(_("kind"), max_length=16)
    task_path = models.CharField(_("task"), max_length=200)
    # Keyword arguments of the task; a replay enqueues it with these again.
    arguments = models.JSONField(_("arguments"), default=dict)
    error = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("given up"), auto_now_add=True, db_index=True)
    replayed_at = models.DateTimeField(_("replayed"), null=True, blank=True)
    replayed_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("replayed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
