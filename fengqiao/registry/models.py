"""Basic data ("9+X", GB/T 31000): the registries of each grid and the key populations.

Every registry row belongs to one grid (territory.Grid) and is scoped by it. Sensitive
personal data (ID numbers, phones, health) is stored only encrypted (`*_ct` columns, see
fengqiao.registry.crypto: key id and algorithm travel with each ciphertext) and the ID number
is findable only by its keyed hash (`id_hash`). Read and write those through the
`Encrypted` descriptors (`resident.id_number`), never the columns.

X extensions are data: a `RegistryKind` holds typed `RegistryField`s; a kind with a `base`
extends the built-in rows of that registry (values in their `extra`), a kind without one is a
registry of its own (`ExtraRecord`).
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.org.models import GridWorker, Sector, Unit
from fengqiao.registry.crypto import Encrypted
from fengqiao.territory.models import Grid

ANONYMISED = "已匿名"


class Sex(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")
    UNKNOWN = "unknown", _("unknown")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("resident identity card")
    PASSPORT = "passport", _("passport")
    OTHER = "other", _("other")


class GridRecord(models.Model):
    """What every registry row shares: its grid, lifecycle dates, extensions, retention mark."""

    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    extra = models.JSONField(_("extension fields"), default=dict, blank=True)
    # When the row stopped applying (moved away, closed, supervision ended): retention counts from it.
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class House(GridRecord):
    """A house (实有房屋): where people live or work."""

    class Use(models.TextChoices):
        RESIDENTIAL = "residential", _("residential")
        COMMERCIAL = "commercial", _("commercial")
        MIXED = "mixed", _("mixed")
        OTHER = "other", _("other")

    class Tenure(models.TextChoices):
        OWNER = "owner", _("owner-occupied")
        RENTED = "rented", _("rented out")
        VACANT = "vacant", _("vacant")
        OTHER = "other", _("other")

    address = models.CharField(_("address"), max_length=200)
    building_code = models.CharField(_("house code"), max_length=40, blank=True)
    use = models.CharField(_("use"), max_length=16, choices=Use.choices, default=Use.RESIDENTIAL)
    tenure = models.CharField(
        _("tenure"), max_length=16, choices=Tenure.choices, default=Tenure.OWNER
    )
    area = models.DecimalField(
        _("floor area (m²)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    owner_name = models.CharField(pgettext_lazy("house", "owner"), max_length=50, blank=True)
    owner_phone_ct = models.TextField(blank=True, editable=False)
    owner_phone = Encrypted("owner_phone_ct")

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        indexes = [models.Index(fields=["grid", "address"], name="reg_house_grid_addr")]

    def __str__(self) -> str:
        return self.address


class Household(GridRecord):
    """A household (户): its members are the residents linked to it."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("family household")
        COLLECTIVE = "collective", _("collective household")

    number = models.CharField(_("household number"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FAMILY)
    house = models.ForeignKey(
        House,
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    address = models.CharField(_("address"), max_length=200)
    head_name = models.CharField(_("head of household"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [models.Index(fields=["grid", "number"], name="reg_household_grid_no")]

    def __str__(self) -> str:
        return f"{self.head_name or self.number} · {self.address}"


class Resident(GridRecord):
    """A person of the actual population (实有人口): registered, floating or left-behind."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("registered population")
        FLOATING = "floating", _("floating population")
        OVERSEAS = "overseas", _("overseas resident")

    class LeftBehind(models.TextChoices):
        NONE = "", _("not left-behind")
        CHILD = "child", _("left-behind child")
        ELDERLY = "elderly", _("left-behind elderly")
        WOMAN = "woman", _("left-behind woman")

    kind = models.CharField(_("population kind"), max_length=16, choices=Kind.choices)
    left_behind = models.CharField(
        _("left-behind"), max_length=16, choices=LeftBehind.choices, blank=True, default=""
    )
    name = models.CharField(_("name"), max_length=50)
    former_name = models.CharField(_("former name"), max_length=50, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    native_place = models.CharField(_("native place"), max_length=100, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=20, blank=True)
    political_status = models.CharField(_("political status"), max_length=20, blank=True)
    education = models.CharField(_("education"), max_length=20, blank=True)
    religion = models.CharField(_("religion"), max_length=20, blank=True)
    occupation = models.CharField(_("occupation"), max_length=50, blank=True)
    workplace = models.CharField(_("workplace"), max_length=100, blank=True)
    registered_address = models.CharField(_("registered address"), max_length=200, blank=True)
    current_address = models.CharField(_("current address"), max_length=200, blank=True)
    id_type = models.CharField(
        _("ID type"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number_ct = models.TextField(blank=True, editable=False)
    # HMAC of the normalised ID number: exact search without decrypting (crypto.id_hash).
    id_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    phone_ct = models.TextField(blank=True, editable=False)
    health_ct = models.TextField(blank=True, editable=False)
    # Floating population: why here, since when, residence permit.
    inflow_reason = models.CharField(_("reason for moving in"), max_length=50, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    permit_number = models.CharField(_("residence permit number"), max_length=40, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation_to_head = models.CharField(_("relation to head"), max_length=20, blank=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )

    id_number = Encrypted("id_number_ct", hash_field="id_hash")
    phone = Encrypted("phone_ct")
    health = Encrypted("health_ct")

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            models.Index(fields=["grid", "name", "id"], name="reg_resident_grid_name"),
            models.Index(fields=["grid", "id"], name="reg_resident_grid_id"),
            # Search by the start of a name across a station's or street's grids (LIKE 'x%'
            # needs the pattern operator class on PostgreSQL; other databases ignore it).
            models.Index(
                fields=["name"], name="reg_resident_name_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlaceKind(models.Model):
    """What a place is (shop, school, school surroundings, a site along a road or line…): data."""

    class Area(models.TextChoices):
        PLACE = "place", pgettext_lazy("basic data", "place")
        CAMPUS = "campus", _("campus and surroundings")
        ROAD_LINE = "road_line", _("roads and lines")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    area = models.CharField(
        _("area of work"), max_length=16, choices=Area.choices, default=Area.PLACE
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("place kind")
        verbose_name_plural = _("place kinds")
        ordering = ["area", "code"]

    def __str__(self) -> str:
        return self.name


class Place(GridRecord):
    """A place: a shop, a school and its surroundings, a site along a road or railway line."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.ForeignKey(
        PlaceKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="places"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    principal = models.CharField(_("person in charge"), max_length=50, blank=True)
    principal_phone_ct = models.TextField(blank=True, editable=False)
    licence_number = models.CharField(_("licence number"), max_length=50, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    key_place = models.BooleanField(_("key place for safety"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    principal_phone = Encrypted("principal_phone_ct")

    class Meta:
        verbose_name = pgettext_lazy("basic data", "place")
        verbose_name_plural = _("places")
        indexes = [models.Index(fields=["grid", "name"], name="reg_place_grid_name")]

    def __str__(self) -> str:
        return self.name


class Organisation(GridRecord):
    """A non-public economic organisation or a social organisation."""

    class Kind(models.TextChoices):
        NON_PUBLIC_ENTERPRISE = "non_public", _("non-public enterprise")
        SOCIAL_ORGANISATION = "social", _("social organisation")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    phone_ct = models.TextField(blank=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    has_party_organisation = models.BooleanField(_("has a party organisation"), default=False)
    has_union = models.BooleanField(_("has a trade union"), default=False)

    phone = Encrypted("phone_ct")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["grid", "name"], name="reg_org_grid_name")]

    def __str__(self) -> str:
        return self.name


class Base(models.TextChoices):
    """What a registry kind extends: a built-in registry, or nothing (a registry of its own)."""

    NONE = "", _("a registry of its own")
    RESIDENT = "resident", _("residents")
    HOUSE = "house", _("houses")
    HOUSEHOLD = "household", _("households")
    PLACE = "place", _("places")
    ORGANISATION = "organisation", _("organisations")
    KEY_PERSON = "key_person", _("key persons")


class RegistryKind(models.Model):
    """An X extension: a local registry, or extra fields of a built-in one (data, no code)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    base = models.CharField(
        _("extends"), max_length=16, choices=Base.choices, blank=True, default=""
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("registry kind")
        verbose_name_plural = _("registry kinds")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class FieldType(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice")


class RegistryField(models.Model):
    """One typed field of a registry kind; values are validated against it (extensions.py)."""

    kind = models.ForeignKey(
        RegistryKind,
        verbose_name=_("registry kind"),
        on_delete=models.CASCADE,
        related_name="fields",
    )
    code = models.SlugField(_("code"), max_length=32)
    label = models.CharField(_("label"), max_length=50)
    type = models.CharField(
        _("type"), max_length=8, choices=FieldType.choices, default=FieldType.TEXT
    )
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For a choice field: the list of allowed values."),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), default=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("registry field")
        verbose_name_plural = _("registry fields")
        ordering = ["kind", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="reg_field_kind_code")]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        ok = isinstance(self.choices, list) and all(isinstance(c, str) and c for c in self.choices)
        if not ok or (self.type == FieldType.CHOICE and not self.choices):
            raise ValidationError({"choices": _("Give a list of non-empty texts.")})


class ExtraRecord(GridRecord):
    """A row of a registry of its own (a RegistryKind without base)."""

    kind = models.ForeignKey(
        RegistryKind,
        verbose_name=_("registry kind"),
        on_delete=models.PROTECT,
        related_name="records",
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("registry record")
        verbose_name_plural = _("registry records")
        indexes = [models.Index(fields=["kind", "grid", "name"], name="reg_extra_kind_grid")]

    def __str__(self) -> str:
        return self.name


class KeyPersonKind(models.Model):
    """A key population or at-risk youth kind, with its visit schedule and helping sector."""

    class Group(models.TextChoices):
        KEY_POPULATION = "key_population", _("key population")
        AT_RISK_YOUTH = "at_risk_youth", _("at-risk youth")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    group = models.CharField(
        _("group"), max_length=16, choices=Group.choices, default=Group.KEY_POPULATION
    )
    visit_interval_days = models.PositiveIntegerField(_("visit every (days)"), default=30)
    has_risk_levels = models.BooleanField(
        _("has risk levels"),
        default=False,
        help_text=_("Serious mental disorder: 肇事肇祸 risk levels 0–5."),
    )
    # Risk level ("0".."5") → days between visits; levels not listed use visit_interval_days.
    interval_by_level = models.JSONField(
        _("visit interval by risk level"), default=dict, blank=True
    )
    helping_sector = models.ForeignKey(
        Sector,
        verbose_name=_("helping sector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Days after a person leaves the kind (ended_on) before the record is anonymised (PIPL).
    retention_days = models.PositiveIntegerField(_("keep for (days) after ending"), default=3 * 365)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("key person kind")
        verbose_name_plural = _("key person kinds")
        ordering = ["group", "order", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        data = self.interval_by_level
        ok = isinstance(data, dict) and all(
            k in {"0", "1", "2", "3", "4", "5"} and isinstance(v, int) and v > 0
            for k, v in data.items()
        )
        if not ok:
            raise ValidationError(
                {"interval_by_level": _('Give days per level 0–5, e.g. {"3": 14}.')}
            )

    def interval_for(self, risk_level: int | None) -> int:
        if self.has_risk_levels and risk_level is not None:
            days = (self.interval_by_level or {}).get(str(risk_level))
            if isinstance(days, int) and days > 0:
                return days
        return max(1, self.visit_interval_days)


class KeyPerson(models.Model):
    """A resident in a key population: who visits them, how often, and who helps."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="key_records"
    )
    kind = models.ForeignKey(
        KeyPersonKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="people"
    )
    # Copied from the resident (scope and the due-list indexes work on this row alone).
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    risk_level = models.PositiveSmallIntegerField(_("risk level"), null=True, blank=True)
    responsible = models.ForeignKey(
        GridWorker,
        verbose_name=_("responsible grid worker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_people",
    )
    helping_unit = models.ForeignKey(
        Unit,
        verbose_name=_("helping unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_on = models.DateField(_("since"), default=date.today)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    # The due date that was escalated (one escalation per missed due date).
    escalated_due = models.DateField(_("escalated for due date"), null=True, blank=True)
    notes_ct = models.TextField(blank=True, editable=False)
    extra = models.JSONField(_("extension fields"), default=dict, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    notes = Encrypted("notes_ct")

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key persons")
        indexes = [
            models.Index(
                fields=["responsible", "active", "next_visit_due"], name="reg_kp_worker_due"
            ),
            models.Index(fields=["grid", "kind", "active"], name="reg_kp_grid_kind"),
            models.Index(fields=["active", "next_visit_due"], name="reg_kp_due"),
            # A search by name reaches key persons by resident: probing this index alone
            # (scope by grid, the due date for the order) instead of reading the table.
            models.Index(
                fields=["resident", "active", "grid", "next_visit_due"], name="reg_kp_resident"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.kind}"

    def schedule_from(self, last: date) -> date:
        return last + timedelta(days=self.kind.interval_for(self.risk_level))


class VisitMethod(models.TextChoices):
    HOME = "home", _("home visit")
    PHONE = "phone", _("phone call")
    VIDEO = "video", _("video call")
    OTHER = "other", _("other")


class Visit(models.Model):
    """One visit to a key person, with what the visitor found."""

    key_person = models.ForeignKey(
        KeyPerson, verbose_name=_("key person"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"))
    method = models.CharField(
        pgettext_lazy("visit", "method"),
        max_length=8,
        choices=VisitMethod.choices,
        default=VisitMethod.HOME,
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    met_in_person = models.BooleanField(_("met the person"), default=True)
    findings = models.TextField(pgettext_lazy("visit", "findings"))
    risk_found = models.BooleanField(_("found a risk"), default=False)
    risk_level_after = models.PositiveSmallIntegerField(
        _("risk level after the visit"), null=True, blank=True
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=pgettext_lazy("visit", "case created"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["key_person", "-visited_on"], name="reg_visit_kp_date")]

    def __str__(self) -> str:
        return f"{self.key_person} · {self.visited_on}"


class VisitEscalation(models.Model):
    """An overdue visit escalated to the responsible station (history of the sweep)."""

    key_person = models.ForeignKey(
        KeyPerson,
        verbose_name=_("key person"),
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    due_on = models.DateField(_("was due on"))
    station = models.ForeignKey(
        Unit,
        verbose_name=_("service station"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("escalated at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("overdue visit escalation")
        verbose_name_plural = _("overdue visit escalations")
        ordering = ["-escalated_at"]
        constraints = [
            models.UniqueConstraint(fields=["key_person", "due_on"], name="reg_escalation_once")
        ]

    def __str__(self) -> str:
        return f"{self.key_person} · {self.due_on}"


class RetentionRule(models.Model):
    """How long rows that ended are kept before they are anonymised (PIPL art. 19, 47)."""

    class Subject(models.TextChoices):
        RESIDENT = "resident", _("residents who moved away")
        HOUSE = "house", _("houses")
        PLACE = "place", _("places")
        ORGANISATION = "organisation", _("organisations")
        EXTRA = "extra", _("extension registry records")

    subject = models.CharField(_("applies to"), max_length=16, choices=Subject.choices, unique=True)
    days = models.PositiveIntegerField(_("keep for (days) after ending"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self) -> str:
        return f"{self.get_subject_display()}: {self.days}"


class ImportJob(models.Model):
    """A spreadsheet import running in the background (registry.importing.jobs): its progress,
    then its outcome, shown to the user who uploaded the file and to nobody else.

    The uploaded file is stored under a random name until the job has run; it holds personal
    data in clear, so it is deleted once the job is done. A failed job keeps it, for its owner
    to download, until the cleanup deletes it (IMPORT_UPLOAD_HOURS)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("registry"), max_length=20)  # a key of importing.LAYOUTS
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="imports/", blank=True, max_length=255)
    # The language of the page it was started from: the row report is written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    # Every row passed; the one transaction writing them runs.
    saving = models.BooleanField(_("saving"), default=False)
    rows = models.PositiveIntegerField(_("rows with data"), default=0)
    imported = models.PositiveIntegerField(_("records imported"), default=0)
    # The row report: [{"row": 3, "column": "网格编码", "reason": "…"}]; empty when all passed.
    report = models.JSONField(_("row report"), default=list, blank=True)
    # The dry run's preview (personal fields masked): the header and [row number, cells].
    header = models.JSONField(_("preview header"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    error = models.TextField(_("reason of the failure"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


def anonymise_fields(obj: Any) -> None:
    """Clear what identifies a person on `obj` (encrypted columns, names, phones, extras)."""
    for f in obj._meta.concrete_fields:
        if f.name.endswith("_ct"):
            setattr(obj, f.attname, "")
    for name in (
        "id_hash",
        "former_name",
        "owner_name",
        "principal",
        "legal_representative",
        "current_address",
        "registered_address",
        "workplace",
        "permit_number",
    ):
        if hasattr(obj, name):
            setattr(obj, name, "")
    if isinstance(obj, Resident):
        obj.name = ANONYMISED
        obj.birth_date = None
    if hasattr(obj, "extra"):
        obj.extra = {}
