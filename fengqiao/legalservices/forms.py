"""Forms of the legal-service pages: they only parse input; the rules live in the actions."""

import math
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.forms import PointMixin
from fengqiao.cases.models import CaseKind, Category
from fengqiao.org.models import Unit, UnitKind
from fengqiao.territory.models import Region

from .models import AidCaseType, Level, ServicePoint, Topic


def communities() -> list[tuple[str, Any]]:
    """The communities and villages of the regions the network serves, "street · community"."""
    paths = [p for p in ServicePoint.objects.filter(active=True, level=Level.CENTRE)
             .values_list("region__path", flat=True)]  # fmt: skip
    rows = Region.objects.filter(level=Region.Level.COMMUNITY).select_related("parent")
    out = [
        (str(r.pk), f"{r.parent.name} · {r.name}" if r.parent else r.name)
        for r in rows.order_by("path")
        if any(r.path.startswith(p) for p in paths)
    ]
    return [("", _("— choose, or place the point on the map —")), *out]


def _set(form: forms.Form, name: str, **attrs: Any) -> None:
    field = cast(Any, form.fields[name])
    for key, value in attrs.items():
        setattr(field, key, value)


class AskForm(PointMixin):
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.none())
    community = forms.ChoiceField(label=_("Your community or village"), required=False)
    text = forms.CharField(
        label=_("Your question"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    name = forms.CharField(label=_("Your name"), required=False, max_length=50)
    phone = forms.CharField(
        label=_("Your phone"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "topic", queryset=Topic.objects.filter(active=True))
        _set(self, "community", choices=communities())

    def point(self) -> tuple[float | None, float | None]:
        out: list[float | None] = []
        for name in ("lon", "lat"):
            raw = (self.cleaned_data.get(name) or "").strip()
            if not raw:
                out.append(None)
                continue
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or abs(value) > (180 if name == "lon" else 90):
                self.add_error(name, _("Enter a number."))
                out.append(None)
            else:
                out.append(value)
        return out[0], out[1]


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Tracking code"), max_length=20)
    phone_last4 = forms.CharField(
        label=_("Last 4 digits of your phone"), min_length=4, max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip


class FollowUpForm(forms.Form):
    text = forms.CharField(
        label=_("Your follow-up question"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How helpful was the answer?"), coerce=int, widget=forms.RadioSelect,
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class TextForm(forms.Form):
    text = forms.CharField(
        label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class AidForm(forms.Form):
    economic_hardship = forms.TypedChoiceField(
        label=_("Is the resident in economic hardship?"), widget=forms.RadioSelect,
        choices=[("yes", _("yes")), ("no", _("no"))], coerce=lambda v: v == "yes",
    )  # fmt: skip
    case_type = forms.ModelChoiceField(
        label=_("Legal aid case type"), queryset=AidCaseType.objects.none()
    )
    note = forms.CharField(label=_("Internal note"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "case_type", queryset=AidCaseType.objects.filter(active=True))


class MediationForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Kind of dispute"), queryset=Category.objects.none())
    committee = forms.ModelChoiceField(
        label=_("Mediation committee (if you mediate for it)"), required=False,
        queryset=Unit.objects.none(),
    )  # fmt: skip
    note = forms.CharField(label=_("Internal note"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args, committees=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "category", queryset=Category.objects.filter(
            active=True, kind=CaseKind.DISPUTE, civil_dispute=True, public=True,
            children__isnull=True,
        ))  # fmt: skip
        if committees is None:
            committees = Unit.objects.filter(kind=UnitKind.MEDIATION_COMMITTEE, active=True)
        _set(self, "committee", queryset=committees)
