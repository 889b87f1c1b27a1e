"""Needs to proposals to a booking request, on real PostGIS with the demo data."""

from datetime import date, timedelta

import pytest
from factories import csrf_of, log_in
from sqlalchemy import func, select

from spaces.accounts import service as accounts
from spaces.clock import today_local
from spaces.models import Booking, Need

pytestmark = pytest.mark.usefixtures("fast_password_hashes")  # scrypt is for test_accounts


def _next_tuesday(weeks_ahead=2) -> date:
    day = today_local() + timedelta(weeks=weeks_ahead)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def login(client, session, email="chor@example.org"):
    user = accounts.register(session, email=email, display_name="Chor", password="ein-langes-passwort",
                             organisation_name="Nachbarschaftschor")
    return log_in(client, session, user)


def need_form(client, user, **overrides):
    first = _next_tuesday()
    organisation = overrides.pop("organisation", None) or str(user.organisations[0].id)
    data = {"organisation": organisation, "title": "Chorprobe", "group_size": "20",
            "duration": "120", "weekdays": ["1"], "window_from": "18:00", "window_to": "21:00",
            "first_day": first.isoformat(), "last_day": (first + timedelta(weeks=3)).isoformat(),
            "quartier": "Nordstadt", "max_walk_minutes": "20", **overrides}
    page = client.get("/bedarfe/neu")
    return client.post("/bedarfe/neu", data={"csrf_token": csrf_of(page), **data})


def test_a_need_gets_ranked_proposals_and_the_first_becomes_a_request(client, session, demo):
    user = login(client, session)
    response = need_form(client, user)
    assert response.status_code == 302
    need = session.scalars(select(Need)).one()
    assert need.time_pattern["weekdays"] == [1] and need.near is not None and need.max_walk_minutes == 20
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "4 von 4 Terminen frei" in html
    assert "Raum 1 – Seminarraum" in html  # 20 seats in the Nordstadt, open Tuesday evenings
    assert "Die Übersee" not in html  # Linden: farther than 20 minutes from the Nordstadt
    scores = [int(s) for s in __import__("re").findall(r"Passt zu (\d+) %", html)]
    assert scores == sorted(scores, reverse=True) and scores
    form = __import__("re").search(r'<input type="hidden" name="space_id" value="(\d+)">\s*'
                                   r'<input type="hidden" name="weekday" value="(\d)">\s*'
                                   r'<input type="hidden" name="starts" value="([\d:]+)">', html)
    requested = client.post(f"/bedarfe/{need.id}/vorschlaege/anfragen",
                            data={"csrf_token": csrf_of(page), "space_id": form[1], "weekday": form[2],
                                  "starts": form[3]})
    assert requested.status_code == 302 and requested.headers["Location"].endswith("/meine-buchungen")
    bookings = session.scalars(select(Booking).where(Booking.space_id == int(form[1]))).all()
    assert len(bookings) == 4 and {b.status for b in bookings} == {"requested"}
    assert len({b.series_id for b in bookings}) == 1 and bookings[0].series_id is not None
    assert all(b.attendees == 20 and b.purpose == "Chorprobe" for b in bookings)
    session.refresh(need)
    assert need.status == "met"


@pytest.mark.parametrize("field, value, message", [
    ("window_to", "17:00", "muss nach „frühestens ab“ liegen"),
    ("duration", "240", "Die Dauer passt nicht in das Zeitfenster"),
    ("weekdays", [], "mindestens einen Tag"),
    ("group_size", "0", "Bitte 1 bis 10.000."),
    ("quartier", "Atlantis", "Keine gültige Auswahl"),
])
def test_bad_needs_are_refused_and_nothing_is_stored(client, session, demo, field, value, message):
    user = login(client, session)
    response = need_form(client, user, **{field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Need)) == 0


def test_another_groups_need_is_not_found(client, session, demo, app):
    user = login(client, session)
    need_form(client, user)
    need = session.scalars(select(Need)).one()
    other = app.test_client()
    login(other, session, email="andere@example.org")
    assert other.get(f"/bedarfe/{need.id}/vorschlaege").status_code == 404
    page = other.get("/bedarfe/neu")
    taken = other.post(f"/bedarfe/{need.id}/vorschlaege/anfragen",
                       data={"csrf_token": csrf_of(page), "space_id": "1", "weekday": "1", "starts": "18:00"})
    assert taken.status_code == 404
    assert session.scalar(select(func.count()).select_from(Booking)) == 0


def test_the_qm_enters_a_need_on_behalf_of_a_group_and_requests_for_it(client, session, demo):
    from factories import create_organisation, login_as

    group = create_organisation(session, name="Seniorentreff ohne Konto", kind="initiative")
    qm = login_as(client, session, "qm_admin")
    response = need_form(client, qm, organisation=str(group.id), title="Seniorencafé")
    assert response.status_code == 302
    need = session.scalars(select(Need)).one()
    assert need.organisation_id == group.id and need.created_by_id == qm.id
    page = client.get(response.headers["Location"])
    form = __import__("re").search(r'name="space_id" value="(\d+)">\s*<input type="hidden" name="weekday" '
                                   r'value="(\d)">\s*<input type="hidden" name="starts" value="([\d:]+)"',
                                   page.get_data(as_text=True))
    requested = client.post(f"/bedarfe/{need.id}/vorschlaege/anfragen",
                            data={"csrf_token": csrf_of(page), "space_id": form[1], "weekday": form[2],
                                  "starts": form[3]})
    assert requested.status_code == 302
    booked = session.scalars(select(Booking)).all()
    assert booked and {b.organisation_id for b in booked} == {group.id}
    assert {b.requester_id for b in booked} == {qm.id}


def test_a_member_cannot_enter_a_need_for_a_group_he_is_not_in(client, session, demo):
    from factories import create_organisation

    other = create_organisation(session, name="Fremde Gruppe")
    user = login(client, session)
    response = need_form(client, user, organisation=str(other.id))
    assert response.status_code == 422  # not among his choices
    assert session.scalar(select(func.count()).select_from(Need)) == 0


def test_a_need_is_not_versorgt_while_a_weekday_is_missing_or_only_requested(client, session, demo):
    """Two weekdays asked, one requested: 'angefragt für 1 von 2', never 'versorgt'; once the managers confirm
    that weekday: 'teilweise versorgt (1 von 2 Wochentagen)', and the other weekday is named as missing."""
    user = login(client, session)
    response = need_form(client, user, weekdays=["1", "3"])
    need = session.scalars(select(Need)).one()
    page = client.get(response.headers["Location"])
    form = __import__("re").search(r'name="space_id" value="(\d+)">\s*<input type="hidden" name="weekday" '
                                   r'value="(1)">\s*<input type="hidden" name="starts" value="([\d:]+)"',
                                   page.get_data(as_text=True))
    assert form, "a Tuesday proposal"
    client.post(f"/bedarfe/{need.id}/vorschlaege/anfragen",
                data={"csrf_token": csrf_of(page), "space_id": form[1], "weekday": form[2], "starts": form[3]})
    bookings = session.scalars(select(Booking)).all()
    assert bookings and {b.status for b in bookings} == {"requested"}
    listing = client.get("/bedarfe").get_data(as_text=True)
    assert "angefragt für 1 von 2 Wochentagen, noch nicht bestätigt" in listing
    assert ">versorgt" not in listing and "teilweise" not in listing
    for booking in bookings:
        booking.status = "confirmed"
    session.flush()
    listing = client.get("/bedarfe").get_data(as_text=True)
    assert "teilweise versorgt (1 von 2 Wochentagen), Donnerstag fehlt noch" in listing
    proposals = client.get(f"/bedarfe/{need.id}/vorschlaege").get_data(as_text=True)
    assert "Stand: teilweise versorgt (1 von 2 Wochentagen)" in proposals


def test_a_need_is_versorgt_only_when_every_weekday_is_confirmed():
    from spaces.planning.needs.status import need_state

    tue, thu, next_tue = date(2027, 3, 2), date(2027, 3, 4), date(2027, 3, 9)
    assert need_state([1, 3], []).kind == "open"
    assert need_state([1, 3], [(tue, "requested"), (thu, "requested")]).kind == "requested"
    assert need_state([1, 3], [(tue, "confirmed")]).kind == "partly"
    assert need_state([1, 3], [(tue, "confirmed"), (thu, "confirmed")]).kind == "met"
    # a weekday with one date still pending is not yet met; declined or cancelled dates do not count
    assert need_state([1], [(tue, "confirmed"), (next_tue, "requested")]).kind == "requested"
    assert need_state([1], [(tue, "declined"), (next_tue, "cancelled")]).kind == "open"
    assert need_state([1], [(tue, "confirmed")], withdrawn=True).kind == "withdrawn"
