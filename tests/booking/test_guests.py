"""Requests without an account (spaces.booking.guests): the form, the double opt-in link (24 hours, once), the rate
limits per address and per e-mail, the managers' decision, the cancellation link and `flask guests prune`.

The clock stands at Monday 23 November 2026, 10:00 in Hannover; the room is open every day 08:00–22:00 and the
guest asks for Tuesday 1 December 2026, 18:00–20:00 (17:00–19:00 UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from factories import create_booking, create_organisation, create_space, csrf_of, log_in, make_manager, utc
from sqlalchemy import func, select

from spaces.accounts import service as accounts
from spaces.booking import guests, waitlist
from spaces.booking.guest_tables import GuestRequest
from spaces.models import AuditEntry, Booking, OpeningHours, OutboxMail

PASSWORD = "ein-langes-passwort"
ASKED = {"day": "2026-12-01", "starts": "18:00", "ends": "20:00", "attendees": "12", "purpose": "Hausversammlung",
         "name": "Gül Yilmaz", "email": "gul@example.org", "group_name": "Hausgemeinschaft Kronsberg 12",
         "consent": "y"}


@pytest.fixture(autouse=True)
def now(clock):
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    return clock


@pytest.fixture
def room(session):
    provider = create_organisation(session, name="Stadtteiltreff Kronsberg")
    manager = accounts.register(session, email="verwaltung@example.org", display_name="Marta", password=PASSWORD)
    make_manager(session, manager, provider)
    space = create_space(session, organisation=provider, name="Treffraum", capacity=30, booking_mode="on_request",
                         opening_hours=[OpeningHours(weekday=d, opens=time(8), closes=time(22)) for d in range(7)])
    space.manager = manager
    return space


@pytest.fixture
def freed(monkeypatch):
    """The booking ids spaces.booking.waitlist.slot_freed was called with."""
    calls = []
    monkeypatch.setattr(waitlist, "slot_freed", lambda session, bookings: calls.append([b.id for b in bookings]) or [])
    return calls


def ask(client, space, **changes):
    page = client.get(f"/raeume/{space.id}/gastanfrage")
    assert page.status_code == 200
    return client.post(f"/raeume/{space.id}/gastanfrage", data={**ASKED, "csrf_token": csrf_of(page), **changes})


def link_in(outbox, to: str, path: str) -> str:
    """The path of the last link to `path` mailed to `to`."""
    bodies = [m.get_body(("plain",)).get_content() for m in outbox if m["To"] == to]
    found = [m for body in bodies for m in re.findall(r"https?://\S+" + re.escape(path) + r"\S+", body)]
    assert found, bodies
    return urlsplit(found[-1]).path


def press(client, path: str):
    """Open a mailed link and press its button."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_of(page)})


def bookings_of(session, space):
    return session.scalars(select(Booking).where(Booking.space_id == space.id).order_by(Booking.id)).all()


def confirmed_request(client, session, outbox, space, **changes) -> GuestRequest:
    assert ask(client, space, **changes).status_code == 302
    email = changes.get("email", ASKED["email"])
    assert press(client, link_in(outbox, email, "/gastanfrage/bestaetigen/")).status_code == 302
    return session.scalar(select(GuestRequest).where(GuestRequest.email == email).order_by(GuestRequest.id.desc()))


# ----------------------------------------------------------------------------- asking and the opt-in link


def test_the_space_page_offers_the_form_to_visitors_without_an_account(client, room):
    page = client.get(f"/raeume/{room.id}?date=2026-12-01&from=18:00&to=20:00").get_data(as_text=True)
    link = re.search(r'href="(/raeume/\d+/gastanfrage[^"]*)"[^>]*>Ohne Konto anfragen', page)
    assert link, page
    form = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="2026-12-01"' in form and 'value="18:00"' in form and 'href="/datenschutz"' in form


def test_a_space_for_listed_groups_only_or_instant_takes_no_guests(client, session, room):
    room.bookable_by = "listed"
    session.flush()
    assert "Ohne Konto anfragen" not in client.get(f"/raeume/{room.id}").get_data(as_text=True)
    assert client.get(f"/raeume/{room.id}/gastanfrage").status_code == 403
    instant = create_space(session, booking_mode="instant")
    assert client.get(f"/raeume/{instant.id}/gastanfrage").status_code == 403


def test_the_request_waits_for_the_link_which_works_once(client, session, outbox, room):
    sent = ask(client, room)
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Bitte bestätigen Sie Ihre Anfrage über den Link in der E-Mail an gul@example.org" in page
    assert bookings_of(session, room) == []  # nothing reaches the managers before the address is confirmed
    assert [m["To"] for m in outbox] == ["gul@example.org"]
    path = link_in(outbox, "gul@example.org", "/gastanfrage/bestaetigen/")
    token = path.rsplit("/", 1)[1]
    stored = session.scalar(select(GuestRequest))
    assert stored.optin_hash == accounts.hash_token(token) and token not in stored.optin_hash  # only the hash

    assert "Gül Yilmaz" in client.get(path).get_data(as_text=True)
    assert bookings_of(session, room) == []  # opening the link (a mail scanner does) changes nothing
    done = press(client, path)
    assert done.status_code == 302 and done.headers["Location"] == f"/raeume/{room.id}"
    booking, = bookings_of(session, room)
    assert (booking.status, booking.organisation_id, booking.requester_id) == ("requested", None, None)
    assert (booking.during.lower, booking.during.upper, booking.attendees) == (utc(2026, 12, 1, 17),
                                                                               utc(2026, 12, 1, 19), 12)
    session.refresh(stored)
    assert stored.booking_id == booking.id and stored.confirmed_at == utc(2026, 11, 23, 9)
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == str(booking.id))) == \
        "booking.created"
    assert sorted(m["To"] for m in outbox) == ["gul@example.org", "gul@example.org", "verwaltung@example.org"]
    assert "Gastanfrage" in [m for m in outbox if m["To"] == "verwaltung@example.org"][0]["Subject"]

    again = client.get(path)
    assert again.status_code == 404 and "schon benutzt" in again.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": csrf_of(client.get(f"/raeume/{room.id}"))}).status_code == 404
    assert len(bookings_of(session, room)) == 1


def test_an_expired_link_is_refused(client, session, outbox, now, room):
    ask(client, room)
    path = link_in(outbox, "gul@example.org", "/gastanfrage/bestaetigen/")
    page = client.get(path)
    now.advance(timedelta(hours=23, minutes=59))
    assert client.get(path).status_code == 200
    now.advance(timedelta(minutes=1))
    refused = client.get(path)
    assert refused.status_code == 404 and "abgelaufen" in refused.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": csrf_of(page)}).status_code == 404
    assert bookings_of(session, room) == []


def test_a_slot_taken_before_the_confirmation_is_said_and_nothing_is_written(client, session, outbox, room):
    ask(client, room)
    create_booking(session, room, utc(2026, 12, 1, 18), hours=1)  # another group, 19:00–20:00 local
    answer = press(client, link_in(outbox, "gul@example.org", "/gastanfrage/bestaetigen/"))
    assert answer.status_code == 409
    assert "Der Termin ist inzwischen vergeben" in answer.get_data(as_text=True)
    assert len(bookings_of(session, room)) == 1
    assert session.scalar(select(GuestRequest.confirmed_at)) is None
    assert [m["To"] for m in outbox] == ["gul@example.org"]  # no mail to the managers


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"day": "2026-11-20"}, "day", "Vergangenheit"),
    ({"starts": "06:00"}, "starts", "Öffnungszeit"),
    ({"ends": "23:00"}, "ends", "Öffnungszeit"),
    ({"ends": "17:00"}, "ends", "Das Ende liegt vor dem Beginn."),
    ({"attendees": "31"}, "attendees", "Der Raum fasst 30 Personen"),
    ({"email": "keine-adresse"}, "email", "gültige E-Mail-Adresse"),
    ({"consent": ""}, "consent", "Einverständnis"),
    ({"name": "  "}, "name", "Bitte ausfüllen."),
])
def test_the_booking_rules_are_checked_before_any_mail_each_on_its_field(client, session, outbox, room, changes,
                                                                         field, message):
    answer = ask(client, room, **changes)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    errors = re.search(rf'id="{field}-errors">(.*?)</ul>', html, re.S)
    assert errors and message in errors.group(1), html
    assert session.scalar(select(func.count()).select_from(GuestRequest)) == 0 and outbox == []


def test_a_taken_slot_is_409_on_the_form(client, session, outbox, room):
    create_booking(session, room, utc(2026, 12, 1, 17))
    answer = ask(client, room)
    assert answer.status_code == 409 and "schon belegt" in answer.get_data(as_text=True)
    assert outbox == []


# ----------------------------------------------------------------------------- rate limits


def test_one_address_gets_at_most_three_unconfirmed_requests_a_day(client, session, outbox, now, room):
    for hour in (8, 9, 10):
        assert ask(client, room, starts=f"{hour}:00", ends=f"{hour}:30").status_code == 302
    fourth = ask(client, room, starts="11:00", ends="11:30")
    assert fourth.status_code == 422
    assert "schon 3 unbestätigte Anfragen" in re.search(r'id="email-errors">(.*?)</ul>',
                                                          fourth.get_data(as_text=True), re.S).group(1)
    assert len(outbox) == 3
    # Another address still may; and a day later this one again.
    assert ask(client, room, email="nachbar@example.org").status_code == 302
    now.advance(timedelta(hours=24))
    assert ask(client, room, day="2026-12-02", starts="11:00", ends="11:30").status_code == 302


def test_one_client_address_sends_at_most_five_requests_an_hour(client, session, room):
    for n in range(5):
        assert ask(client, room, email=f"person{n}@example.org", starts=f"{10 + n}:00",
                   ends=f"{10 + n}:30").status_code == 302
    blocked = ask(client, room, email="person6@example.org", starts="16:00", ends="16:30")
    assert blocked.status_code == 429 and "zu viele Anfragen ohne Konto" in blocked.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(GuestRequest)) == 5


# ----------------------------------------------------------------------------- decision and cancellation


def test_the_manager_sees_a_guest_request_and_accepting_it_mails_the_guest(client, session, outbox, room):
    confirmed_request(client, session, outbox, room)
    log_in(client, session, room.manager)
    inbox = client.get("/verwaltung/anfragen")
    html = inbox.get_data(as_text=True)
    assert "Gastanfrage" in html and "Gül Yilmaz, Hausgemeinschaft Kronsberg 12" in html and "gul@example.org" in html
    booking, = bookings_of(session, room)
    action = f"/verwaltung/gastanfragen/{booking.id}/annehmen"
    assert f'action="{action}"' in html
    outbox.clear()
    answer = client.post(action, data={"csrf_token": csrf_of(inbox), "note": "Schlüssel beim Hausmeister"})
    assert answer.status_code == 302
    session.refresh(booking)
    assert booking.status == "confirmed" and booking.decided_by_id == room.manager.id
    mail, = outbox
    body = mail.get_body(("plain",)).get_content()
    assert mail["To"] == "gul@example.org" and "bestätigt" in body and "Schlüssel beim Hausmeister" in body
    assert client.post(action, data={"csrf_token": csrf_of(inbox)}).status_code == 302  # decided: said, no change
    assert len(outbox) == 1


def test_declining_frees_the_slot_for_the_waitlist_and_mails_the_guest(client, session, outbox, room, freed):
    confirmed_request(client, session, outbox, room)
    booking, = bookings_of(session, room)
    log_in(client, session, room.manager)
    inbox = client.get("/verwaltung/anfragen")
    outbox.clear()
    client.post(f"/verwaltung/gastanfragen/{booking.id}/ablehnen", data={"csrf_token": csrf_of(inbox)})
    session.refresh(booking)
    assert booking.status == "declined" and freed == [[booking.id]]
    assert [m["To"] for m in outbox] == ["gul@example.org"] and "abgelehnt" in outbox[0]["Subject"]


def test_only_the_space_managers_decide_a_guest_request(client, session, outbox, room):
    confirmed_request(client, session, outbox, room)
    booking, = bookings_of(session, room)
    stranger = accounts.register(session, email="fremd@example.org", display_name="Fremd", password=PASSWORD)
    make_manager(session, stranger, create_organisation(session))
    log_in(client, session, stranger)
    inbox = client.get("/verwaltung/anfragen")
    assert "Gül" not in inbox.get_data(as_text=True)
    answer = client.post(f"/verwaltung/gastanfragen/{booking.id}/annehmen", data={"csrf_token": csrf_of(inbox)})
    assert answer.status_code == 403
    session.refresh(booking)
    assert booking.status == "requested"


def test_the_guest_cancels_through_the_mailed_link_once(client, session, outbox, room, freed):
    request = confirmed_request(client, session, outbox, room)
    path = link_in(outbox, "gul@example.org", "/gastanfrage/absagen/")
    assert request.cancel_hash == accounts.hash_token(path.rsplit("/", 1)[1])
    page = client.get(path)
    assert "data-confirm" in page.get_data(as_text=True)
    outbox.clear()
    answer = client.post(path, data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 302
    booking, = bookings_of(session, room)
    assert booking.status == "cancelled" and freed == [[booking.id]]
    assert sorted(m["To"] for m in outbox) == ["gul@example.org", "verwaltung@example.org"]
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": csrf_of(page)}).status_code == 404


def test_the_cancellation_link_ends_with_the_date(client, session, outbox, now, room):
    confirmed_request(client, session, outbox, room)
    path = link_in(outbox, "gul@example.org", "/gastanfrage/absagen/")
    now.set(utc(2026, 12, 1, 18, 59))
    assert client.get(path).status_code == 200
    now.set(utc(2026, 12, 1, 19))
    assert client.get(path).status_code == 404


# ----------------------------------------------------------------------------- retention


def test_prune_deletes_unconfirmed_requests_and_blanks_guests_after_the_retention_period(app, client, session, outbox,
                                                                                         now, room):
    confirmed_request(client, session, outbox, room)  # Tuesday 1 December 2026
    booking, = bookings_of(session, room)
    ask(client, room, email="spaet@example.org", day="2026-12-03")  # never confirmed
    retention = app.config["GUEST_DATA_DAYS"]

    def prune():
        result = app.test_cli_runner().invoke(args=["guests", "prune"])
        assert result.exit_code == 0, result.output
        return result.output

    now.advance(timedelta(hours=23))
    assert "0 unbestätigte gelöscht, 0 nach" in prune()
    now.advance(timedelta(hours=1))
    assert "1 unbestätigte gelöscht, 0 nach" in prune()
    assert session.scalars(select(GuestRequest.email)).all() == ["gul@example.org"]

    now.set(utc(2026, 12, 1, 19) + timedelta(days=retention) - timedelta(minutes=1))
    assert "0 nach" in prune()
    now.advance(timedelta(minutes=1))
    assert f"0 unbestätigte gelöscht, 1 nach {retention} Tagen anonymisiert" in prune()
    kept = session.scalar(select(GuestRequest))
    session.refresh(kept)
    session.refresh(booking)
    assert (kept.name, kept.email, kept.group_name, kept.purpose, kept.cancel_hash) == ("", "", "", "", None)
    assert kept.anonymised_at is not None and kept.booking_id == booking.id
    assert booking.status == "requested" and booking.purpose == ""  # the slot's use stays for the statistics
    assert session.scalar(select(func.count()).select_from(OutboxMail).where(
        OutboxMail.recipient == "gul@example.org")) == 0
    assert "0 nach" in prune()  # twice changes nothing


def test_the_privacy_page_says_how_long(client):
    html = client.get("/datenschutz").get_data(as_text=True)
    assert "Anfragen ohne Konto" in html and "flask guests prune" in html


def test_the_per_email_count_is_the_service_s_rule(session, room):
    """send_request itself refuses the fourth (the routes only show it)."""
    interval = guests.interval_of(datetime(2026, 12, 1).date(), time(18), time(19))
    for _ in range(3):
        guests.send_request(session, room, interval=interval, attendees=3, purpose="", name="A", email="A@Example.org",
                            group_name="G")
    with pytest.raises(guests.GuestRefused) as refused:
        guests.send_request(session, room, interval=interval, attendees=3, purpose="", name="A", email="a@example.org",
                            group_name="G")
    assert refused.value.field == "email"
