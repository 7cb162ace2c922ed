"""Tamper-evident records (issue 13): hash chains over case history, mediation events, the audit
trail and the read log; `fengqiao audit verify` names the first row edited, deleted or inserted
out of order. Rows are changed by raw SQL, as someone with database access would; on
PostgreSQL the append-only trigger is switched off first (as a database owner could)."""

import hashlib
import itertools
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from fengqiao.cases import actions
from fengqiao.cases.models import CaseHistory
from fengqiao.core import audit, chain
from fengqiao.core.masking import batched_sensitive_reads, log_sensitive_read
from fengqiao.core.models import AuditEntry, ChainAnchor, SensitiveAccess
from tests.case_factories import HUAYUAN_POINT, make_case_world, report

PG = connection.vendor == "postgresql"


@contextmanager
def tampering(table: str):
    """Raw SQL on an append-only table: on PostgreSQL a superuser switches triggers off."""
    with connection.cursor() as cursor:
        if PG:
            cursor.execute("SET session_replication_role = replica")
        yield cursor
        if PG:
            cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def records(world, personas):
    """A case with four history entries, a second case, audit entries and sensitive reads."""
    cw = make_case_world(world)
    case = report(cw.huayuan_clerk).case
    actions.add_progress(cw.huayuan_clerk, case, text="到现场查看")
    actions.add_progress(cw.huayuan_clerk, case, text="约谈施工方")
    actions.add_progress(cw.huayuan_clerk, case, text="复查")
    other = report(cw.huayuan_clerk).case
    for i in range(3):
        audit.record(
            personas.admin, AuditEntry.Action.UPDATE, world.district_center, {"n": [i, i + 1]}
        )
    with batched_sensitive_reads():
        log_sensitive_read(cw.huayuan_clerk, case, "reporter_phone", "处置")
        log_sensitive_read(cw.huayuan_clerk, case, "reporter_name", "处置")
    log_sensitive_read(cw.huayuan_clerk, other, "reporter_phone", "处置")
    return case, other


def history_ids(case) -> list[int]:
    return list(
        CaseHistory.objects.filter(case=case).order_by("chain_seq").values_list("id", flat=True)
    )


def only_break(name: str):
    report_ = chain.verify()
    broken = [b for b in report_.breaks if b.chain == name]
    assert broken, report_.breaks
    assert len(report_.breaks) == 1, report_.breaks
    return broken[0]


def test_untouched_records_verify_and_are_chained(records):
    case, _ = records
    rows = list(CaseHistory.objects.filter(case=case).order_by("chain_seq"))
    assert [r.chain_seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].chain_prev == ""
    assert all(b.chain_prev == a.chain_hash for a, b in itertools.pairwise(rows))
    assert rows[0].chain_hash.startswith("sm3:")
    head = ChainAnchor.objects.filter(chain=f"case:{case.pk}").order_by("-seq").first()
    assert (head.seq, head.hash) == (rows[-1].chain_seq, rows[-1].chain_hash)
    result = chain.verify()
    assert result.ok, result.breaks
    assert result.rows >= 5 + 3 + 3


def test_sm3_is_the_national_algorithm():
    # GB/T 32905 test vector: SM3("abc").
    assert hashlib.new("sm3", b"abc").hexdigest().startswith("66c7f0f462eeedd9")


def test_edited_history_row_is_named(records):
    case, _ = records
    ids = history_ids(case)
    with tampering("cases_casehistory") as cursor:
        cursor.execute("UPDATE cases_casehistory SET note = %s WHERE id = %s", ["改写", ids[1]])
    b = only_break(f"case:{case.pk}")
    assert b.row_id == ids[1] and "edited" in b.problem


def test_deleted_history_row_is_named(records):
    case, _ = records
    ids = history_ids(case)
    with tampering("cases_casehistory") as cursor:
        cursor.execute("DELETE FROM cases_casehistory WHERE id = %s", [ids[1]])
    b = only_break(f"case:{case.pk}")
    assert b.row_id == ids[2] and "deleted" in b.problem


def test_deleted_last_row_is_seen_against_the_anchor(records):
    case, _ = records
    ids = history_ids(case)
    with tampering("cases_casehistory") as cursor:
        cursor.execute(
            "UPDATE cases_case SET current_history_id = %s WHERE id = %s", [ids[-2], case.pk]
        )
        cursor.execute("DELETE FROM cases_casehistory WHERE id = %s", [ids[-1]])
    b = only_break(f"case:{case.pk}")
    assert b.row_id is None and "deleted at the end" in b.problem


def test_row_inserted_by_sql_is_named(records):
    case, _ = records
    with tampering("cases_casehistory") as cursor:
        cursor.execute(
            "INSERT INTO cases_casehistory (case_id, at, action, from_state, to_state, note, data,"
            " public, public_reply, chain_prev, chain_hash) VALUES"
            " (%s, %s, 'note', '', '', '补记', '{}', false, '', '', '')",
            [case.pk, case.created_at],
        )
        new_id = CaseHistory.objects.order_by("-id").values_list("id", flat=True).first()
    b = only_break(f"case:{case.pk}")
    assert b.row_id == new_id and "inserted outside" in b.problem


def test_row_inserted_out_of_order_is_named(records):
    """A forged row placed mid-chain (its position freed by renumbering the rows after it)."""
    case, _ = records
    rows = list(CaseHistory.objects.filter(case=case).order_by("chain_seq"))
    with tampering("cases_casehistory") as cursor:
        for r in reversed(rows[2:]):
            cursor.execute(
                "UPDATE cases_casehistory SET chain_seq = chain_seq + 1 WHERE id = %s", [r.pk]
            )
        forged = chain.digest("sm3", f"case:{case.pk}", 3, rows[1].chain_hash, ["x"])
        cursor.execute(
            "INSERT INTO cases_casehistory (case_id, at, action, from_state, to_state, note, data,"
            " public, public_reply, chain_seq, chain_prev, chain_hash) VALUES"
            " (%s, %s, 'note', '', '', '伪造', '{}', false, '', 3, %s, %s)",
            [case.pk, rows[1].at, rows[1].chain_hash, forged],
        )
        new_id = CaseHistory.objects.order_by("-id").values_list("id", flat=True).first()
    b = only_break(f"case:{case.pk}")
    assert b.row_id == new_id and "edited" in b.problem


def test_row_appended_past_the_anchor_is_named(records):
    """A well-formed row appended by SQL (hashes recomputed) is still not anchored."""
    case, _ = records
    last = CaseHistory.objects.filter(case=case).order_by("-chain_seq").first()
    name = f"case:{case.pk}"
    content = [last.at, None, "note", "", "", "补", {}, case.pk, False, ""]
    h = chain.digest("sm3", name, last.chain_seq + 1, last.chain_hash, content)
    with tampering("cases_casehistory") as cursor:
        cursor.execute(
            "INSERT INTO cases_casehistory (case_id, at, action, from_state, to_state, note, data,"
            " public, public_reply, chain_seq, chain_prev, chain_hash) VALUES"
            " (%s, %s, 'note', '', '', '补', '{}', false, '', %s, %s, %s)",
            [case.pk, last.at, last.chain_seq + 1, last.chain_hash, h],
        )
    b = only_break(name)
    assert "inserted after the anchored end" in b.problem


def test_audit_and_read_log_tampering_is_caught(records, personas):
    entry = AuditEntry.objects.order_by("id")[1]
    with tampering("core_auditentry") as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_id = NULL WHERE id = %s", [entry.pk])
    b = only_break(f"audit:{entry.chain}")
    assert b.row_id == entry.pk and "edited" in b.problem
    read = SensitiveAccess.objects.order_by("id").first()
    with tampering("core_sensitiveaccess") as cursor:
        cursor.execute("DELETE FROM core_sensitiveaccess WHERE id = %s", [read.pk])
    problems = {b.chain: b for b in chain.verify().breaks}
    assert f"read:{read.chain}" in problems
    assert "deleted" in problems[f"read:{read.chain}"].problem


def test_verify_command_exits_non_zero_on_a_break(records, capsys):
    call_command("audit", "verify")
    assert "0 break(s)" in capsys.readouterr().out
    case, _ = records
    ids = history_ids(case)
    with tampering("cases_casehistory") as cursor:
        cursor.execute("UPDATE cases_casehistory SET public = NOT public WHERE id = %s", [ids[0]])
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "verify")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert f"BROKEN case:{case.pk}: row {ids[0]}: edited" in out


def test_sha256_is_the_alternative_and_old_rows_stay_verifiable(records, settings, personas, world):
    settings.AUDIT_HASH = "sha256"
    entry = audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {})
    assert entry.chain_hash.startswith("sha256:")
    assert chain.verify().ok


def test_anchor_file_outside_the_database(records, settings, tmp_path, personas, world):
    path = tmp_path / "anchors.tsv"
    settings.AUDIT_ANCHOR_FILE = str(path)
    with transaction.atomic():
        entry = audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {})
    if not path.exists():  # pytest-django's transaction never commits: run the hooks
        pytest.skip("on_commit hooks do not run in this test's transaction")
    assert f"audit:{entry.chain}\t{entry.chain_seq}\t{entry.chain_hash}" in path.read_text()


@pytest.mark.django_db(transaction=True)
def test_anchor_file_is_written_after_commit_and_checked(world, personas, settings, tmp_path):
    path = tmp_path / "anchors.tsv"
    settings.AUDIT_ANCHOR_FILE = str(path)
    entry = audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {})
    assert f"audit:{entry.chain}\t{entry.chain_seq}\t{entry.chain_hash}" in path.read_text()
    assert chain.verify().ok
    # Someone rewrites the anchor table's row: the file still says what the head was.
    with tampering("core_chainanchor") as cursor:
        cursor.execute(
            "UPDATE core_chainanchor SET hash = 'sm3:00' WHERE chain = %s AND seq = %s",
            [f"audit:{entry.chain}", entry.chain_seq],
        )
    problems = [str(b) for b in chain.verify().breaks]
    assert any("differs from the file" in p for p in problems), problems


@pytest.mark.skipif(not PG, reason="the append-only trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete(records):
    case, _ = records
    for sql in (
        "UPDATE cases_casehistory SET note = 'x' WHERE case_id = %s",
        "DELETE FROM cases_casehistory WHERE case_id = %s",
        "UPDATE core_auditentry SET object_repr = 'x' WHERE id > %s",
        "DELETE FROM core_sensitiveaccess WHERE id > %s",
        "DELETE FROM core_chainanchor WHERE seq > %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [case.pk if "case_id" in sql else 0])


def test_a_position_is_taken_once(records):
    case, _ = records
    last = CaseHistory.objects.filter(case=case).order_by("-chain_seq").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseHistory.objects.create(case=case, action="note", chain_seq=last.chain_seq)


def test_purge_keeps_recent_days_and_closes_old_chains(records, personas, world, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    # Nothing is older than the retention period: nothing goes.
    assert chain.purge() == {"audit": 0, "read": 0}
    if PG:
        pytest.skip("rows younger than 180 days cannot be deleted on PostgreSQL (trigger)")
    today = timezone.localdate()
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2025, 1, 2))
    for i in range(2):
        audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {"i": i})
    monkeypatch.undo()
    kept = AuditEntry.objects.exclude(chain__startswith="2025-01-02").count()
    assert chain.purge(today) == {"audit": 2, "read": 0}
    assert not AuditEntry.objects.filter(chain__startswith="2025-01-02").exists()
    assert AuditEntry.objects.count() == kept + 1  # the purge's own entry
    purged = ChainAnchor.objects.get(chain="audit:2025-01-02/0", event="purge")
    assert purged.seq == 3
    assert AuditEntry.objects.filter(action="delete", object_type="core.auditentry").exists()
    result = chain.verify()
    assert result.ok, result.breaks


def test_purge_never_takes_rows_younger_than_six_months(records, personas, world, settings):
    """Neither a lowered setting nor a `today` in the future lets younger rows go."""
    import datetime as dt

    from django.utils import timezone

    settings.AUDIT_RETENTION_DAYS = 10
    before = AuditEntry.objects.count()
    assert before > 0
    future = timezone.localdate() + dt.timedelta(days=400)
    assert chain.purge(future) == {"audit": 0, "read": 0}
    assert AuditEntry.objects.count() == before
    assert chain.AUDIT_RETENTION_FLOOR_DAYS == 180


def test_batched_anchors_write_every_chain_once_and_verify(world, personas):
    """Inside `batched_anchors` the chains sealed are anchored in one INSERT at the end; a chain
    sealed twice in the block continues from its pending head, and everything verifies."""
    cw = make_case_world(world)
    case = report(cw.huayuan_clerk).case
    before = ChainAnchor.objects.count()
    with transaction.atomic(), chain.batched_anchors():
        actions.add_progress(cw.huayuan_clerk, case, text="到现场查看")
        actions.add_progress(cw.huayuan_clerk, case, text="约谈施工方")
        audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {"n": [0, 1]})
        assert ChainAnchor.objects.count() == before  # nothing written yet
    rows = list(CaseHistory.objects.filter(case=case).order_by("chain_seq"))
    assert [r.chain_seq for r in rows] == list(range(1, len(rows) + 1))
    head = ChainAnchor.objects.filter(chain=f"case:{case.pk}").order_by("-seq").first()
    assert (head.seq, head.hash) == (rows[-1].chain_seq, rows[-1].chain_hash)
    assert ChainAnchor.objects.count() == before + 3  # two history rows and one audit row
    result = chain.verify()
    assert result.ok, result.breaks


def test_a_failed_block_writes_no_anchor(world, personas):
    before = ChainAnchor.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), chain.batched_anchors():
        audit.record(personas.admin, AuditEntry.Action.UPDATE, world.district_center, {})
        raise RuntimeError("the block fails")
    assert ChainAnchor.objects.count() == before
    assert chain.verify().ok


def test_an_intake_and_its_answer_anchor_their_chains_and_verify(world, personas, client_for):
    """The intake over the API (history, the answer's read log, a warning and its audit row)
    and a case settled on the spot (two history rows in one block) leave verifiable chains."""
    from fengqiao.risk.models import Level, RuleKind, Warning, WarningRule

    cw = make_case_world(world)
    WarningRule.objects.create(
        name="group", kind=RuleKind.GROUP_DISPUTE, params={"people": 5}, level=Level.HIGH,
        region=world.district, enabled=True,
    )  # fmt: skip
    body = {
        "channel": "walk_in", "kind": "dispute", "category": "construction_disturbance",
        "title": "工地夜间施工噪音", "description": "工地夜里施工，噪音很大",
        "reporter_name": "王女士", "reporter_phone": "13904641234", "people_involved": 9,
        "lon": HUAYUAN_POINT[0], "lat": HUAYUAN_POINT[1],
    }  # fmt: skip
    c = client_for(cw.huayuan_clerk)
    created = c.post("/api/v1/cases/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Warning.objects.filter(case_id=created.json()["id"]).count() == 1
    spot = client_for(personas.grid_worker).post(
        "/api/v1/cases/on-the-spot/", {**body, "channel": "grid_patrol", "outcome": "当场调解"},
        content_type="application/json",
    )  # fmt: skip
    assert spot.status_code == 201, spot.content
    assert CaseHistory.objects.filter(case_id=spot.json()["id"]).count() == 2
    result = chain.verify()
    assert result.ok, result.breaks
