"""The map's counts over the whole city with filters come from a kept part (spaces matching the filters on their
own columns and open in the window's hours of the week, per grid cell and terms) less the matching spaces that
bookings and closures take, read live (spaces.finder.map_cache). One rule: whatever the filters, the date,
bookings or closures, the answer is the one cluster_spaces computes: the same cells, counts, positions (6
decimals), named single spaces, in the same order."""

import random
from datetime import date, time, timedelta

import pytest
from factories import create_booking, create_space, utc
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import Range

from spaces.core.availability import wall_time_to_utc
from spaces.dev.synthetic import generate_city
from spaces.finder import map_cache
from spaces.finder.map_cache import map_filtered_counts
from spaces.models import Closure, OpeningHours, Space

CITY = "/api/spaces/clusters?bbox=9.0,52.0,10.5,53.0"  # holds every space: the split applies
TODAY = date(2026, 11, 23)  # the tests' own day (fixture _today), a Monday
EQUIPMENT = ("kitchen", "wifi", "chairs", "tables", "projector")
KINDS = ("room", "hall", "workshop", "outdoor")


@pytest.fixture(autouse=True)
def _today(clock):
    """These tests set their own day (the synthetic city's bookings are around it), whatever the suite's clock."""
    from spaces.clock import parse_instant

    clock.set(parse_instant("2026-11-23T10:00:00+01:00"))


@pytest.fixture
def city(session):
    """400 synthetic spaces with terms, weekly hours and dense bookings (about one a space every 8 days)."""
    generate_city(session.connection(), spaces=400, bookings=3000, seed=7, start=TODAY - timedelta(days=30),
                  days=75)
    session.flush()


def _kept_keys(session) -> list[str]:
    return session.scalars(select(map_filtered_counts.c.key)).all()


def _both(client, monkeypatch, query: str) -> tuple[dict, dict]:
    """The answer as served (split where it applies) and as cluster_spaces computes it."""
    served = client.get(CITY + query)
    assert served.status_code == 200, served.get_data(as_text=True)
    with monkeypatch.context() as m:
        m.setattr(map_cache, "_kept_key", lambda *args: None)  # the split applies to nothing
        computed = client.get(CITY + query).get_json()
    return served.get_json(), computed


def _random_query(rng: random.Random, day: date | None = None) -> str:
    parts = [f"&zoom={rng.choice([11, 13, 15, 16, 17])}"]
    if rng.random() < 0.6:
        parts.append(f"&capacity={rng.choice([5, 10, 20, 40])}")
    for flag in ("step_free", "accessible_wc", "free"):
        if rng.random() < 0.25:
            parts.append(f"&{flag}=1")
    parts += [f"&equipment={e}" for e in rng.sample(EQUIPMENT, rng.choice([0, 0, 0, 1, 2]))]
    parts += [f"&kind={k}" for k in rng.sample(KINDS, rng.choice([0, 0, 1, 2]))]
    if day is not None or rng.random() < 0.85:
        day = day or TODAY + timedelta(days=rng.choice([0, 1, 2, 5, 13, 29, 31, 40, 60, 89, 95, 200]))
        start = rng.randrange(6, 23)
        end = min(24, start + rng.choice([1, 2, 3, 5]))
        parts.append(f"&date={day.isoformat()}&from={start:02d}:{rng.choice(['00', '30'])}&to={end:02d}:00")
    return "".join(parts)


def _window(day: date, start: int, end: int):
    return wall_time_to_utc(day, time(start)), wall_time_to_utc(day, time(end))


def test_the_split_answer_is_the_computed_one_whatever_the_filters_dates_and_bookings(
        client, session, city, monkeypatch):
    rng = random.Random(20261123)
    queries = [_random_query(rng) for _ in range(45)]
    for query in queries:
        served, computed = _both(client, monkeypatch, query)
        assert served == computed, query
    assert len(_kept_keys(session)) > 20  # most of them were served by the split

    # Bookings and a closure made after the parts were kept: read live, the kept part is still used.
    kept = set(_kept_keys(session))
    spaces = session.scalars(select(Space).order_by(Space.id)).all()
    for query in queries[:25]:
        if "from=" not in query:
            continue
        day = date.fromisoformat(query.split("date=")[1][:10])
        start = int(query.split("from=")[1][:2])
        for space in rng.sample(spaces, 12):
            begin, end = _window(day, start, start + 1)
            taken = session.scalar(text(
                "SELECT count(*) FROM bookings WHERE space_id = :s AND status IN ('requested', 'confirmed') "
                "AND during && tstzrange(:b, :e)"), {"s": space.id, "b": begin, "e": end})
            if not taken:
                create_booking(session, space, begin, hours=1, status=rng.choice(["confirmed", "requested"]))
        closed = rng.choice(spaces)
        session.add(Closure(space_id=closed.id, during=Range(*_window(day, 0, 23), bounds="[)")))
        session.flush()
        served, computed = _both(client, monkeypatch, query)
        assert served == computed, query
    assert set(_kept_keys(session)) == kept  # no space was written: what was kept still served


def test_a_cell_left_with_one_space_names_it_and_an_emptied_cell_disappears(client, session, monkeypatch):
    day, query = TODAY + timedelta(days=3), "&zoom=16&capacity=10"
    window = f"&date={day.isoformat()}&from=18:00&to=20:00"
    pair = [create_space(session, lon=9.7001 + 0.00001 * i, lat=52.3801, capacity=30) for i in range(2)]
    alone = create_space(session, lon=9.8001, lat=52.4001, capacity=30)
    far = create_space(session, lon=9.6001, lat=52.3001, capacity=30)  # only for the extent's sake
    for space in (*pair, alone, far):
        session.add_all(OpeningHours(space_id=space.id, weekday=d, opens=time(8), closes=time(22)) for d in range(7))
    session.flush()
    served, computed = _both(client, monkeypatch, query + window)
    assert served == computed and served["total"] == 4
    assert sorted(f["properties"]["count"] for f in served["features"]) == [1, 1, 2]

    create_booking(session, pair[0], utc(2026, 11, 26, 17, 30), hours=1)  # 18:30-19:30 local
    session.add(Closure(space_id=alone.id, during=Range(utc(2026, 11, 26, 16), utc(2026, 11, 26, 18),
                                                         bounds="[)")))
    session.flush()
    served, computed = _both(client, monkeypatch, query + window)
    assert served == computed and served["total"] == 2
    assert {f["properties"]["id"] for f in served["features"]} == {pair[1].id, far.id}
    assert len(_kept_keys(session)) == 1


def test_what_is_kept_is_what_is_served_until_a_space_or_its_hours_change(client, session, city, monkeypatch):
    query = f"&zoom=11&capacity=10&date={(TODAY + timedelta(days=3)).isoformat()}&from=18:00&to=20:00"
    first, _ = _both(client, monkeypatch, query)
    # Plant: every group counted twice. Served from what is kept, the counts double.
    session.execute(text("UPDATE map_filtered_counts SET n = (SELECT array_agg(x * 2) FROM unnest(n) x)"))
    session.execute(text("DELETE FROM map_filtered_answers"))  # the whole answer kept from before the plant
    doubled = client.get(CITY + query).get_json()
    assert doubled["total"] > first["total"]

    # Opening hours are written to opening_hours; its trigger writes spaces.week_open, which moves the version.
    space = session.scalars(select(Space).where(Space.capacity >= 10, Space.kind != "outdoor")
                            .order_by(Space.id)).first()
    session.execute(OpeningHours.__table__.delete().where(OpeningHours.space_id == space.id))
    served, computed = _both(client, monkeypatch, query)
    assert served == computed
    assert served["total"] in (first["total"], first["total"] - 1)

    # A space whose period ends before the date drops out; the kept part of the old version is forgotten.
    session.execute(Space.__table__.update().where(Space.id == space.id + 1)
                    .values(available_until=TODAY + timedelta(days=1)))
    served, computed = _both(client, monkeypatch, query)
    assert served == computed
    assert session.scalar(select(map_filtered_counts.c.version)) == session.scalar(text(
        "SELECT n FROM spaces_version"))


def test_what_the_split_does_not_cover_is_computed(client, session, city, monkeypatch):
    """DST weekends (fallback and spring), a window that has begun, a day without a time, a walk and a
    district: computed as before, and nothing kept."""
    for query in ("&zoom=11&capacity=10&date=2027-10-31&from=18:00&to=20:00",  # fallback Sunday
                  "&zoom=11&capacity=10&date=2027-10-30&from=18:00&to=20:00",  # the day before: DST nearby
                  "&zoom=11&capacity=10&date=2027-03-28&from=10:00&to=12:00",  # spring forward
                  f"&zoom=11&date={TODAY.isoformat()}&from=09:00&to=11:00",  # begun at 10:00
                  "&zoom=11&date=2026-11-26",
                  "&zoom=13&lat=52.37&lon=9.73&walk=30&date=2026-11-26&from=18:00&to=20:00"):
        served, computed = _both(client, monkeypatch, query)
        assert served == computed, query
    district = client.get("/api/spaces/clusters?bbox=9.70,52.36,9.74,52.39&zoom=15&capacity=10"
                          "&date=2026-11-26&from=18:00&to=20:00")
    assert district.status_code == 200
    assert _kept_keys(session) == []


def test_filter_values_in_any_order_share_one_kept_part(client, session, city):
    """A kept part per zoom, filter values and hours of the week; it serves every date with that weekday."""
    for day in ("2026-11-26", "2026-12-03", "2026-12-10"):  # Thursdays
        client.get(CITY + f"&zoom=12&equipment=wifi&equipment=kitchen&kind=hall&kind=room&date={day}"
                   "&from=18:00&to=20:00")
    client.get(CITY + "&zoom=12&equipment=kitchen&equipment=wifi&kind=room&kind=hall&date=2026-12-17"
               "&from=18:00&to=20:00")
    assert len(_kept_keys(session)) == 1
    client.get(CITY + "&zoom=12&equipment=kitchen&equipment=wifi&kind=room&kind=hall&date=2026-12-18"
               "&from=18:00&to=20:00")  # a Friday
    assert len(_kept_keys(session)) == 2


def test_a_kept_part_that_cannot_be_written_still_answers(client, session, city, monkeypatch):
    """Writing from a GET may fail (a read-only replica, a lock): the request answers computed, keeps nothing."""
    session.commit()  # the city stays when the failed write rolls back
    failing = text("INSERT INTO map_filtered_counts (key) VALUES ('no arrays')")  # NOT NULL: refused
    monkeypatch.setattr(map_cache, "_kept_part", lambda part: (failing, ()))
    served, computed = _both(client, monkeypatch, "&zoom=11&capacity=10&date=2026-11-26&from=18:00&to=20:00")
    assert served == computed and served["total"] > 0
    assert _kept_keys(session) == []


def _answers(session) -> list:
    return session.execute(select(map_cache.map_filtered_answers.c.key, map_cache.map_filtered_answers.c.taken)).all()


def test_a_kept_answer_is_served_while_day_version_and_taken_spaces_hold(client, session, city, monkeypatch):
    """The whole answer is kept with the sorted ids of the spaces taken in its window: served again while they are
    the same, computed again (and equal to cluster_spaces) after any booking or closure in the window."""
    day = TODAY + timedelta(days=3)
    query = f"&zoom=11&capacity=10&date={day.isoformat()}&from=18:00&to=20:00"
    first, computed = _both(client, monkeypatch, query)
    assert first == computed
    [(key, taken)] = _answers(session)
    assert taken == sorted(set(taken)) and len(taken) > 10  # the city's bookings in the window, each space once
    # Plant: a different answer with the same day, version and taken spaces is served as it is.
    session.execute(map_cache.map_filtered_answers.update().values(geojson='{"planted": true}'))
    assert client.get(CITY + query).get_json() == {"planted": True}

    # A booking in the window (of a space not yet taken) changes the taken spaces: computed again, and kept.
    space = session.scalars(select(Space).where(Space.id.not_in(taken)).order_by(Space.id)).first()
    create_booking(session, space, _window(day, 18, 19)[0], hours=1)
    session.flush()
    served, computed = _both(client, monkeypatch, query)
    assert served == computed and served != {"planted": True}
    assert space.id in _answers(session)[0].taken

    # A closure, too; a booking outside the window does not count.
    session.execute(map_cache.map_filtered_answers.update().values(geojson='{"planted": true}'))
    create_booking(session, space, _window(day, 8, 9)[0], hours=1)
    session.flush()
    assert client.get(CITY + query).get_json() == {"planted": True}
    other = session.scalars(select(Space).where(Space.id.not_in(_answers(session)[0].taken))
                            .order_by(Space.id.desc())).first()
    session.add(Closure(space_id=other.id, during=Range(*_window(day, 19, 23), bounds="[)")))
    session.flush()
    served, computed = _both(client, monkeypatch, query)
    assert served == computed and other.id in _answers(session)[0].taken


def test_a_kept_answer_is_for_its_day_and_spaces_version(client, session, city, monkeypatch, clock):
    from spaces.clock import parse_instant

    query = f"&zoom=11&capacity=10&date={(TODAY + timedelta(days=30)).isoformat()}&from=18:00&to=20:00"
    _both(client, monkeypatch, query)
    session.execute(map_cache.map_filtered_answers.update().values(geojson='{"planted": true}'))
    # A space written: the version moves, the answer is computed again.
    session.execute(Space.__table__.update().where(Space.id == session.scalar(select(func.min(Space.id))))
                    .values(name="Umbenannt"))
    served, computed = _both(client, monkeypatch, query)
    assert served == computed and served != {"planted": True}
    # The next day: days in advance count from another today; what was kept for yesterday is forgotten.
    session.execute(map_cache.map_filtered_answers.update().values(geojson='{"planted": true}'))
    clock.set(parse_instant("2026-11-24T10:00:00+01:00"))
    served, computed = _both(client, monkeypatch, query)
    assert served == computed and served != {"planted": True}
    assert {row.day for row in session.execute(select(map_cache.map_filtered_answers.c.day))} == {
        TODAY + timedelta(days=1)}


def test_an_answer_that_cannot_be_kept_still_answers(client, session, city, monkeypatch):
    session.commit()
    failing = text("INSERT INTO map_filtered_answers (key) VALUES ('no window')")  # NOT NULL: refused
    monkeypatch.setattr(map_cache, "_keep_answer", lambda shape: failing)
    served, computed = _both(client, monkeypatch, "&zoom=11&capacity=10&date=2026-11-26&from=18:00&to=20:00")
    assert served == computed and served["total"] > 0
    assert _answers(session) == []
