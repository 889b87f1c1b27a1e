"""`flask spaces cluster` stores the spaces in the order of their place on the map, so a map view reads few pages."""

from datetime import date

from sqlalchemy import text

from spaces.dev import synthetic

DISTRICT = "ST_MakeEnvelope(9.70, 52.36, 9.74, 52.39, 4326)"


def _pages_of_district(session) -> tuple[int, int]:
    """How many of the table's pages the district's spaces lie on, and how many spaces that is."""
    row = session.execute(text(f"SELECT count(DISTINCT (ctid::text::point)[0]), count(*) FROM spaces "
                               f"WHERE location && {DISTRICT}")).one()
    return row[0], row[1]


def _metres_between_neighbours_on_disk(session) -> float:
    """How far apart, on the map, rows lie that follow each other in the table (mean metres)."""
    return session.scalar(text(
        "SELECT avg(ST_Distance(location::geography, previous::geography)) FROM ("
        " SELECT location, lag(location) OVER (ORDER BY ctid) AS previous FROM spaces) rows"
        " WHERE previous IS NOT NULL"))


def test_the_spaces_are_stored_in_map_order(app, session, monkeypatch):
    # Generated (or imported) one after another, the spaces of a district lie all over the table.
    monkeypatch.setattr(synthetic, "cluster_spaces", lambda connection: None)
    synthetic.generate_city(session.connection(), spaces=3000, bookings=0, seed=3, start=date(2026, 11, 1))
    scattered, spaces = _pages_of_district(session)
    apart = _metres_between_neighbours_on_disk(session)
    assert spaces > 100

    result = app.test_cli_runner().invoke(args=["spaces", "cluster"])
    assert result.exit_code == 0, result.output
    assert "nach Lage geordnet" in result.output
    ordered, same = _pages_of_district(session)
    assert same == spaces and ordered < scattered, (ordered, scattered)  # seed 3: 39-45 pages instead of 60
    together = _metres_between_neighbours_on_disk(session)
    assert together * 3 < apart, (together, apart)  # seed 3: about 490 m instead of 2,600
