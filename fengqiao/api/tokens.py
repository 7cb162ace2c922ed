"""Issuing and revoking API tokens: the only code that changes ApiToken rows.

A token is `fq_` followed by 43 URL-safe characters. Only its SHA-256 is stored, so the secret is
shown once, when it is issued, and can never be shown again.
"""

import hashlib
import secrets
import weakref
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connections, router, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.access import access_for, assignment_sql, key_from_rows, remember_key
from fengqiao.accounts.models import RoleAssignment, ScopeType
from fengqiao.accounts.roles import Perm
from fengqiao.api.models import ApiToken
from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.territory.models import Grid

TOKEN_PREFIX = "fq_"
# Fields never written to the audit trail (the hash is not secret, but nobody needs it there).
_NOT_AUDITED = {"key_hash"}


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once to the person who asked for it, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class _Columns:
    """Every concrete column of a model in a hand-written SELECT, and the instance from them,
    converted as the ORM converts them (SQLite booleans and datetimes, time zones)."""

    def __init__(self, model: Any, alias: str, connection: Any) -> None:
        qn = connection.ops.quote_name
        fields = model._meta.concrete_fields
        self.model = model
        self.sql = ", ".join(f"{alias}.{qn(f.column)}" for f in fields)
        self.count = len(fields)
        self.attnames = [f.attname for f in fields]
        self.converters = []
        for i, f in enumerate(fields):
            column = f.get_col(alias)
            found = connection.ops.get_db_converters(column) + f.get_db_converters(connection)
            if found:
                self.converters.append((i, found, column))

    def instance(self, values: list[Any], connection: Any) -> Any:
        for i, found, column in self.converters:
            value = values[i]
            for convert in found:
                value = convert(value, column, connection)
            values[i] = value
        return self.model.from_db(connection.alias, self.attnames, values)


@dataclass(frozen=True)
class _TokenQuery:
    """The token, its user, and the user's access key (fengqiao.accounts.access) in one query
    whose SQL is built once per process: the ORM's compiler, run for every request, cost more
    than the query itself."""

    sql: str
    params: list[Any]
    token: _Columns
    user: _Columns

    @classmethod
    def build(cls, connection: Any) -> "_TokenQuery":
        qn = connection.ops.quote_name
        User = get_user_model()
        token = _Columns(ApiToken, "t", connection)
        user = _Columns(User, "u", connection)
        user_pk = f"u.{qn(User._meta.pk.column)}"
        columns, joins, params = assignment_sql(connection, user_pk)
        sql = (
            f"SELECT {token.sql}, {user.sql}, {columns} "
            f"FROM {qn(ApiToken._meta.db_table)} t "
            f"INNER JOIN {qn(User._meta.db_table)} u "
            f"ON {user_pk} = t.{qn(ApiToken._meta.get_field('user').column)} "
            f"{joins} WHERE t.{qn(ApiToken._meta.get_field('key_hash').column)} = %s"
        )
        return cls(sql, params, token, user)


# Database connection → its prepared token query. Per connection object, not per alias: the
# converters are bound to the connection's operations, and each thread has its own connection.
_token_queries: "weakref.WeakKeyDictionary[Any, _TokenQuery]" = weakref.WeakKeyDictionary()


def find_token(secret: str) -> ApiToken | None:
    """The token whose secret this is (revoked or not) with its user, or None.

    The user's access key (active role assignments, reference data generation) comes in the
    same round trip and is handed to `access_for`, which then needs no query of its own.
    """
    if not secret or len(secret) > 200:
        return None
    alias = router.db_for_read(ApiToken)
    connection = connections[alias]
    query = _token_queries.get(connection)
    if query is None:
        query = _token_queries[connection] = _TokenQuery.build(connection)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [*query.params, hash_secret(secret)])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    n_token, n_user = query.token.count, query.user.count
    token = query.token.instance(list(first[:n_token]), connection)
    user = query.user.instance(list(first[n_token : n_token + n_user]), connection)
    ApiToken.user.field.set_cached_value(token, user)
    rest = n_token + n_user
    remember_key(user, key_from_rows(first[rest], (row[rest + 1 :] for row in rows)))
    return token


def manageable_users(actor: Any) -> QuerySet:
    """Accounts whose tokens `actor` may manage: not superusers, their unit and every active role
    inside the actor's staff-editing scope (Perm.STAFF_EDIT)."""
    User = get_user_model()
    scope = access_for(actor).scope(Perm.STAFF_EDIT)
    if scope.empty:
        return User.objects.none()
    outside_grids = Grid.objects.exclude(scope.q(path="community__path", grid="id"))
    grid_roles_outside = RoleAssignment.objects.filter(
        scope_type=ScopeType.GRIDS, grids__in=outside_grids
    ).values("pk")
    role_inside = (
        (Q(scope_type=ScopeType.REGION) & scope.q(path="region__path"))
        | (Q(scope_type=ScopeType.UNIT) & scope.q(path="unit__region__path", unit="unit_id"))
        | (Q(scope_type=ScopeType.GRIDS) & ~Q(pk__in=grid_roles_outside))
    )
    roles_outside = (
        RoleAssignment.objects.filter(active=True).exclude(role_inside).values("user_id")
    )
    unit_inside = Q(unit__isnull=True) | scope.q(path="unit__region__path", unit="unit_id")
    return User.objects.filter(unit_inside, is_superuser=False).exclude(pk__in=roles_outside)


def may_manage_tokens(actor: Any, target: Any) -> bool:
    """Who may issue and revoke tokens of `target`: the command line (actor None, the operator
    of the installation), or an administrator (Perm.STAFF_EDIT) whose scope covers the target's
    unit and every role (see `manageable_users`). There is no superuser bypass, and superuser
    accounts get tokens from the command line only.
    """
    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return manageable_users(actor).filter(pk=target.pk).exists()


def _audit_changes(before: dict, after: dict) -> dict:
    return {k: v for k, v in audit.diff(before, after).items() if k not in _NOT_AUDITED}


def issue_token(user: Any, *, actor: Any, name: str = "", read_only: bool = False) -> IssuedToken:
    """Create a token for `user`. Raises PermissionDenied when `actor` may not."""
    if not may_manage_tokens(actor, user):
        raise PermissionDenied(_("You may not issue API tokens for this account."))
    if not user.is_active:
        raise PermissionDenied(_("This account is inactive."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=secret[:8],
            key_hash=hash_secret(secret),
            read_only=read_only,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor, AuditEntry.Action.CREATE, token, _audit_changes({}, audit.snapshot(token))
        )
    return IssuedToken(token, secret)


def revoke_token(token: ApiToken, *, actor: Any) -> ApiToken:
    """Revoke `token` (idempotent). Its owner may always revoke their own token."""
    is_owner = getattr(actor, "pk", None) is not None and actor.pk == token.user_id
    if not is_owner and not may_manage_tokens(actor, token.user):
        raise PermissionDenied(_("You may not revoke this API token."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        before = audit.snapshot(locked)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            actor,
            AuditEntry.Action.UPDATE,
            locked,
            _audit_changes(before, audit.snapshot(locked)),
        )
    return locked


def set_read_only(token: ApiToken, read_only: bool, *, actor: Any) -> ApiToken:
    """Narrow (or widen) a token to read-only."""
    if not may_manage_tokens(actor, token.user):
        raise PermissionDenied(_("You may not change this API token."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.read_only == read_only:
            return locked
        before = audit.snapshot(locked)
        locked.read_only = read_only
        locked.save(update_fields=["read_only"])
        audit.record(
            actor,
            AuditEntry.Action.UPDATE,
            locked,
            _audit_changes(before, audit.snapshot(locked)),
        )
    return locked
