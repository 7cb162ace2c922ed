"""`fengqiao issue_token USERNAME [--read-only] [--name N]`: print a new API token, once."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from fengqiao.api.tokens import issue_token


class Command(BaseCommand):
    help = "Issue an API token for an account and print it (it cannot be shown again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--read-only", action="store_true", help="allow reading only (GET)")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'mobile app'")

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No account with username {options['username']!r}.") from None
        try:
            issued = issue_token(
                user, actor=None, name=options["name"], read_only=options["read_only"]
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        kind = "read-only" if issued.token.read_only else "read-write"
        self.stderr.write(
            f"Issued a {kind} API token {issued.token.prefix}… for {user.username}. "
            "Copy it now: it is shown only this once."
        )
        self.stdout.write(issued.secret)
