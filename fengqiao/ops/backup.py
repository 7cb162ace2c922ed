"""Backup and restore of one installation: the database and the stored files in one archive.

The archive (`fengqiao-backup-<time>.tar.gz`) holds
  manifest.json   what is inside: time, database kind, applied migrations, and every file with
                  its size and SHA-256;
  database/       `db.dump` (pg_dump custom format) or `db.sqlite3` (SQLite's backup API, a
                  consistent copy while the platform runs);
  media/          everything under MEDIA_ROOT (attachments, evidence, exports).
`restore` checks every checksum before it touches anything, then replaces the database and
MEDIA_ROOT. An off-site copy goes to BACKUP_OFFSITE_DIR and/or through BACKUP_OFFSITE_COMMAND.
"""

import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1


class BackupError(Exception):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_args() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return [*args, "-d", str(db["NAME"])], env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def dump_database(folder: Path) -> str:
    """Write the database into `folder`; the file's name."""
    if connection.vendor == "postgresql":
        args, env = _pg_args()
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", "-f", str(folder / "db.dump"), *args], env)  # fmt: skip
        return "db.dump"
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(folder / "db.sqlite3")
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return "db.sqlite3"
    raise BackupError(f"no backup for {connection.vendor}")


def _applied_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


@dataclass
class BackupResult:
    archive: Path
    files: int
    offsite: list[str]


def create(output_dir: Path, *, offsite: bool = False) -> BackupResult:
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    archive = output_dir / f"fengqiao-backup-{stamp}.tar.gz"
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="fengqiao-backup-") as tmp:
        staging = Path(tmp)
        (staging / "database").mkdir()
        db_file = dump_database(staging / "database")
        entries = [_entry(staging / "database" / db_file, f"database/{db_file}")]
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
        for path in media_files:
            entries.append(_entry(path, "media/" + path.relative_to(media).as_posix()))
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": connection.vendor, "file": f"database/{db_file}"},
            "migrations": _applied_migrations(),
            "files": entries,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(staging / "manifest.json", "manifest.json")
            tar.add(staging / "database" / db_file, f"database/{db_file}")
            for path in media_files:
                tar.add(path, "media/" + path.relative_to(media).as_posix())
        partial.rename(archive)  # a half-written archive never carries the final name
    copies = copy_offsite(archive) if offsite else []
    return BackupResult(archive, len(media_files), copies)


def _entry(path: Path, name: str) -> dict[str, Any]:
    return {"path": name, "size": path.stat().st_size, "sha256": sha256(path)}


def copy_offsite(archive: Path) -> list[str]:
    """Copy to BACKUP_OFFSITE_DIR (checked by checksum) and/or run BACKUP_OFFSITE_COMMAND with
    `{archive}` replaced by the archive's path. Where it went."""
    done = []
    target_dir = settings.BACKUP_OFFSITE_DIR
    command = settings.BACKUP_OFFSITE_COMMAND
    if not target_dir and not command:
        raise BackupError(
            "no off-site destination: set BACKUP_OFFSITE_DIR or BACKUP_OFFSITE_COMMAND"
        )
    if target_dir:
        Path(target_dir).mkdir(parents=True, exist_ok=True)
        copy = Path(target_dir) / archive.name
        shutil.copyfile(archive, copy.with_suffix(".partial"))
        copy.with_suffix(".partial").rename(copy)
        if sha256(copy) != sha256(archive):
            raise BackupError(f"the off-site copy {copy} differs from {archive}")
        done.append(str(copy))
    if command:
        _run([part.replace("{archive}", str(archive)) for part in shlex.split(command)])
        done.append(command)
    return done


def verify(folder: Path) -> dict[str, Any]:
    """The manifest of an unpacked archive, once every file listed matches its checksum and no
    file is missing or extra."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise BackupError("not a fengqiao backup: manifest.json is missing")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    listed = {entry["path"] for entry in manifest["files"]}
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    if listed != present:
        raise BackupError(f"files missing or extra: {sorted(listed ^ present)[:10]}")
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if path.stat().st_size != entry["size"] or sha256(path) != entry["sha256"]:
            raise BackupError(f"checksum mismatch: {entry['path']}")
    return manifest


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"refused archive member {member.name!r}")
        members.append(member)
    return members


def restore(archive: Path) -> dict[str, Any]:
    """Replace this installation's database and stored files with the archive's."""
    with tempfile.TemporaryDirectory(prefix="fengqiao-restore-") as tmp:
        folder = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(folder, members=_safe_members(tar), filter="data")
        manifest = verify(folder)
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(
                f"the backup is of {vendor}, this installation runs {connection.vendor}"
            )
        _restore_database(folder / manifest["database"]["file"])
        _restore_media(folder / "media")
    return manifest


def _restore_database(dump: Path) -> None:
    if connection.vendor == "postgresql":
        connections.close_all()
        args, env = _pg_args()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction", *args, str(dump)], env)  # fmt: skip
        return
    source = sqlite3.connect(dump)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    finally:
        source.close()
    connections.close_all()


def _restore_media(source: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    # Files written after the backup belong to rows the restored database no longer has.
    for child in media.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if source.exists():
        shutil.copytree(source, media, dirs_exist_ok=True)


def default_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def describe(manifest: dict[str, Any]) -> str:
    created = datetime.fromisoformat(manifest["created_at"])
    return f"{created:%Y-%m-%d %H:%M:%S} {manifest['database']['vendor']}, {len(manifest['files'])} files"
