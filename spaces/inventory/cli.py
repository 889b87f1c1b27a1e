"""`flask spaces ...`: the inventory import from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

spaces_cli = AppGroup("spaces", help="The inventory of spaces: import from files, keep the table in map order.")

SHOWN_REFUSALS = 50  # refused rows printed in full; the rest counted


@spaces_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--provider", default=None, help="Provider (Träger) of rows that name none; created if unknown.")
@click.option("--dry-run", is_flag=True, help="Only show what would happen; write nothing (exit code 1).")
@click.option("--yes", is_flag=True, help="Apply without asking.")
def import_command(file: Path, provider: str | None, dry_run: bool, yes: bool):
    """Import spaces from FILE (CSV, XLSX, GeoJSON, OSM XML/PBF, Overpass JSON): preview, then all or nothing.

    Exit codes: 0 applied, 1 nothing applied (--dry-run, answered no, or the database changed), 2 unreadable file."""
    from spaces.core.errors import Conflict
    from spaces.db import db
    from spaces.inventory import service
    from spaces.inventory.rows import ReadError

    try:
        plan = service.plan_file(db.session, filename=file.name, data=file.read_bytes(),
                                 importer=service.Importer(None, provider))
    except ReadError as err:
        click.echo(f"{file}: {err}", err=True)
        sys.exit(2)
    _print_plan(plan)
    if dry_run or not (plan.created or plan.updated):
        click.echo("Nichts geschrieben." + (" (--dry-run)" if dry_run else ""))
        db.session.rollback()
        sys.exit(1 if dry_run or plan.refused else 0)
    if not yes and not click.confirm("Import übernehmen?", default=False):
        click.echo("Nichts geschrieben.")
        db.session.rollback()
        sys.exit(1)
    try:
        counts = service.apply(db.session, plan)
    except Conflict as err:
        db.session.rollback()
        click.echo(err.message, err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Übernommen: {counts.created} neu, {counts.updated} aktualisiert, {counts.unchanged} unverändert, "
               f"{counts.refused} abgelehnt.")


@spaces_cli.command("cluster")
def cluster_command():
    """Store the spaces in the order of their place on the map (weekly from cron, and after a large import)."""
    import time

    from spaces.db import db
    from spaces.ops.storage import cluster_spaces

    started = time.perf_counter()
    cluster_spaces(db.session.connection())
    db.session.commit()
    click.echo(f"Räume nach Lage geordnet in {time.perf_counter() - started:.1f} s.")


def _print_plan(plan) -> None:
    from spaces.inventory.service import Action

    click.echo(f"{len(plan.entries)} Zeilen: {plan.created} neu, {plan.updated} aktualisiert, "
               f"{plan.unchanged} unverändert, {plan.refused} abgelehnt.")
    if plan.new_providers:
        click.echo("Neue Träger: " + ", ".join(plan.new_providers))
    refused = [e for e in plan.entries if e.action == Action.REFUSE]
    for entry in refused[:SHOWN_REFUSALS]:
        click.echo(f"  abgelehnt {entry.ref}: {' '.join(entry.reasons)}")
    if len(refused) > SHOWN_REFUSALS:
        click.echo(f"  … und {len(refused) - SHOWN_REFUSALS} weitere abgelehnte Zeilen")
