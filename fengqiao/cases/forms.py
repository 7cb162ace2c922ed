"""Forms of the case pages. They only parse input: every rule lives in the case actions, whose
errors (fengqiao.cases.errors) are put back on the form by `add_case_error`."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.accounts.access import Access
from fengqiao.cases.errors import CaseError
from fengqiao.cases.intake_limits import MAX_PEOPLE_INVOLVED
from fengqiao.cases.models import (
    Case,
    CaseKind,
    CaseState,
    Category,
    Channel,
    Diversion,
    Extension,
    FollowUpVisit,
    Party,
    Priority,
    RiskLevel,
    Satisfaction,
    SupervisionLevel,
    Task,
)
from fengqiao.cases.queries import CaseFilters
from fengqiao.org.models import Unit
from fengqiao.territory.models import Region

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BLANK: "list[tuple[str, StrOrPromise]]" = [("", "—")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; checked by content in the case actions, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def add_case_error(
    form: forms.Form, error: CaseError, prefix_map: dict[str, str] | None = None
) -> None:
    """Put a service error on the field it names (or on the form as a whole)."""
    for e in error.errors:
        name = e.field
        if name in form.fields:
            form.add_error(name, e.message)
        else:
            label = (prefix_map or {}).get(name, "")
            form.add_error(None, f"{label}{e.message}" if label else e.message)


def choice_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """The form's own copy of a declared ModelChoiceField (or ModelMultipleChoiceField)."""
    # Form.fields is typed dict[str, Field]; `name` is declared on the form as a ModelChoiceField.
    return cast(forms.ModelChoiceField, form.fields[name])


def categories(public_only: bool = False) -> QuerySet[Category]:
    qs = Category.objects.filter(active=True).order_by("family", "path", "sort")
    return qs.filter(public=True) if public_only else qs


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        depth = max(len(obj.ancestor_ids) - 1, 0)
        return "　" * depth + obj.name


# -- list filters ----------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"), choices=[*BLANK, *CaseState.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("case kind"), choices=[*BLANK, *CaseKind.choices], required=False
    )
    category = CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    region = forms.ModelChoiceField(
        label=_("Territory"), queryset=Region.objects.none(), required=False
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.all(), required=False
    )
    risk = forms.ChoiceField(label=_("Risk"), choices=[*BLANK, *RiskLevel.choices], required=False)
    overdue = forms.NullBooleanField(
        label=_("Overdue"),
        required=False,
        widget=forms.Select(choices=[("", "—"), ("true", _("overdue")), ("false", _("on time"))]),
    )
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, regions: QuerySet[Region] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "category").queryset = categories()
        if regions is not None:
            choice_field(self, "region").queryset = regions.order_by("path")

    def filters(self) -> CaseFilters:
        d = self.cleaned_data
        return CaseFilters(
            state=d.get("state") or "",
            kind=d.get("kind") or "",
            category=d.get("category"),
            region=d.get("region"),
            channel=d.get("channel"),
            risk=d.get("risk") or "",
            overdue=d.get("overdue"),
            created_from=d.get("created_from"),
            created_to=d.get("created_to"),
            q=d.get("q") or "",
        )


# -- intake ----------------------------------------------------------------------------------


class PointMixin(forms.Form):
    # Coordinates are checked by the intake service (range, both or neither).
    lon = forms.CharField(label=_("Longitude"), required=False, max_length=32)
    lat = forms.CharField(label=_("Latitude"), required=False, max_length=32)


class StaffIntakeForm(PointMixin):
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    kind = forms.ChoiceField(
        label=_("case kind"), choices=[*BLANK, *CaseKind.choices], required=False
    )
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none())
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    reporter_name = forms.CharField(label=_("Reporter"), required=False, max_length=50)
    reporter_phone = forms.CharField(label=_("Reporter phone"), required=False, max_length=30)
    reporter_email = forms.CharField(label=_("Reporter email"), required=False, max_length=254)
    people_involved = forms.CharField(label=_("People involved"), required=False, max_length=9)
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=RiskLevel.choices, initial=RiskLevel.LOW
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    attachments = MultipleFileField(label=_("Photos or PDF"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "channel").queryset = Channel.objects.filter(active=True)
        choice_field(self, "category").queryset = categories()


class PartyForm(forms.Form):
    party_type = forms.ChoiceField(
        label=_("Party type"), choices=Party.PartyType.choices, required=False
    )
    role = forms.ChoiceField(label=_("Role"), choices=Party.PartyRole.choices, required=False)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    id_type = forms.ChoiceField(label=_("ID type"), choices=Party.IdType.choices, required=False)
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=40)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    is_vulnerable = forms.BooleanField(label=_("Vulnerable person"), required=False)
    notes = forms.CharField(
        label=_("Sensitive notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def has_content(self) -> bool:
        d = getattr(self, "cleaned_data", {}) or {}
        return any(d.get(k) for k in ("name", "id_number", "phone", "address", "notes"))


PartyFormSet = forms.formset_factory(PartyForm, extra=2, max_num=10)


class PatrolForm(PointMixin):
    """A grid worker's report from a phone: what, where, photos."""

    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none())
    description = forms.CharField(
        label=_("What did you find?"), widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=RiskLevel.choices, initial=RiskLevel.LOW
    )
    attachments = MultipleFileField(label=_("Photos"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "category").queryset = categories()


def public_category_choices(nodes: Iterable[Category]) -> list[Any]:
    """The district's classification for residents: a category with children becomes a group of
    its leaves (nested levels below it flattened into the group, in tree order)."""
    by_parent: dict[int | None, list[Category]] = defaultdict(list)
    for node in sorted(nodes, key=lambda c: (c.sort, c.code)):
        by_parent[node.parent_id].append(node)

    def leaves(node: Category) -> list[tuple[int, str]]:
        below = by_parent.get(node.pk, [])
        if not below:
            return [(node.pk, node.name)]
        return [leaf for child in below for leaf in leaves(child)]

    choices: list[Any] = [("", "---------")]
    for root in by_parent.get(None, []):
        if by_parent.get(root.pk):
            choices.append((root.name, leaves(root)))
        else:
            choices.append((root.pk, root.name))
    return choices


class PublicReportForm(PointMixin):
    category = CategoryChoiceField(label=_("What is it about?"), queryset=Category.objects.none())
    description = forms.CharField(
        label=_("Describe the matter"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=50)
    reporter_phone = forms.CharField(label=_("Your phone"), max_length=30)
    attachments = MultipleFileField(label=_("Photos"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        family = categories(public_only=True).filter(family=settings.CATEGORY_FAMILY)
        field = choice_field(self, "category")
        # A group stands for a category with children; a root without children is chosen itself.
        choices = public_category_choices(family)
        ids = [
            v
            for value, label in choices[1:]
            for v, _n in (label if isinstance(label, list) else [(value, label)])
        ]
        field.queryset = family.filter(pk__in=ids)
        field.choices = choices


class TrackForm(forms.Form):
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=20)
    phone_last4 = forms.CharField(
        label=_("Last 4 digits of your phone"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class RateForm(TrackForm):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# -- actions on a case -----------------------------------------------------------------------


class ActionForm(forms.Form):
    """Base of every action form: the version the page was loaded with (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args: Any,
        case: Case | None = None,
        units: QuerySet[Unit] | None = None,
        access: Access | None = None,
        **kwargs: Any,
    ) -> None:
        self.case = case
        self.access = access
        super().__init__(*args, **kwargs)
        if case is not None and not self.is_bound:
            self.initial.setdefault("version", case.version)
        self.setup(units)

    def setup(self, units: QuerySet[Unit] | None) -> None:
        pass

    def service_kwargs(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d["expected_version"] = d.pop("version")
        return d


def _text(label: "StrOrPromise", required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=4000, widget=forms.Textarea(attrs={"rows": rows})
    )


def _reply() -> forms.CharField:
    """The public reply: its own field, apart from the internal reason or note."""
    field = _text(_("Reply to the reporter (public)"), required=False, rows=2)
    field.help_text = _(
        "Shown to the reporter on the tracking page, in Open311 and in their notification. "
        "Leave it empty to tell them nothing; the reason or note above stays internal."
    )
    return field


class NoteForm(ActionForm):
    note = _text(_("Note (internal)"), required=False, rows=2)
    public_reply = _reply()


class ReasonForm(ActionForm):
    reason = _text(_("Reason (internal)"))
    public_reply = _reply()


class ProgressForm(ActionForm):
    text = _text(_("Note"), rows=4)
    public = forms.BooleanField(label=_("Show to the reporter"), required=False)


class ResolveForm(ActionForm):
    outcome = _text(_("Outcome (what was done, public)"), required=False, rows=4)
    success = forms.TypedChoiceField(
        label=_("Resolved successfully"),
        choices=[("1", _("yes")), ("0", _("no"))],
        coerce=lambda v: v == "1",
        initial="1",
    )
    note = _text(_("Note (internal)"), required=False, rows=2)
    public_reply = _reply()


class CloseForm(ActionForm):
    """The resolution is kept: asked for only when the case has none (a diverted case)."""

    outcome = _text(_("Outcome (what was done, public)"), required=False, rows=3)
    note = _text(_("Closing note (internal)"), required=False, rows=2)
    public_reply = _reply()

    def setup(self, units: QuerySet[Unit] | None) -> None:
        if self.case is not None and self.case.outcome:
            del self.fields["outcome"]


class DispatchForm(ActionForm):
    """Several units at once: one lead, any co-handling units, a deadline per unit (default:
    `dispatching.default_due`), the suggested units first; a station may hand its own task to
    one of its grid workers. Units come from `dispatching.reachable_units` (the view passes the
    user's access through `units`, see `case_action`)."""

    lead_unit: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Lead unit"), queryset=None)
    co_units: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Co-handling units"), queryset=None, required=False
    )
    instructions = _text(_("Instructions"), required=False)
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Hand the task to a grid worker"), queryset=None, required=False
    )

    def setup(self, units: QuerySet[Unit] | None) -> None:
        from fengqiao.cases import dispatching
        from fengqiao.org.models import GridWorker, Unit

        access = self.access
        if access is not None and self.case is not None:
            units = dispatching.reachable_units(self.case, access)
        qs = (units if units is not None else Unit.objects.none()).filter(active=True)
        qs = qs.order_by("region__path", "kind", "name")
        choice_field(self, "lead_unit").queryset = qs
        choice_field(self, "co_units").queryset = qs
        workers = (
            dispatching.grid_workers(self.case, qs, access)
            if access is not None and self.case is not None
            else GridWorker.objects.none()
        )
        assignee = choice_field(self, "assignee")
        assignee.queryset = workers
        # Per-instance label of the choices (the stubs see a method, Django calls the attribute).
        setattr(assignee, "label_from_instance", lambda w: f"{w.user.name}（{w.station}）")  # noqa: B010
        self.unit_list = list(qs)
        self.suggested = dispatching.suggestions(self.case, qs) if self.case else []
        self.default_due = dispatching.default_due(self.case) if self.case else None
        initial = timezone.localtime(self.default_due) if self.default_due else None
        for u in self.unit_list:
            self.fields[f"due_{u.pk}"] = forms.DateTimeField(
                label=pgettext_lazy("dispatch form", "Deadline"),
                required=False,
                initial=initial.strftime("%Y-%m-%dT%H:%M") if initial else None,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
            )
        if not self.is_bound and self.suggested:
            self.initial.setdefault("lead_unit", self.suggested[0].unit.pk)

    def unit_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The suggested units (with the reason) and the other units, each with its deadline
        field and whether it is chosen as lead or co-handling unit."""
        reasons = {s.unit.pk: s.reason for s in self.suggested}
        lead = str(self["lead_unit"].value() or "")
        co = {str(v) for v in (self["co_units"].value() or [])}

        def row(u: Unit) -> dict[str, Any]:
            return {
                "unit": u,
                "reason": reasons.get(u.pk, ""),
                "due": self[f"due_{u.pk}"],
                "lead": str(u.pk) == lead,
                "co": str(u.pk) in co,
            }

        return {
            "suggested": [row(s.unit) for s in self.suggested],
            "other": [row(u) for u in self.unit_list if u.pk not in reasons],
        }

    def _due(self, unit: Unit) -> datetime | None:
        """The deadline set for `unit`, or None when left at the default."""
        due: datetime | None = self.cleaned_data.get(f"due_{unit.pk}")
        if due is None or self.default_due is None:
            return due
        same = abs((due - self.default_due).total_seconds()) < 60
        return None if same else due

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        for name in [k for k in kwargs if k.startswith("due_")]:
            del kwargs[name]
        lead = kwargs["lead_unit"]
        co = [u for u in kwargs.get("co_units") or [] if u != lead]
        kwargs["co_units"] = co
        kwargs["lead_due"] = self._due(lead)
        dues = {u.pk: d for u in co if (d := self._due(u)) is not None}
        kwargs["co_due"] = dues or None
        if kwargs.get("assignee") is None:
            kwargs.pop("assignee", None)
        else:
            kwargs["assignee"] = kwargs["assignee"].user
        return kwargs


class TaskForm(ActionForm):
    task = forms.ModelChoiceField(label=_("Task"), queryset=Task.objects.none())

    def setup(self, units: QuerySet[Unit] | None) -> None:
        if self.case is not None:
            field = choice_field(self, "task")
            field.queryset = self.case.tasks.filter(active=True).select_related("unit")
            # Per-instance label of the choices (the stubs see a method, Django calls the attribute).
            setattr(  # noqa: B010
                field,
                "label_from_instance",
                lambda t: f"{t.unit.name}（{t.get_role_display()}，{t.get_state_display()}）",
            )


class CompleteTaskForm(TaskForm):
    result = _text(_("Result"))


class WaiveTaskForm(TaskForm):
    reason = _text(_("Reason"))


class ExtensionForm(ActionForm):
    days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=30)
    reason = _text(_("Reason"))


class DecideExtensionForm(ActionForm):
    extension = forms.ModelChoiceField(label=_("Request"), queryset=Extension.objects.none())
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("approve")), ("0", _("reject"))],
        coerce=lambda v: v == "1",
    )
    note = _text(_("Note"), required=False, rows=2)

    def setup(self, units: QuerySet[Unit] | None) -> None:
        if self.case is not None:
            choice_field(self, "extension").queryset = self.case.extensions.filter(
                status=Extension.Status.PENDING
            )


class DivertForm(ActionForm):
    target = forms.ChoiceField(label=_("To"), choices=Diversion.Target.choices)
    reference = forms.CharField(label=_("Their reference"), required=False, max_length=100)
    note = _text(_("Note (internal)"), required=False, rows=2)
    public_reply = _reply()


class UpdateDiversionForm(ActionForm):
    diversion = forms.ModelChoiceField(label=_("Hand-off"), queryset=Diversion.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=Diversion.Status.choices)
    result = _text(_("Result"), required=False, rows=2)

    def setup(self, units: QuerySet[Unit] | None) -> None:
        if self.case is not None:
            choice_field(self, "diversion").queryset = self.case.diversions.all()


class MergeForm(ActionForm):
    into = forms.CharField(label=_("Tracking number of the other case"), max_length=20)
    reason = _text(_("Reason (internal)"), required=False, rows=2)
    public_reply = _reply()


class SplitForm(ActionForm):
    children = forms.CharField(
        label=_("Child cases, one title per line"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        lines = [ln.strip() for ln in kwargs["children"].splitlines() if ln.strip()]
        kwargs["children"] = [{"title": ln, "description": ln} for ln in lines]
        return kwargs


class VisitForm(ActionForm):
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[
            (FollowUpVisit.Method.PHONE, FollowUpVisit.Method.PHONE.label),
            (FollowUpVisit.Method.IN_PERSON, FollowUpVisit.Method.IN_PERSON.label),
        ],
    )
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    note = _text(_("Note"), required=False, rows=2)
    reopen_case = forms.BooleanField(label=_("Reopen if unsatisfied"), required=False)


class SupervisionForm(ActionForm):
    level = forms.ChoiceField(
        label=_("Card"),
        choices=[
            (SupervisionLevel.YELLOW, SupervisionLevel.YELLOW.label),
            (SupervisionLevel.RED, SupervisionLevel.RED.label),
        ],
    )
    reason = _text(_("Reason"))


class DetailsForm(ActionForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = _text(_("Description"), required=False)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    people_involved = forms.IntegerField(
        label=_("People involved"), min_value=1, max_value=MAX_PEOPLE_INVOLVED
    )
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)

    def setup(self, units: QuerySet[Unit] | None) -> None:
        if self.case is not None and not self.is_bound:
            for name in ("title", "description", "address", "people_involved", "risk_level",
                         "priority"):  # fmt: skip
                self.initial.setdefault(name, getattr(self.case, name))

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        version = kwargs.pop("expected_version")
        return {"changes": kwargs, "expected_version": version}


class AttachmentForm(ActionForm):
    file = forms.FileField(label=_("File (image or PDF)"))
    public = forms.BooleanField(label=_("Show to the reporter"), required=False)

    def clean_file(self) -> UploadedFile:
        f: UploadedFile | None = self.cleaned_data["file"]
        if f is None:
            raise ValidationError(_("Choose a file."))
        return f


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": NoteForm,
    "dispatch": DispatchForm,
    "acknowledge_task": TaskForm,
    "start_task": TaskForm,
    "complete_task": CompleteTaskForm,
    "waive_task": WaiveTaskForm,
    "start": NoteForm,
    "add_progress": ProgressForm,
    "suspend": ReasonForm,
    "resume": NoteForm,
    "request_extension": ExtensionForm,
    "decide_extension": DecideExtensionForm,
    "resolve": ResolveForm,
    "close": CloseForm,
    "return_case": ReasonForm,
    "escalate": ReasonForm,
    "divert": DivertForm,
    "update_diversion": UpdateDiversionForm,
    "cancel": ReasonForm,
    "merge": MergeForm,
    "split": SplitForm,
    "reopen": ReasonForm,
    "record_visit": VisitForm,
    "raise_supervision": SupervisionForm,
    "update_details": DetailsForm,
    "add_attachment": AttachmentForm,
}
