"""Hash chains over the append-only records: case history, mediation events, the audit trail and
the sensitive-read log.

Each chained row holds its place in its chain (`chain_seq`, from 1), the hash of the row before
(`chain_prev`, empty for the first) and its own hash (`chain_hash`) over the chain's name, its
place, the previous hash and its content (the fields its spec lists, in that order). The hash
names its algorithm (`sm3:…`, `sha256:…`; settings.AUDIT_HASH chooses for new rows). Every
append also writes the chain's new head to the append-only `ChainAnchor` table in the same
transaction and, when settings.AUDIT_ANCHOR_FILE is set, to that file after commit.

Chains are chosen so that writers do not queue on one lock: a case's history is one chain per
case (its writers already hold the case row), a mediation's events one per mediation, and the
audit trail and the read log one per day and shard: on PostgreSQL a writer takes the first shard
whose transaction-scoped advisory lock is free.

`verify()` walks every chain and reports, per broken chain, the first row that was edited,
deleted or inserted out of order (`fengqiao audit verify`).
"""

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

ALGORITHMS = ("sm3", "sha256")


@dataclass(frozen=True)
class ChainSpec:
    """How one model is chained. `group` is the attribute naming the chain (a case's id, or the
    `chain` column of the day-and-shard logs); `fields` the hashed content, in a fixed order:
    adding a field to a chained model does not change the hash of its existing rows."""

    label: str  # "app_label.model_name"
    kind: str  # the chain name's prefix: "case", "mediation", "audit", "read"
    group: str
    fields: tuple[str, ...]
    sharded: bool = False  # day-and-shard chains (the group column is filled on append)
    legacy_order: tuple[str, ...] = ("id",)  # order in which rows sealed after the fact go

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    def chain_name(self, group_value: Any) -> str:
        return f"{self.kind}:{group_value}"


SPECS: dict[str, ChainSpec] = {}


def register(spec: ChainSpec) -> None:
    """Chain a model (called by its app's `ready()` or at import of this module for core's)."""
    SPECS[spec.label] = spec


register(
    ChainSpec(
        "core.auditentry",
        "audit",
        "chain",
        (
            "at",
            "actor_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ),
        sharded=True,
    )
)
register(
    ChainSpec(
        "core.sensitiveaccess",
        "read",
        "chain",
        ("at", "actor_id", "object_type", "object_id", "field", "purpose"),
        sharded=True,
    )
)

# The content every timeline (case history, mediation events) shares.
TIMELINE_FIELDS = ("at", "actor_id", "action", "from_state", "to_state", "note", "data")


def spec_for(model: type[models.Model]) -> ChainSpec:
    return SPECS[model._meta.label_lower]


# ---------------------------------------------------------------------------------- hashing


def _canon(value: Any) -> Any:
    """A value as it reads back from any database, JSON-ready: times in UTC with microseconds,
    JSON numbers without a float/int distinction for whole numbers (jsonb drops it)."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is datetime:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if kind is date:
        return value.isoformat()
    if kind is float:
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def digest(algorithm: str, chain: str, seq: int, prev: str, content: Iterable[Any]) -> str:
    """The hash of one row, as stored: "<algorithm>:<hex>"."""
    payload = json.dumps(
        [chain, seq, prev, [_canon(v) for v in content]],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    return f"{algorithm}:{hashlib.new(algorithm, payload).hexdigest()}"


def algorithm_of(stored: str) -> str:
    name = stored.partition(":")[0]
    return name if name in ALGORITHMS else ""


# ---------------------------------------------------------------------------------- appending


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _shard_group(spec: ChainSpec) -> str:
    """Today's chain of a day-and-shard log that no other transaction is writing to.

    PostgreSQL: the first shard whose transaction-scoped advisory lock is free (held until
    commit; a transaction taking it again gets it again), starting from one that depends on the
    connection so that concurrent writers start apart; if all are busy, wait for that one.
    Other databases serialise writers themselves: shard 0."""
    day = timezone.localdate().isoformat()
    if connection.vendor != "postgresql":
        return f"{day}/0"
    shards = settings.AUDIT_CHAIN_SHARDS
    start = hash((os.getpid(), id(connection.connection))) % shards
    with connection.cursor() as cursor:
        for i in range(shards):
            group = f"{day}/{(start + i) % shards}"
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s)", [_lock_key(spec.chain_name(group))]
            )
            if cursor.fetchone()[0]:
                return group
        group = f"{day}/{start}"
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(spec.chain_name(group))])
    return group


def head(chain: str, anchor_model: Any = None) -> tuple[int, str]:
    """(position, hash) of the chain's newest anchor; (0, "") for a new chain."""
    from fengqiao.core.models import ChainAnchor

    model = anchor_model or ChainAnchor
    row = model.objects.filter(chain=chain).order_by("-seq").values_list("seq", "hash").first()
    if row is None:
        return 0, ""
    return int(row[0]), str(row[1])


# Anchors of the chains sealed inside `batched_anchors()`, by chain: written in one INSERT when
# the block ends (the newest per chain also answers `seal`'s head look-up meanwhile).
_pending: ContextVar[dict[str, list[Any]] | None] = ContextVar("chain_anchors", default=None)


@contextmanager
def batched_anchors() -> Iterator[None]:
    """Write the anchors of every chain sealed inside in one INSERT when the block ends (an
    intake seals the case's history, the read log of its answer and perhaps a warning and its
    audit row: one anchor row each). Use inside the transaction that inserts the rows; if the
    block raises, the transaction rolls back and nothing is written."""
    from fengqiao.core.models import ChainAnchor

    if _pending.get() is not None:  # nested: the outer block writes them
        yield
        return
    pending: dict[str, list[Any]] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    anchors = [a for rows in pending.values() for a in rows]
    if anchors:
        ChainAnchor.objects.bulk_create(anchors)
        _anchored(anchors)


def _anchored(anchors: list[Any]) -> None:
    path = settings.AUDIT_ANCHOR_FILE
    if path:
        lines = "".join(f"{a.chain}\t{a.seq}\t{a.hash}\n" for a in anchors)
        transaction.on_commit(lambda: _append_file(path, lines))


def seal(objs: list[models.Model]) -> None:
    """Give unsaved chained rows (all of one model) their place and hashes and anchor the new
    heads. Call inside the transaction that inserts them, right before the insert."""
    from fengqiao.core.models import ChainAnchor

    if not objs:
        return
    pending = _pending.get()
    spec = spec_for(type(objs[0]))
    algorithm = settings.AUDIT_HASH
    by_chain: dict[str, list[models.Model]] = {}
    if spec.sharded:
        group = _shard_group(spec)
        for obj in objs:
            setattr(obj, spec.group, group)
    for obj in objs:
        by_chain.setdefault(spec.chain_name(getattr(obj, spec.group)), []).append(obj)
    anchors = []
    for name, rows in by_chain.items():
        parent = _new_parent(spec, rows[0])
        if parent is not None:
            seq, prev = 0, ""
            parent._chain_new = False  # type: ignore[attr-defined]
        elif pending and name in pending:  # sealed before in this block, not yet written
            seq, prev = pending[name][-1].seq, pending[name][-1].hash
        else:
            seq, prev = head(name)
        for obj in rows:
            seq += 1
            obj.chain_seq = seq  # type: ignore[attr-defined]
            obj.chain_prev = prev  # type: ignore[attr-defined]
            prev = digest(algorithm, name, seq, prev, (getattr(obj, f) for f in spec.fields))
            obj.chain_hash = prev  # type: ignore[attr-defined]
        anchors.append(ChainAnchor(chain=name, seq=seq, hash=prev))
    if pending is not None:
        for anchor in anchors:
            pending.setdefault(anchor.chain, []).append(anchor)
        return
    ChainAnchor.objects.bulk_create(anchors)
    _anchored(anchors)


def _new_parent(spec: ChainSpec, obj: models.Model) -> models.Model | None:
    """The parent (a case just inserted) whose chain starts with `obj`: no head look-up on the
    intake path. None when the chain may have rows already."""
    if not spec.group.endswith("_id"):
        return None
    fk = obj._meta.get_field(spec.group.removesuffix("_id"))
    if not isinstance(fk, models.ForeignKey) or not fk.is_cached(obj):
        return None
    parent = fk.get_cached_value(obj)
    return parent if getattr(parent, "_chain_new", False) else None


def mark_new_chain(parent: models.Model) -> None:
    """Say that `parent` (a row just inserted) has no chained rows yet."""
    parent._chain_new = True  # type: ignore[attr-defined]


def _append_file(path: str, lines: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(lines)


def create_all(model: type[models.Model], objs: list[models.Model]) -> None:
    """bulk_create for chained rows: sealed in the same transaction."""
    if not objs:
        return
    with transaction.atomic(savepoint=False):
        seal(objs)
        model._default_manager.bulk_create(objs)


# ---------------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Break:
    chain: str
    row_id: Any  # None when the problem is the chain's end or its anchor
    problem: str

    def __str__(self) -> str:
        where = f"row {self.row_id}" if self.row_id is not None else "end of chain"
        return f"{self.chain}: {where}: {self.problem}"


@dataclass
class Report:
    chains: int = 0
    rows: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def _anchor_heads(anchor_model: Any, kind: str) -> dict[str, tuple[int, str, str]]:
    """chain → (position, hash, event) of its newest anchor."""
    qs = anchor_model.objects.filter(chain__startswith=f"{kind}:")
    heads: dict[str, tuple[int, str, str]] = {}
    if connection.vendor == "postgresql":
        rows = (
            qs.order_by("chain", "-seq")
            .distinct("chain")
            .values_list("chain", "seq", "hash", "event")
        )
        for name, seq, h, event in rows.iterator(chunk_size=20000):
            heads[name] = (seq, h, event)
        return heads
    for name, seq, h, event in (
        qs.order_by("chain", "seq")
        .values_list("chain", "seq", "hash", "event")
        .iterator(chunk_size=20000)
    ):
        heads[name] = (seq, h, event)
    return heads


def _walk(
    spec: ChainSpec, rows: Iterator[tuple[Any, ...]], report: Report
) -> Iterator[tuple[str, int, str]]:
    """Check each chain's rows in order; yields (chain, last position, last hash) per chain
    (position -1 once the chain is broken: its end is not compared with the anchor)."""
    width = len(spec.fields)
    name = None
    expected, prev, broken = 1, "", False
    for row in rows:
        pk, group, seq, link, stored = row[0], row[1], row[2], row[3], row[4]
        current = spec.chain_name(group)
        if current != name:
            if name is not None:
                yield name, (-1 if broken else expected - 1), prev
            name, expected, prev, broken = current, 1, "", False
            report.chains += 1
        report.rows += 1
        if broken:
            continue
        problem = ""
        if seq is None or not stored:
            problem = "not sealed: inserted outside the platform"
        elif seq > expected:
            problem = f"row(s) deleted before this one (position {seq}, expected {expected})"
        elif seq < expected:
            problem = f"inserted out of order (position {seq} repeated)"
        elif link != prev:
            problem = "inserted out of order or its predecessor replaced (link to previous row)"
        else:
            algorithm = algorithm_of(stored)
            content = row[5 : 5 + width]
            if not algorithm or digest(algorithm, current, seq, link, content) != stored:
                problem = "edited: content does not match its hash"
        if problem:
            report.breaks.append(Break(current, pk, problem))
            broken = True
            continue
        expected, prev = seq + 1, stored
    if name is not None:
        yield name, (-1 if broken else expected - 1), prev


def verify_model(
    spec: ChainSpec, model: Any = None, anchor_model: Any = None, report: Report | None = None
) -> Report:
    """Walk every chain of one chained model and compare each end with its newest anchor."""
    from fengqiao.core.models import ChainAnchor

    model = model or spec.model
    anchor_model = anchor_model or ChainAnchor
    report = report if report is not None else Report()
    heads = _anchor_heads(anchor_model, spec.kind)
    # Unsealed rows sort differently per database (NULL first or last): report them apart.
    unsealed = model.objects.filter(chain_seq__isnull=True).order_by("pk")
    first_unsealed: dict[str, Any] = {}
    for pk, group in unsealed.values_list("pk", spec.group).iterator(chunk_size=5000):
        first_unsealed.setdefault(spec.chain_name(group), pk)
    for name, pk in first_unsealed.items():
        report.breaks.append(Break(name, pk, "not sealed: inserted outside the platform"))
    columns = ["pk", spec.group, "chain_seq", "chain_prev", "chain_hash", *spec.fields]
    rows = (
        model.objects.filter(chain_seq__isnull=False)
        .order_by(spec.group, "chain_seq")
        .values_list(*columns)
        .iterator(chunk_size=10000)
    )
    seen = set()
    for name, last, last_hash in _walk(spec, rows, report):
        seen.add(name)
        if last < 0 or name in first_unsealed:
            continue
        anchored = heads.get(name)
        if anchored is None:
            report.breaks.append(Break(name, None, "no anchor: chain written outside the platform"))
            continue
        seq, h, event = anchored
        if event == "purge":
            report.breaks.append(Break(name, None, "rows remain in a chain purged after retention"))
        elif last < seq:
            report.breaks.append(
                Break(name, None, f"row(s) deleted at the end (anchored up to {seq}, found {last})")
            )
        elif last > seq:
            report.breaks.append(
                Break(name, None, f"row(s) inserted after the anchored end (position {seq})")
            )
        elif last_hash != h:
            report.breaks.append(Break(name, None, "last row does not match its anchor"))
    for name, (_seq, _h, event) in heads.items():
        if name not in seen and name not in first_unsealed and event != "purge":
            report.breaks.append(Break(name, None, "every row of the chain deleted"))
    return report


def verify_anchor_file(path: str, anchor_model: Any = None, report: Report | None = None) -> Report:
    """Each chain's last head in the file must still be in the anchor table, unchanged."""
    from fengqiao.core.models import ChainAnchor

    anchor_model = anchor_model or ChainAnchor
    report = report if report is not None else Report()
    last: dict[str, tuple[int, str]] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3 and parts[1].isdigit():
                    last[parts[0]] = (int(parts[1]), parts[2])
    except FileNotFoundError:
        return report
    stored = {
        (c, s): h
        for c, s, h in anchor_model.objects.filter(chain__in=list(last)).values_list(
            "chain", "seq", "hash"
        )
    }
    for name, (seq, h) in sorted(last.items()):
        found = stored.get((name, seq))
        if found is None:
            report.breaks.append(
                Break(name, None, f"anchor {seq} of the file missing in the table")
            )
        elif found != h:
            report.breaks.append(Break(name, None, f"anchor {seq} differs from the file"))
    return report


def verify(progress: Callable[[str], None] | None = None) -> Report:
    """Walk every chain of every chained model, then the anchor file if one is set."""
    report = Report()
    for spec in SPECS.values():
        if progress:
            progress(spec.label)
        verify_model(spec, report=report)
    if settings.AUDIT_ANCHOR_FILE:
        verify_anchor_file(settings.AUDIT_ANCHOR_FILE, report=report)
    return report


# ---------------------------------------------------------------------------------- sealing


def seal_existing(apps_registry: Any, label: str, batch: int = 2000) -> int:
    """Seal the rows written before chains existed (run by the migrations that add the chain
    columns; works on historical models). Rows go in `legacy_order` within each chain; the
    day-and-shard logs put each row in shard 0 of its day. Returns how many were sealed."""
    spec = SPECS[label]
    model = apps_registry.get_model(label)
    anchor_model = apps_registry.get_model("core", "ChainAnchor")
    algorithm = settings.AUDIT_HASH
    rows = model.objects.filter(chain_seq__isnull=True)
    if spec.sharded:
        pending = []
        for obj in rows.filter(**{spec.group: ""}).only("pk", "at").iterator(chunk_size=batch):
            obj.chain = f"{timezone.localdate(obj.at).isoformat()}/0"
            pending.append(obj)
            if len(pending) >= batch:
                model.objects.bulk_update(pending, ["chain"])
                pending = []
        model.objects.bulk_update(pending, ["chain"])
    order = [spec.group, *spec.legacy_order]
    sealed = 0
    name, seq, prev = None, 0, ""
    pending = []
    anchors: dict[str, Any] = {}
    for obj in rows.order_by(*order).iterator(chunk_size=batch):
        current = spec.chain_name(getattr(obj, spec.group))
        if current != name:
            name = current
            seq, prev = head(name, anchor_model)
        seq += 1
        obj.chain_seq, obj.chain_prev = seq, prev
        prev = digest(algorithm, name, seq, prev, (getattr(obj, f) for f in spec.fields))
        obj.chain_hash = prev
        anchors[name] = anchor_model(chain=name, seq=seq, hash=prev)
        pending.append(obj)
        sealed += 1
        if len(pending) >= batch:
            model.objects.bulk_update(pending, ["chain_seq", "chain_prev", "chain_hash"])
            pending = []
    model.objects.bulk_update(pending, ["chain_seq", "chain_prev", "chain_hash"])
    anchor_model.objects.bulk_create(anchors.values(), batch_size=batch)
    return sealed


# ---------------------------------------------------------------------------------- purging


# Six months: audit and read-log rows younger than this are never purged (等保 2.0); the
# setting AUDIT_RETENTION_DAYS refuses less, the PostgreSQL trigger refuses the delete too.
AUDIT_RETENTION_FLOOR_DAYS = 180


def purge(today: date | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Delete the audit trail's and the read log's day chains older than AUDIT_RETENTION_DAYS
    (never less than 180 days: the setting refuses less, the PostgreSQL trigger too).

    The one path by which these rows go: a chain is checked first (a broken one is kept, as
    evidence), its rows are deleted and a `purge` anchor closes it; the purge itself is an audit
    entry. Returns rows deleted per log."""
    from datetime import timedelta

    from fengqiao.core.models import AuditEntry, ChainAnchor

    # Never counted from a day after today, nor kept less than the floor, whatever a caller or
    # an overridden setting says: younger rows cannot go.
    today = min(today or timezone.localdate(), timezone.localdate())
    days = max(int(settings.AUDIT_RETENTION_DAYS), AUDIT_RETENTION_FLOOR_DAYS)
    cutoff = (today - timedelta(days=days)).isoformat()
    done: dict[str, int] = {}
    for spec in [s for s in SPECS.values() if s.sharded]:
        model: Any = spec.model
        groups = (
            model.objects.filter(**{f"{spec.group}__lt": cutoff})
            .order_by(spec.group)
            .values_list(spec.group, flat=True)
            .distinct()
        )
        done[spec.kind] = 0
        for group in list(groups):
            name = spec.chain_name(group)
            rows = model.objects.filter(**{spec.group: group})
            check = Report()
            _verify_one(spec, rows, name, check)
            if not check.ok or dry_run:
                done[spec.kind] += 0 if not check.ok else rows.count()
                continue
            with transaction.atomic():
                seq, h = head(name)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT set_config('fengqiao.purge', 'on', true)")
                count, _ = rows.delete()
                ChainAnchor.objects.create(
                    chain=name, seq=seq + 1, hash=h, event=ChainAnchor.Event.PURGE
                )
                AuditEntry(
                    actor=None,
                    action=AuditEntry.Action.DELETE,
                    object_type=spec.label,
                    object_repr=f"{name} (retention {days} d)",
                    changes={"rows": [count, 0], "head": [h, None]},
                ).save()
            done[spec.kind] += count
    return done


def _verify_one(spec: ChainSpec, rows: Any, name: str, report: Report) -> None:
    """Check one chain's rows against its newest anchor (before purging it)."""
    if rows.filter(chain_seq__isnull=True).exists():
        report.breaks.append(Break(name, None, "not sealed: inserted outside the platform"))
        return
    columns = ["pk", spec.group, "chain_seq", "chain_prev", "chain_hash", *spec.fields]
    walked = list(_walk(spec, iter(rows.order_by("chain_seq").values_list(*columns)), report))
    seq, h = head(name)
    for _name, last, last_hash in walked:
        if last >= 0 and (last, last_hash) != (seq, h):
            report.breaks.append(Break(name, None, "end of chain does not match its anchor"))


# ---------------------------------------------------------------------------------- triggers


def append_only_sql(table: str, *, purgeable: bool = False) -> str:
    """PostgreSQL: a trigger refusing UPDATE and DELETE on `table` for every role. A purgeable
    log (audit trail, read log) lets `purge()` delete rows older than 180 days, and only inside a
    transaction that set `fengqiao.purge` (the documented path, which anchors what it deletes)."""
    allow = (
        "IF TG_OP = 'DELETE' AND current_setting('fengqiao.purge', true) = 'on' "
        "AND OLD.at < now() - interval '180 days' THEN RETURN OLD; END IF;"
        if purgeable
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
  {allow}
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""


def drop_append_only_sql(table: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; "
        f"DROP FUNCTION IF EXISTS {table}_append_only();"
    )


def migration_ops(label: str, table: str, *, purgeable: bool = False) -> list[Any]:
    """The operations that seal a model's existing rows and, on PostgreSQL, make its table
    append-only (for the migration that adds the chain columns)."""
    from django.db import migrations

    def seal_rows(apps_registry: Any, schema_editor: Any) -> None:
        seal_existing(apps_registry, label)

    def add_trigger(apps_registry: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(append_only_sql(table, purgeable=purgeable), params=None)

    def drop_trigger(apps_registry: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop_append_only_sql(table), params=None)

    return [
        migrations.RunPython(seal_rows, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]


def migration_ops_anchor() -> list[Any]:
    """The anchor table is append-only on PostgreSQL too."""
    from django.db import migrations

    def add(apps_registry: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(append_only_sql("core_chainanchor"), params=None)

    def drop(apps_registry: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop_append_only_sql("core_chainanchor"), params=None)

    return [migrations.RunPython(add, drop)]
