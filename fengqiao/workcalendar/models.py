"""Administrator-edited corrections to the statutory calendar (see fengqiao.workcalendar.calendar)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """One date declared a workday or a day off, whatever chinese-calendar says.

    Used for years the library has no data for yet (the State Council publishes each year's
    arrangement in the preceding November/December), for corrections, and for local days off.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("is a workday"), help_text=_("Ticked: a working day. Unticked: a day off.")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("For example: National Day."))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"
