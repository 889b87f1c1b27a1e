"""The waitlist: a group queues for a taken slot, is offered it when the holder cancels or is declined, holds it
for WAITLIST_OFFER_HOURS, then the next in line. The hold is a booking (status 'requested') of the offered group:
every path that says whether a space is free sees it taken; claiming makes it the group's booking."""

import re
from datetime import datetime, time, timedelta

import pytest
from factories import create_organisation, create_space, csrf_of, log_in, make_manager
from sqlalchemy import select

from spaces.accounts import service as accounts
from spaces.booking import rules, waitlist
from spaces.booking import series as series_rules
from spaces.booking import service as booking_service
from spaces.booking.waitlist_tables import WaitlistEntry, WaitStatus
from spaces.clock import BERLIN, today_local
from spaces.core.availability import Interval, wall_time_to_utc
from spaces.core.errors import Conflict
from spaces.core.recurrence import Frequency, SeriesRequest
from spaces.models import SLOT_HOLDING, Booking, OpeningHours, OutboxMail

pytestmark = pytest.mark.usefixtures("fast_password_hashes")


class World:
    def __init__(self, session, mode="instant"):
        self.session = session
        provider = create_organisation(session, name="Nachbarschaftshaus Warteliste")
        self.manager = self.person("verwaltung")
        make_manager(session, self.manager, provider)
        self.space = create_space(session, organisation=provider, name="Wartesaal", booking_mode=mode)
        session.add_all(OpeningHours(space_id=self.space.id, weekday=d, opens=time(0), closes=time(0))
                        for d in range(7))
        self.holder = self.person("halter", "Chor Halter")
        self.first = self.person("erste", "Initiative Erste")
        self.second = self.person("zweite", "Initiative Zweite")
        self.third = self.person("dritte", "Initiative Dritte")
        session.flush()

    def person(self, name, group=""):
        return accounts.register(self.session, email=f"{name}@example.org", display_name=name.title(),
                                 password="ein-langes-passwort", organisation_name=group)

    def slot(self, days=3, starts=18, ends=20) -> Interval:
        day = today_local() + timedelta(days=days)
        return Interval(wall_time_to_utc(day, time(starts), BERLIN), wall_time_to_utc(day, time(ends), BERLIN))

    def book(self, user, slots, **params) -> list[Booking]:
        return booking_service.request_booking(self.session, user=user, organisation=user.organisations[0],
                                               space=self.space, slots=slots, attendees=10, **params).created

    def join(self, user, slots):
        return waitlist.join(self.session, user=user, organisation=user.organisations[0], space=self.space,
                             slots=slots, attendees=8, purpose="Probe").entries

    def mails_to(self, user) -> list[OutboxMail]:
        return list(self.session.scalars(select(OutboxMail).where(OutboxMail.recipient == user.email)
                                         .order_by(OutboxMail.id)))


@pytest.fixture
def w(session):
    return World(session)


def test_a_cancelled_slot_is_offered_to_the_first_group_in_line_by_mail(w, session, clock):
    booking, = w.book(w.holder, [w.slot()])
    first, = w.join(w.first, [w.slot()])
    second, = w.join(w.second, [w.slot()])
    assert (first.status, second.status) == ("waiting", "waiting")

    rules.cancel(session, booking, w.holder)
    session.flush()
    assert first.status == WaitStatus.OFFERED
    assert first.offer_expires_at == clock.now + timedelta(hours=24)
    assert second.status == WaitStatus.WAITING
    held = first.booking  # the hold is a booking of the offered group, for exactly the wanted date
    assert (held.status, held.organisation_id, held.requester_id) == ("requested", w.first.organisations[0].id,
                                                                      w.first.id)
    assert waitlist.interval_of(first) == Interval(held.during.lower, held.during.upper)
    assert (held.attendees, held.purpose) == (8, "Probe")
    mail, = w.mails_to(w.first)
    assert "Wartesaal ist frei geworden" in mail.subject
    assert rules.local_text(w.slot()) in mail.body and "/meine-buchungen" in mail.body
    assert w.mails_to(w.second) == []


def test_a_declined_request_is_offered_too(session):
    w = World(session, mode="on_request")
    request, = w.book(w.holder, [w.slot()])
    entry, = w.join(w.first, [w.slot()])
    rules.decide(session, request, w.manager, accept=False, note="Leider nicht")
    session.flush()
    assert entry.status == WaitStatus.OFFERED
    assert len(w.mails_to(w.first)) == 1


def test_a_declined_and_a_cancelled_series_offer_every_date(session):
    w = World(session, mode="on_request")
    first_day = today_local() + timedelta(days=2)
    recurrence = SeriesRequest(first_day=first_day, starts=time(18), ends=time(20), frequency=Frequency.WEEKLY,
                               count=3)
    slots = booking_service.plan(recurrence).slots
    outcome = booking_service.request_booking(session, user=w.holder, organisation=w.holder.organisations[0],
                                              space=w.space, slots=slots, attendees=10, recurrence=recurrence)
    entries = w.join(w.first, slots)
    assert len(entries) == 3 and len({e.request_key for e in entries}) == 1
    series_rules.decide_all(session, outcome.series, w.manager, accept=False)
    session.flush()
    assert [e.status for e in entries] == ["offered"] * 3
    mail, = w.mails_to(w.first)  # one mail naming the three dates
    assert all(rules.local_text(s) in mail.body for s in slots)


def test_cancelling_a_series_and_moving_it_free_its_dates_for_the_line(w, session):
    first_day = today_local() + timedelta(days=2)
    recurrence = SeriesRequest(first_day=first_day, starts=time(18), ends=time(20), frequency=Frequency.WEEKLY,
                               count=2)
    slots = booking_service.plan(recurrence).slots
    outcome = booking_service.request_booking(session, user=w.holder, organisation=w.holder.organisations[0],
                                              space=w.space, slots=slots, attendees=10, recurrence=recurrence)
    early, = w.join(w.first, [slots[0]])
    late, = w.join(w.second, [slots[1]])
    # Moved to 20-22 from the second date on: only that date's 18-20 is free again.
    series_rules.change_from(session, outcome.series, w.holder, first_day + timedelta(weeks=1),
                             new_times=(time(20), time(22), False))
    session.flush()
    assert (early.status, late.status) == ("waiting", "offered")
    series_rules.cancel_all(session, outcome.series, w.holder)
    session.flush()
    assert early.status == "offered"


def test_while_an_offer_is_open_nobody_else_books_the_slot_and_the_group_claims_it(w, session):
    booking, = w.book(w.holder, [w.slot()])
    entry, = w.join(w.first, [w.slot()])
    rules.cancel(session, booking, w.holder)
    held = entry.booking_id
    with pytest.raises(rules.SlotTaken, match="schon belegt"):  # the offer's booking holds the slot
        w.book(w.third, [w.slot(starts=19, ends=21)])
    claimed, outcome = waitlist.claim(session, w.first, entry.id)
    assert claimed.status == WaitStatus.CLAIMED and outcome.confirmed
    assert claimed.booking_id == held and claimed.booking.status == "confirmed"  # the same booking, now the group's
    assert claimed.booking.organisation_id == w.first.organisations[0].id
    assert claimed.booking.purpose == "Probe" and claimed.booking.attendees == 8
    with pytest.raises(Conflict, match="schon angenommen"):
        waitlist.claim(session, w.first, entry.id)


def test_an_expired_offer_passes_to_the_next_group_by_the_tick_command(app, w, session, clock):
    booking, = w.book(w.holder, [w.slot()])
    first, = w.join(w.first, [w.slot()])
    second, = w.join(w.second, [w.slot()])
    rules.cancel(session, booking, w.holder)
    session.flush()
    clock.advance(timedelta(hours=23, minutes=59))
    assert waitlist.tick(session).expired == 0
    clock.advance(timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["waitlist", "tick"])
    assert result.exit_code == 0, result.output
    assert "1 abgelaufen, 1 neu angeboten" in result.output
    session.expire_all()
    assert (first.status, second.status) == ("expired", "offered")
    assert (first.booking.status, second.booking.status) == ("cancelled", "requested")
    assert second.offer_expires_at == clock.now + timedelta(hours=24)
    assert "abgelaufen" in w.mails_to(w.first)[-1].subject
    assert "frei geworden" in w.mails_to(w.second)[-1].subject
    with pytest.raises(Conflict, match="abgelaufen"):
        waitlist.claim(session, w.first, first.id)


def test_the_offer_lasts_the_configured_hours_and_never_beyond_the_slots_start(app, w, session, clock):
    app.config["WAITLIST_OFFER_HOURS"] = 2
    try:
        soon = Interval(clock.now + timedelta(hours=1), clock.now + timedelta(hours=3))
        later = w.slot()
        held = w.book(w.holder, [soon, later])
        a, = w.join(w.first, [soon])
        b, = w.join(w.second, [later])
        rules.cancel(session, held[0], w.holder)
        rules.cancel(session, held[1], w.holder)
        session.flush()
        assert a.offer_expires_at == soon.start  # the slot begins before two hours are up
        assert b.offer_expires_at == clock.now + timedelta(hours=2)
    finally:
        app.config["WAITLIST_OFFER_HOURS"] = 24


def test_reading_my_bookings_passes_a_stale_offer_on(w, session, client, clock):
    booking, = w.book(w.holder, [w.slot()])
    first, = w.join(w.first, [w.slot()])
    second, = w.join(w.second, [w.slot()])
    rules.cancel(session, booking, w.holder)
    session.flush()
    clock.advance(timedelta(hours=25))
    log_in(client, session, w.second)
    page = client.get("/meine-buchungen").get_data(as_text=True)
    assert "Frei geworden: für Ihre Gruppe reserviert" in page
    assert "Annehmen" in page and "Nicht mehr nötig" in page
    until = (clock.now + timedelta(hours=24)).astimezone(BERLIN)
    assert f"{until:%d.%m.%Y}, {until:%H:%M} Uhr" in page  # the deadline in Berlin time
    assert (first.status, second.status) == ("expired", "offered")
    assert f'data-booking="{second.booking_id}"' not in page  # shown once: as the offer, not also as a request


def test_not_needed_passes_the_offer_on_and_leaving_the_line_is_possible(w, session, client):
    booking, = w.book(w.holder, [w.slot()])
    first, = w.join(w.first, [w.slot()])
    second, = w.join(w.second, [w.slot()])
    third, = w.join(w.third, [w.slot()])
    rules.cancel(session, booking, w.holder)
    session.commit()
    log_in(client, session, w.third)
    page = client.get("/meine-buchungen")
    assert "vor Ihnen warten 2 Gruppen" in page.get_data(as_text=True)
    answer = client.post(f"/warteliste/{third.id}/verzichten", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 302 and third.status == "withdrawn"
    log_in(client, session, w.first)
    page = client.get("/meine-buchungen")
    answer = client.post(f"/warteliste/{first.id}/verzichten", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 302
    assert (first.status, second.status) == ("withdrawn", "offered")
    assert (first.booking.status, second.booking.status) == ("cancelled", "requested")
    # Someone else's entry: not found.
    assert client.post(f"/warteliste/{second.id}/annehmen", data={"csrf_token": csrf_of(page)}).status_code == 404


def test_claiming_an_expired_offer_is_refused_with_409_and_a_german_reason(w, session, client, clock):
    booking, = w.book(w.holder, [w.slot()])
    first, = w.join(w.first, [w.slot()])
    rules.cancel(session, booking, w.holder)
    session.commit()
    log_in(client, session, w.first)
    page = client.get("/meine-buchungen")
    clock.advance(timedelta(hours=24))
    answer = client.post(f"/warteliste/{first.id}/annehmen", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 409
    assert "Dieses Angebot ist abgelaufen" in answer.get_data(as_text=True)
    assert session.scalar(select(Booking).where(Booking.organisation_id == w.first.organisations[0].id,
                                                Booking.status.in_(list(SLOT_HOLDING)))) is None


def test_the_refused_booking_form_offers_the_waitlist_for_exactly_that_request(w, session, client):
    w.book(w.holder, [w.slot()])
    log_in(client, session, w.first)
    url = f"/raeume/{w.space.id}/buchen"
    form = client.get(url)
    day = (today_local() + timedelta(days=3)).isoformat()
    data = {"csrf_token": csrf_of(form), "organisation": w.first.organisations[0].id, "day": day,
            "starts": "18:30", "ends": "19:30", "frequency": "once", "attendees": "6", "purpose": "Lesekreis"}
    refused = client.post(url, data=data)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Auf die Warteliste setzen" in html and f'formaction="/raeume/{w.space.id}/warteliste"' in html
    joined = client.post(f"/raeume/{w.space.id}/warteliste", data=data)
    assert joined.status_code == 302 and joined.location.endswith("/meine-buchungen#warteliste")
    entry = session.scalars(select(WaitlistEntry)).one()
    wanted = today_local() + timedelta(days=3)
    assert waitlist.interval_of(entry) == Interval(wall_time_to_utc(wanted, time(18, 30), BERLIN),
                                                   wall_time_to_utc(wanted, time(19, 30), BERLIN))
    assert (entry.attendees, entry.purpose, entry.status) == (6, "Lesekreis", "waiting")
    again = client.post(f"/raeume/{w.space.id}/warteliste", data=data)
    assert again.status_code == 409 and "schon auf der Warteliste" in again.get_data(as_text=True)
    free = client.post(f"/raeume/{w.space.id}/warteliste", data=data | {"starts": "10:00", "ends": "11:00"})
    assert free.status_code == 422 and "Dieser Termin ist frei" in free.get_data(as_text=True)


def test_the_space_page_counts_the_waiting_groups_without_naming_them(w, session, client):
    w.book(w.holder, [w.slot(), w.slot(days=4)])
    w.join(w.first, [w.slot(), w.slot(days=4)])
    w.join(w.second, [w.slot()])
    session.commit()
    page = client.get(f"/raeume/{w.space.id}").get_data(as_text=True)
    assert "2 Gruppen warten auf belegte Termine." in page
    assert "Initiative Erste" not in page and "Initiative Zweite" not in page


def test_a_group_waits_only_for_slots_others_hold(w, session):
    w.book(w.first, [w.slot()])
    with pytest.raises(rules.BookingRefused, match="schon gebucht"):
        w.join(w.first, [w.slot()])
    with pytest.raises(rules.Forbidden):
        waitlist.join(session, user=w.first, organisation=w.second.organisations[0], space=w.space,
                      slots=[w.slot()], attendees=5)
    with pytest.raises(rules.BookingRefused, match="nur Termine, die von einer anderen Gruppe belegt sind"):
        waitlist.join(session, user=w.second, organisation=w.second.organisations[0], space=w.space,
                      slots=[w.slot()], attendees=500)  # more than the room holds: waiting would not help


@pytest.mark.parametrize("name, value", [
    ("purpose", "a\x00b"), ("purpose", "x" * 10_000), ("attendees", "2147483648"), ("attendees", "-1"),
    ("day", "9999-12-31"), ("day", "31.02.2026"), ("starts", "25:00"), ("organisation", "999999"),
    ("frequency", "daily"), ("count", "9" * 50),
])
def test_joining_with_hostile_input_answers_in_german_and_writes_nothing(w, session, client, name, value):
    w.book(w.holder, [w.slot()])
    log_in(client, session, w.first)
    data = {"csrf_token": csrf_of(client.get(f"/raeume/{w.space.id}/buchen")),
            "organisation": w.first.organisations[0].id, "day": (today_local() + timedelta(days=3)).isoformat(),
            "starts": "18:00", "ends": "20:00", "frequency": "once", "attendees": "6", name: value}
    answer = client.post(f"/raeume/{w.space.id}/warteliste", data=data)
    assert 400 <= answer.status_code < 500
    assert 'error-summary' in answer.get_data(as_text=True) or answer.status_code == 403
    assert session.scalars(select(WaitlistEntry)).all() == []


def test_the_groups_own_offer_holds_the_slot_against_its_own_form_too_until_it_claims(w, session):
    booking, = w.book(w.holder, [w.slot()])
    first, = w.join(w.first, [w.slot()])
    rules.cancel(session, booking, w.holder)
    with pytest.raises(rules.SlotTaken):  # the offer is taken through "Annehmen", not booked twice
        w.book(w.first, [w.slot()])
    with pytest.raises(Conflict, match="schon auf der Warteliste"):
        w.join(w.first, [w.slot()])
    waitlist.claim(session, w.first, first.id)
    assert first.booking.status == "confirmed"


# ----------------------------------------------------------------------------- one truth: the hold is a booking


def _free_blocks(client, space_id, day) -> list[Interval]:
    page = client.get(f"/raeume/{space_id}?woche={day}").get_data(as_text=True)
    return [Interval(datetime.fromisoformat(a), datetime.fromisoformat(b))
            for a, b in re.findall(r'class="free" data-start="([^"]+)" data-end="([^"]+)"', page)]


def test_while_an_offer_is_open_search_week_view_and_form_all_say_taken_and_free_again_after_give_up(
        w, session, client):
    """The one truth (tests/test_one_truth.py) with the waitlist: no path knows of offers, all see the booking."""
    wanted, day = w.slot(), today_local() + timedelta(days=3)
    booking, = w.book(w.holder, [wanted])
    entry, = w.join(w.first, [wanted])
    rules.cancel(session, booking, w.holder)
    session.commit()
    assert entry.status == "offered"

    def answers() -> dict[str, bool]:
        found = client.get(f"/api/spaces?date={day}&from=18:00&to=20:00").get_json()["features"]
        blocks = _free_blocks(client, w.space.id, day)
        log_in(client, session, w.third)
        form = client.get(f"/raeume/{w.space.id}/buchen")
        booked = client.post(f"/raeume/{w.space.id}/buchen", data={
            "csrf_token": csrf_of(form), "organisation": w.third.organisations[0].id, "day": day.isoformat(),
            "starts": "18:00", "ends": "20:00", "frequency": "once", "attendees": "6"})
        return {"search": w.space.id in {f["id"] for f in found},
                "week view": any(b.start <= wanted.start and wanted.end <= b.end for b in blocks),
                "booking form": booked.status_code == 302}

    assert answers() == {"search": False, "week view": False, "booking form": False}
    log_in(client, session, w.first)
    page = client.get("/meine-buchungen")
    assert client.post(f"/warteliste/{entry.id}/verzichten", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert (entry.status, entry.booking.status) == ("withdrawn", "cancelled")
    assert answers() == {"search": True, "week view": True, "booking form": True}  # nobody else waited
    assert session.scalars(select(Booking.organisation_id).where(
        Booking.space_id == w.space.id, Booking.status.in_(list(SLOT_HOLDING)))).all() == [w.third.organisations[0].id]


def test_an_offer_is_no_request_until_claimed_then_an_ordinary_one_for_the_inbox(session, client):
    w = World(session, mode="on_request")
    request, = w.book(w.holder, [w.slot()])
    rules.decide(session, request, w.manager, accept=True)
    entry, = w.join(w.first, [w.slot()])
    rules.cancel(session, request, w.holder)
    group = w.first.organisations[0]
    group.calendar_token = "geheimer-kalender-link-fuer-den-test"
    session.commit()
    offered = entry.booking
    # Nobody decides or cancels it but the waitlist: "Annehmen", "Nicht mehr nötig" or its deadline.
    with pytest.raises(Conflict, match="Warteliste angeboten"):
        rules.decide(session, offered, w.manager, accept=True)
    with pytest.raises(Conflict, match="Warteliste angeboten"):
        rules.cancel(session, offered, w.first)
    log_in(client, session, w.manager)
    assert f'data-booking="{offered.id}"' not in client.get("/verwaltung/anfragen").get_data(as_text=True)
    log_in(client, session, w.first)
    assert offered.id not in {b["id"] for b in client.get("/api/bookings").get_json()["bookings"]}
    feed = client.get(f"/organisationen/{group.id}/kalender/{group.calendar_token}.ics").get_data(as_text=True)
    assert f"booking-{offered.id}@" not in feed  # the group's calendar: not its booking yet
    space_feed = client.get(f"/raeume/{w.space.id}/kalender.ics").get_data(as_text=True)
    assert f"booking-{offered.id}@" in space_feed and "SUMMARY:belegt" in space_feed  # the space's: busy

    page = client.get("/meine-buchungen")
    answer = client.post(f"/warteliste/{entry.id}/annehmen", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 302
    assert (entry.status, offered.status, offered.requester_id) == ("claimed", "requested", w.first.id)
    assert any("neue Anfrage" in m.subject for m in w.mails_to(w.manager))
    assert offered.id in {b["id"] for b in client.get("/api/bookings").get_json()["bookings"]}
    assert f'data-booking="{offered.id}"' in client.get("/meine-buchungen").get_data(as_text=True)
    log_in(client, session, w.manager)
    assert f'data-booking="{offered.id}"' in client.get("/verwaltung/anfragen").get_data(as_text=True)
    rules.decide(session, offered, w.manager, accept=True)
    assert offered.status == "confirmed"


def test_an_offer_past_its_deadline_lets_go_as_soon_as_someone_books_in_that_space(w, session, clock):
    """No cron ran: the next booking of the space expires the offer first (and the slot is free: nobody else
    waits); the offered group hears its offer ran out."""
    booking, = w.book(w.holder, [w.slot()])
    first, = w.join(w.first, [w.slot()])
    rules.cancel(session, booking, w.holder)
    clock.advance(timedelta(hours=24))
    taken, = w.book(w.third, [w.slot()])
    assert taken.organisation_id == w.third.organisations[0].id
    assert (first.status, first.booking.status) == ("expired", "cancelled")
    assert "abgelaufen" in w.mails_to(w.first)[-1].subject
