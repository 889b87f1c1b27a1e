"""Space management in the browser: the spaces of my organisations, one form to create or edit a space
(where it is, how big, how accessible, how to book it, its weekly opening hours) and its closures.

Who may: whoever manages an organisation's spaces (a membership with the manager right, see
accounts.manages) for that organisation's spaces, QM admins for all. Every view checks it; a space
someone does not manage is "not found" (404), so nothing about it leaks; the list is refused (403) to
those who manage nothing.

Everything a person types is checked by the forms (spaces/manage/forms.py), with German messages on the
form (HTTP 422), before spaces/manage/service.py writes anything; the database constraints are the last
guard, not the first. Every change is kept in the audit log.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from geo.maps import page_parts, pick_map
from spaces.core.errors import Unprocessable
from spaces.db import db
from spaces.labels import WEEKDAYS
from spaces.manage import service
from spaces.manage.forms import ClosureForm, SpaceForm, extra_hours, space_form
from spaces.maps import map_settings
from spaces.models import Space

bp = Blueprint("manage", __name__)


@bp.get("/verwaltung/raeume")
@login_required
def spaces():
    """The spaces of the organisations I manage, with links to edit them."""
    ids = service.require_manager(db.session, current_user)
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    rows, has_next = service.managed_spaces(db.session, ids, page)
    return render_template("manage/spaces.html", rows=rows, page=page, has_next=has_next,
                           organisations=service.my_organisations(db.session, current_user))


@bp.route("/verwaltung/raeume/neu", methods=["GET", "POST"])
@login_required
def new_space():
    """Create a space (and its site, if the organisation has none at that address)."""
    service.require_manager(db.session, current_user)
    return _space_form(None)


@bp.route("/verwaltung/raeume/<int:space_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_space(space_id: int):
    """Edit a space I manage; below the form its closures."""
    return _space_form(service.managed_space(db.session, current_user, space_id))


def _space_form(space: Space | None):
    """The space's form: shown, or checked and saved, then back to the space's edit page."""
    form = _form(space)
    if request.method != "POST":
        return _render(form, space)
    if form.validate():
        try:
            saved = service.save_space(db.session, current_user, form, space)
        except Unprocessable as err:
            (getattr(form, err.field).errors if err.field else form.form_errors).append(err.message)
        else:
            db.session.commit()
            flash(gettext("Gespeichert.") if space is not None else gettext("Der Raum ist angelegt."))
            return redirect(url_for("manage.edit_space", space_id=saved.id))
    return _render(form, space, status=422)


@bp.post("/verwaltung/raeume/<int:space_id>/schliesszeiten")
@login_required
def add_closure(space_id: int):
    """Close a space for a while (holidays, renovation); bookings in that time are not touched, only counted."""
    space = service.managed_space(db.session, current_user, space_id)
    form = ClosureForm(prefix="closure")
    if form.validate():
        try:
            held = service.add_closure(db.session, current_user, space, form.starts, form.ends,
                                       form.reason.data or "")
        except Unprocessable as err:
            form[err.field].errors.append(err.message)
        else:
            db.session.commit()
            flash(gettext("Die Schließzeit ist eingetragen."))
            if warning := service.held_warning(held):
                flash(warning)
            return redirect(url_for("manage.edit_space", space_id=space.id) + "#schliesszeiten")
    return _render(_form(space, from_request=False), space, closure_form=form, status=422)


@bp.post("/verwaltung/raeume/<int:space_id>/schliesszeiten/<int:closure_id>/entfernen")
@login_required
def remove_closure(space_id: int, closure_id: int):
    """Remove a closure of a space I manage."""
    space = service.managed_space(db.session, current_user, space_id)
    service.remove_closure(db.session, current_user, space, closure_id)
    db.session.commit()
    flash(gettext("Die Schließzeit ist entfernt."))
    return redirect(url_for("manage.edit_space", space_id=space.id) + "#schliesszeiten")


# ----------------------------------------------------------------------------- the page around the form


def _form(space: Space | None, *, from_request: bool = True) -> SpaceForm:
    return space_form(space, service.my_organisations(db.session, current_user),
                      service.all_organisations(db.session), from_request=from_request)


def _render(form: SpaceForm, space: Space | None, closure_form: ClosureForm | None = None, status: int = 200):
    return render_template(
        "manage/space_form.html",
        form=form,
        space=space,
        map=page_parts(_pick_map(*form.shown_point())),
        extra_hours=extra_hours(space),
        closures=service.upcoming_closures(db.session, space),
        closure_form=closure_form or ClosureForm(prefix="closure", formdata=None),
        weekdays=WEEKDAYS,
        local_when=service.local_when,
    ), status


def _pick_map(lat: float | None, lon: float | None):
    """The map whose clicks fill the lat/lon inputs, around the chosen point (or the city)."""
    return pick_map(lat, lon, **map_settings(tile_name=gettext("Karte")), title=gettext("Gewählter Ort"))
