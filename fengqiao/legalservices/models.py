"""Public legal services (公共法律服务, SCENARIOS S7): the three-level network (district centre,
street stations, community/village rooms) with its lawyers (法律顾问) and duty hours, the
residents' questions (法律咨询), their answers, follow-ups and ratings, and the referrals to legal
aid (法律援助) or to people's mediation. Topics and legal-aid case types are data."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.models import TimelineEntry
from fengqiao.territory.models import Region


class Level(models.TextChoices):
    CENTRE = "centre", _("district public legal service centre")
    STATION = "station", _("street public legal service station")
    ROOM = "room", _("community legal service room")


# The level one up: a room's question escalates to the station, the station's to the centre.
LEVEL_RANK = {Level.ROOM: 0, Level.STATION: 1, Level.CENTRE: 2}


class ServicePoint(models.Model):
    """One place of the network, tied to its region (centre: district, station: street,
    room: community or village). `staff` are the accounts that work there besides its lawyers."""

    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="legal_points"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("next level up"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    duty_hours = models.CharField(_("duty hours"), max_length=200, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), blank=True, related_name="legal_points"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("legal service point")
        verbose_name_plural = _("legal service points")
        ordering = ["region__path", "level"]
        constraints = [
            models.UniqueConstraint(fields=["region", "level"], name="legal_point_region_level")
        ]

    def __str__(self) -> str:
        return self.name


class Lawyer(models.Model):
    """A legal adviser (法律顾问) on duty at a point; `user` is their staff account."""

    point = models.ForeignKey(
        ServicePoint, verbose_name=_("service point"), on_delete=models.PROTECT,
        related_name="lawyers",
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=50)
    firm = models.CharField(_("law firm"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="legal_lawyers",
    )  # fmt: skip
    duty_hours = models.CharField(_("duty hours"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("legal adviser")
        verbose_name_plural = _("legal advisers")
        ordering = ["point", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.firm}）" if self.firm else self.name


class Topic(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sort = models.PositiveIntegerField(_("sort order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consultation topic")
        verbose_name_plural = _("consultation topics")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class AidCaseType(models.Model):
    """A matter for which legal aid may be applied for (法律援助法 art. 31); `no_means_test`:
    the applicant's economic hardship is not examined (art. 32)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    no_means_test = models.BooleanField(_("no economic test"), default=False)
    sort = models.PositiveIntegerField(_("sort order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("legal aid case type")
        verbose_name_plural = _("legal aid case types")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class QuestionState(models.TextChoices):
    OPEN = "open", pgettext_lazy("legal question", "awaiting an answer")
    ANSWERED = "answered", pgettext_lazy("legal question", "answered")
    FOLLOW_UP = "follow_up", pgettext_lazy("legal question", "follow-up awaiting an answer")
    CLOSED = "closed", pgettext_lazy("legal question", "rated and closed")
    REFERRED = "referred", pgettext_lazy("legal question", "referred")


WAITING = (QuestionState.OPEN, QuestionState.FOLLOW_UP)


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Question(models.Model):
    """A resident's legal question, held by one point (routed, then escalated)."""

    number = models.CharField(_("tracking code"), max_length=20, unique=True)
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.PROTECT)
    community = models.ForeignKey(
        Region, verbose_name=_("community / village"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    text = models.TextField(_("question"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    point = models.ForeignKey(
        ServicePoint, verbose_name=_("held by"), on_delete=models.PROTECT, related_name="questions"
    )
    first_point = models.ForeignKey(
        ServicePoint, verbose_name=_("routed to"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=QuestionState.choices, default=QuestionState.OPEN
    )
    asked_at = models.DateTimeField(_("asked"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    first_answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        Lawyer, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="answered",
    )  # fmt: skip
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("legal consultation")
        verbose_name_plural = _("legal consultations")
        ordering = ["-asked_at", "-id"]
        indexes = [models.Index(fields=["state", "due_at"], name="legal_q_state_due")]

    def __str__(self) -> str:
        return self.number


class MessageKind(models.TextChoices):
    ANSWER = "answer", _("answer")
    FOLLOW_UP = "follow_up", _("follow-up question")
    NOTE = "note", _("internal note")


class Message(models.Model):
    """An answer, a resident's follow-up or a staff's internal note (never shown publicly)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    text = models.TextField(_("text"))
    lawyer = models.ForeignKey(
        Lawyer, verbose_name=_("legal adviser"), null=True, blank=True, on_delete=models.PROTECT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id} {self.kind}"


class ReferralKind(models.TextChoices):
    LEGAL_AID = "legal_aid", _("legal aid")
    MEDIATION = "mediation", _("people's mediation")


class Referral(models.Model):
    """A question handed on: to legal aid (with the eligibility answers of the legal-aid law)
    or to people's mediation (with the dispute case, and the mediation when registered)."""

    question = models.OneToOneField(Question, on_delete=models.PROTECT, related_name="referral")
    kind = models.CharField(_("referred to"), max_length=10, choices=ReferralKind.choices)
    economic_hardship = models.BooleanField(_("economic hardship"), null=True, blank=True)
    case_type = models.ForeignKey(
        AidCaseType, verbose_name=_("legal aid case type"), null=True, blank=True,
        on_delete=models.PROTECT,
    )  # fmt: skip
    note = models.TextField(_("internal note"), blank=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("dispute"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    mediation = models.ForeignKey(
        "mediation.Mediation", verbose_name=_("mediation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"{self.question_id} → {self.get_kind_display()}"

    @property
    def likely_eligible(self) -> bool | None:
        """The legal-aid law's two tests as recorded: a listed case type, and economic hardship
        unless the type needs no economic test."""
        if self.kind != ReferralKind.LEGAL_AID or self.case_type is None:
            return None
        return bool(self.case_type.no_means_test or self.economic_hardship)


class QuestionEvent(TimelineEntry):
    """One entry of a question's history. Append-only, one hash chain per question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = _("question event")
        verbose_name_plural = _("question events")
        ordering = ["question", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "chain_seq"], name="legal_q_event_chain_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id} {self.action}"
