"""Races on the waitlist against a real database, each caller in a thread with its own session and connection:
20 claims at once (the offered group clicking, other groups booking the held slot) leave exactly one booking
(the offer is a booking: the exclusion constraint guards the hold itself); two bookings freed at once still wake
the group waiting for both."""

import threading
from datetime import time, timedelta

import pytest
from conftest import migrated_app
from factories import create_organisation, create_space
from sqlalchemy import select

from spaces.accounts import service as accounts
from spaces.booking import rules, waitlist
from spaces.booking import service as booking_service
from spaces.booking.waitlist_tables import WaitlistEntry
from spaces.clock import BERLIN, today_local
from spaces.core.availability import Interval, wall_time_to_utc
from spaces.core.errors import DomainError
from spaces.db import db
from spaces.models import SLOT_HOLDING, Booking, OpeningHours, Space, User

pytestmark = pytest.mark.usefixtures("fast_password_hashes")
N = 20


@pytest.fixture(scope="module")
def race_app():
    with migrated_app("raumfinder_waitlist_race") as app:
        yield app


def _slot(starts: int, ends: int) -> Interval:
    day = today_local() + timedelta(days=3)
    return Interval(wall_time_to_utc(day, time(starts), BERLIN), wall_time_to_utc(day, time(ends), BERLIN))


def _world(app, tag: str) -> dict:
    with app.app_context():
        s = db.session
        space = create_space(s, organisation=create_organisation(s), name=f"Raum {tag}", booking_mode="instant")
        s.add_all(OpeningHours(space_id=space.id, weekday=d, opens=time(0), closes=time(0)) for d in range(7))
        people = {name: accounts.register(s, email=f"{name}-{tag}@example.org", display_name=name,
                                          password="ein-langes-passwort", organisation_name=f"{name} {tag}")
                  for name in ("halter", "zweithalter", "wartend", "andere")}
        s.commit()
        return {"space": space.id, **{name: user.id for name, user in people.items()}}


def _at_once(app, calls) -> list:
    """Run each call in its own thread, app context, session and connection, all released together."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = call(db.session)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                results[i] = err
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_twenty_claims_and_bookings_at_once_give_the_slot_exactly_once(race_app):
    ids = _world(race_app, "claims")
    with race_app.app_context():
        s = db.session
        space, holder, waiting = s.get(Space, ids["space"]), s.get(User, ids["halter"]), s.get(User, ids["wartend"])
        held, = booking_service.request_booking(s, user=holder, organisation=holder.organisations[0], space=space,
                                                slots=[_slot(18, 20)], attendees=5).created
        entry, = waitlist.join(s, user=waiting, organisation=waiting.organisations[0], space=space,
                               slots=[_slot(18, 20)], attendees=5).entries
        s.commit()
        rules.cancel(s, held, holder)
        s.commit()
        entry_id = entry.id
        offered = s.get(WaitlistEntry, entry_id)
        assert offered.status == "offered" and offered.booking.status == "requested"
        offer_id = offered.booking_id

    def claim(session):
        return waitlist.claim(session, session.get(User, ids["wartend"]), entry_id)[1].created[0].id

    def book_over_it(session):
        other = session.get(User, ids["andere"])
        return booking_service.request_booking(session, user=other, organisation=other.organisations[0],
                                               space=session.get(Space, ids["space"]), slots=[_slot(19, 21)],
                                               attendees=5).created[0].id

    results = _at_once(race_app, [claim if i % 2 == 0 else book_over_it for i in range(N)])
    won = [r for r in results if isinstance(r, int)]
    assert won == [offer_id], results  # one claim took the offer's own booking; nothing else was written
    assert all(isinstance(r, DomainError) and r.status == 409 for r in results if not isinstance(r, int))
    with race_app.app_context():
        s = db.session
        holding = s.scalars(select(Booking).where(Booking.space_id == ids["space"],
                                                  Booking.status.in_([x.value for x in SLOT_HOLDING]))).all()
        assert [(b.id, b.status) for b in holding] == [(offer_id, "confirmed")]
        assert holding[0].organisation_id == s.get(User, ids["wartend"]).organisations[0].id
        entry = s.get(WaitlistEntry, entry_id)
        assert (entry.status, entry.booking_id) == ("claimed", won[0])


def test_two_slots_freed_at_once_still_reach_the_group_waiting_for_both(race_app, monkeypatch):
    """Both cancellations are written before either looks at the line (a barrier makes sure): each alone
    sees the other's slot still held; the line's lock makes the second look after the first committed."""
    ids = _world(race_app, "frees")
    both_written, real = threading.Barrier(2), waitlist.slot_freed

    def slot_freed_after_both_wrote(session, bookings):
        session.flush()
        both_written.wait(timeout=20)
        return real(session, bookings)

    monkeypatch.setattr(waitlist, "slot_freed", slot_freed_after_both_wrote)
    with race_app.app_context():
        s = db.session
        space = s.get(Space, ids["space"])
        first, second, waiting = (s.get(User, ids[n]) for n in ("halter", "zweithalter", "wartend"))
        a, = booking_service.request_booking(s, user=first, organisation=first.organisations[0], space=space,
                                             slots=[_slot(18, 19)], attendees=5).created
        b, = booking_service.request_booking(s, user=second, organisation=second.organisations[0], space=space,
                                             slots=[_slot(19, 20)], attendees=5).created
        waitlist.join(s, user=waiting, organisation=waiting.organisations[0], space=space, slots=[_slot(18, 20)],
                      attendees=5)
        s.commit()
        bookings = [(a.id, ids["halter"]), (b.id, ids["zweithalter"])]

    def cancel(booking_id, user_id):
        return lambda session: [x.id for x in rules.cancel(session, session.get(Booking, booking_id),
                                                           session.get(User, user_id))]

    results = _at_once(race_app, [cancel(*pair) for pair in bookings])
    assert sorted(r[0] for r in results) == sorted(i for i, _ in bookings)
    with race_app.app_context():
        entries = db.session.scalars(select(WaitlistEntry).join(Space).where(Space.id == ids["space"])).all()
        assert [e.status for e in entries] == ["offered"]  # neither free saw the other's slot still held and gave up
        holding = db.session.scalars(select(Booking).where(
            Booking.space_id == ids["space"], Booking.status.in_([x.value for x in SLOT_HOLDING]))).all()
        assert [(b.id, b.status, b.organisation_id) for b in holding] == [
            (entries[0].booking_id, "requested", db.session.get(User, ids["wartend"]).organisations[0].id)]
