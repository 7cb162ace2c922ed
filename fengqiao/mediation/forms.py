"""Forms of the mediation page: one per action; the service does the real checking."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.cases.models import Diversion
from fengqiao.org.models import EmploymentType

from .actions.ending import ROUTES
from .models import (
    Agreement,
    FollowUp,
    JudicialConfirmation,
    MediatorPost,
    ReferralSource,
    RightsNotice,
    Signature,
    Specialty,
    StartMode,
    SupervisionReview,
)

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
D = forms.DateInput(attrs={"type": "date"})


class PartyForm(forms.Form):
    """A form with a `party` choice among the case's parties."""

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        if "party" in self.fields:
            self.fields["party"].choices = [
                (p.pk, f"{p.get_role_display()} {p.name}") for p in parties
            ]


class StartForm(forms.Form):
    committee = forms.TypedChoiceField(label=_("Mediation committee"), coerce=int)
    mode = forms.ChoiceField(label=_("Started by"), choices=StartMode.choices)
    referral_source = forms.ChoiceField(
        label=_("Handed over by"), choices=ReferralSource.choices, required=False
    )
    referral_reference = forms.CharField(label=_("Their reference"), required=False, max_length=100)
    application_text = forms.CharField(
        label=_("Application / request"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    summary = forms.CharField(
        label=_("Short description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = [(c.pk, c.name) for c in committees]


class EmptyForm(forms.Form):
    pass


class AssignForm(forms.Form):
    mediators = forms.TypedMultipleChoiceField(label=_("Mediators"), coerce=int)
    lead = forms.TypedChoiceField(label=_("Lead mediator"), coerce=int)

    def __init__(self, *args, mediators=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m.pk, m.name) for m in mediators]
        self.fields["mediators"].choices = choices
        self.fields["lead"].choices = choices


class RefuseForm(PartyForm):
    party = forms.TypedChoiceField(label=_("Party"), coerce=int)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoticeForm(PartyForm):
    party = forms.TypedChoiceField(label=_("Party"), coerce=int)
    method = forms.ChoiceField(label=_("Method"), choices=RightsNotice.Method.choices)
    delivered_at = forms.DateTimeField(label=_("Delivered"), required=False, widget=DT)


class InvestigationForm(forms.Form):
    at = forms.DateTimeField(label=_("Time"), required=False, widget=DT)
    place = forms.CharField(label=_("Place"), max_length=200)
    persons = forms.CharField(label=_("Persons questioned"), required=False, max_length=200)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))


class PlanSessionForm(forms.Form):
    at = forms.DateTimeField(label=_("Time"), widget=DT)
    place = forms.CharField(label=_("Place"), max_length=200)
    participants = forms.CharField(
        label=_("Participants"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SessionForm(forms.Form):
    planned = forms.TypedChoiceField(
        label=_("Planned session"), coerce=int, required=False, empty_value=None
    )
    at = forms.DateTimeField(label=_("Time"), required=False, widget=DT)
    place = forms.CharField(label=_("Place"), max_length=200)
    participants = forms.CharField(
        label=_("Participants"), widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.TypedMultipleChoiceField(label=_("Evidence"), coerce=int, required=False)
    evidence_note = forms.CharField(
        label=_("Evidence presented"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, attachments=(), planned=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [(a.pk, a.original_name) for a in attachments]
        self.fields["planned"].choices = [("", "—")] + [
            (s.pk, f"{timezone.localtime(s.at):%Y-%m-%d %H:%M} {s.place}") for s in planned
        ]


class ViolenceForm(forms.Form):
    note = forms.CharField(label=_("Describe the risk"), widget=forms.Textarea(attrs={"rows": 2}))


class AgreementForm(PartyForm):
    form = forms.ChoiceField(label=_("Form"), choices=Agreement.Form.choices)
    parties_facts = forms.CharField(
        label=_("Parties' basic facts"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    main_facts = forms.CharField(
        label=_("Main facts"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    disputed_points = forms.CharField(
        label=_("Points in dispute"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    responsibilities = forms.CharField(
        label=_("Each side's responsibility"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    agreed_items = forms.CharField(
        label=_("What is agreed"), widget=forms.Textarea(attrs={"rows": 3})
    )
    performance_method = forms.CharField(
        label=_("How and by when it is performed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    item_obligor = forms.TypedChoiceField(
        label=_("Obliged party"), coerce=int, required=False, empty_value=None
    )
    item_what = forms.CharField(label=_("Item to perform"), required=False)
    item_due = forms.DateField(label=_("Due"), required=False, widget=D)

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, parties=parties, **kwargs)
        self.fields["item_obligor"].choices = [("", "—")] + [(p.pk, p.name) for p in parties]

    def items(self) -> list[dict]:
        d = self.cleaned_data
        if not d.get("item_what"):
            return []
        return [
            {
                "obligor": d.get("item_obligor"),
                "what": d["item_what"],
                "due_date": d.get("item_due"),
            }
        ]


class SignForm(PartyForm):
    who = forms.ChoiceField(
        label=_("Who"),
        choices=[
            ("party", _("a party")),
            ("mediator", _("the mediator")),
            ("seal", _("the committee's seal")),
        ],
    )
    party = forms.TypedChoiceField(label=_("Party"), coerce=int, required=False, empty_value=None)
    method = forms.ChoiceField(label=_("Method"), choices=Signature.Method.choices)


class PerformanceForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    proof_note = forms.CharField(
        label=_("Proof"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class FollowUpForm(forms.Form):
    """回访记录: the fields of the format."""

    visit_date = forms.DateField(label=_("Visit date"), widget=D, initial=timezone.localdate)
    way = forms.ChoiceField(label=_("Way of the visit"), choices=FollowUp.Way.choices)
    visitors = forms.CharField(label=_("Visited by"), max_length=100, required=False,
                               help_text=_("Empty: you."))  # fmt: skip
    visited = forms.CharField(label=_("Persons visited"), max_length=200)
    performance = forms.ChoiceField(
        label=_("Performance of the agreement"), choices=FollowUp.Performance.choices
    )
    performance_note = forms.CharField(
        label=_("Performance details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    opinions = forms.CharField(
        label=_("Opinions of the parties"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(
        label=_("What the visit found"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    """The judicial office's review of a hard case, or guidance."""

    kind = forms.ChoiceField(label=_("Kind"), choices=SupervisionReview.Kind.choices)
    note = forms.CharField(label=_("Review or guidance"), widget=forms.Textarea(attrs={"rows": 4}))


class FailureForm(forms.Form):
    reason = forms.CharField(
        label=_("Why mediation failed"), widget=forms.Textarea(attrs={"rows": 2})
    )
    routes_told = forms.MultipleChoiceField(
        label=_("Routes the parties were told of"),
        choices=[(k, v) for k, v in ROUTES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    divert_to = forms.ChoiceField(
        label=_("Divert the case to"), choices=Diversion.Target.choices, initial="court"
    )


class ConfirmationForm(forms.Form):
    applied_at = forms.DateField(label=_("Applied on"), widget=D)
    court = forms.CharField(label=_("Court"), max_length=100)
    result = forms.ChoiceField(
        label=pgettext_lazy("mediation", "Result"), choices=JudicialConfirmation.Result.choices
    )
    result_at = forms.DateField(label=_("Decided on"), required=False, widget=D)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class TerminateForm(PartyForm):
    party = forms.TypedChoiceField(label=_("Party who ends the mediation"), coerce=int)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    routes_told = forms.MultipleChoiceField(
        label=_("Routes the parties were told of"),
        choices=[(k, v) for k, v in ROUTES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    divert_to = forms.ChoiceField(
        label=_("Divert the case to"), choices=Diversion.Target.choices, initial="court"
    )


class ExtendForm(forms.Form):
    new_due = forms.DateField(label=_("New time limit"), widget=D)
    consent = forms.CharField(
        label=_("How the parties agreed"), widget=forms.Textarea(attrs={"rows": 2})
    )


class LedgerForm(forms.Form):
    committee = forms.TypedChoiceField(label=_("Mediation committee"), coerce=int)
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), widget=D)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), widget=D)

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = [(c.pk, c.name) for c in committees]

    def clean(self):
        d = super().clean()
        if d.get("date_from") and d.get("date_to") and d["date_from"] > d["date_to"]:
            self.add_error("date_to", _("The period ends before it starts."))
        return d


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Account"), max_length=150)
    employment_type = forms.ChoiceField(label=_("Employment type"), choices=EmploymentType.choices)
    post = forms.ChoiceField(
        label=_("Post"), choices=MediatorPost.choices, required=False, initial=MediatorPost.MEMBER
    )
    specialties = forms.MultipleChoiceField(
        label=_("Specialties"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialties"].choices = [
            (s.code, s.name) for s in Specialty.objects.filter(active=True)
        ]
