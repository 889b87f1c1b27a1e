"""The QM's gap report on real PostGIS: numbers from the database, views, exports, norms, access."""

import csv
import io
import json
import re
from datetime import date, time

import pytest
from factories import create_space, csrf_of, login_as
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select

from geo.crs import to_wgs84
from spaces.models import AuditEntry, ConstructionPhase, OpeningHours, ProvisionNorm

pytestmark = pytest.mark.usefixtures("fast_password_hashes")  # scrypt is for test_accounts


def csv_rows(client, path="/bedarf.csv"):
    """The German CSV (semicolons, decimal commas, German headings) as dicts by column key, numbers with points."""
    from spaces.planning.gaps.service import COLUMNS

    response = client.get(path)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    keys = {german: key for key, german, _, _ in COLUMNS}
    numeric = {key for key, _, _, digits in COLUMNS if digits is not None}
    return [{keys[k]: (v.replace(",", ".") if keys[k] in numeric else v) for k, v in row.items()} for row in rows]


def test_kronsrode_report_shows_every_phase_over_time_with_a_chart(client, session, demo):
    login_as(client, session)
    page = client.get("/bedarf").get_data(as_text=True)
    for i in range(1, 5):
        assert f"Kronsrode Baufeld {i}" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4  # one timeline per phase
    assert "Bedarf und Angebot: Kronsrode Baufeld 4" in page
    rows = csv_rows(client)
    by_phase = {}
    for row in rows:
        by_phase.setdefault(row["phase"], []).append(row)
    assert set(by_phase) == {f"Kronsrode Baufeld {i}" for i in range(1, 5)}
    # Baufeld 1: 1,200 homes × 2.3 persons, moved in 2022: 2,760 residents, 150 m² per 1,000 → 414 m².
    first = by_phase["Kronsrode Baufeld 1"][0]
    assert (first["residents"], first["demand_m2"]) == ("2760", "414.0")
    # Baufeld 4 moves in in March 2029: nobody lives there today, so no demand yet ...
    assert by_phase["Kronsrode Baufeld 4"][0]["demand_m2"] == "0.0"
    # ... and the report runs until it is full (12-month ramp): 700 × 2.3 = 1,610 residents.
    assert by_phase["Kronsrode Baufeld 4"][-1]["residents"] == "1610"
    assert by_phase["Kronsrode Baufeld 4"][-1]["quarter"] >= "2030-03-01"


def test_geojson_export_carries_the_current_gap(client, session, demo):
    login_as(client, session)
    data = json.loads(client.get("/bedarf.geojson").get_data(as_text=True))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 4
    one = next(f for f in data["features"] if f["properties"]["name"] == "Kronsrode Baufeld 1")
    assert one["geometry"]["type"] == "MultiPolygon"
    assert one["properties"]["demand_m2"] == 414.0
    assert one["properties"]["gap_m2"] == pytest.approx(414.0 - one["properties"]["supply_m2"], abs=0.11)
    assert one["properties"]["timeline"][0]["residents"] == 2760


def test_a_space_in_reach_is_counted_with_its_area_and_evening_hours(client, session):
    """Hand-computed: 400 m square, 1,000 residents, one space 200 m east, free 20 evening hours a week."""
    login_as(client, session)
    square = box(550_000, 5_800_000, 550_400, 5_800_400)
    session.add(ConstructionPhase(name="Testfeld", geom=from_shape(MultiPolygon([to_wgs84(square)]), srid=4326),
                                  status="occupied", move_in=date(2020, 1, 1), homes=500, persons_per_home=2,
                                  expected_residents=1000))
    point = to_wgs84(box(550_600, 5_800_200, 550_600.1, 5_800_200.1).centroid)
    space = create_space(session, lon=point.x, lat=point.y, capacity=50, area_m2=100, booking_mode="instant",
                         opening_hours=[OpeningHours(weekday=d, opens=time(17), closes=time(21)) for d in range(5)])
    far = to_wgs84(box(552_000, 5_800_200, 552_000.1, 5_800_200.1).centroid)
    create_space(session, lon=far.x, lat=far.y, capacity=500, area_m2=1000, booking_mode="instant",
                 opening_hours=[OpeningHours(weekday=d, opens=time(17), closes=time(21)) for d in range(5)])
    session.flush()
    row = next(r for r in csv_rows(client) if r["phase"] == "Testfeld")
    # demand 1,000 × 150/1,000 = 150 m² and 60 seats; supply: 5 × 4 h = 20 evening hours = full weight
    assert (row["demand_m2"], row["supply_m2"], row["gap_m2"]) == ("150.0", "100.0", "50.0")
    assert (row["demand_seats"], row["supply_seats"], row["gap_seats"]) == ("60", "50", "10")  # whole seats
    assert row["counted_spaces"] == "1"  # the space 1.6 km away is out of reach (500 m / 1.3)
    assert 0 < float(row["coverage"]) < 1
    assert space.id


def test_norms_change_the_report_and_are_audited(client, session, demo):
    user = login_as(client, session)
    form = client.get("/bedarf/richtwerte")
    fields = {"m2_per_1000": "100", "seats_per_1000": "40", "walk_m": "600", "detour": "1,2",
              "min_public_evening_hours": "2", "reference_hours": "10", "ramp_months": "6"}
    response = client.post("/bedarf/richtwerte", data={"csrf_token": csrf_of(form), **fields})
    assert response.status_code == 302
    norm = session.scalars(select(ProvisionNorm)).one()
    assert (float(norm.m2_per_1000), float(norm.detour), norm.ramp_months) == (100.0, 1.2, 6)
    first = next(r for r in csv_rows(client) if r["phase"] == "Kronsrode Baufeld 1")
    assert first["demand_m2"] == "276.0"  # 2,760 × 100 / 1,000
    assert session.scalars(select(AuditEntry).filter_by(action="norm.updated", actor_id=user.id)).one()


@pytest.mark.parametrize("field, value", [("m2_per_1000", "-1"), ("detour", "0,5"), ("walk_m", "viel"),
                                          ("ramp_months", "2.5"), ("reference_hours", "NaN")])
def test_bad_norms_are_refused_in_german_and_nothing_changes(client, session, field, value):
    login_as(client, session)
    form = client.get("/bedarf/richtwerte")
    data = {"m2_per_1000": "150", "seats_per_1000": "60", "walk_m": "500", "detour": "1.3",
            "min_public_evening_hours": "0", "reference_hours": "20", "ramp_months": "12", field: value}
    response = client.post("/bedarf/richtwerte", data={"csrf_token": csrf_of(form), **data})
    assert response.status_code == 422
    assert "Bitte" in response.get_data(as_text=True)
    assert session.scalars(select(ProvisionNorm)).all() == []


@pytest.mark.parametrize("path", ["/bedarf", "/bedarf.csv", "/bedarf.geojson", "/bedarf/druck", "/bedarf/richtwerte"])
@pytest.mark.parametrize("role", ["member", "space_manager"])
def test_only_qm_admins_see_the_report(client, session, path, role):
    login_as(client, session, role)
    assert client.get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/bedarf")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_printable_page_has_the_map_first_a_date_and_numbered_pages(client, session, demo):
    login_as(client, session)
    page = client.get("/bedarf/druck").get_data(as_text=True)
    assert "Stand:" in page and "Kronsrode Baufeld 1" in page
    assert page.index("folium-map") < page.index('<h2 id="jetzt">') < page.index("Im Lauf der Zeit")
    assert "css/report.css" in page and '"Seite " counter(page) " von " counter(pages) ""' in page
    assert "Richtwerte ändern" not in page  # no screen-only links on paper


def test_table_sorts_by_gap_and_by_name(client, session, demo):
    login_as(client, session)

    def order(sort):
        page = client.get(f"/bedarf?sort={sort}").get_data(as_text=True)
        return [n for n in (f"Kronsrode Baufeld {i}" for i in range(1, 5)) if n in page] and sorted(
            (page.index(f'>Kronsrode Baufeld {i}</a>'), i) for i in range(1, 5))

    by_name = [i for _, i in order("name")]
    assert by_name == [1, 2, 3, 4]
    by_gap = [i for _, i in order("gap")]
    assert by_gap[-1] == 4  # nobody lives in Baufeld 4 yet: the smallest gap


def test_the_csv_speaks_the_spreadsheet_dialect_of_the_visitor(client, session, demo):
    """German: semicolons, decimal commas, German headings; English: commas and points; no formulas."""
    login_as(client, session)
    phase = session.scalars(select(ConstructionPhase).filter_by(name="Kronsrode Baufeld 1")).one()
    phase.name = "=HYPERLINK(\"http://evil.example\")"
    session.flush()
    german = client.get("/bedarf.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert german[0].startswith("Bauabschnitt;Quartal ab;Stand;Einwohner;Bedarf m²;")
    first = next(line for line in german if "HYPERLINK" in line)
    assert first.startswith("\"'=HYPERLINK(") and ";2760;414,0;" in first
    english = client.get("/bedarf.csv?lang=en").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert english[0].startswith("phase,quarter,as_of,residents,demand_m2,")
    assert ",2760,414.0," in next(line for line in english if "HYPERLINK" in line)


def test_norm_defaults_are_stated_once(session):
    """core.norms states the defaults; the migrated table's server defaults and the report's Norm agree."""
    from dataclasses import asdict
    from decimal import Decimal

    from sqlalchemy import text

    from spaces.core.gaps import Norm
    from spaces.core.norms import defaults

    row = session.execute(text("INSERT INTO provision_norms DEFAULT VALUES RETURNING *")).mappings().one()
    assert {k: Decimal(str(row[k])) for k in defaults()} == defaults()
    assert {k: Decimal(str(v)) for k, v in asdict(Norm()).items()} == defaults()


def _testfeld(session, residents, space_at=(550_200, 5_800_200), area=100.4, seats=50):
    """A 400 m square fully moved in, one public space (evening hours 5 × 4 h: full weight) at `space_at`."""
    square = box(550_000, 5_800_000, 550_400, 5_800_400)
    session.add(ConstructionPhase(name="Testfeld", geom=from_shape(MultiPolygon([to_wgs84(square)]), srid=4326),
                                  status="occupied", move_in=date(2020, 1, 1), expected_residents=residents))
    point = to_wgs84(box(space_at[0], space_at[1], space_at[0] + 0.1, space_at[1] + 0.1).centroid)
    create_space(session, name="Treff <Mitte>", lon=point.x, lat=point.y, capacity=seats, area_m2=area,
                 booking_mode="instant",
                 opening_hours=[OpeningHours(weekday=d, opens=time(17), closes=time(21)) for d in range(5)])
    session.flush()


def _table(html):
    return html[html.index('<table class="gaps now">'):html.index("</table>")]


def test_the_report_speaks_german_numbers_whole_seats_and_each_measure_on_its_own(client, session):
    """1,234 residents: 185.1 m² and 74.04 seats needed; a space of 100.4 m² and 50 seats in the middle reaches
    the whole square. Printed: 185 m² needed, 100 offered, 85 missing; 75 seats needed (rounded up), 25 missing;
    all the area within reach, and nowhere 'versorgt' beside the gap."""
    login_as(client, session)
    _testfeld(session, 1234)
    html = client.get("/bedarf").get_data(as_text=True)
    row = _table(html)
    row = row[row.index("Testfeld"):]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1:9] == ["1.234 / 1.234", "185", "100", "85", "75", "50", "25",
                          "100\xa0% der Fläche"]
    assert "versorgt" not in html  # coverage is reach, not supply: it never says "versorgt"
    for table in re.findall(r'<table class="gaps[^"]*">.*?</table>', html, re.S):
        assert not re.search(r"\d\.\d{1,2}(?!\d)", re.sub(r"<[^>]+>", " ", table)), "an English decimal"
    assert "Plätze" in html and "Fläche (m²)" in html and "Erreichbarkeit" in html
    assert "Umwegfaktor 1,3" in html and "1.000 Bewohner:innen" in html


def test_the_map_data_carries_quarters_spaces_and_german_lines(client, session):
    login_as(client, session)
    _testfeld(session, 1234)
    data = json.loads(client.get("/bedarf.geojson").get_data(as_text=True))
    feature = next(f for f in data["features"] if f["properties"]["name"] == "Testfeld")
    lines = feature["properties"]["timeline"][0]["lines"]
    assert lines == ["Bewohner:innen: 1.234", "Fläche: es fehlen 85 m² (Bedarf 185 m², Angebot 100 m²)",
                     "Plätze: es fehlen 25 (Bedarf 75, Angebot 50)",
                     "Erreichbarkeit: 100\xa0% der Fläche höchstens 500 m zu Fuß von einem gezählten Raum"]
    assert data["quarters"][0]["label"].endswith("Quartal " + data["quarters"][0]["date"][:4])
    [space] = data["spaces"]["features"]
    assert space["properties"]["name"] == "Treff <Mitte>" and space["properties"]["text"] == "100 m² · 50 Plätze"
