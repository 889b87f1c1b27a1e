"""Initiatives describe what they look for (Raumbedarf), see ranked proposals and request one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from spaces import outbox
from spaces.booking import rules
from spaces.db import db
from spaces.labels import WEEKDAYS
from spaces.planning.needs import service
from spaces.planning.needs.forms import NeedForm

bp = Blueprint("needs", __name__)


def _form() -> NeedForm:
    form = NeedForm()
    form.organisation.choices = service.groups_for(current_user)  # the QM: any group
    form.quartier.choices = [("", gettext("– egal –"))] + [(n, n) for n in service.quartier_names()]
    return form


@bp.route("/bedarfe/neu", methods=["GET", "POST"])
@login_required
def new():
    """Describe a need: group size, time pattern, access, equipment, place."""
    form = _form()
    if not form.organisation.choices:
        flash(gettext("Zum Buchen brauchen Sie eine Gruppe: legen Sie beim Registrieren eine Initiative an "
                      "oder lassen Sie sich einladen."))
    if form.validate_on_submit():
        need = service.create_need(current_user, form.data)  # Forbidden (403) for someone else's group
        db.session.commit()
        return redirect(url_for("needs.proposals", need_id=need.id))
    return render_template("needs/new.html", form=form), 422 if request.method == "POST" else 200


@bp.get("/bedarfe")
@login_required
def mine():
    """The needs of my groups."""
    needs = service.needs_of(current_user)
    return render_template("needs/mine.html", needs=needs, states=service.states_of(needs))


@bp.get("/bedarfe/<int:need_id>/vorschlaege")
@login_required
def proposals(need_id: int):
    """Spaces with concrete weekly slots that fit the need, best first, each with its reasons."""
    need = service.need_for(current_user, need_id)
    spec, found, walk_method = service.proposals_for(need)  # NeedError: 422, answered by spaces/errors.py
    return render_template("needs/proposals.html", need=need, spec=spec, proposals=found, walk_method=walk_method,
                           state=service.states_of([need])[need.id],
                           names=service.space_names(p.space_id for p in found), WEEKDAYS=WEEKDAYS)


@bp.post("/bedarfe/<int:need_id>/vorschlaege/anfragen")
@login_required
def request_proposal(need_id: int):
    """Turn one proposal into a booking request: its free dates as a weekly series, through the booking rules."""
    need = service.need_for(current_user, need_id)
    try:
        space_id, weekday, starts = int(request.form["space_id"]), int(request.form["weekday"]), request.form["starts"]
    except (KeyError, ValueError):
        abort(400, description=gettext("Der Vorschlag ist unvollständig."))
    chosen = service.find_proposal(need, space_id, weekday, starts)
    if chosen is None:
        flash(gettext("Dieser Vorschlag passt nicht mehr; hier die aktuellen."))
        return redirect(url_for("needs.proposals", need_id=need.id))
    try:
        outcome, space = service.request_proposal(current_user, need, chosen)
    except rules.BookingRefused as err:
        db.session.rollback()
        flash(f"{err.message} {rules.per_date(err.problems)}".strip())
        return redirect(url_for("needs.proposals", need_id=need.id))
    outbox.commit_and_deliver(outcome.mails)
    flash(_requested_message(outcome, space))
    return redirect(url_for("booking.mine"))


def _requested_message(outcome, space) -> str:
    if outcome.confirmed:
        return gettext("%(n)s Termine in %(space)s gebucht (bestätigt).", n=len(outcome.created), space=space.name)
    return gettext("%(n)s Termine in %(space)s angefragt; die Raumverwaltung entscheidet.",
                   n=len(outcome.created), space=space.name)
