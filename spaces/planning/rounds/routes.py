"""Raumvergabe (QM only): give the open needs their weekly rooms in one round, then book exactly that round."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from spaces import outbox
from spaces.clock import BERLIN, now_utc
from spaces.core.errors import Conflict
from spaces.core.rounds import RoundError, plan_from_json, plan_round
from spaces.db import db
from spaces.labels import WEEKDAYS
from spaces.models import AllocationRound, Need, NeedStatus, Organisation, RoundStatus, Space
from spaces.planning.rounds.service import Change, confirm_round, round_changes, round_facts, store_round

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
    ids = {int(v) for v in values if v.strip().isdigit() and len(v.strip()) < 10}
    if not ids:
        return []
    return list(db.session.scalars(
        select(Need).where(Need.id.in_(ids), Need.status == NeedStatus.OPEN).order_by(Need.created_at, Need.id)
        .limit(MAX_NEEDS)))


def _compute_and_store(needs: list[Need]) -> AllocationRound:
    """Compute the round for these needs now and keep it as it will be shown."""
    now = now_utc()
    data = round_facts(db.session, needs)
    plan = plan_round(data.needs, data.facts, now=now, walk_minutes=data.walk_minutes)
    plan.unmet.update(data.broken)
    return store_round(db.session, plan, [n.id for n in needs], current_user, now)


def _rows(stored: AllocationRound):
    """The round's needs, who gets what (as stored) and who stays without a room, for the page."""
    plan = plan_from_json(stored.plan)
    booked = stored.plan.get("booked", {})
    needs = {n.id: n for n in db.session.scalars(select(Need).where(Need.id.in_(stored.plan["needs"])))}
    org_ids = {n.organisation_id for n in needs.values() if n.organisation_id}
    orgs = dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)))
                .all()) if org_ids else {}
    space_ids = {p.space_id for p in plan.assignments.values()}
    spaces = dict(db.session.execute(select(Space.id, Space.name).where(Space.id.in_(space_ids))).all()) \
        if space_ids else {}
    served, unmet = [], []
    for nid in stored.plan["needs"]:
        need = needs.get(nid)
        if need is None:
            continue
        group = orgs.get(need.organisation_id, "–")
        if nid in plan.assignments:
            p = plan.assignments[nid]
            served.append({"need": need, "group": group, "space": spaces.get(p.space_id, p.space_id),
                           "space_id": p.space_id, "weekday": str(WEEKDAYS[p.weekday]),
                           "starts": p.starts.strftime("%H:%M"), "ends": p.ends.strftime("%H:%M"),
                           "dates": len(p.dates), "wanted": p.wanted, "score": p.score, "reasons": p.reasons,
                           "booked": booked.get(str(nid))})
        elif nid in plan.unmet:
            unmet.append({"need": need, "group": group, "reason": plan.unmet[nid]})
    return plan, [needs[n] for n in stored.plan["needs"] if n in needs], served, unmet


def _page(stored: AllocationRound, *, changes=(), error=None, status=200):
    plan, needs, served, unmet = _rows(stored)
    return render_template("rounds/result.html", round=stored, plan=plan, needs=needs, served=served, unmet=unmet,
                           changes=changes, error=error, BERLIN=BERLIN), status


@bp.get("/verwaltung/raumvergabe")
@login_required
def index():
    """The open needs to choose from."""
    _require_qm()
    return render_template("rounds/index.html", needs=_open_needs())


@bp.post("/verwaltung/raumvergabe/berechnen")
@login_required
def compute():
    """Compute a round for the ticked open needs, keep it as shown, and show it."""
    _require_qm()
    needs = _selected(request.form.getlist("need"))
    if not needs:
        flash(gettext("Bitte mindestens einen offenen Bedarf auswählen."))
        return redirect(url_for("rounds.index"))
    stored = _compute_and_store(needs)
    db.session.commit()
    return redirect(url_for("rounds.show", round_id=stored.id), code=303)


def _round_or_404(round_id: int, *, lock: bool = False) -> AllocationRound:
    stored = db.session.get(AllocationRound, round_id, with_for_update=lock, populate_existing=lock)
    if stored is None:
        abort(404, description=gettext("Diese Vergaberunde gibt es nicht."))
    return stored


@bp.get("/verwaltung/raumvergabe/<int:round_id>")
@login_required
def show(round_id: int):
    """A round as computed (and, once confirmed, what it booked)."""
    _require_qm()
    return _page(_round_or_404(round_id))


@bp.post("/verwaltung/raumvergabe/<int:round_id>/bestaetigen")
@login_required
def confirm(round_id: int):
    """Book exactly the round as shown, all or nothing; if the world changed since, say what and show it anew."""
    _require_qm()
    stored = _round_or_404(round_id, lock=True)  # a second confirmation waits, then finds it decided
    if stored.status != RoundStatus.SHOWN:
        raise Conflict(gettext("Diese Vergaberunde ist schon bestätigt oder durch eine neuere ersetzt."))
    plan = plan_from_json(stored.plan)
    ids = stored.plan["needs"]
    needs = {n.id: n for n in db.session.scalars(
        select(Need).where(Need.id.in_(ids)).order_by(Need.id).with_for_update())}
    changes = round_changes(db.session, plan, needs, current_user)
    booked = None
    if not changes:
        try:
            booked = confirm_round(db.session, plan, needs, current_user)
        except RoundError as err:  # another request won a slot between the check and the write
            changes = [Change(err.need_id, err.message)]
    if changes:
        still_open = [needs[n] for n in ids if n in needs and needs[n].status == NeedStatus.OPEN]
        newer = _compute_and_store(still_open) if still_open else None
        stored.status, stored.decided_at, stored.decided_by_id = RoundStatus.SUPERSEDED, now_utc(), current_user.id
        stored.superseded_by_id = newer.id if newer else None
        db.session.commit()
        message = gettext("Seit der Berechnung hat sich etwas geändert; nichts wurde gebucht. "
                          "Hier die neu berechnete Vergabe zum Prüfen und Bestätigen.")
        if newer is None:
            return _page(stored, changes=changes, error=message, status=409)
        return _page(newer, changes=changes, error=message, status=409)
    stored.status, stored.decided_at, stored.decided_by_id = RoundStatus.CONFIRMED, now_utc(), current_user.id
    stored.plan = {**stored.plan, "booked": {str(k): v for k, v in booked.per_need.items()}}
    outbox.commit_and_deliver(booked.mails)
    confirmed = sum(v["confirmed"] for v in booked.per_need.values())
    requested = sum(v["requested"] for v in booked.per_need.values())
    flash(gettext("Vergabe gebucht: %(confirmed)s Termine bestätigt, %(requested)s angefragt "
                  "(die Raumverwaltung entscheidet).", confirmed=confirmed, requested=requested))
    return redirect(url_for("rounds.show", round_id=stored.id))
