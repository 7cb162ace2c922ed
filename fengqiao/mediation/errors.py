"""The mediation's own error; the others are the cases app's family (fengqiao.cases.errors:
field, code, message, status)."""

from django.utils.translation import gettext as _

from fengqiao.cases.errors import CaseError


class MediationNotFound(CaseError):
    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", _("No such mediation, or it is outside your area."))
