"""`fengqiao backup` / `fengqiao restore`: a database and its stored files make the round trip
(backed up here, restored into a fresh installation, found again there)."""

import hashlib
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from fengqiao.analytics.models import ExportJob
from fengqiao.cases.models import Attachment, Case
from fengqiao.ops import backup
from tests import scratch
from tests.case_factories import make_case_world, report
from tests.factories import make_personas, make_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def make_data(tmp_path: Path) -> dict[str, str]:
    world = make_world()
    make_case_world(world)
    personas = make_personas(world)
    stored: dict[str, str] = {}
    for n in range(3):
        case = report(None, title=f"备份测试事件{n}").case
        for k in range(2):
            content = f"%PDF-1.4 case {case.pk} file {k} 材料".encode()
            attachment = Attachment(
                case=case, original_name=f"材料{k}.pdf", content_type="application/pdf",
                size=len(content), uploaded_by=personas.street_clerk,
            )  # fmt: skip
            attachment.file.save(f"file{k}.pdf", ContentFile(content), save=True)
            stored[attachment.file.name] = hashlib.sha256(content).hexdigest()
    export = ExportJob(user=personas.admin, ledger="cases", state="done")
    export.file.save("ledger.xlsx", ContentFile(b"PK ledger"), save=True)
    stored[export.file.name] = hashlib.sha256(b"PK ledger").hexdigest()
    return stored


def test_backup_and_restore_round_trip(tmp_path, settings):
    settings.BACKUP_OFFSITE_DIR = str(tmp_path / "offsite")
    settings.BACKUP_OFFSITE_COMMAND = ""
    stored = make_data(tmp_path)
    cases = sorted(Case.objects.values_list("pk", "title"))
    attachments = sorted(Attachment.objects.values_list("pk", "case_id", "file"))

    call_command("backup", "--output", str(tmp_path / "out"), "--offsite")
    (archive,) = (tmp_path / "out").glob("fengqiao-backup-*.tar.gz")
    assert (tmp_path / "offsite" / archive.name).read_bytes() == archive.read_bytes()
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", *(f"media/{name}" for name in stored)} <= names

    with scratch.scratch_env(tmp_path / "restored") as env:
        out = scratch.fq(env, "restore", str(archive), "--yes")
        assert "restored" in out
        assert sorted(scratch.sql(env, "SELECT id, title FROM cases_case")) == cases
        assert sorted(scratch.sql(env, "SELECT id, case_id, file FROM cases_attachment")) == [
            tuple(row) for row in attachments
        ]
        exports = scratch.sql(env, "SELECT file FROM analytics_exportjob")
        assert len(exports) == 1
        media = Path(env["MEDIA_ROOT"])
        for name, digest in stored.items():
            assert hashlib.sha256((media / name).read_bytes()).hexdigest() == digest


def test_a_damaged_archive_is_refused_before_anything_changes(tmp_path, settings):
    make_data(tmp_path)
    result = backup.create(tmp_path / "out")
    staging = tmp_path / "unpacked"
    with tarfile.open(result.archive) as tar:
        tar.extractall(staging, filter="data")
    victim = next((staging / "media").rglob("*.pdf"))
    victim.write_bytes(b"changed")
    with pytest.raises(backup.BackupError, match="checksum"):
        backup.verify(staging)
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(result.archive))


def test_offsite_copy_needs_a_destination(tmp_path, settings):
    settings.BACKUP_OFFSITE_DIR = ""
    settings.BACKUP_OFFSITE_COMMAND = ""
    with pytest.raises(CommandError, match="off-site"):
        call_command("backup", "--output", str(tmp_path), "--offsite")


def test_offsite_command_gets_the_archive(tmp_path, settings):
    settings.BACKUP_OFFSITE_DIR = ""
    settings.BACKUP_OFFSITE_COMMAND = f"cp {{archive}} {tmp_path / 'copy.tar.gz'}"
    result = backup.create(tmp_path / "out", offsite=True)
    assert (tmp_path / "copy.tar.gz").read_bytes() == result.archive.read_bytes()
