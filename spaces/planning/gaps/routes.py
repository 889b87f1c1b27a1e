"""The QM's gap report: where and when community space is missing, per construction phase and quarter."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from geo.maps import finder_map, page_parts
from spaces.clock import today_local
from spaces.core.gaps import whole_measures
from spaces.db import db
from spaces.labels import PHASE_STATUS, label
from spaces.maps import map_settings
from spaces.planning.gaps import service
from spaces.planning.gaps.forms import NormForm

bp = Blueprint("gaps", __name__)


def _require_qm():
    if not current_user.is_qm_admin:
        abort(403, description=gettext("Den Bedarfsbericht sehen nur Quartiersmanager:innen (QM-Admin)."))


def _page(*, printable: bool):
    reports, norm, sort = service.build_report(request.args.get("sort", "gap"))
    parts = page_parts(finder_map(**map_settings(center=(52.33, 9.81), zoom=14),  # Kronsrode
                                  layers={"gaps": url_for("gaps.geojson")}, attach="RaumfinderGaps.attach",
                                  locate_strings={"title": gettext("Wo bin ich?"),
                                                  "popup": gettext("Sie sind im Umkreis von {distance} m um diesen "
                                                                   "Punkt")}))
    return render_template("gaps/report.html", reports=reports, norm=norm, sort=sort, map=parts, label=label,
                           PHASE_STATUS=PHASE_STATUS, printable=printable, today=today_local(),
                           whole_of=whole_measures, walk_note=service.walk_note(reports))


@bp.get("/bedarf")
@login_required
def report():
    """Gap per phase now and over time: map, table and a chart per phase."""
    _require_qm()
    return _page(printable=False)


@bp.get("/bedarf/druck")
@login_required
def printable():
    """The same report laid out for paper or a PDF (for the city or a funder): the map on page one, numbered pages."""
    _require_qm()
    return _page(printable=True)


@bp.get("/bedarf.csv")
@login_required
def csv_export():
    """Every phase and quarter as CSV, in the visitor's language (German: semicolons and decimal commas)."""
    _require_qm()
    reports, _, _ = service.build_report()
    return Response(service.report_csv(reports), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="raumbedarf.csv"'})


@bp.get("/bedarf.geojson")
@login_required
def geojson():
    """The phases with this quarter's gap and their timeline as GeoJSON."""
    _require_qm()
    reports, norm, _ = service.build_report()
    return Response(service.report_geojson(reports, norm, service.space_points(norm)),
                    mimetype="application/geo+json")


@bp.route("/bedarf/richtwerte", methods=["GET", "POST"])
@login_required
def norms():
    """Set the provision norms the report measures against."""
    _require_qm()
    form = NormForm(data=service.current_values())
    if form.validate_on_submit():
        service.save_norms({name: field.data for name, field in form._fields.items() if name != "csrf_token"},
                           current_user)
        db.session.commit()
        flash(gettext("Die Richtwerte sind gespeichert."))
        return redirect(url_for("gaps.report"))
    return render_template("gaps/norms.html", form=form), 422 if form.errors else 200
