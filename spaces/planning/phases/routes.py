"""Construction phases (Bauabschnitte) in the browser: QM admins list them, upload them as GeoJSON, draw or
edit one on a map, and delete them.

Who may: QM admins only; everybody else who is logged in gets 403 on every view.

Every geometry, whether from a file, pasted GeoJSON or the drawing tool, goes through
geo.phase_upload.parse_phase_upload, so the same German messages apply everywhere (self-intersection
with its point, outside the service area, swapped coordinates, unclosed rings, NaN, ...). A refused
upload or form answers 422 and writes nothing; an upload is stored in one transaction, all phases or
none, and a phase whose name exists already is updated (its geometry and the properties the file gives).
Every change is kept in the audit log (spaces/planning/phases/service.py).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required

from geo.maps import draw_map, page_parts
from geo.phase_upload import PhaseUploadError
from spaces.accounts import guards
from spaces.core.errors import Unprocessable
from spaces.db import db
from spaces.labels import PHASE_STATUS, label
from spaces.maps import map_settings
from spaces.models import ConstructionPhase
from spaces.planning.phases import service
from spaces.planning.phases.forms import PhaseForm, UploadForm, phase_form

bp = Blueprint("phases_admin", __name__)


qm_admin_required = guards.qm_admin_required(
    lambda: gettext("Bauabschnitte verwalten kann nur die Verwaltung des Quartiersmanagements."))


@bp.get("/verwaltung/bauabschnitte")
@login_required
@qm_admin_required
def phases():
    """All construction phases, by move-in date."""
    return render_template("phases/list.html", phases=service.all_phases(db.session), residents=service.residents,
                           label=label, PHASE_STATUS=PHASE_STATUS)


@bp.route("/verwaltung/bauabschnitte/hochladen", methods=["GET", "POST"])
@login_required
@qm_admin_required
def upload():
    """Upload phases as GeoJSON (a file or pasted text): all are stored, or none and the reason is shown."""
    form = UploadForm()
    if request.method != "POST":
        return render_template("phases/upload.html", form=form, error=None)
    if not form.validate():
        if form.csrf_token.errors:
            error = gettext("Das Formular ist abgelaufen. Bitte die Seite neu laden und noch einmal senden.")
        else:  # what the field says (e.g. a control character in the pasted text)
            error = next(message for messages in form.errors.values() for message in messages)
    else:
        try:
            stored = service.store_upload(db.session, current_user, form.raw())
        except (PhaseUploadError, Unprocessable) as err:
            error = str(err)
        else:
            db.session.commit()
            flash(ngettext("%(num)s Bauabschnitt gespeichert", "%(num)s Bauabschnitte gespeichert", stored.count)
                  + " " + gettext("(%(created)s neu, %(updated)s aktualisiert).", created=stored.created,
                                  updated=stored.updated))
            return redirect(url_for("phases_admin.phases"))
    return render_template("phases/upload.html", form=form, error=error), 422


@bp.route("/verwaltung/bauabschnitte/neu", methods=["GET", "POST"])
@login_required
@qm_admin_required
def new_phase():
    """Draw a new construction phase on the map and describe it."""
    return _phase_form(None)


@bp.route("/verwaltung/bauabschnitte/<int:phase_id>/bearbeiten", methods=["GET", "POST"])
@login_required
@qm_admin_required
def edit_phase(phase_id: int):
    """Change a construction phase: its area on the map, its status, homes and residents."""
    return _phase_form(service.phase_by_id(db.session, phase_id))


def _phase_form(phase: ConstructionPhase | None):
    """The phase's form: shown, or checked and saved, then back to the list."""
    form = phase_form(phase)
    if request.method != "POST":
        return _render(form, phase)
    if form.validate():
        try:
            service.save_phase(db.session, current_user, form, phase)
        except Unprocessable as err:
            (getattr(form, err.field).errors if err.field else form.form_errors).append(err.message)
        else:
            db.session.commit()
            flash(gettext("Gespeichert.") if phase is not None else gettext("Der Bauabschnitt ist angelegt."))
            return redirect(url_for("phases_admin.phases"))
    return _render(form, phase, status=422)


@bp.post("/verwaltung/bauabschnitte/<int:phase_id>/loeschen")
@login_required
@qm_admin_required
def delete_phase(phase_id: int):
    """Delete a construction phase (kept in the audit log)."""
    name = service.delete_phase(db.session, current_user, service.phase_by_id(db.session, phase_id))
    db.session.commit()
    flash(gettext("Der Bauabschnitt „%(name)s“ ist gelöscht.", name=name))
    return redirect(url_for("phases_admin.phases"))


# ----------------------------------------------------------------------------- the page around the form


def _render(form: PhaseForm, phase: ConstructionPhase | None, status: int = 200):
    return render_template("phases/form.html", form=form, phase=phase, map=page_parts(_draw_map()),
                           draw_texts=service.draw_texts(), computed=form.computed_residents()), status


def _draw_map():
    """The city with a polygon-only drawing tool whose result goes into the textarea `geometry`."""
    return draw_map(**map_settings(tile_name=gettext("Karte")), layer_name=gettext("Bauabschnitt"))
