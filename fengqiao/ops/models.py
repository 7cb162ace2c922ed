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
