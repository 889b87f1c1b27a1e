"""Pages of the waitlist: join it from a refused booking form, take or pass on an offer, leave the line; and
`flask waitlist tick` for cron (offers that ran out go to the next group in line)."""

from __future__ import annotations

import click
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from spaces import outbox
from spaces.booking import service as booking_service
from spaces.booking import submit as submission
from spaces.booking import waitlist
from spaces.booking.forms import BookingForm
from spaces.booking.rules import Forbidden, local_text
from spaces.db import db
from spaces.models import Space
from spaces.phrasing import said

bp = Blueprint("waitlist", __name__, cli_group="waitlist")


@bp.app_template_global("waiting_groups")
def waiting_groups(space_id: int) -> int:
    """For the space page: how many groups wait for a date of this space (never which)."""
    return waitlist.waiting_groups(space_id)


@bp.cli.command("tick")
def tick_command():
    """Offers that ran out go to the next group in line, with a mail (cron: every few minutes)."""
    done = waitlist.tick(db.session)
    outbox.commit_and_deliver(done.mails)
    click.echo(f"waitlist: {done.expired} abgelaufen, {done.offered} neu angeboten")


@bp.post("/raeume/<int:space_id>/warteliste")
@login_required
def join(space_id: int):
    """Put my group on the waitlist for the taken dates of the booking form's request."""
    space = db.session.get(Space, space_id) or abort(404, description=gettext("Diesen Raum gibt es nicht."))
    form = BookingForm()
    form.organisation.choices = booking_service.groups_to_book_for(current_user)
    try:
        state = submission.join_waitlist(db.session, form, space, current_user)
    except Forbidden as err:
        abort(403, description=said(err.message))
    if state.joined is not None:
        db.session.commit()
        flash(submission.joined_text(state.joined))
        return redirect(url_for("booking.mine") + "#warteliste")
    return render_template("booking/book.html", form=form, space=space, conflicts=state.conflicts,
                           ask_fold=state.ask_fold, can_wait=state.can_wait), state.status


@bp.post("/warteliste/<int:entry_id>/annehmen")
@login_required
def claim(entry_id: int):
    """Take the offered date: it is booked (or requested) for my group; 409 when the offer is gone."""
    _refresh()
    entry, outcome = waitlist.claim(db.session, current_user, entry_id)  # a refusal: the error page, 409 or 422
    when, space = local_text(waitlist.interval_of(entry)), entry.space.name
    outbox.commit_and_deliver(outcome.mails)
    flash(gettext("Gebucht: %(when)s in %(space)s.", when=when, space=space) if outcome.confirmed
          else gettext("Angefragt: %(when)s in %(space)s. Die Raumverwaltung entscheidet.", when=when, space=space))
    return redirect(url_for("booking.mine"))


@bp.post("/warteliste/<int:entry_id>/verzichten")
@login_required
def give_up(entry_id: int):
    """Pass on an offer ("Nicht mehr nötig") or leave the line for a date."""
    _refresh()
    entry, mails = waitlist.give_up(db.session, current_user, entry_id)
    when, space = local_text(waitlist.interval_of(entry)), entry.space.name
    outbox.commit_and_deliver(mails)
    flash(gettext("Von der Warteliste genommen: %(when)s in %(space)s.", when=when, space=space))
    return redirect(url_for("booking.mine") + "#warteliste")


def _refresh() -> None:
    """Offers that ran out pass on first, committed on their own (a refusal afterwards does not undo that)."""
    done = waitlist.tick(db.session)
    if done.changed:
        outbox.commit_and_deliver(done.mails)

