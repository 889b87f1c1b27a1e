"""Raumvergabe on real PostGIS: a round serves more groups than first come first served, books exactly
what the QM saw or nothing, says why a group got nothing, and only the QM may run it.

The service's clock stands at Monday 4 January 2027, before the season of March 2027."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from factories import create_booking, create_organisation, create_space, csrf_of, login_as
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range

from spaces.accounts import service as accounts
from spaces.clock import now_utc
from spaces.core.availability import BERLIN
from spaces.core.proposals import NeedSpec, SpaceFacts, TimePattern
from spaces.core.rounds import RoundError, plan_round, slot_of
from spaces.models import AllocationRound, AuditEntry, Booking, BookingSeries, Closure, Need, OpeningHours
from spaces.planning.rounds.service import confirm_round, round_facts

pytestmark = pytest.mark.usefixtures("fast_password_hashes")  # scrypt is for test_accounts

TUE, WED, THU = 1, 2, 3
SEASON = {"first_day": "2027-03-01", "last_day": "2027-03-21"}  # Tuesdays 2, 9, 16; Thursdays 4, 11, 18 March


@pytest.fixture(autouse=True)
def _winter(clock):
    clock.set(datetime(2027, 1, 4, 10, tzinfo=BERLIN))


def berlin(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


def hours(*weekdays):
    return [OpeningHours(weekday=d, opens=time(18), closes=time(20)) for d in weekdays]


@pytest.fixture
def group(session):
    org = create_organisation(session, name="Nachbarschaftstreff Kronsberg")
    creator = accounts.register(session, email="gruppe@example.org", display_name="Gruppe",
                                password="ein-langes-passwort")
    creator.organisations.append(org)
    session.flush()
    return org, creator


def add_need(session, group, title, size, weekdays, **params):
    org, creator = group
    need = Need(organisation_id=org.id, created_by_id=creator.id, title=title, group_size=size,
                duration_minutes=120, time_pattern={"weekdays": list(weekdays), "from": "18:00", "to": "20:00",
                                                    **SEASON}, status="open", **params)
    session.add(need)
    session.flush()
    return need


@pytest.fixture
def tight(session, group):
    """S1 (30 seats) open Tuesdays, S2 (20 seats) Tuesdays and Thursdays but closed on 11 March.

    A (10, Tue/Thu) likes S2 on Tuesday best, B (15) and C (25) can only come on Tuesdays, and only S1
    holds C: first come first served gives A S2-Tue and B S1-Tue, leaving C out; the round serves all."""
    s1 = create_space(session, name="Saal", capacity=30, booking_mode="instant", opening_hours=hours(TUE))
    s2 = create_space(session, name="Clubraum", capacity=20, booking_mode="on_request", opening_hours=hours(TUE, THU))
    session.add(Closure(space_id=s2.id, during=Range(berlin(date(2027, 3, 11), 0), berlin(date(2027, 3, 12), 0),
                                                     bounds="[)"), reason="Wartung"))
    a = add_need(session, group, "Sprachcafé", 10, (TUE, THU))
    b = add_need(session, group, "Elterntreff", 15, (TUE,))
    c = add_need(session, group, "Chorprobe", 25, (TUE,))
    session.flush()
    return s1, s2, a, b, c


def compute(session, needs):
    data = round_facts(session, needs)
    return plan_round(data.needs, data.facts, now=now_utc(), walk_minutes=data.walk_minutes)


def test_round_serves_everyone_where_first_come_first_served_leaves_one_out(session, tight):
    s1, s2, a, b, c = tight
    plan = compute(session, [a, b, c])
    assert plan.greedy_served == 2
    assert plan.served == 3 and plan.unmet == {}
    got = {nid: (p.space_id, p.weekday, p.starts) for nid, p in plan.assignments.items()}
    assert got == {a.id: (s2.id, THU, time(18)), b.id: (s2.id, TUE, time(18)), c.id: (s1.id, TUE, time(18))}
    slots = [slot_of(p) for p in plan.assignments.values()]
    for i, x in enumerate(slots):
        for y in slots[i + 1:]:
            assert x.space_id != y.space_id or x.end <= y.start or y.end <= x.start
    assert len(plan.assignments[a.id].dates) == 2 and plan.assignments[a.id].wanted == 3  # closed on 11 March


def test_confirm_books_weekly_series_and_marks_needs_met(session, tight, group):
    s1, s2, a, b, c = tight
    qm = accounts.register(session, email="qm@example.org", display_name="QM", password="ein-langes-passwort")
    qm.role = "qm_admin"
    plan = compute(session, [a, b, c])
    booked = confirm_round(session, plan, {n.id: n for n in (a, b, c)}, qm)
    assert len(booked.created) == 2 + 3 + 3
    assert booked.per_need == {a.id: {"confirmed": 0, "requested": 2}, b.id: {"confirmed": 0, "requested": 3},
                               c.id: {"confirmed": 3, "requested": 0}}
    rows = session.scalars(select(Booking).order_by(Booking.during)).all()
    assert len(rows) == 8 and all(r.series_id is not None for r in rows)
    assert len({r.series_id for r in rows}) == 3
    assert {r.status for r in rows if r.space_id == s1.id} == {"confirmed"}  # instant
    assert {r.status for r in rows if r.space_id == s2.id} == {"requested"}  # on request
    assert all(r.organisation_id == group[0].id and r.requester_id == qm.id for r in rows)  # the QM books for them
    chor = [r for r in rows if r.space_id == s1.id]
    assert [r.during.lower.astimezone(BERLIN).replace(tzinfo=None) for r in chor] == [
        datetime(2027, 3, d, 18) for d in (2, 9, 16)]
    assert session.scalars(select(BookingSeries)).all().__len__() == 3
    assert {n.status for n in (a, b, c)} == {"met"}
    assert len(session.scalars(select(AuditEntry).filter_by(action="round.confirmed", actor_id=qm.id)).all()) == 3


def test_a_failing_booking_leaves_nothing_of_the_round(session, tight):
    s1, s2, a, b, c = tight
    plan = compute(session, [a, b, c])
    # Between planning and confirming someone takes the Saal on 16 March.
    other = create_organisation(session)
    intruder = create_booking(session, s1, berlin(date(2027, 3, 16), 18), organisation_id=other.id)
    qm = accounts.register(session, email="qm@example.org", display_name="QM", password="ein-langes-passwort")
    qm.role = "qm_admin"
    with pytest.raises(RoundError) as err:
        confirm_round(session, plan, {n.id: n for n in (a, b, c)}, qm)
    assert "Chorprobe" in err.value.message and "Saal" in err.value.message
    assert "Di 16.03.2027 18:00–20:00: Zu dieser Zeit ist der Raum schon belegt." in err.value.message
    assert err.value.need_id == c.id and err.value.space_id == s1.id
    assert session.scalars(select(Booking)).all() == [intruder]
    assert session.scalars(select(BookingSeries)).all() == []
    session.expire_all()
    assert {n.status for n in (a, b, c)} == {"open"}
    assert session.scalars(select(AuditEntry).filter_by(action="round.confirmed")).all() == []


def test_a_need_the_qm_entered_for_a_group_books_like_any_other(session, tight, group):
    """The need's creator is the QM, not a member of the group: the round still books it, for the group."""
    s1, s2, a, b, c = tight
    qm = accounts.register(session, email="qm@example.org", display_name="QM", password="ein-langes-passwort")
    qm.role = "qm_admin"
    for need in (a, b, c):
        need.created_by_id = qm.id
    group[1].organisations.clear()  # and the group's own member has left it meanwhile
    session.flush()
    booked = confirm_round(session, compute(session, [a, b, c]), {n.id: n for n in (a, b, c)}, qm)
    assert len(booked.created) == 8
    assert {(r.organisation_id, r.requester_id) for r in session.scalars(select(Booking))} == {(group[0].id, qm.id)}


def test_unmet_reasons_too_big_nothing_free_and_taken(session, tight, group):
    s1, s2, a, b, c = tight
    huge = add_need(session, group, "Stadtteilfest", 100, (TUE,))
    wednesday = add_need(session, group, "Yoga", 5, (WED,))
    late = add_need(session, group, "Theater", 25, (TUE,))  # only S1 holds 25 and C gets it
    plan = compute(session, [a, b, c, huge, wednesday, late])
    assert plan.unmet[huge.id] == "Kein Raum ist groß genug für 100 Personen."
    assert plan.unmet[wednesday.id] == "Nichts frei zu den gewünschten Zeiten."
    assert plan.unmet[late.id] == "Die passenden Räume sind an andere Gruppen vergeben."
    assert plan.served == 3 and plan.served >= plan.greedy_served


def test_step_free_reason_names_the_walking_minutes():
    pattern = TimePattern((TUE,), time(18), time(20), date(2027, 3, 1), date(2027, 3, 21))
    spec = NeedSpec(group_size=10, duration=timedelta(hours=2), pattern=pattern, step_free=True, max_walk_m=615.0)
    facts = [SpaceFacts(id=1, name="Keller", capacity=20, step_free=False, accessible_wc=False,
                        equipment=frozenset(), cost_eur=0, walk_m=100.0)]
    plan = plan_round([(7, spec)], {7: facts}, now=datetime(2027, 1, 4, tzinfo=BERLIN), walk_minutes={7: 10})
    assert plan.unmet == {7: "Kein stufenloser Raum in 10 Minuten zu Fuß."}


# ----------------------------------------------------------------------------- views


def _compute_page(client, needs):
    listing = client.get("/verwaltung/raumvergabe")
    response = client.post("/verwaltung/raumvergabe/berechnen",
                           data={"csrf_token": csrf_of(listing), "need": [n.id for n in needs]})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"])


def _confirm(client, page):
    stored_id = int(re.search(r'/verwaltung/raumvergabe/(\d+)/bestaetigen', page.get_data(as_text=True))[1])
    return client.post(f"/verwaltung/raumvergabe/{stored_id}/bestaetigen", data={"csrf_token": csrf_of(page)})


def test_qm_computes_and_confirms_a_round(client, session, tight):
    s1, s2, a, b, c = tight
    login_as(client, session)
    listing = client.get("/verwaltung/raumvergabe")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "Vergabe berechnen" in html
    assert html.count('name="need"') == 3 and html.count("checked") == 3
    result = _compute_page(client, [a, b, c])
    page = result.get_data(as_text=True)
    assert result.status_code == 200
    for text in ("Sprachcafé", "Elterntreff", "Chorprobe", "Saal", "Clubraum", "Donnerstag", "18:00–20:00",
                 "2 von 3", "Bestätigen", "3 von 3 Gruppen bekämen einen Raum", "Passt zu ",
                 "Nach der Reihenfolge des Eingangs bekämen nur 2 Gruppen einen Raum."):
        assert text in page, text
    assert session.scalars(select(Booking)).all() == []  # computing books nothing
    response = _confirm(client, result)
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    # Honest: the Saal is instant (3 confirmed), the Clubraum on request (2 + 3 requested).
    assert "Vergabe gebucht: 3 Termine bestätigt, 5 nur angefragt" in done
    assert "3 bestätigt" in done and "2 angefragt" in done and "Gebucht am" in done
    # Honest per group: only the Chorprobe (Saal, instant) has a confirmed room; the others wait for the
    # Clubraum's managers, and the Sprachcafé asked for Tuesday and Thursday but got only Thursday.
    assert "Bestätigte Termine an allen gewünschten Wochentagen: 1 von 3 Gruppen." in done
    assert "Nur angefragt, noch nicht bestätigt: 2 von 3 Gruppen" in done
    assert "angefragt für 1 von 2 Wochentagen, noch nicht bestätigt" in done
    assert "versorgt (3 Termine bestätigt)" in done
    assert "haben einen Raum" not in done and "hätte" not in done
    assert "Bestätigen</button>" not in done
    assert len(session.scalars(select(Booking)).all()) == 8
    assert {n.status for n in session.scalars(select(Need))} == {"met"}
    assert {r.status for r in session.scalars(select(AllocationRound))} == {"confirmed"}


def test_confirming_twice_books_once(client, session, tight):
    s1, s2, a, b, c = tight
    login_as(client, session)
    result = _compute_page(client, [a, b, c])
    assert _confirm(client, result).status_code == 302
    again = _confirm(client, result)
    assert again.status_code == 409
    assert "schon bestätigt" in again.get_data(as_text=True)
    assert len(session.scalars(select(Booking)).all()) == 8


def test_a_round_whose_slots_changed_is_not_booked_silently(client, session, tight):
    """Someone takes the Saal on 16 March after the QM saw the round: nothing is booked, the change is named,
    and a new round is computed and shown to confirm."""
    s1, s2, a, b, c = tight
    login_as(client, session)
    result = _compute_page(client, [a, b, c])
    other = create_organisation(session)
    intruder = create_booking(session, s1, berlin(date(2027, 3, 16), 18), organisation_id=other.id)
    response = _confirm(client, result)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "nichts wurde gebucht" in page
    assert "„Chorprobe“ in Saal: Di 16.03.2027 18:00–20:00: Zu dieser Zeit ist der Raum schon belegt." in page
    assert session.scalars(select(Booking)).all() == [intruder]
    assert {n.status for n in session.scalars(select(Need))} == {"open"}
    rounds = session.scalars(select(AllocationRound).order_by(AllocationRound.id)).all()
    assert [r.status for r in rounds] == ["superseded", "shown"] and rounds[0].superseded_by_id == rounds[1].id
    # The new round is what the page shows now, and it can be confirmed as shown.
    assert f"/verwaltung/raumvergabe/{rounds[1].id}/bestaetigen" in page
    assert _confirm(client, response).status_code == 302
    booked = [b for b in session.scalars(select(Booking)) if b.id != intruder.id]
    assert len(booked) == sum(len(a_["dates"]) for a_ in rounds[1].plan["assignments"])


def test_result_page_says_why_a_group_gets_nothing(client, session, tight, group):
    login_as(client, session)
    huge = add_need(session, group, "Stadtteilfest", 100, (TUE,))
    page = _compute_page(client, [huge]).get_data(as_text=True)
    assert "Kein Raum ist groß genug für 100 Personen." in page


def test_compute_and_confirm_without_csrf_are_refused(client, session, tight):
    s1, s2, a, b, c = tight
    login_as(client, session)
    assert client.post("/verwaltung/raumvergabe/berechnen", data={"need": [a.id]}).status_code == 400
    result = _compute_page(client, [a])
    stored_id = session.scalar(select(AllocationRound.id))
    assert client.post(f"/verwaltung/raumvergabe/{stored_id}/bestaetigen").status_code == 400
    assert result.status_code == 200 and session.scalars(select(Booking)).all() == []


@pytest.mark.parametrize("role", ["member", "space_manager"])
def test_only_qm_admins_run_rounds(client, session, tight, role):
    s1, s2, a, b, c = tight
    login_as(client, session, role)
    assert client.get("/verwaltung/raumvergabe").status_code == 403
    page = client.get("/")
    assert client.post("/verwaltung/raumvergabe/berechnen",
                       data={"csrf_token": csrf_of(page), "need": [a.id]}).status_code == 403
    stored = AllocationRound(plan={"needs": [a.id], "assignments": [], "unmet": {}}, computed_at=now_utc())
    session.add(stored)
    session.flush()
    assert client.get(f"/verwaltung/raumvergabe/{stored.id}").status_code == 403
    response = client.post(f"/verwaltung/raumvergabe/{stored.id}/bestaetigen", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 403
    assert session.scalars(select(Booking)).all() == []


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/verwaltung/raumvergabe")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
