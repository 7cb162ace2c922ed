"""API tokens (stored hashed) and the records that make retried writes idempotent."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A per-user API credential. Only the SHA-256 of the secret is kept; its first 8 chars are
    kept in the clear so that people can tell their tokens apart."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(
        _("read-only"), default=False, help_text=_("A read-only token may only read (GET).")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(
        _("last used from"), null=True, blank=True, editable=False
    )
    # Set from API_TOKEN_EXPIRY_DAYS when issued; null: never expires.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        label = self.name or self.prefix
        return f"{self.user} · {label} ({self.prefix}…)"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an `Idempotency-Key` (see fengqiao.api.idempotency).

    The row is created, and committed, before the request runs: its unique constraint is the lock
    that makes a concurrent duplicate fail with 409.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("answered")

    # "token:<id>" or "user:<id>": whose key space this key belongs to.
    owner = models.CharField(_("caller"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("HTTP method"), max_length=10)
    path = models.CharField(_("path"), max_length=2000)
    body_hash = models.CharField(_("request body hash"), max_length=64)
    state = models.CharField(_("state"), max_length=8, choices=State.choices)
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True)
    content_type = models.CharField(_("response content type"), max_length=200, blank=True)
    location = models.CharField(_("Location header"), max_length=2000, blank=True)
    body = models.BinaryField(_("response body"), default=b"")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    # The process running the request ("host boot-id pid start-time", see
    # fengqiao.api.runners): a retry that finds it dead takes the key over at once.
    runner = models.CharField(_("running process"), max_length=200, blank=True, default="")
    # Renewed by the running process while the request runs (fengqiao.api.runners): an owner
    # on another host whose heartbeat stopped is dead.
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="api_idempotency_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.method} {self.path} [{self.key}]"
