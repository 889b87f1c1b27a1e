"""Raumvergabe (QM only): give the open needs their weekly rooms in one round, then confirm it in one go."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from .db import db
from .labels import WEEKDAYS
from .models import Need, NeedStatus, Organisation, Space
from .rounds import RoundError, confirm_round, plan_round, round_facts

bp = Blueprint("rounds", __name__)

MAX_NEEDS = 200  # needs in one round


def _require_qm():
    if not current_user.is_qm_admin:
        abort(403, description=gettext("Die Raumvergabe machen nur Quartiersmanager:innen (QM-Admin)."))


def _open_needs() -> list[Need]:
    return list(db.session.scalars(
        select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.created_at, Need.id).limit(MAX_NEEDS)))


def _selected(values: list[str]) -> list[Need]:
    """The open needs among the ids given (unknown, closed or malformed ids are ignored), oldest first."""
    ids = {int(v) for v in values if v.strip().isdigit()}
    if not ids:
        return []
    return list(db.session.scalars(
        select(Need).where(Need.id.in_(ids), Need.status == NeedStatus.OPEN).order_by(Need.created_at, Need.id)))


def _compute(needs: list[Need]):
    data = round_facts(db.session, needs)
    plan = plan_round(data.needs, data.facts, walk_minutes=data.walk_minutes)
    plan.unmet.update(data.broken)
    return plan


def _rows(needs: list[Need], plan):
    org_ids = {n.organisation_id for n in needs if n.organisation_id}
    orgs = dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)))
                .all()) if org_ids else {}
    space_ids = {p.space_id for p in plan.assignments.values()}
    spaces = dict(db.session.execute(select(Space.id, Space.name).where(Space.id.in_(space_ids))).all()) \
        if space_ids else {}
    served, unmet = [], []
    for need in needs:
        group = orgs.get(need.organisation_id, "–")
        if need.id in plan.assignments:
            p = plan.assignments[need.id]
            served.append({"need": need, "group": group, "space": spaces.get(p.space_id, p.space_id),
                           "space_id": p.space_id, "weekday": str(WEEKDAYS[p.weekday]),
                           "starts": p.starts.strftime("%H:%M"), "ends": p.ends.strftime("%H:%M"),
                           "dates": len(p.dates), "wanted": p.wanted, "score": p.score, "reasons": p.reasons})
        elif need.id in plan.unmet:
            unmet.append({"need": need, "group": group, "reason": plan.unmet[need.id]})
    return served, unmet


@bp.get("/verwaltung/raumvergabe")
@login_required
def index():
    """The open needs to choose from; with ?berechnen=1 the computed round for the ticked ones."""
    _require_qm()
    if request.args.get("berechnen"):
        needs = _selected(request.args.getlist("need"))
        if not needs:
            flash(gettext("Bitte mindestens einen offenen Bedarf auswählen."))
            return redirect(url_for("rounds.index"))
        plan = _compute(needs)
        served, unmet = _rows(needs, plan)
        return render_template("rounds/result.html", needs=needs, plan=plan, served=served, unmet=unmet,
                               error=None)
    return render_template("rounds/index.html", needs=_open_needs())


@bp.post("/verwaltung/raumvergabe/bestaetigen")
@login_required
def confirm():
    """Recompute the round for the same needs and book it in one transaction (all or nothing)."""
    _require_qm()
    needs = _selected(request.form.getlist("need"))
    if not needs:
        flash(gettext("Bitte mindestens einen offenen Bedarf auswählen."))
        return redirect(url_for("rounds.index"))
    plan = _compute(needs)
    try:
        confirm_round(db.session, plan, {n.id: n for n in needs}, current_user)
    except RoundError as err:
        db.session.rollback()
        needs = _selected(request.form.getlist("need"))
        plan = _compute(needs)
        served, unmet = _rows(needs, plan)
        message = gettext("Die Vergabe wurde nicht gebucht, nichts davon ist gespeichert: %(reason)s",
                          reason=err.message)
        return render_template("rounds/result.html", needs=needs, plan=plan, served=served, unmet=unmet,
                               error=message), 409
    db.session.commit()
    flash(gettext("%(n)s Gruppen haben einen Raum.", n=plan.served))
    return redirect(url_for("rounds.index"))
