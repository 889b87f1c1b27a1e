"""Space management in the browser: the spaces of my organisations, one form to create or edit a space
(where it is, how big, how accessible, how to book it, its weekly opening hours) and its closures.

Who may: whoever manages an organisation's spaces (a membership with the manager right, see
accounts.manages) for that organisation's spaces, QM admins for all. Every view checks it; a space
someone does not manage is "not found" (404), so nothing about it leaks; the list is refused (403) to
those who manage nothing.

The members of an organisation ("Mitglieder", /organisationen/<id>/mitglieder) are in the hands of its admins
and the QM admins (spaces/manage/members.py): they appoint space managers and admins and remove members; anyone
else is refused (403), and the last admin of an organisation stays (409).

Everything a person types is checked by the forms (spaces/manage/forms.py), with German messages on the
form (HTTP 422), before spaces/manage/service.py writes anything; the database constraints are the last
guard, not the first. Every change is kept in the audit log.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from geo.maps import page_parts, pick_map
from spaces.accounts.forms import InviteForm
from spaces.core.errors import Conflict, Unprocessable
from spaces.db import db
from spaces.labels import WEEKDAYS
from spaces.manage import members, service
from spaces.manage.forms import ClosureForm, RightForm, SpaceForm, extra_hours, space_form
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


# ----------------------------------------------------------------------------- organisations and their members


@bp.app_context_processor
def _organisation_admin_link():
    """Whether the navigation offers "Organisationen": asked only when a page's header needs it."""
    return {"administers_any": lambda: current_user.is_authenticated
            and members.administers_any(db.session, current_user)}


@bp.get("/organisationen")
@login_required
def organisations():
    """The organisations whose members I administer (QM admins: all, searchable by name)."""
    search = request.args.get("q", "")[:100]
    page = _page_number()
    rows, has_next = members.organisations(db.session, current_user, search, page)
    return render_template("organisations/list.html", rows=rows, page=page, has_next=has_next, search=search)


@bp.get("/organisationen/<int:organisation_id>/mitglieder", endpoint="members")
@login_required
def members_page(organisation_id: int):
    """The members of an organisation I administer, with their rights and what I may change."""
    return _members(members.administered_organisation(db.session, current_user, organisation_id))


@bp.post("/organisationen/<int:organisation_id>/mitglieder/<int:user_id>/rechte")
@login_required
def change_right(organisation_id: int, user_id: int):
    """Give or take a member's right to manage the spaces ("manager") or to administer ("admin")."""
    organisation = members.administered_organisation(db.session, current_user, organisation_id)
    form = RightForm()
    if not form.validate():
        return _members(organisation, [e for errors in form.errors.values() for e in errors], status=422)
    grant = form.grant.data == "1"
    try:
        person = members.set_right(db.session, current_user, organisation, user_id, form.right.data, grant)
    except Conflict as err:
        return _members(organisation, [err.message], status=409)
    db.session.commit()
    flash(_right_message(form.right.data, grant, person.display_name, organisation.name))
    return redirect(url_for("manage.members", organisation_id=organisation.id))


@bp.post("/organisationen/<int:organisation_id>/mitglieder/<int:user_id>/entfernen")
@login_required
def remove_member(organisation_id: int, user_id: int):
    """Take a person out of an organisation I administer (never its last admin)."""
    organisation = members.administered_organisation(db.session, current_user, organisation_id)
    try:
        person = members.remove_member(db.session, current_user, organisation, user_id)
    except Conflict as err:
        return _members(organisation, [err.message], status=409)
    db.session.commit()
    flash(gettext("%(name)s gehört nicht mehr zu „%(org)s“.", name=person.display_name, org=organisation.name))
    if user_id == current_user.id and not current_user.is_qm_admin:
        return redirect(url_for("booking.mine"))
    return redirect(url_for("manage.members", organisation_id=organisation.id))


def _members(organisation, errors: list[str] | None = None, status: int = 200):
    """The members page, with the refusal of the last change when there was one."""
    return render_template("organisations/members.html", organisation=organisation, errors=errors or [],
                           members=members.members_of(db.session, organisation),
                           invitations=members.open_invitations(db.session, organisation),
                           invite_form=InviteForm(formdata=None), right_form=RightForm(formdata=None)), status


def _right_message(right: str, grant: bool, name: str, org: str) -> str:
    if right == "manager":
        return (gettext("%(name)s verwaltet jetzt die Räume von „%(org)s“.", name=name, org=org) if grant
                else gettext("%(name)s verwaltet die Räume von „%(org)s“ nicht mehr.", name=name, org=org))
    return (gettext("%(name)s ist jetzt Admin von „%(org)s“.", name=name, org=org) if grant
            else gettext("%(name)s ist nicht mehr Admin von „%(org)s“.", name=name, org=org))


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1
