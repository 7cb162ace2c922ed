"""The admin of the reference data below accounts (territory: regions, grids, site types;
org: sectors, units, grid workers). It stands here, above accounts, because it asks
`accounts.access` who may change what; the models stay in their apps. Importing the modules
registers them (Django's admin imports each app's `admin` module)."""

from fengqiao.web import org_admin, territory_admin

__all__ = ["org_admin", "territory_admin"]
