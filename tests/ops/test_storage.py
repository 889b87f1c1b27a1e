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


def test_the_spaces_are_stored_in_map_order(app, session, monkeypatch):
    # Generated (or imported) one after another, the spaces of a district lie all over the table.
    monkeypatch.setattr(synthetic, "cluster_spaces", lambda connection: None)
    synthetic.generate_city(session.connection(), spaces=3000, bookings=0, seed=3, start=date(2026, 11, 1))
    scattered, spaces = _pages_of_district(session)
    assert spaces > 100

    result = app.test_cli_runner().invoke(args=["spaces", "cluster"])
    assert result.exit_code == 0, result.output
    assert "nach Lage geordnet" in result.output
    ordered, same = _pages_of_district(session)
    assert same == spaces and ordered * 1.4 < scattered, (ordered, scattered)  # seed 3: 39 pages instead of 61
