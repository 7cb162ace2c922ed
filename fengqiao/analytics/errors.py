"""Bad filter input: names the field and the reason, in the user's language."""


class BadFilter(ValueError):
    """`code`: "invalid" for a value that does not parse, "not_found_in_scope" for one that
    names nothing the user may see."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = str(message)
        self.code = code

    def as_detail(self) -> dict:
        from rest_framework.exceptions import ErrorDetail

        return {self.field: [ErrorDetail(self.message, code=self.code)]}
