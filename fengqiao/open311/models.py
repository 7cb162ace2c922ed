"""Open311 GeoReport v2: client keys, per-category service definitions, and what a request
brought that a case has no field for.

- `Open311Client`: an API key for one Open311 client (a resident app, a 12345 hotline bridge).
  Only the SHA-256 of the key is stored. Reports of a client are recorded with its channel; a
  client without an account reports as the public does (the channel must be open to the
  public), a client with an account reports as that staff account (its roles decide).
- `ServiceInfo` / `ServiceAttribute` / `AttributeValue`: the description, keywords and notice of
  a service (a public category) and the extra questions ("attributes") clients must ask.
- `Open311Request`: the link from a case to the client that submitted it, with the attribute
  answers, media URL and address id.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Case, Category, Channel


class Open311Client(models.Model):
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=9, db_index=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The channel recorded on the cases this client reports."),
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reports as account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "Empty: reports are public reports (the channel must be open to the public and a "
            "phone number is required). Set: reports are registered as this staff account."
        ),
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
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ServiceInfo(models.Model):
    """What Open311 shows about a service beyond the category's name."""

    category = models.OneToOneField(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_info",
    )
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=200, blank=True, help_text=_("Comma-separated.")
    )
    notice = models.TextField(
        _("service notice"),
        blank=True,
        help_text=_("What happens next, told to the reporter when a request is submitted."),
    )

    class Meta:
        verbose_name = _("Open311 service description")
        verbose_name_plural = _("Open311 service descriptions")
        ordering = ["category__sort", "category__code"]

    def __str__(self) -> str:
        return str(self.category)


class Datatype(models.TextChoices):
    STRING = "string", _("text on one line")
    NUMBER = "number", _("number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("text (several lines)")
    SINGLE = "singlevaluelist", _("one choice from a list")
    MULTI = "multivaluelist", _("several choices from a list")


LIST_DATATYPES = frozenset({Datatype.SINGLE, Datatype.MULTI})


class ServiceAttribute(models.Model):
    """One extra question of a service (Open311 "attribute")."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.SlugField(_("code"), max_length=40)
    variable = models.BooleanField(
        _("asks for input"),
        default=True,
        help_text=_("Off: the attribute only shows its description to the user."),
    )
    datatype = models.CharField(_("datatype"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    description = models.CharField(_("question"), max_length=500)
    datatype_description = models.CharField(_("input hint"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("Open311 attribute")
        verbose_name_plural = _("Open311 attributes")
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code"),
            models.CheckConstraint(condition=models.Q(order__gte=1), name="open311_order_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"


class AttributeValue(models.Model):
    """One option of a list attribute."""

    attribute = models.ForeignKey(
        ServiceAttribute,
        verbose_name=_("attribute"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    key = models.CharField(_("key"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    sort = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["attribute", "sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "key"], name="open311_value_key")
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.name}"


class Open311Request(models.Model):
    """A case submitted through Open311, and what the request carried beyond the case fields."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311"
    )
    client = models.ForeignKey(
        Open311Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="+"
    )
    attributes = models.JSONField(_("attribute answers"), default=dict, blank=True)
    address_id = models.CharField(_("address id"), max_length=100, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    # Kept for handling abuse; never shown by the API.
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("client account id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.case_id)
