"""Scope rules of the registry rows: a row belongs to its grid (grid workers: their grids;
stations, streets, the district: the region subtree the grid lies in)."""

from django.db.models import Model, Q

from fengqiao.accounts.access import Access, ScopeRule
from fengqiao.registry import models as m


def _by_grid(prefix: str = "") -> ScopeRule:
    def rule(access: Access, perm: str) -> Q:
        return access.scope(perm).q(path=f"{prefix}grid__community__path", grid=f"{prefix}grid_id")

    return rule


RULES: dict[type[Model], ScopeRule] = {
    m.Resident: _by_grid(),
    m.House: _by_grid(),
    m.Household: _by_grid(),
    m.Place: _by_grid(),
    m.Organisation: _by_grid(),
    m.ExtraRecord: _by_grid(),
    m.KeyPerson: _by_grid(),
    m.Visit: _by_grid("key_person__"),
    m.VisitEscalation: _by_grid("key_person__"),
}
