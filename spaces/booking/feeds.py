"""iCalendar feeds: a space's busy times (public events with title), an organisation's bookings (secret link)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from icalendar import Calendar, Event

from spaces.booking import service as booking_service
from spaces.booking.rules import local_text, runs_past_midnight
from spaces.clock import now_utc
from spaces.core.availability import Interval
from spaces.db import db
from spaces.links import absolute_url
from spaces.models import Booking, BookingStatus, Organisation, Space

bp = Blueprint("feeds", __name__)

PAST, AHEAD = timedelta(days=60), timedelta(days=400)


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Raumfinder Hannover//raumfinder//DE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Berlin")
    return cal


def _event(booking: Booking, summary: str, *, description: str = "", location: str = "") -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.id}@raumfinder")
    event.add("dtstamp", now_utc())
    event.add("dtstart", booking.during.lower)
    event.add("dtend", booking.during.upper)
    event.add("summary", summary)
    event.add("status", "CONFIRMED" if booking.status == BookingStatus.CONFIRMED else "TENTATIVE")
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    return event


def _feed_bookings(*, space_id: int | None = None, organisation_id: int | None = None) -> list[Booking]:
    """Slot-holding bookings from 60 days ago to 400 days ahead, of one space or one organisation. A space's feed
    shows a waitlist offer as busy (it holds the slot); an organisation's leaves it out until the group claims it
    (as "Meine Buchungen" lists it only as the offer)."""
    now = now_utc()
    return booking_service.slot_holding(Interval(now - PAST, now + AHEAD), space_id=space_id,
                                        organisation_id=organisation_id, offers=organisation_id is None)


def _ics(cal: Calendar, filename: str) -> Response:
    return Response(cal.to_ical(), mimetype="text/calendar",
                    headers={"Content-Disposition": f'inline; filename="{filename}"',
                             "Cache-Control": "private, max-age=300"})


@bp.get("/raeume/<int:space_id>/kalender.ics")
def space_feed(space_id: int):
    """A space's busy times for calendar apps: public events by title, everything else as 'belegt'."""
    space = db.session.get(Space, space_id)
    if space is None:
        abort(404, description=f"Einen Raum mit der Nummer {space_id} gibt es nicht.")
    cal = _calendar(f"{space.name} (Raumfinder)")
    for booking in _feed_bookings(space_id=space_id):
        public = booking.is_public and booking.status == BookingStatus.CONFIRMED
        cal.add_component(_event(booking, (booking.purpose or "Veranstaltung") if public else "belegt",
                                 location=space.name))
    return _ics(cal, f"raum-{space_id}.ics")


@bp.get("/organisationen/<int:organisation_id>/kalender/<token>.ics")
def organisation_feed(organisation_id: int, token: str):
    """All bookings of an organisation, for whoever holds its secret feed link."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not organisation.calendar_token \
            or not secrets.compare_digest(organisation.calendar_token.encode(), token.encode()):
        abort(404, description="Diesen Kalender gibt es nicht (mehr).")
    cal = _calendar(f"{organisation.name} (Raumfinder)")
    for booking in _feed_bookings(organisation_id=organisation_id):
        state = "" if booking.status == BookingStatus.CONFIRMED else " (angefragt)"
        interval = Interval(booking.during.lower, booking.during.upper)
        overnight = local_text(interval) if runs_past_midnight(interval) else ""  # "… (endet am Folgetag)"
        cal.add_component(_event(booking, f"{booking.space.name}{state}",
                                 description="\n".join(filter(None, [booking.purpose, overnight])),
                                 location=booking.space.name))
    return _ics(cal, f"organisation-{organisation_id}.ics")


def _own_organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not current_user.member_of(organisation_id):
        abort(404, description="Diese Organisation gibt es nicht, oder Sie gehören nicht dazu.")
    return organisation


@bp.get("/organisationen/<int:organisation_id>/kalender")
@login_required
def organisation_feed_page(organisation_id: int):
    """The secret feed link of one of my organisations (made on first visit)."""
    organisation = _own_organisation(organisation_id)
    if not organisation.calendar_token:
        organisation.calendar_token = secrets.token_urlsafe(24)
        db.session.commit()
    link = absolute_url("feeds.organisation_feed", organisation_id=organisation.id, token=organisation.calendar_token)
    return render_template("booking/feed.html", organisation=organisation, link=link)


@bp.post("/organisationen/<int:organisation_id>/kalender/neu")
@login_required
def regenerate_feed(organisation_id: int):
    """A new secret feed link; the old one stops working."""
    organisation = _own_organisation(organisation_id)
    organisation.calendar_token = secrets.token_urlsafe(24)
    db.session.commit()
    flash(gettext("Der alte Kalender-Link gilt nicht mehr."))
    return redirect(url_for("feeds.organisation_feed_page", organisation_id=organisation_id))
