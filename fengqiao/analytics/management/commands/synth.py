"""`fengqiao synth`: build a province-scale synthetic data set (see fengqiao.analytics.synth)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from fengqiao.analytics import synth


def _positive(name: str, value: int, minimum: int = 1) -> int:
    if value < minimum:
        raise CommandError(
            _("--%(name)s: give a whole number of at least %(min)d.")
            % {"name": name, "min": minimum}
        )
    return value


class Command(BaseCommand):
    help = (
        "Build a synthetic province (13 cities, 100,000 grids, 10 million cases over 5 years by "
        "default) with bulk loading, for benchmarks. Refuses to run twice unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        d = synth.Options()
        parser.add_argument("--cases", type=int, default=d.cases)
        parser.add_argument("--grids", type=int, default=d.grids)
        parser.add_argument("--cities", type=int, default=d.cities)
        parser.add_argument("--seed", type=int, default=d.seed)
        parser.add_argument("--years", type=int, default=d.years)
        parser.add_argument(
            "--reset", action="store_true", help="remove a previous synthetic province first"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        opts = synth.Options(
            cases=_positive("cases", o["cases"], 0),
            grids=_positive("grids", o["grids"]),
            cities=_positive("cities", o["cities"]),
            seed=o["seed"],
            years=_positive("years", o["years"]),
            reset=o["reset"],
        )
        if opts.cities > 99:
            raise CommandError(_("--cities: at most 99."))
        try:
            summary = synth.build(opts, progress=lambda m: self.stdout.write(m))
        except synth.AlreadyBuilt:
            raise CommandError(
                _("The synthetic province already exists; run with --reset to rebuild it.")
            ) from None
        self.stdout.write(
            _(
                "Synthetic province built: %(cases)s cases, %(facts)s facts, %(grids)s grids, "
                "%(visits)s visits, %(cards)s supervision cards."
            )
            % {
                "cases": f"{summary.cases:,}",
                "facts": f"{summary.facts:,}",
                "grids": f"{summary.grids:,}",
                "visits": f"{summary.visits:,}",
                "cards": f"{summary.cards:,}",
            }
        )
