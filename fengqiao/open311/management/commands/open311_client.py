"""`fengqiao open311_client NAME --channel CODE [--account USERNAME]`: print a new Open311
api_key, once. Without --account the client reports as the public (the channel must be public)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from fengqiao.cases.models import Channel
from fengqiao.open311.clients import issue_client


class Command(BaseCommand):
    help = "Issue an Open311 client key and print it (it cannot be shown again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="what the client is, e.g. 'resident app'")
        parser.add_argument("--channel", default="resident_report", help="channel code")
        parser.add_argument("--account", default="", help="username the client reports as")

    def handle(self, *args, **options) -> None:
        channel = Channel.objects.filter(code=options["channel"]).first()
        if channel is None:
            raise CommandError(f"No channel with code {options['channel']!r}.")
        account = None
        if options["account"]:
            account = get_user_model().objects.filter(username=options["account"]).first()
            if account is None:
                raise CommandError(f"No account with username {options['account']!r}.")
        try:
            issued = issue_client(options["name"], channel, actor=None, account=account)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stderr.write(
            f"Issued Open311 key {issued.client.prefix}… for {issued.client.name}. "
            "Copy it now: it is shown only this once."
        )
        self.stdout.write(issued.secret)
