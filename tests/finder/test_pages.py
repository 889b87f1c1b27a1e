"""The first pages: the map with the list of spaces, a space's page, and the health check."""

import re

import pytest
from conftest import make_app
from sqlalchemy import select

from spaces.models import Space

pytestmark = pytest.mark.usefixtures("demo_clock")  # the demo data's dates, as seen on 23 November 2026

OPEN_DEMO_SPACES = ["Die Übersee", "Quartierstreff Kronsberg-Süd", "Veranstaltungsraum mit Bühne",
                    "Nachbarschaftsraum der Genossenschaft", "Gemeinschaftsraum Baufeld 3 (geplant)"]


def test_map_page_names_the_demo_spaces_in_german(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Räume und Treffpunkte in Hannover" in page
    for name in OPEN_DEMO_SPACES:
        assert name in page
    assert "folium-map" in page and "Raumfinder.attach(" in page


def test_map_page_leaves_out_spaces_whose_period_has_ended(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert "VIP-Raum" not in page  # Burgweg 5 was available until July 2020
    assert "ab Sept. 2027" in page  # the planned room of Baufeld 3 says when it opens


def test_map_page_loads_no_third_party_assets(client, demo):
    page = client.get("/").get_data(as_text=True)
    references = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert references, "the page should reference its scripts and stylesheets"
    assert [r for r in references if not r.startswith("/static/")] == []
    for ref in references:
        assert client.get(ref).status_code == 200, ref


def test_space_page(client, demo, session):
    space = session.scalars(select(Space).filter_by(name="Die Übersee")).one()
    page = client.get(f"/raeume/{space.id}").get_data(as_text=True)
    assert "Die Übersee" in page and "Fössestraße 103" in page and "60 Personen" in page


def test_unknown_space_is_a_german_404(client):
    response = client.get("/raeume/999999")
    assert response.status_code == 404
    assert "Einen Raum mit der Nummer 999999 gibt es nicht" in response.get_data(as_text=True)


def test_hostile_names_are_shown_as_text(client, session):
    from factories import create_space

    create_space(session, name='<img src=x onerror=alert(1)>${alert(2)}`')
    page = client.get("/").get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;${alert(2)}`" in page


def test_english_switch(client, demo):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] is True


def test_healthz_is_503_without_a_database():
    app = make_app("postgresql+psycopg://nobody@/nowhere?host=/nonexistent-socket-dir",
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": False}


def test_api_spaces_is_geojson(client, demo):
    data = client.get("/api/spaces").get_json()
    assert data["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in data["features"]}
    assert set(OPEN_DEMO_SPACES) <= names and "VIP-Raum" not in names
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 9.6 < lon < 9.9 and 52.3 < lat < 52.45


def test_api_phases_is_geojson(client, demo):
    data = client.get("/api/phases").get_json()
    assert [f["properties"]["name"] for f in data["features"]] == [f"Kronsrode Baufeld {i}" for i in range(1, 5)]
    assert {f["geometry"]["type"] for f in data["features"]} == {"MultiPolygon"}
