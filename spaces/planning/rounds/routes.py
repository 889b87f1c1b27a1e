"""Raumvergabe (QM only): give the open needs their weekly rooms in one round, then book exactly that round."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from spaces import outbox
from spaces.clock import BERLIN
from spaces.db import db
from spaces.models import AllocationRound
from spaces.planning.rounds import service

bp = Blueprint("rounds", __name__)


def _require_qm():
    if not current_user.is_qm_admin:
        abort(403, description=gettext("Die Raumvergabe machen nur Quartiersmanager:innen (QM-Admin)."))


def _page(stored: AllocationRound, *, changes=(), error=None, status=200):
    plan, needs, served, unmet = service.round_rows(stored)
    return render_template("rounds/result.html", round=stored, plan=plan, needs=needs, served=served, unmet=unmet,
                           summary=service.booked_summary(served), changes=changes, error=error,
                           BERLIN=BERLIN), status


@bp.get("/verwaltung/raumvergabe")
@login_required
def index():
    """The open needs to choose from."""
    _require_qm()
    return render_template("rounds/index.html", needs=service.open_needs())


@bp.post("/verwaltung/raumvergabe/berechnen")
@login_required
def compute():
    """Compute a round for the ticked open needs, keep it as shown, and show it."""
    _require_qm()
    needs = service.selected_needs(request.form.getlist("need"))
    if not needs:
        flash(gettext("Bitte mindestens einen offenen Bedarf auswählen."))
        return redirect(url_for("rounds.index"))
    stored = service.compute_and_store(needs, current_user)
    db.session.commit()
    return redirect(url_for("rounds.show", round_id=stored.id), code=303)


@bp.get("/verwaltung/raumvergabe/<int:round_id>")
@login_required
def show(round_id: int):
    """A round as computed (and, once confirmed, what it booked)."""
    _require_qm()
    return _page(service.stored_round(round_id))


@bp.post("/verwaltung/raumvergabe/<int:round_id>/bestaetigen")
@login_required
def confirm(round_id: int):
    """Book exactly the round as shown, all or nothing; if the world changed since, say what and show it anew."""
    _require_qm()
    result = service.confirm_stored(round_id, current_user)  # Conflict (409) when it was decided already
    if result.booked is None:
        db.session.commit()  # the round superseded, and the newer one kept
        message = gettext("Seit der Berechnung hat sich etwas geändert; nichts wurde gebucht. "
                          "Hier die neu berechnete Vergabe zum Prüfen und Bestätigen.")
        shown = result.newer or service.stored_round(round_id)
        return _page(shown, changes=result.changes, error=message, status=409)
    outbox.commit_and_deliver(result.booked.mails)
    per_need = result.booked.per_need.values()
    flash(gettext("Vergabe gebucht: %(confirmed)s Termine bestätigt, %(requested)s nur angefragt "
                  "(die Raumverwaltung entscheidet noch).", confirmed=sum(v["confirmed"] for v in per_need),
                  requested=sum(v["requested"] for v in per_need)))
    return redirect(url_for("rounds.show", round_id=round_id))
