"""Staff accounts and the roles they hold over a scope."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.roles import Role
from fengqiao.core.validators import validate_phone
from fengqiao.org.models import Unit
from fengqiao.territory.models import Grid, Region


class User(AbstractUser):
    """A staff account. `name` is the person's full name as written in Chinese."""

    name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set for accounts an administrator creates: they choose their own first."),
    )

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    def get_full_name(self) -> str:
        return self.name or super().get_full_name() or self.username

    def __str__(self) -> str:
        return self.name or self.username


class ScopeType(models.TextChoices):
    REGION = "region", _("region subtree")
    GRIDS = "grids", _("set of grids")
    UNIT = "unit", _("unit")


class RoleAssignment(models.Model):
    """A role held by a user over one scope: a region subtree, a set of grids, or a unit."""

    user = models.ForeignKey(
        User, verbose_name=_("account"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    scope_type = models.CharField(_("scope"), max_length=8, choices=ScopeType.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT
    )
    grids = models.ManyToManyField(Grid, verbose_name=_("grids"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        target = self.region or self.unit or _("grids")
        return f"{self.user} · {self.get_role_display()} · {target}"

    def clean(self) -> None:
        if self.scope_type == ScopeType.REGION and (not self.region_id or self.unit_id):
            raise ValidationError({"region": _("A region scope names one region and no unit.")})
        if self.scope_type == ScopeType.UNIT and (not self.unit_id or self.region_id):
            raise ValidationError({"unit": _("A unit scope names one unit and no region.")})
        if self.scope_type == ScopeType.GRIDS and (self.unit_id or self.region_id):
            raise ValidationError({"scope_type": _("A grid scope names grids only.")})
