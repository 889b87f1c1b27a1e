"""Backups that are known to restore: `flask backup create FILE` and `flask backup restore FILE`.

A backup is one tar file:

* `database.pgdump`: `pg_dump --format=custom` of the whole database (schema, data, extensions), one
  consistent snapshot (pg_dump reads in one repeatable-read transaction while the service keeps running);
* `files/`: what lives outside the database: `instance/secret_key` when SECRET_KEY does not come from the
  environment (without it every session, reset link and confirmation link would be void after a restore) and
  the operator's legal texts;
* `manifest.json`: when, which migration, and the row count of every table, which `restore` checks.

`restore` only writes into an empty database (no tables of ours): it never mixes a backup with live data.
The PostgreSQL client programs must be at least the server's version (Debian: `postgresql-client-15`).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DUMP = "database.pgdump"
MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    """A backup that cannot be written or restored; the message says why (German)."""


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    migration: str


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection URI without the password, and the environment that carries it (not the process list)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def table_counts(url: str) -> dict[str, int]:
    """Rows per table of ours (every table in the public schema but PostGIS's spatial_ref_sys)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' "
                "ORDER BY tablename")).scalars().all()
            return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
    finally:
        engine.dispose()


def _migration(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
    finally:
        engine.dispose()


def outside_files(instance: Path, legal_dir: str, secret_from_env: bool) -> dict[str, Path]:
    """The files a restore needs besides the database: name in the backup -> path on this machine."""
    found = {}
    if not secret_from_env and (instance / "secret_key").is_file():
        found["files/secret_key"] = instance / "secret_key"
    legal = Path(legal_dir) if legal_dir else instance / "legal"
    for name in ("impressum.txt", "datenschutz.txt"):
        if (legal / name).is_file():
            found[f"files/legal/{name}"] = legal / name
    return found


def create(url: str, target: Path, files: dict[str, Path], now_iso: str) -> dict:
    """Write the backup to `target` (a tar file); returns its manifest."""
    conninfo, env = _libpq(url)
    with tempfile.TemporaryDirectory() as folder:
        dump = Path(folder) / DUMP
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump),
                               "--dbname", conninfo], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump ist gescheitert: {done.stderr.strip()}")
        manifest = {"format": 1, "created": now_iso, "migration": _migration(url), "tables": table_counts(url),
                    "files": sorted(files)}
        partial = target.with_name(target.name + ".part")
        with tarfile.open(partial, "w") as tar:
            tar.add(dump, arcname=DUMP)
            for name, path in files.items():
                tar.add(path, arcname=name)
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        partial.replace(target)  # never a half-written file under the backup's name
    return manifest


def _is_empty(url: str) -> bool:
    return not table_counts(url)


def restore(url: str, source: Path, files_to: Path | None = None) -> Restored:
    """Restore the backup `source` into the empty database `url`, check every table's row count against the
    manifest, and (with `files_to`) put the outside files back below that folder."""
    if not _is_empty(url):
        raise BackupError("Die Zieldatenbank ist nicht leer: eine Sicherung wird nur in eine leere Datenbank "
                          "zurückgespielt (createdb raumfinder_neu).")
    conninfo, env = _libpq(url)
    with tempfile.TemporaryDirectory() as folder, tarfile.open(source) as tar:
        names = set(tar.getnames())
        if DUMP not in names or MANIFEST not in names:
            raise BackupError("Das ist keine Raumfinder-Sicherung (database.pgdump oder manifest.json fehlt).")
        tar.extractall(folder, filter="data")
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
        done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                               "--dbname", conninfo, str(Path(folder) / DUMP)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore ist gescheitert: {done.stderr.strip()}")
        counts = table_counts(url)
        if counts != manifest["tables"]:
            differing = sorted(k for k in set(counts) | set(manifest["tables"])
                               if counts.get(k) != manifest["tables"].get(k))
            raise BackupError(f"Zurückgespielt, aber die Zeilen stimmen nicht mit der Sicherung überein: {differing}")
        if files_to is not None:
            for name in manifest["files"]:
                destination = files_to / name.removeprefix("files/")
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes((Path(folder) / name).read_bytes())
                if destination.name == "secret_key":
                    destination.chmod(0o600)
    return Restored(tables=len(counts), rows=sum(counts.values()), migration=manifest["migration"])
