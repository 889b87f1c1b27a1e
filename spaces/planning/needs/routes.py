"""Initiatives describe what they look for (Raumbedarf), see ranked proposals and request one."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from geoalchemy2.shape import from_shape
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from geo.validation import point_from_lonlat
from spaces import outbox
from spaces.booking import rules
from spaces.booking import service as booking_service
from spaces.clock import now_utc, today_local
from spaces.core.proposals import propose
from spaces.core.rounds import proposal_series
from spaces.db import db
from spaces.finder.queries import quartier_centres
from spaces.labels import EQUIPMENT, WEEKDAYS
from spaces.models import Need, NeedStatus, Organisation, Quartier, Space
from spaces.planning.needs.data import need_near, need_spec, space_facts_for

bp = Blueprint("needs", __name__)
REQUIRED = _l("Bitte ausfüllen.")


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NeedForm(FlaskForm):
    organisation = SelectField(_l("Für"), coerce=int, validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Wofür? (z. B. Chorprobe)"), validators=[InputRequired(REQUIRED), Length(max=200)])
    group_size = IntegerField(_l("Personen"), validators=[InputRequired(REQUIRED),
                                                          NumberRange(1, 10_000, _l("Bitte 1 bis 10.000."))])
    duration = IntegerField(_l("Dauer in Minuten"), default=120, validators=[
        InputRequired(REQUIRED), NumberRange(15, 12 * 60, _l("Bitte 15 bis 720 Minuten."))])
    weekdays = MultiCheckbox(_l("An diesen Tagen"), coerce=int, choices=[(i, d) for i, d in enumerate(WEEKDAYS)],
                             validators=[InputRequired(_l("Bitte mindestens einen Tag wählen."))])
    window_from = TimeField(_l("frühestens ab"), validators=[InputRequired(REQUIRED)])
    window_to = TimeField(_l("spätestens bis"), validators=[InputRequired(REQUIRED)])
    first_day = DateField(_l("wöchentlich vom"), validators=[InputRequired(REQUIRED)])
    last_day = DateField(_l("bis"), validators=[InputRequired(REQUIRED)])
    step_free = BooleanField(_l("stufenlos erreichbar"))
    accessible_wc = BooleanField(_l("barrierefreies WC"))
    equipment = MultiCheckbox(_l("Ausstattung, die da sein muss"), choices=[(k, v) for k, v in EQUIPMENT.items()])
    quartier = SelectField(_l("in der Nähe von"), validators=[Optional()])
    max_walk_minutes = IntegerField(_l("höchstens Minuten zu Fuß"), default=15, validators=[
        Optional(), NumberRange(1, 120, _l("Bitte 1 bis 120 Minuten."))])
    free_only = BooleanField(_l("nur kostenlose Räume"))


def _form() -> NeedForm:
    form = NeedForm()
    if current_user.is_qm_admin:  # the QM enters needs on behalf of any group
        form.organisation.choices = [(o.id, o.name) for o in db.session.scalars(
            select(Organisation).order_by(Organisation.name))]
    else:
        form.organisation.choices = [(o.id, o.name) for o in current_user.organisations]
    form.quartier.choices = [("", gettext("– egal –"))] + [(n, n) for n, *_ in db.session.execute(quartier_centres())]
    return form


def _season_errors(form: NeedForm) -> bool:
    ok = True
    if form.window_to.data and form.window_from.data and form.window_to.data <= form.window_from.data:
        form.window_to.errors.append(gettext("„spätestens bis“ muss nach „frühestens ab“ liegen."))
        ok = False
    elif form.window_to.data and form.window_from.data and form.duration.data:
        span = (form.window_to.data.hour * 60 + form.window_to.data.minute) - \
               (form.window_from.data.hour * 60 + form.window_from.data.minute)
        if form.duration.data > span:
            form.duration.errors.append(gettext("Die Dauer passt nicht in das Zeitfenster."))
            ok = False
    if form.first_day.data and form.last_day.data:
        if form.last_day.data < form.first_day.data:
            form.last_day.errors.append(gettext("Das Ende liegt vor dem Anfang."))
            ok = False
        elif form.last_day.data - form.first_day.data > timedelta(days=366):
            form.last_day.errors.append(gettext("Höchstens ein Jahr."))
            ok = False
        elif form.first_day.data < today_local():
            form.first_day.errors.append(gettext("Bitte ab heute."))
            ok = False
    return ok


@bp.route("/bedarfe/neu", methods=["GET", "POST"])
@login_required
def new():
    """Describe a need: group size, time pattern, access, equipment, place."""
    form = _form()
    if not form.organisation.choices:
        flash(gettext("Zum Buchen brauchen Sie eine Gruppe: legen Sie beim Registrieren eine Initiative an "
                      "oder lassen Sie sich einladen."))
    if form.validate_on_submit() and _season_errors(form):
        if not (current_user.member_of(form.organisation.data) or current_user.is_qm_admin):
            abort(403)
        need = Need(organisation_id=form.organisation.data, created_by_id=current_user.id, title=form.title.data,
                    group_size=form.group_size.data, duration_minutes=form.duration.data,
                    time_pattern={"weekdays": sorted(form.weekdays.data),
                                  "from": form.window_from.data.strftime("%H:%M"),
                                  "to": form.window_to.data.strftime("%H:%M"),
                                  "first_day": form.first_day.data.isoformat(),
                                  "last_day": form.last_day.data.isoformat()},
                    step_free=form.step_free.data, accessible_wc=form.accessible_wc.data,
                    equipment=list(form.equipment.data or []), free_of_charge_only=form.free_only.data,
                    max_walk_minutes=form.max_walk_minutes.data if form.quartier.data else None)
        if form.quartier.data:
            row = db.session.execute(quartier_centres().where(Quartier.name == form.quartier.data)).first()
            if row is not None:
                need.near = from_shape(point_from_lonlat(row[2], row[3]), srid=4326)
        db.session.add(need)
        db.session.flush()
        rules.audit(db.session, current_user, "need.created", need, title=need.title)
        db.session.commit()
        return redirect(url_for("needs.proposals", need_id=need.id))
    status = 422 if request.method == "POST" else 200
    return render_template("needs/new.html", form=form), status


def _own_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None or not (current_user.member_of(need.organisation_id) or current_user.is_qm_admin):
        abort(404, description=gettext("Diesen Raumbedarf gibt es nicht, oder er gehört einer anderen Gruppe."))
    return need


@bp.get("/bedarfe")
@login_required
def mine():
    """The needs of my groups."""
    org_ids = [o.id for o in current_user.organisations]
    needs = db.session.scalars(select(Need).where(Need.organisation_id.in_(org_ids)).order_by(Need.created_at.desc())
                               .limit(200)).all()
    return render_template("needs/mine.html", needs=needs)


def _proposals(need: Need, limit: int = 20):
    spec = need_spec(need)
    facts = space_facts_for(db.session, spec, need_near(db.session, need))
    return spec, propose(spec, facts, now=now_utc(), limit=limit)


@bp.get("/bedarfe/<int:need_id>/vorschlaege")
@login_required
def proposals(need_id: int):
    """Spaces with concrete weekly slots that fit the need, best first, each with its reasons."""
    need = _own_need(need_id)
    spec, found = _proposals(need)  # NeedError: 422, answered by spaces/errors.py
    ids = [p.space_id for p in found]
    names = dict(db.session.execute(select(Space.id, Space.name).where(Space.id.in_(ids))).all())
    return render_template("needs/proposals.html", need=need, spec=spec, proposals=found, names=names,
                           WEEKDAYS=WEEKDAYS)


@bp.post("/bedarfe/<int:need_id>/vorschlaege/anfragen")
@login_required
def request_proposal(need_id: int):
    """Turn one proposal into a booking request: its free dates as a weekly series, through the booking rules."""
    need = _own_need(need_id)
    try:
        space_id, weekday = int(request.form["space_id"]), int(request.form["weekday"])
        starts = request.form["starts"]
    except (KeyError, ValueError):
        abort(400, description=gettext("Der Vorschlag ist unvollständig."))
    _, found = _proposals(need, limit=1000)
    chosen = next((p for p in found if p.space_id == space_id and p.weekday == weekday
                   and p.starts.strftime("%H:%M") == starts), None)
    if chosen is None:
        flash(gettext("Dieser Vorschlag passt nicht mehr; hier die aktuellen."))
        return redirect(url_for("needs.proposals", need_id=need.id))
    space = db.session.get(Space, space_id)
    organisation = db.session.get(Organisation, need.organisation_id)
    try:
        outcome = booking_service.request_booking(
            db.session, user=current_user, organisation=organisation, space=space, slots=list(chosen.dates),
            attendees=need.group_size, purpose=need.title, recurrence=proposal_series(chosen), skip_conflicts=True)
    except rules.BookingRefused as err:
        db.session.rollback()
        flash(f"{err.message} {rules.per_date(err.problems)}".strip())
        return redirect(url_for("needs.proposals", need_id=need.id))
    except rules.Forbidden as err:
        abort(403, description=err.message)
    need.status = NeedStatus.MET
    rules.audit(db.session, current_user, "need.requested", need, space_id=space.id, dates=len(outcome.created),
                confirmed=outcome.confirmed)
    outbox.commit_and_deliver(outcome.mails)
    if outcome.confirmed:
        flash(gettext("%(n)s Termine in %(space)s gebucht (bestätigt).", n=len(outcome.created), space=space.name))
    else:
        flash(gettext("%(n)s Termine in %(space)s angefragt; die Raumverwaltung entscheidet.",
                      n=len(outcome.created), space=space.name))
    return redirect(url_for("booking.mine"))
