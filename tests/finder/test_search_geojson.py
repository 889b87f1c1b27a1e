"""/api/spaces is built in PostGIS (queries.search_geojson). One rule: its features are the ones api.FeatureWriter
writes in Python from the same rows (labels in the request's language, the period's words, the page's URL, free
now, metres), over a synthetic city with periods, advance limits and bookings, in German and English."""

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from spaces.clock import now_utc, parse_instant
from spaces.db import db
from spaces.dev.synthetic import generate_city
from spaces.finder.api import FeatureWriter
from spaces.finder.queries import search_query

TODAY = date(2026, 11, 23)


@pytest.fixture
def city(session, clock):
    clock.set(parse_instant("2026-11-23T17:30:00+01:00"))
    generate_city(session.connection(), spaces=400, bookings=3000, seed=11, start=TODAY - timedelta(days=30),
                  days=75)
    session.execute(text("UPDATE spaces SET name = name || :suffix WHERE id % 7 = 0"),
                    {"suffix": ' "Süd" \\ <b>'})  # what JSON must escape, and what it must not
    session.flush()


def _query(rng: random.Random) -> str:
    parts = [f"limit={rng.choice([1, 5, 50, 1000])}"]
    if rng.random() < 0.5:
        parts.append(f"lat={rng.uniform(52.33, 52.41):.5f}&lon={rng.uniform(9.68, 9.80):.5f}"
                     f"&walk={rng.choice([5, 15, 30])}&sort=distance")
    elif rng.random() < 0.7:
        lon, lat = rng.uniform(9.65, 9.80), rng.uniform(52.33, 52.40)
        parts.append(f"bbox={lon:.4f},{lat:.4f},{lon + 0.05:.4f},{lat + 0.04:.4f}")
    if rng.random() < 0.5:
        day = TODAY + timedelta(days=rng.choice([1, 3, 20, 40]))
        parts.append(f"date={day.isoformat()}&from=18:00&to=20:00")
    if rng.random() < 0.3:
        parts.append(f"capacity={rng.choice([10, 30])}")
    if rng.random() < 0.3:
        parts.append("sort=capacity")
    return "&".join(parts)


def _from_python(app, query: str, lang: str) -> dict:
    """The answer as FeatureWriter writes it from search_query's rows (the implementation before PostGIS built it)."""
    with app.test_request_context("/api/spaces?" + query + f"&lang={lang}"):
        from flask import request
        from flask_babel import refresh

        from spaces.finder.service import current_search

        refresh()  # the language of this ?lang=, not the one the test's app context remembers
        search = current_search(request.args)
        rows = db.session.execute(*search_query(search, now=now_utc(), limit=search.limit + 1, free_now=True)).all()
        features = list(map(FeatureWriter(TODAY), rows[: search.limit]))
        answer = {"type": "FeatureCollection", "features": features, "total": rows[0].total if rows else 0,
                  "limit": search.limit, "truncated": len(rows) > search.limit}
        if search.near is not None:
            answer["walk_method"] = search.walk_method
        return json.loads(json.dumps(answer))


def test_the_answer_built_in_postgis_is_the_one_python_wrote(app, client, city):
    rng = random.Random(2026)
    queries = [_query(rng) for _ in range(30)]
    seen = {"period": 0, "free": 0, "distance": 0, "escaped": 0}
    for lang in ("de", "en"):
        for query in queries:
            served = client.get(f"/api/spaces?{query}&lang={lang}")
            assert served.status_code == 200 and served.mimetype == "application/json"
            answer, expected = served.get_json(), _from_python(app, query, lang)
            assert {k: v for k, v in answer.items() if k != "features"} == {
                k: v for k, v in expected.items() if k != "features"}, query
            assert len(answer["features"]) == len(expected["features"])
            for got, want in zip(answer["features"], expected["features"], strict=True):
                assert got["geometry"]["coordinates"] == pytest.approx(want["geometry"]["coordinates"], abs=1.1e-6)
                assert {**got, "geometry": None} == {**want, "geometry": None}, query
                p = got["properties"]
                seen["period"] += bool(p["period_label"])
                seen["free"] += p["free_now"]
                seen["distance"] += "distance_m" in p
                seen["escaped"] += '"Süd"' in p["name"]
    assert min(seen.values()) > 5, seen  # every kind of value was compared, not only empty ones


def test_the_period_words_follow_the_language(client, city):
    de = client.get("/api/spaces?limit=1000&lang=de").get_json()["features"]
    en = client.get("/api/spaces?limit=1000&lang=en").get_json()["features"]
    pairs = {(d["properties"]["period_label"], e["properties"]["period_label"]) for d, e in zip(de, en, strict=True)}
    assert any(d.startswith("ab ") and e.startswith("from ") for d, e in pairs), sorted(pairs)[:5]
    assert any("bis " in d and "until " in e for d, e in pairs)
    assert {f["properties"]["kind_label"] for f in de} != {f["properties"]["kind_label"] for f in en}


def test_an_empty_answer(client, city):
    answer = client.get("/api/spaces?bbox=9.0,52.0,9.01,52.01").get_json()
    assert answer == {"type": "FeatureCollection", "features": [], "total": 0, "limit": 1000, "truncated": False}
    near = client.get("/api/spaces?lat=52.0&lon=9.0&walk=5").get_json()
    assert near["features"] == [] and near["walk_method"] == "straight_line" and near["total"] == 0
