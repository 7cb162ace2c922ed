"""The one exception family of case actions; views and the API turn them into 4xx answers.

Every error names the field it is about ("" for the case as a whole), a stable code and a
translated message. An error about several fields carries them all in `errors`.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


class CaseError(Exception):
    """Base class: bad input, a transition that is not allowed, a stale edit, no permission."""

    status = 400

    def __init__(
        self, field: str, code: str, message: str, *, errors: list[FieldError] | None = None
    ):
        self.errors = errors or [FieldError(field, code, str(message))]
        first = self.errors[0]
        self.field, self.code, self.message = first.field, first.code, first.message
        super().__init__(self.message)

    @property
    def status_code(self) -> int:
        # The API's error handler reads `status_code` (see fengqiao.api.errors).
        return self.status

    def as_dict(self) -> dict[str, list[str]]:
        """{field: [messages]}: the shape of Django form and DRF validation errors."""
        out: dict[str, list[str]] = {}
        for e in self.errors:
            out.setdefault(e.field or "non_field_errors", []).append(e.message)
        return out


class InvalidInput(CaseError):
    """A field is missing or malformed. Nothing was saved."""

    status = 400

    @classmethod
    def many(cls, errors: list[FieldError]) -> "InvalidInput":
        return cls("", "", "", errors=errors)


class TransitionNotAllowed(CaseError):
    """The action does not apply to the case in its current state."""

    status = 409


class NotPermitted(CaseError):
    """The actor may see the case but lacks the capability for this action."""

    status = 403


class CaseNotFound(CaseError):
    """No such case, or not in the actor's scope (the two are indistinguishable on purpose)."""

    status = 404

    def __init__(self) -> None:
        super().__init__("", "not_found", _("No such case, or it is outside your area."))


class ConflictError(CaseError):
    """Someone else changed the case since the form was loaded; the caller keeps the input."""

    status = 409
