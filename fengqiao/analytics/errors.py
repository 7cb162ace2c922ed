"""Bad filter input: names the field and the reason, in the user's language."""


class BadFilter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = str(message)
