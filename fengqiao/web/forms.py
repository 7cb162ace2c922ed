"""Forms of the staff UI shell."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import audit


class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )

    def __init__(self, *args, object_types: tuple[str, ...] | list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        types = sorted(((t, audit.type_label(t)) for t in object_types), key=lambda c: c[1])
        self.fields["object_type"].choices = [("", _("All")), *types]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data
