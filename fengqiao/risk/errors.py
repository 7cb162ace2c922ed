"""Risk's own errors; the others are the cases app's family (fengqiao.cases.errors: field,
code, message, status), which the views and the API already turn into answers."""

from django.utils.translation import gettext as _

from fengqiao.cases.errors import CaseError


class NotFound(CaseError):
    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", _("Not found, or outside your area."))
