"""Open data out: every public space as a GeoJSON Feature with OpenStreetMap-style tags (/api/spaces.geojson).

Public means what an anonymous visitor sees on the map (the finder's rule, `spaces.finder.queries.not_expired`:
every space whose period has not ended, planned ones included). One statement reads them all with their site,
provider and weekly hours; the features are built here, in Python, because the `opening_hours` text comes from
`spaces.core.osm_hours.format_hours`.

Tags (every value is text, as in OSM; absent when the space has no value):

- `amenity`: `community_centre` for the indoor kinds (room, hall, kitchen, workshop, studio),
  `coworking_space` for coworking, `meeting_point` for an outdoor meeting spot (KIND_AMENITY).
- `wheelchair`: `yes` when step-free, else `no` (as OSM means it: entrance and rooms without steps; the WC is
  `toilets:wheelchair`: `yes`/`no`). `limited` (one small step) is never written: a space has no such state,
  and the import reads `limited` as not step-free.
- `name`, `capacity`, `opening_hours` (OSM syntax), `operator` (the provider), `addr:full` (the site's
  address), `description`, `fee` (`no` when free, `yes` when it costs), `website` (the space's page, from
  RAUMFINDER_BASE_URL), `ref:raumfinder` (the space's number here), `external_id` (when imported with one).
- `raumfinder:*`: what the import needs besides to rebuild the space (kind, booking_mode, bookable_by, area_m2,
  floor, lift, hearing_loop, equipment joined by ";", cost_eur, house_rules, available_from, available_until).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from spaces.clock import now_utc, today_local
from spaces.core.osm_hours import format_hours
from spaces.db import db
from spaces.finder.queries import not_expired
from spaces.labels import EQUIPMENT
from spaces.links import absolute_url
from spaces.models import OpeningHours, Organisation, Site, Space

KIND_AMENITY = {
    "room": "community_centre",
    "hall": "community_centre",
    "kitchen": "community_centre",
    "workshop": "community_centre",
    "studio": "community_centre",
    "coworking": "coworking_space",
    "outdoor": "meeting_point",
}
DEFAULT_AMENITY = "community_centre"  # a kind added later and not yet mapped

# Licence codes (RAUMFINDER_OPEN_DATA_LICENCE) with their name and text; another code is stated as it is.
LICENCES = {
    "dl-de/by-2-0": ("Datenlizenz Deutschland – Namensnennung – Version 2.0", "https://www.govdata.de/dl-de/by-2-0"),
    "dl-de/zero-2-0": ("Datenlizenz Deutschland – Zero – Version 2.0", "https://www.govdata.de/dl-de/zero-2-0"),
    "CC-BY-4.0": ("Creative Commons Namensnennung 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": ("Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}

# Every tag a feature may carry, in the order written, with its meaning (the /offene-daten page lists them).
TAGS = (
    "amenity", "name", "wheelchair", "toilets:wheelchair", "capacity", "opening_hours", "operator", "addr:full",
    "description", "fee", "website", "ref:raumfinder", "external_id",
    "raumfinder:kind", "raumfinder:booking_mode", "raumfinder:bookable_by", "raumfinder:area_m2",
    "raumfinder:floor", "raumfinder:lift", "raumfinder:hearing_loop", "raumfinder:equipment",
    "raumfinder:cost_eur", "raumfinder:house_rules", "raumfinder:available_from", "raumfinder:available_until",
)


@dataclass(frozen=True)
class Licence:
    code: str
    name: str
    url: str | None


def licence() -> Licence:
    """The licence the export states (configuration OPEN_DATA_LICENCE), with its name and URL when known."""
    code = current_app.config.get("OPEN_DATA_LICENCE") or "dl-de/by-2-0"
    name, url = LICENCES.get(code, (code, None))
    return Licence(code, name, url)


def public_spaces(today: date) -> Select:
    """Every space an anonymous visitor sees on the map, with site, provider, point and weekly hours, by id."""
    hours = (select(func.json_agg(aggregate_order_by(
                 func.json_build_array(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes),
                 OpeningHours.weekday, OpeningHours.opens)))
             .where(OpeningHours.space_id == Space.id).scalar_subquery())
    return (
        select(Space.id, Space.name, Space.kind, Space.capacity, Space.area_m2, Space.floor, Space.step_free,
               Space.accessible_wc, Space.lift, Space.hearing_loop, Space.equipment, Space.booking_mode,
               Space.bookable_by, Space.cost_eur, Space.description, Space.house_rules, Space.available_from,
               Space.available_until, Space.external_id, Site.address, Organisation.name.label("operator"),
               func.ST_X(Space.location).label("lon"), func.ST_Y(Space.location).label("lat"),
               hours.label("hours"))
        .join(Site, Space.site_id == Site.id)
        .join(Organisation, Site.organisation_id == Organisation.id)
        .where(not_expired(today))
        .order_by(Space.id)
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _number(value) -> str | None:
    """A Decimal as OSM writes numbers: '25', '12.5' (no trailing zeros), None for None."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def _in_order(equipment: list[str] | None) -> list[str]:
    """Equipment codes in the order of spaces.labels.EQUIPMENT (unknown ones last): one space, one text."""
    known = list(EQUIPMENT)
    return sorted(equipment or [], key=lambda code: (known.index(code) if code in known else len(known), code))


def opening_hours_text(hours: list | None) -> str:
    """The `opening_hours` text of the hours as the statement returns them ([[weekday, "HH:MM:SS", ...]])."""
    return _hours_text(tuple(map(tuple, hours or ())))


@lru_cache(maxsize=4096)
def _hours_text(hours: tuple) -> str:
    # Most spaces share a few weekly patterns: each is formatted once, not once per space.
    return format_hours([(day, time.fromisoformat(opens), time.fromisoformat(closes)) for day, opens, closes in hours])


def properties(row, space_link: str) -> dict[str, str]:
    """The OSM-style tags of one space row (public_spaces); tags without a value are left out."""
    fee = None if row.cost_eur is None else ("yes" if row.cost_eur > 0 else "no")
    tags = {
        "amenity": KIND_AMENITY.get(row.kind, DEFAULT_AMENITY),
        "name": row.name,
        "wheelchair": _yes(row.step_free),
        "toilets:wheelchair": _yes(row.accessible_wc),
        "capacity": str(row.capacity),
        "opening_hours": opening_hours_text(row.hours),
        "operator": row.operator,
        "addr:full": row.address,
        "description": row.description,
        "fee": fee,
        "website": f"{space_link}{row.id}",
        "ref:raumfinder": str(row.id),
        "external_id": row.external_id,
        "raumfinder:kind": row.kind,
        "raumfinder:booking_mode": row.booking_mode,
        "raumfinder:bookable_by": row.bookable_by,
        "raumfinder:area_m2": _number(row.area_m2),
        "raumfinder:floor": row.floor,
        "raumfinder:lift": _yes(row.lift),
        "raumfinder:hearing_loop": _yes(row.hearing_loop),
        "raumfinder:equipment": ";".join(_in_order(row.equipment)),
        "raumfinder:cost_eur": _number(row.cost_eur),
        "raumfinder:house_rules": row.house_rules,
        "raumfinder:available_from": row.available_from.isoformat() if row.available_from else None,
        "raumfinder:available_until": row.available_until.isoformat() if row.available_until else None,
    }
    return {tag: value for tag, value in tags.items() if value not in (None, "")}


def feature(row, space_link: str) -> dict:
    """One space row as a GeoJSON Feature (a Point, coordinates to six places: about 10 cm)."""
    return {"type": "Feature", "id": row.id,
            "geometry": {"type": "Point", "coordinates": [round(row.lon, 6), round(row.lat, 6)]},
            "properties": properties(row, space_link)}


def space_link_prefix() -> str:
    """The absolute link of a space's page without its number (from RAUMFINDER_BASE_URL, never the request)."""
    return absolute_url("finder.space", space_id=0)[:-1]


def public_features(session=None) -> list[dict]:
    """Every public space as a GeoJSON Feature, by id (one statement)."""
    session = session or db.session
    link = space_link_prefix()
    return [feature(row, link) for row in session.execute(public_spaces(today_local()))]


@dataclass(frozen=True)
class Export:
    body: str  # the GeoJSON text
    etag: str  # changes when a feature or the licence changes (not with `generated`)
    count: int


def collection(features: list[dict], generated: datetime) -> dict:
    """The FeatureCollection with its licence, attribution, source and time of generation."""
    stated = licence()
    base = current_app.config["BASE_URL"].rstrip("/")
    return {
        "type": "FeatureCollection",
        "name": "raumfinder_spaces",
        "licence": stated.code,
        "licence_name": stated.name,
        "licence_url": stated.url,
        "attribution": f"Raumfinder ({base}) und die Anbieter der Räume",
        "source": base + "/api/spaces.geojson",
        "generated": generated.isoformat(timespec="seconds"),
        "features": features,
    }


def export(session=None) -> Export:
    """The open-data export of every public space, as GeoJSON text with an ETag."""
    features = public_features(session)
    document = collection([], now_utc())
    features_text = json.dumps(features, ensure_ascii=False, separators=(",", ":"))
    head = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # `features` is the document's last member: its text goes in place of the empty list, written once. The ETag
    # covers the features and the licence, not `generated`.
    fingerprint = "\n".join((document["licence"], document["attribution"], features_text))
    etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return Export(head[:-3] + features_text + "}", etag, len(features))


def sample(session=None, most: int = 5) -> tuple[list[dict], int]:
    """The first `most` public features (for the page's example table) and how many there are."""
    session = session or db.session
    today = today_local()
    link = space_link_prefix()
    rows = session.execute(public_spaces(today).limit(most)).all()
    total = session.execute(select(func.count()).select_from(Space).where(not_expired(today))).scalar_one()
    return [feature(row, link) for row in rows], total
