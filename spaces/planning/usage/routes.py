"""Pages of the usage report (Verwendungsnachweis): hours open and booked, utilisation, groups, public events and
declined requests per space, provider and Quartier for a period; on screen, as CSV and printed one page per space.

Who may: QM admins for every space, space managers for the spaces of the organisations they manage; anyone
else is refused (403), nobody logged in is sent to the login.
"""

from __future__ import annotations

import click
from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from spaces.clock import today_local
from spaces.db import db
from spaces.planning.usage import service, summary

bp = Blueprint("usage", __name__)


def _page(template: str, *, space_heat: bool = False):
    """The filter from the URL and the report it asks for (400 with the form's errors for a wrong filter)."""
    organisations = service.viewer_organisations(db.session, current_user)
    form = service.filter_form(db.session, organisations, request.args, today_local())
    if not form.validate():
        return render_template(template, form=form, report=None, today=today_local()), 400
    report = service.report_for(db.session, organisations, form, space_heat=space_heat)
    return render_template(template, form=form, report=report, today=today_local(),
                           period=service.period_text(report), max_printed=service.MAX_PRINTED)


@bp.get("/nutzung")
@login_required
def report():
    """The usage report on screen: filter, totals with charts, and the table per Quartier, provider, space."""
    return _page("usage/report.html")


@bp.get("/nutzung/druck")
@login_required
def printable():
    """The usage report for paper and PDF: an overview, then one page per space (Verwendungsnachweis)."""
    return _page("usage/print.html", space_heat=True)


@bp.get("/nutzung.csv")
@login_required
def csv_export():
    """The usage report as CSV for a German spreadsheet (semicolons, decimal commas, UTF-8 with BOM)."""
    organisations = service.viewer_organisations(db.session, current_user)
    form = service.filter_form(db.session, organisations, request.args, today_local())
    if not form.validate():
        return render_template("usage/report.html", form=form, report=None, today=today_local()), 400
    report = service.report_for(db.session, organisations, form)
    return Response(service.report_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{service.csv_name(report)}"'})


@bp.cli.command("compact")
def compact_command():
    """Fold the usage summary's deltas into one row per space, group and month (for cron, e.g. hourly)."""
    done = summary.compact(db.session)
    db.session.commit()
    rows = summary.rows(db.session)
    if not done:
        click.echo("Nutzungszusammenfassung: eine andere Verdichtung läuft gerade; nichts getan.")
    else:
        click.echo(f"Nutzungszusammenfassung verdichtet: {rows.figures} Zeilen Kennzahlen, {rows.heat} Zeilen "
                   "Wochenraster.")


@bp.cli.command("rebuild")
def rebuild_command():
    """Compute the usage summary from the bookings again (after a bulk load that bypassed its trigger)."""
    summary.rebuild(db.session)
    db.session.commit()
    rows = summary.rows(db.session)
    click.echo(f"Nutzungszusammenfassung neu berechnet: {rows.figures} Zeilen Kennzahlen, {rows.heat} Zeilen "
               "Wochenraster.")
