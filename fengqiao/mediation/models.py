"""People's mediation (人民调解法): committees' mediators, mediations of dispute cases, their
records, agreements, performance and judicial confirmation.

State changes never happen here: they go through `fengqiao.mediation.actions`, each through the
one `transition()` of `fengqiao.mediation.workflow`. A mediation hangs off one dispute case
(fengqiao.cases) and moves the case on through the cases actions.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.cases.models import Attachment, Case, Diversion, Party
from fengqiao.core.models import TimelineEntry
from fengqiao.org.models import EmploymentType, Unit, UnitKind

COMMITTEE = {"kind": UnitKind.MEDIATION_COMMITTEE}
# Art. 33: both parties may apply for judicial confirmation within 30 days of the agreement
# taking effect (calendar days: a statutory period, not working days).
CONFIRMATION_DAYS = 30


class Specialty(models.Model):
    """What a mediator is good at (婚姻家庭, 邻里, 劳动 …): reference data for administrators."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=30)
    # Case category codes this specialty fits (the category and everything below it).
    category_codes = models.JSONField(_("case category codes"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("mediation specialty")
        verbose_name_plural = _("mediation specialties")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class CommitteeSetting(models.Model):
    """Per-committee settings: the document number prefix and the time limit."""

    committee = models.OneToOneField(
        Unit,
        verbose_name=_("mediation committee"),
        on_delete=models.CASCADE,
        related_name="mediation_setting",
        limit_choices_to=COMMITTEE,
    )
    doc_prefix = models.CharField(
        _("document number prefix"),
        max_length=10,
        blank=True,
        help_text=_("For example 桃西 gives 桃西调字〔2026〕第0001号."),
    )
    # "A dispute is normally settled within one month" (2002 rules), counted on the calendar of
    # working days so holidays do not eat the month.
    time_limit_working_days = models.PositiveIntegerField(
        _("time limit (working days)"), default=22
    )

    class Meta:
        verbose_name = _("committee setting")
        verbose_name_plural = _("committee settings")

    def __str__(self) -> str:
        return str(self.committee)


class MediatorPost(models.TextChoices):
    """A committee's members (委员, 3 to 9 of them, art. 8) are mediators; hired full-time
    mediators and volunteers mediate for the committee without being members."""

    MEMBER = "member", _("committee member")
    HIRED = "hired", _("hired full-time mediator")
    VOLUNTEER = "volunteer", _("volunteer mediator")


class Mediator(models.Model):
    """A mediator of a mediation committee (or one of its groups): a member or not (`post`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="mediator_posts",
    )
    committee = models.ForeignKey(
        Unit,
        verbose_name=_("mediation committee"),
        on_delete=models.PROTECT,
        related_name="mediators",
        limit_choices_to=COMMITTEE,
    )
    employment_type = models.CharField(
        _("employment type"), max_length=16, choices=EmploymentType.choices
    )
    post = models.CharField(
        _("post"), max_length=12, choices=MediatorPost.choices, default=MediatorPost.MEMBER
    )
    specialties = models.ManyToManyField(
        Specialty, verbose_name=_("specialties"), blank=True, related_name="mediators"
    )
    id_number = models.CharField(_("ID number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        ordering = ["committee", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "committee"],
                condition=models.Q(active=True),
                name="mediator_once_per_committee",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def is_member(self) -> bool:
        return self.post == MediatorPost.MEMBER

    @property
    def territory(self):
        """A mediator works in the region of their committee."""
        return self.committee.region


class ConflictDeclaration(models.Model):
    """Someone a mediator declared being related to: never assigned to their disputes."""

    mediator = models.ForeignKey(
        Mediator, verbose_name=_("mediator"), on_delete=models.CASCADE, related_name="conflicts"
    )
    name = models.CharField(_("name"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=40, blank=True)
    relation = models.CharField(_("relation"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("conflict declaration")
        verbose_name_plural = _("conflict declarations")

    def __str__(self) -> str:
        return f"{self.mediator}: {self.name}"


class DocumentCounter(models.Model):
    """The last document number used per committee and year; locked while allocating."""

    committee = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["committee", "year"], name="mediation_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.committee_id}-{self.year}: {self.last}"


class StartMode(models.TextChoices):
    APPLICATION = "application", _("application by a party")
    INITIATIVE = "initiative", _("committee's own initiative")
    REFERRAL = "referral", _("handed over")


class ReferralSource(models.TextChoices):
    NONE = "", _("none")
    POLICE = "police", _("police (警调对接)")
    COURT = "court", _("court (诉调对接)")
    DEPARTMENT = "department", _("government department (访调对接)")


class MediationState(models.TextChoices):
    REGISTERED = "registered", _("registered")
    ACCEPTED = "accepted", _("accepted")
    IN_SESSION = "in_session", _("in session")
    AGREED = "agreed", _("agreed")
    FAILED = "failed", pgettext_lazy("mediation", "failed")
    REFUSED = "refused", pgettext_lazy("mediation", "refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATES = (MediationState.REGISTERED, MediationState.ACCEPTED, MediationState.IN_SESSION)


class Mediation(models.Model):
    """The mediation of one dispute case by one committee."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="mediation"
    )
    committee = models.ForeignKey(
        Unit,
        verbose_name=_("mediation committee"),
        on_delete=models.PROTECT,
        related_name="mediations",
        limit_choices_to=COMMITTEE,
    )
    number = models.CharField(_("document number"), max_length=40, unique=True)
    mediators = models.ManyToManyField(
        Mediator, verbose_name=_("mediators"), blank=True, related_name="mediations"
    )
    lead_mediator = models.ForeignKey(
        Mediator,
        verbose_name=_("lead mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_mediations",
    )
    start_mode = models.CharField(_("started by"), max_length=16, choices=StartMode.choices)
    referral_source = models.CharField(
        _("handed over by"), max_length=16, choices=ReferralSource.choices, blank=True
    )
    referral_reference = models.CharField(_("their reference"), max_length=100, blank=True)
    application_text = models.TextField(_("application / request"), blank=True)
    summary = models.TextField(_("short description"), blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=MediationState.choices,
        default=MediationState.REGISTERED,
    )
    registered_at = models.DateTimeField(_("registered"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    due = models.DateTimeField(_("to be settled by"), null=True, blank=True)
    # Set by the time-limit sweep (actions.sweep_time_limits) once `due` passed while open;
    # kept after the mediation ends, like Case.is_overdue.
    is_overdue = models.BooleanField(_("past the time limit"), default=False)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    failure_reason = models.TextField(_("why mediation failed"), blank=True)
    routes_told = models.JSONField(_("routes the parties were told of"), default=list, blank=True)
    # Art. 23: a party may end the mediation at any point; it then ends on the failure routes.
    terminated_by = models.ForeignKey(
        Party,
        verbose_name=_("ended by the party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The one-month limit extended once with the parties' consent: the limit before, and why.
    original_due = models.DateTimeField(_("time limit before extension"), null=True, blank=True)
    extension_consent = models.TextField(_("parties' consent to the extension"), blank=True)
    violence_warning = models.BooleanField(_("may turn violent"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("mediation")
        verbose_name_plural = _("mediations")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["committee", "registered_at"], name="mediation_committee_reg"),
            models.Index(fields=["state"], name="mediation_state"),
            models.Index(fields=["committee", "accepted_at"], name="mediation_committee_acc"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def successful(self) -> bool:
        return self.state == MediationState.AGREED


class Refusal(models.Model):
    """A party clearly refused mediation (art. 17): there is no mediation."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("mediation"), on_delete=models.CASCADE, related_name="refusals"
    )
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.PROTECT)
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("refusal")
        verbose_name_plural = _("refusals")

    def __str__(self) -> str:
        return f"{self.party}: {self.reason[:30]}"


class RightsNotice(models.Model):
    """The notice of rights and duties, delivered to one party."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("handed over in person")
        READ_OUT = "read_out", _("read out")
        POST = "post", _("by post")
        ELECTRONIC = "electronic", _("electronically")

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("mediation"), on_delete=models.CASCADE, related_name="notices"
    )
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.PROTECT)
    delivered_at = models.DateTimeField(pgettext_lazy("time", "delivered"))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("notice of rights and duties")
        verbose_name_plural = _("notices of rights and duties")
        constraints = [
            models.UniqueConstraint(fields=["mediation", "party"], name="one_notice_per_party")
        ]

    def __str__(self) -> str:
        return str(self.party)


class Investigation(models.Model):
    mediation = models.ForeignKey(
        Mediation,
        verbose_name=_("mediation"),
        on_delete=models.CASCADE,
        related_name="investigations",
    )
    at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("investigator"), on_delete=models.PROTECT
    )
    persons = models.CharField(_("persons questioned"), max_length=200, blank=True)
    findings = models.TextField(_("findings"))

    class Meta:
        verbose_name = _("investigation record")
        verbose_name_plural = _("investigation records")
        ordering = ["mediation", "at", "id"]

    def __str__(self) -> str:
        return f"{self.mediation} {self.at:%Y-%m-%d}"


class Session(models.Model):
    """One mediation session; there are as many as it takes."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("mediation"), on_delete=models.CASCADE, related_name="sessions"
    )
    at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    participants = models.TextField(_("participants"))
    minutes = models.TextField(_("minutes"), blank=True)
    evidence = models.ManyToManyField(
        Attachment, verbose_name=_("evidence"), blank=True, related_name="+"
    )
    evidence_note = models.TextField(_("evidence presented"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["mediation", "at", "id"]

    def __str__(self) -> str:
        return f"{self.mediation} {self.at:%Y-%m-%d %H:%M}"

    @property
    def held(self) -> bool:
        return bool(self.minutes.strip())


class Agreement(models.Model):
    """The agreement (art. 28–30): written with signatures and seal, or oral and recorded."""

    class Form(models.TextChoices):
        WRITTEN = "written", _("written")
        ORAL = "oral", _("oral")

    mediation = models.OneToOneField(
        Mediation, verbose_name=_("mediation"), on_delete=models.CASCADE, related_name="agreement"
    )
    form = models.CharField(pgettext_lazy("mediation", "form"), max_length=8, choices=Form.choices)
    parties_facts = models.TextField(_("parties' basic facts"), blank=True)
    main_facts = models.TextField(_("main facts"), blank=True)
    disputed_points = models.TextField(_("points in dispute"), blank=True)
    responsibilities = models.TextField(_("each side's responsibility"), blank=True)
    agreed_items = models.TextField(_("what is agreed"))
    performance_method = models.TextField(_("how and by when it is performed"), blank=True)
    copies = models.PositiveSmallIntegerField(_("copies"), default=3)
    mediator = models.ForeignKey(
        Mediator,
        verbose_name=_("signing mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mediator_signed_at = models.DateTimeField(_("mediator signed"), null=True, blank=True)
    seal_at = models.DateTimeField(_("committee seal added"), null=True, blank=True)
    # Oral agreements (art. 30): the content the mediator recorded, and when.
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    created_at = models.DateTimeField(_("drawn up"))
    effective_at = models.DateTimeField(_("in effect since"), null=True, blank=True)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")

    def __str__(self) -> str:
        return f"{self.mediation} {self.get_form_display()}"

    @property
    def confirmation_due(self) -> date | None:
        """Last day for the joint application for judicial confirmation (art. 33)."""
        if self.effective_at is None:
            return None
        return timezone.localtime(self.effective_at).date() + timedelta(days=CONFIRMATION_DAYS)


class Signature(models.Model):
    class Method(models.TextChoices):
        SIGNED = "signed", _("signed")
        SEALED = "sealed", _("sealed")
        THUMBPRINT = "thumbprint", _("thumbprinted")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="signatures"
    )
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.PROTECT)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("party signature")
        verbose_name_plural = _("party signatures")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="one_signature_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.method}"


# Module-level names of the nested choices, for the API schema's enum names.
NoticeMethod = RightsNotice.Method
DiversionTarget = Diversion.Target
SignatureMethod = Signature.Method


class PerformanceItem(models.Model):
    """One thing a party must do under the agreement, by a date (art. 31: supervised)."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="items"
    )
    obligor = models.ForeignKey(Party, verbose_name=_("obliged party"), on_delete=models.PROTECT)
    what = models.TextField(_("what"))
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(pgettext_lazy("time", "done"), null=True, blank=True)
    proof_note = models.TextField(_("proof"), blank=True)
    proof_attachment = models.ForeignKey(
        Attachment,
        verbose_name=_("proof attachment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminders_sent = models.PositiveIntegerField(_("reminders sent"), default=0)
    last_reminded_on = models.DateField(_("last reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("performance item")
        verbose_name_plural = _("performance items")
        ordering = ["agreement", "due_date", "id"]

    def __str__(self) -> str:
        return self.what[:50]


class FollowUp(models.Model):
    """The committee's follow-up visit on performance (回访记录, art. 31), with the fields of the
    format: visit date, way, who visited, who was visited, performance, the parties' opinions."""

    class Way(models.TextChoices):
        ON_SITE = "on_site", _("on-site visit")
        PHONE = "phone", _("telephone")
        AT_OFFICE = "at_office", _("at the committee's office")
        LETTER = "letter", pgettext_lazy("follow-up way", "letter")
        ONLINE = "online", _("online or messaging")

    class Performance(models.TextChoices):
        PERFORMED = "performed", _("fully performed")
        PARTLY = "partly", _("partly performed")
        NOT_PERFORMED = "not_performed", _("not performed")
        NOT_DUE = "not_due", _("not yet due")

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("mediation"), on_delete=models.CASCADE, related_name="followups"
    )
    at = models.DateTimeField(_("time"))  # when it was recorded
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    visit_date = models.DateField(_("visit date"))
    way = models.CharField(_("way of the visit"), max_length=12, choices=Way.choices)
    visitors = models.CharField(_("visited by"), max_length=100)
    visited = models.CharField(_("persons visited"), max_length=200)
    performance = models.CharField(
        _("performance of the agreement"), max_length=16, choices=Performance.choices
    )
    performance_note = models.TextField(_("performance details"), blank=True)
    opinions = models.TextField(_("opinions of the parties"), blank=True)
    note = models.TextField(_("what the visit found"))

    class Meta:
        verbose_name = _("follow-up record")
        verbose_name_plural = _("follow-up records")
        ordering = ["mediation", "at", "id"]

    def __str__(self) -> str:
        return f"{self.mediation} {self.at:%Y-%m-%d}"


class JudicialConfirmation(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", pgettext_lazy("confirmation", "pending")
        CONFIRMED = "confirmed", _("confirmed valid")
        REJECTED = "rejected", _("not confirmed")

    agreement = models.OneToOneField(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="confirmation",
    )
    applied_at = models.DateField(_("applied on"))
    court = models.CharField(_("court"), max_length=100)
    result = models.CharField(
        _("result"), max_length=12, choices=Result.choices, default=Result.PENDING
    )
    result_at = models.DateField(_("decided on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("judicial confirmation")
        verbose_name_plural = _("judicial confirmations")

    def __str__(self) -> str:
        return f"{self.agreement} {self.result}"

    @property
    def in_time(self) -> bool:
        due = self.agreement.confirmation_due
        return due is not None and self.applied_at <= due


class ViolenceReport(models.Model):
    """A dispute that may turn violent, reported to the police (art. 25)."""

    mediation = models.ForeignKey(
        Mediation,
        verbose_name=_("mediation"),
        on_delete=models.CASCADE,
        related_name="violence_reports",
    )
    police_unit = models.ForeignKey(
        Unit, verbose_name=_("police unit"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"))

    class Meta:
        verbose_name = _("violence risk report")
        verbose_name_plural = _("violence risk reports")

    def __str__(self) -> str:
        return f"{self.mediation} {self.at:%Y-%m-%d}"


class SupervisionReview(models.Model):
    """A judicial office's review of, or guidance on, a dispute of a committee of its street
    (司法所 指导, 人民调解法 art. 5): append-only, each one a timeline entry too."""

    class Kind(models.TextChoices):
        REVIEW = "review", _("review of a hard case")
        GUIDANCE = "guidance", _("guidance")

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("mediation"), on_delete=models.CASCADE, related_name="reviews"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("review or guidance"))

    class Meta:
        verbose_name = _("supervisor's review")
        verbose_name_plural = _("supervisor's reviews")
        ordering = ["mediation", "at", "id"]

    def __str__(self) -> str:
        return f"{self.mediation} {self.get_kind_display()} {self.at:%Y-%m-%d}"


# Named in the API schema (ENUM_NAME_OVERRIDES): other apps have a "kind" too.
ReviewKind = SupervisionReview.Kind


class MediationEvent(TimelineEntry):
    """One entry of a mediation's timeline. Append-only."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("mediation"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        verbose_name = _("mediation event")
        verbose_name_plural = _("mediation events")
        ordering = ["mediation", "at", "id"]
        # The monitoring room's refresh re-reads the last minutes of events (facts.py).
        indexes = [models.Index(fields=["at"], name="mediation_event_at")]
        # One chain per mediation (fengqiao.core.chain): a position is taken once.
        constraints = [
            models.UniqueConstraint(
                fields=["mediation", "chain_seq"], name="mediation_event_chain_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.action}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


EVENT_LABELS = {
    "register": _("registered"),
    "accept": _("accepted"),
    "time_limit_recomputed": _("time limit recounted on the final holiday notice"),
    "assign": _("mediators assigned"),
    "refuse": _("a party refused mediation"),
    "withdraw": _("withdrawn"),
    "notice": _("notice of rights and duties delivered"),
    "investigation": _("investigation recorded"),
    "session": _("session recorded"),
    "session_planned": _("session planned"),
    "violence_risk": _("violence risk reported to the police"),
    "agreement": _("agreement recorded"),
    "sign_party": _("a party signed"),
    "sign_mediator": _("the mediator signed"),
    "sign_seal": _("the committee's seal added"),
    "effective": _("agreement in effect"),
    "performed": _("item performed"),
    "followup": _("follow-up recorded"),
    "reminder": _("performance reminder sent"),
    "fail": _("mediation failed"),
    "terminate": _("a party ended the mediation"),
    "extend": _("time limit extended with the parties' consent"),
    "judicial_confirmation": _("judicial confirmation recorded"),
    "case_not_updated": _("the case could not be updated"),
    "deadline_near": _("time limit near: the committee was warned"),
    "overdue": _("time limit passed"),
    "supervision": _("supervision card raised on the case"),
    "review": _("judicial office's review or guidance recorded"),
}
