"""The usage report on real PostGIS: a hand-built week (19 to 25 October 2026, the week the clocks go back) whose
figures are computed by hand below; who may see which spaces; the CSV; statements that do not grow with spaces."""

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from factories import create_organisation, create_space, log_in, make_manager
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import Range

from spaces.accounts import service as accounts
from spaces.clock import BERLIN, today_local
from spaces.core.usage import HOUR
from spaces.db import db
from spaces.models import Booking, Closure, Need, OpeningHours, Quartier
from spaces.planning.usage import service
from spaces.planning.usage.data import Scope

pytestmark = pytest.mark.usefixtures("fast_password_hashes")

FIRST, LAST = date(2026, 10, 19), date(2026, 10, 25)  # Monday to Sunday; Sunday 25.10. 03:00 CEST -> 02:00 CET
NORTH, SOUTH = (9.70, 52.40), (9.80, 52.30)  # the two Quartiers' centres


def local(day: int, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    """An instant in October 2026, Berlin wall time."""
    return datetime(2026, 10, day, hour, minute, tzinfo=BERLIN, fold=fold)


def book(session, space, start, end, status="confirmed", organisation=None, public=False):
    session.add(Booking(space_id=space.id, during=Range(start, end, bounds="[)"), status=status, attendees=5,
                        organisation_id=organisation.id if organisation else None, is_public=public))
    session.flush()


def hours(session, space, *openings):
    session.add_all(OpeningHours(space_id=space.id, weekday=wd, opens=o, closes=c) for wd, o, c in openings)
    session.flush()


@pytest.fixture
def week(session):
    """Two Quartiers; provider P1 with spaces A and B in the north, provider P2 with space C in the south;
    groups G1, G2, G3."""
    for name, (lon, lat) in (("Nordquartier", NORTH), ("Südquartier", SOUTH)):
        session.add(Quartier(name=name, centre=from_shape(Point(lon, lat), srid=4326)))
    p1 = create_organisation(session, name="Träger Eins")
    p2 = create_organisation(session, name="Träger Zwei")
    g1, g2, g3 = (create_organisation(session, name=f"Gruppe {i}", kind="initiative") for i in (1, 2, 3))
    a = create_space(session, organisation=p1, name="Raum A", lon=NORTH[0] + 0.001, lat=NORTH[1],
                     booking_mode="instant")
    b = create_space(session, organisation=p1, name="Raum B", lon=NORTH[0], lat=NORTH[1] + 0.002,
                     booking_mode="on_request")
    c = create_space(session, organisation=p2, name="Raum C", lon=SOUTH[0], lat=SOUTH[1],
                     booking_mode="instant", available_until=date(2026, 10, 20))  # temporary: until Tuesday
    create_space(session, organisation=p2, name="Spielplatz am Bach", lon=SOUTH[0], lat=SOUTH[1],
                 booking_mode="not_bookable")  # a meeting spot: not in the report
    # A: Tuesday 18-22 (4 h) and Saturday 22:00 to Sunday 04:00 through the night the clocks go back (7 h): 11 h
    hours(session, a, (1, time(18), time(22)), (5, time(22), time(4)))
    # B: Monday to Friday 9-17 (40 h), closed Wednesday 9-13 (4 h): 36 h
    hours(session, b, *[(wd, time(9), time(17)) for wd in range(5)])
    session.add(Closure(space_id=b.id, during=Range(local(21, 9), local(21, 13), bounds="[)"), reason="Putzen"))
    # C: every day 10-12, but only Monday and Tuesday are in its period: 4 h
    hours(session, c, *[(wd, time(10), time(12)) for wd in range(7)])
    # A: confirmed Tue 18-20 (G1, public), Sat 23:00 to Sun 03:00 CET (G2): 5 real hours; 7 h booked
    book(session, a, local(20, 18), local(20, 20), organisation=g1, public=True)
    book(session, a, local(24, 23), local(25, 3, fold=1), organisation=g2)
    book(session, a, local(20, 20), local(20, 21), status="requested", organisation=g1)  # waiting: not counted
    book(session, a, local(20, 21), local(20, 22), status="declined", organisation=g2)
    book(session, a, local(20, 20), local(20, 22), status="cancelled", organisation=g3)  # not counted
    book(session, a, local(13, 18), local(13, 22), organisation=g3)  # the week before: not in the period
    # B: confirmed Thu 10-12 (G1, public), declined Fri 9-10 (G3)
    book(session, b, local(22, 10), local(22, 12), organisation=g1, public=True)
    book(session, b, local(23, 9), local(23, 10), status="declined", organisation=g3)
    # C: confirmed Mon 10-11 (G3)
    book(session, c, local(19, 10), local(19, 11), organisation=g3)
    # Needs: one open in the north this autumn (unmet), one withdrawn, one next year
    for title, status, first in (("Kinderchor", "open", "2026-10-01"), ("Alt", "withdrawn", "2026-10-01"),
                                 ("Später", "open", "2027-03-01")):
        session.add(Need(organisation_id=g1.id, title=title, group_size=10, duration_minutes=60, status=status,
                         near=from_shape(Point(NORTH[0] + 0.003, NORTH[1]), srid=4326),
                         time_pattern={"weekdays": [1], "from": "17:00", "to": "20:00", "first_day": first,
                                       "last_day": (date.fromisoformat(first) + timedelta(days=60)).isoformat()}))
    session.flush()
    return {"p1": p1, "p2": p2, "a": a, "b": b, "c": c, "g1": g1, "g2": g2, "g3": g3}


def _report(session, scope=None, **kw):
    return service.build_report(session, scope or Scope(), FIRST, LAST, **kw)


def test_the_hand_built_week_adds_up(app, session, week):
    with app.test_request_context():
        report = _report(session, space_heat=True)
    spaces = {s.name: s for s in report.spaces}
    assert list(spaces) == ["Raum A", "Raum B", "Raum C"]  # by Quartier, provider, name; no meeting spot
    a, b, c = (spaces[n].figures for n in ("Raum A", "Raum B", "Raum C"))
    assert (a.open_hours, a.booked_hours, a.confirmed, a.public, a.declined, a.group_count) == (11, 7, 2, 1, 1, 2)
    assert a.utilisation == pytest.approx(7 / 11) and a.declined_share == pytest.approx(1 / 3)
    assert (b.open_hours, b.booked_hours, b.confirmed, b.public, b.declined, b.group_count) == (36, 2, 1, 1, 1, 1)
    assert b.utilisation == pytest.approx(2 / 36) and b.declined_share == pytest.approx(1 / 2)
    assert (c.open_hours, c.booked_hours, c.confirmed, c.public, c.declined, c.group_count) == (4, 1, 1, 0, 0, 1)
    assert spaces["Raum C"].last == date(2026, 10, 20)

    north, south = report.quartiers
    assert (north.name, south.name) == ("Nordquartier", "Südquartier")
    [p1] = north.providers
    assert p1.name == "Träger Eins" and [s.name for s in p1.spaces] == ["Raum A", "Raum B"]
    # groups are united: G1 books in A and B, G2 in A: two groups, not three
    assert (p1.figures.open_hours, p1.figures.booked_hours, p1.figures.group_count) == (47, 9, 2)
    assert p1.figures.declined_share == pytest.approx(2 / 5) and p1.figures.public == 2
    assert north.figures.unmet_needs == 1 and south.figures.unmet_needs == 0
    total = report.total
    assert (total.open_hours, total.booked_hours, total.group_count, total.public, total.confirmed,
            total.declined, total.spaces, total.unmet_needs) == (51, 10, 3, 2, 4, 2, 3, 1)
    assert total.utilisation == pytest.approx(10 / 51) and total.declined_share == pytest.approx(2 / 6)

    # Heat grid of A: Tuesday 18 and 19 booked, 20 and 21 open but not (requested and declined do not count);
    # Saturday 23 and Sunday 0 and 1 booked; Sunday 2 o'clock twice open (the clocks went back), twice booked;
    # Sunday 3 open, not booked.
    heat = spaces["Raum A"].heat
    tue, sat, sun = 24, 5 * 24, 6 * 24
    assert [heat.share(tue + h) for h in (17, 18, 19, 20, 21, 22)] == [None, 1, 1, 0, 0, None]
    assert [heat.share(sat + h) for h in (21, 22, 23)] == [None, 0, 1]
    assert [heat.share(sun + h) for h in (0, 1, 2, 3, 4)] == [1, 1, 1, 0, None]
    assert heat.open[sun + 2] == 2 * HOUR and heat.booked[sun + 2] == 2 * HOUR
    # B: Wednesday 9-12 closed, 13-16 open; Thursday 10 and 11 booked
    heat_b = spaces["Raum B"].heat
    wed, thu = 2 * 24, 3 * 24
    assert [heat_b.share(wed + h) for h in (9, 12, 13)] == [None, None, 0]
    assert [heat_b.share(thu + h) for h in (9, 10, 11, 12)] == [0, 1, 1, 0]
    # The whole report's grid: Monday 10 o'clock open in B (1 h) and C (1 h), booked in C: half
    assert report.heat.open[10] == 2 * HOUR and report.heat.share(10) == 0.5
    assert report.heat.open_hours == pytest.approx(51) and report.heat.booked_hours == pytest.approx(10)
    assert report.heat.open == [sum(s.heat.open[c] for s in report.spaces) for c in range(168)]


def test_filters_by_provider_and_quartier(app, session, week):
    with app.test_request_context():
        by_provider = _report(session, Scope(provider=week["p2"].id))
        by_quartier = _report(session, Scope(quartier="Nordquartier"))
        managed = _report(session, Scope(organisations=(week["p1"].id,)))
    assert [s.name for s in by_provider.spaces] == ["Raum C"] and by_provider.total.booked_hours == 1
    assert by_provider.heat.booked_hours == 1
    assert [s.name for s in by_quartier.spaces] == ["Raum A", "Raum B"] and by_quartier.total.unmet_needs == 1
    assert by_quartier.heat.booked_hours == 9 and by_quartier.heat.open_hours == pytest.approx(47)
    assert [s.name for s in managed.spaces] == ["Raum A", "Raum B"]


def _user(session, email, role="member", organisation=None, manages=None):
    user = accounts.register(session, email=email, display_name=email, password="ein-langes-passwort",
                             organisation_name=organisation or "")
    user.role = role
    if manages is not None:
        make_manager(session, user, manages)
    return user


PERIOD = f"von={FIRST.isoformat()}&bis={LAST.isoformat()}"


def test_a_qm_admin_sees_every_space(client, session, week):
    log_in(client, session, _user(session, "qm-nutzung@example.org", role="qm_admin"))
    page = client.get(f"/nutzung?{PERIOD}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert all(name in html for name in ("Raum A", "Raum B", "Raum C", "Träger Zwei", "Südquartier"))
    assert "<svg" in html and "usage-heat" in html and "Spielplatz am Bach" not in html
    assert "64\xa0%" in html  # A: 7 of 11 hours
    printed = client.get(f"/nutzung/druck?{PERIOD}")
    assert printed.status_code == 200 and printed.get_data(as_text=True).count('class="space-page"') == 3


def test_a_manager_sees_only_the_own_spaces(client, session, week):
    log_in(client, session, _user(session, "verwaltung-eins@example.org", manages=week["p1"]))
    html = client.get(f"/nutzung?{PERIOD}").get_data(as_text=True)
    assert "Raum A" in html and "Raum B" in html and "Raum C" not in html and "Träger Zwei" not in html
    # another provider cannot be chosen, not even by hand
    assert client.get(f"/nutzung?{PERIOD}&traeger={week['p2'].id}").status_code == 400
    rows = list(csv.reader(io.StringIO(client.get(f"/nutzung.csv?{PERIOD}").get_data(as_text=True)), delimiter=";"))
    assert {r[3] for r in rows[1:] if r[0] == "Raum"} == {"Raum A", "Raum B"}
    printed = client.get(f"/nutzung/druck?{PERIOD}").get_data(as_text=True)
    assert "Raum C" not in printed and printed.count('class="space-page"') == 2


def test_others_are_refused(client, session, week):
    assert client.get(f"/nutzung?{PERIOD}").status_code == 302  # nobody logged in: to the login
    assert client.get("/nutzung.csv").headers["Location"].startswith("/anmelden")
    log_in(client, session, _user(session, "chor-nutzung@example.org", organisation="Chor"))
    for path in ("/nutzung", "/nutzung/druck", "/nutzung.csv"):
        page = client.get(path)
        assert page.status_code == 403 and "Raumverwaltungen" in page.get_data(as_text=True)


def test_a_wrong_period_is_named_on_its_field(client, session, week):
    log_in(client, session, _user(session, "qm-falsch@example.org", role="qm_admin"))
    page = client.get("/nutzung?von=2026-10-25&bis=2026-10-19")
    assert page.status_code == 400 and "Das Ende liegt vor dem Anfang." in page.get_data(as_text=True)
    page = client.get("/nutzung?von=abc&bis=2030-01-01")
    assert page.status_code == 400 and "Bitte ein Datum wie 31.12.2026 angeben." in page.get_data(as_text=True)
    page = client.get("/nutzung?von=2020-01-01&bis=2026-01-01")
    assert page.status_code == 400 and "höchstens drei Jahre" in page.get_data(as_text=True)
    # without a period: the last full quarter before the service's clock (23.11.2026: July to September)
    today = today_local()
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_day = quarter_start - timedelta(days=1)
    first_day = date(last_day.year, last_day.month - 2, 1)
    html = client.get("/nutzung").get_data(as_text=True)
    assert f'value="{first_day.isoformat()}"' in html and f'value="{last_day.isoformat()}"' in html


def test_the_csv_is_for_a_german_spreadsheet(client, session, week):
    week["a"].name = "=HYPERLINK(\"http://x\")"
    session.flush()
    log_in(client, session, _user(session, "qm-csv@example.org", role="qm_admin"))
    response = client.get(f"/nutzung.csv?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="nutzung_2026-10-19_2026-10-25.csv"' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # UTF-8 with a byte-order mark: Excel reads the umlauts
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Ebene", "Quartier", "Träger", "Raum"] and "Öffnungsstunden" in rows[0]
    by = {(r[0], r[3] or r[2] or r[1]): dict(zip(rows[0], r)) for r in rows[1:]}
    a = by[("Raum", "'=HYPERLINK(\"http://x\")")]  # never a formula
    assert (a["Öffnungsstunden"], a["gebuchte Stunden"], a["Auslastung in %"], a["Gruppen"]) == ("11,0", "7,0",
                                                                                                   "63,6", "2")
    assert (a["von"], a["bis"], a["Anteil abgelehnt in %"]) == ("19.10.2026", "25.10.2026", "33,3")
    assert by[("Raum", "Raum C")]["bis"] == "20.10.2026"
    p1 = by[("Träger", "Träger Eins")]
    assert (p1["Öffnungsstunden"], p1["Gruppen"], p1["Anteil abgelehnt in %"]) == ("47,0", "2", "40,0")
    north = by[("Quartier", "Nordquartier")]
    assert north["offene Bedarfe im Quartier"] == "1"
    total = by[("Gesamt", "")]
    assert (total["Öffnungsstunden"], total["gebuchte Stunden"], total["Gruppen"], total["Auslastung in %"]) == (
        "51,0", "10,0", "3", "19,6")
    assert [r[0] for r in rows[1:]] == ["Raum", "Raum", "Träger", "Quartier", "Raum", "Träger", "Quartier", "Gesamt"]


def test_the_statements_do_not_grow_with_the_spaces(app, session):
    """As many statements for 2 spaces as for 12 (each with hours, a closure, bookings, a need nearby)."""
    session.add(Quartier(name="Zählquartier", centre=from_shape(Point(*NORTH), srid=4326)))
    provider = create_organisation(session, name="Zähl-Träger")
    group = create_organisation(session, name="Zähl-Gruppe", kind="initiative")

    def add_spaces(n):
        for _ in range(n):
            space = create_space(session, organisation=provider, lon=NORTH[0], lat=NORTH[1], booking_mode="instant")
            hours(session, space, *[(wd, time(8), time(20)) for wd in range(7)])
            session.add(Closure(space_id=space.id, during=Range(local(21, 8), local(21, 10), bounds="[)")))
            for day in range(FIRST.day, LAST.day + 1):
                book(session, space, local(day, 12), local(day, 14), organisation=group, public=day % 2 == 0)
        session.add(Need(organisation_id=group.id, title="Zählbedarf", group_size=5, duration_minutes=60,
                         near=from_shape(Point(*NORTH), srid=4326),
                         time_pattern={"weekdays": [0], "from": "10:00", "to": "12:00", "first_day": "2026-10-01",
                                       "last_day": "2026-12-01"}))
        session.flush()

    def statements(**kw):
        seen = []

        def count(*_):
            seen.append(1)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            with app.test_request_context():
                report = _report(session, Scope(provider=provider.id), **kw)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen), report

    add_spaces(2)
    few, report = statements(space_heat=True)
    assert report.total.spaces == 2 and report.total.confirmed == 14
    add_spaces(10)
    many, report = statements(space_heat=True)
    assert report.total.spaces == 12 and report.total.confirmed == 84 and report.total.unmet_needs == 2
    assert many == few <= 9, (few, many)
