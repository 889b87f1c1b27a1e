"""flask commands: demo data, the first QM admin, the mail outbox."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from spaces.db import db

demo = AppGroup("demo", help="Demo data for Hannover.")
users = AppGroup("users", help="User accounts.")
mail = AppGroup("mail", help="The mail outbox.")


@mail.command("deliver")
@click.option("--limit", default=500, show_default=True, help="At most this many mails in one go.")
def mail_deliver(limit: int):
    """Deliver mails still waiting in the outbox (for cron, e.g. every 5 minutes)."""
    from spaces.models import OutboxMail
    from spaces.outbox import deliver

    sent = deliver(limit)
    waiting = db.session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None)))
    click.echo(f"{sent} Mails zugestellt, {waiting} warten noch.")


@users.command("prune")
def users_prune():
    """Delete what can no longer be used (for cron, e.g. daily): expired login sessions and API tokens,
    old invitations, accounts whose e-mail address was not confirmed within 30 days."""
    from spaces.accounts.service import prune

    done = prune(db.session)
    db.session.commit()
    click.echo(f"Gelöscht: {done.sessions} abgelaufene Anmeldungen, {done.api_tokens} abgelaufene API-Tokens, "
               f"{done.invitations} alte Einladungen, {done.unconfirmed_accounts} unbestätigte Konten.")


@demo.command("load")
def demo_load():
    """Load (or refresh) the Hannover demo data; running it twice changes nothing."""
    from spaces.dev.demo import load

    counts = load(db.session)
    db.session.commit()
    click.echo("Demo-Daten geladen: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="QM-Admin", help="Display name.")
@click.password_option(help="Password (asked for when not given; at least 10 characters).")
def create_admin(email: str, name: str, password: str):
    """Create a QM admin account, or make an existing account a QM admin with the new password."""
    from spaces.models import Role, User

    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter("keine gültige E-Mail-Adresse", param_hint="EMAIL")
    if len(password) < 10:
        raise click.BadParameter("das Passwort braucht mindestens 10 Zeichen", param_hint="--password")
    user = db.session.scalars(select(User).filter_by(email=email)).one_or_none()
    if user is None:
        user = User(email=email, display_name=name)
        db.session.add(user)
    user.role = Role.QM_ADMIN
    user.password_hash = generate_password_hash(password)
    db.session.commit()
    click.echo(f"QM-Admin {email} ist angelegt.")


backup = AppGroup("backup", help="Backups: write one, restore one into an empty database.")


@backup.command("create")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def backup_create(target: str):
    """Write a consistent backup (database and the files outside it) to TARGET (a .tar file)."""
    import os
    from pathlib import Path

    from flask import current_app

    from spaces import instance_dir
    from spaces.clock import now_utc
    from spaces.ops.backup import BackupError, create, outside_files

    files = outside_files(instance_dir(), current_app.config.get("LEGAL_DIR") or "",
                          secret_from_env=bool(os.environ.get("SECRET_KEY")))
    try:
        manifest = create(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(target), files, now_utc().isoformat())
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    rows = sum(manifest["tables"].values())
    click.echo(f"Sicherung {target}: {len(manifest['tables'])} Tabellen, {rows} Zeilen, Migration "
               f"{manifest['migration']}, {len(files)} Dateien.")


@backup.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "into", default=None, help="Database URL to restore into (default: DATABASE_URL); empty.")
@click.option("--files-to", type=click.Path(file_okay=False), default=None,
              help="Put the backup's files (secret key, legal texts) below this folder, e.g. the instance folder.")
def backup_restore(source: str, into: str | None, files_to: str | None):
    """Restore SOURCE into an empty database and check every table's rows against the backup."""
    from pathlib import Path

    from flask import current_app

    from spaces.config import normalise_database_url
    from spaces.ops.backup import BackupError, restore

    url = normalise_database_url(into) if into else current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.engine.dispose()  # nothing of ours holds the target open
    try:
        done = restore(url, Path(source), Path(files_to) if files_to else None)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Zurückgespielt: {done.tables} Tabellen, {done.rows} Zeilen, Migration {done.migration}; "
               "alle Zeilenzahlen wie in der Sicherung.")


retention = AppGroup("retention", help="Delete personal data whose time is up.")


@retention.command("run")
def retention_run():
    """Delete what is due (for cron, daily): expired sessions and tokens, old invitations, unconfirmed accounts
    and guest requests, guests' data, sent mails, old audit details, spent rate-limit counters."""
    from flask import current_app

    from spaces.ops.retention import run

    config = current_app.config
    done = run(db.session, guest_days=config["GUEST_DATA_DAYS"], outbox_days=config["OUTBOX_KEEP_DAYS"],
               audit_days=config["AUDIT_DETAIL_DAYS"])
    db.session.commit()
    click.echo("Gelöscht: " + ", ".join(f"{count} {name}" for name, count in done.items()))


@click.command("doctor")
def doctor():
    """Check the configuration and database for production: unsafe or missing settings (exit 1 on errors)."""
    from flask import current_app

    from spaces.health import migrations_head
    from spaces.ops.doctor import ERROR, examine

    findings = examine(current_app.config, db.session, migrations_head())
    for finding in findings:
        click.echo(f"{finding.level:8} {finding.topic}: {finding.message}")
    errors = sum(f.level == ERROR for f in findings)
    click.echo(f"{errors} Fehler." if errors else "Keine Fehler.")
    raise SystemExit(1 if errors else 0)


def register(app: Flask) -> None:
    """Add the command groups to `flask`."""
    from spaces.dev.synthetic import synthetic_city_command
    from spaces.inventory.cli import spaces_cli
    from spaces.walking.cli import geo_cli

    demo.add_command(synthetic_city_command)
    app.cli.add_command(demo)
    app.cli.add_command(users)
    app.cli.add_command(mail)
    app.cli.add_command(spaces_cli)
    app.cli.add_command(geo_cli)
    app.cli.add_command(doctor)
    app.cli.add_command(backup)
    app.cli.add_command(retention)
