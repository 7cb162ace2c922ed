"""Administrator-edited corrections to the statutory calendar and the State Council's yearly
holiday notices (see fengqiao.workcalendar.calendar)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class HolidayNotice(models.Model):
    """The State Council's notice of one year's holidays and make-up workdays (国务院办公厅关于
    某年部分节假日安排的通知), loaded by an administrator. Its days are CalendarOverride rows that
    point to it. A year with neither a notice nor chinese-calendar data is provisional: its
    statutory holidays are derived from the law's fixed and lunar dates."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(1900), MaxValueValidator(2099)]
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    loaded_at = models.DateTimeField(_("loaded"), auto_now=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("holiday notice")
        verbose_name_plural = _("holiday notices")

    def __str__(self) -> str:
        return self.title or str(self.year)


class CalendarOverride(models.Model):
    """One date declared a workday or a day off, whatever chinese-calendar says.

    Either a day of a loaded HolidayNotice (a holiday or a make-up workday), or a correction or
    local day off an administrator adds by hand (no notice).
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("is a workday"), help_text=_("Ticked: a working day. Unticked: a day off.")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("For example: National Day."))
    note = models.TextField(_("note"), blank=True)
    notice = models.ForeignKey(
        HolidayNotice,
        verbose_name=_("holiday notice"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="days",
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"
