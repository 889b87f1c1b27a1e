"""Loads the Hannover demo data (data/hannover-demo.geojson); loading twice changes nothing."""

import json
import os
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from geoalchemy2.shape import from_shape
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import generate_password_hash

from geo.crs import WGS84
from geo.validation import area_from_geojson, point_from_lonlat
from spaces import resource
from spaces.core import osm_hours
from spaces.models import (
    BookingMode,
    ConstructionPhase,
    OpeningHours,
    Organisation,
    Quartier,
    Role,
    Site,
    Space,
    User,
    memberships,
)

DEMO_FILE = resource("data") / "hannover-demo.geojson"

ORGANISATION_KINDS = {
    "wasmitherz": "association",
    "win": "association",
    "hanova": "housing_company",
    "sbv": "cooperative",
    "ksg": "housing_company",
}

# Illustrative opening hours: rooms on weekday evenings and Saturdays, outdoor spots always.
ROOM_HOURS = [(d, time(9), time(21)) for d in range(5)] + [(5, time(10), time(18))]
OUTDOOR_HOURS = [(d, time(0), time(0)) for d in range(7)]


class _Known:
    """What the database already holds of the demo, read in a few statements (not one per feature): the demo
    is loaded before most tests, so its statements count."""

    def __init__(self, session: Session, keys: list[str]):
        self.organisations = {o.key: o for o in session.scalars(
            select(Organisation).where(Organisation.key.in_(keys)))}
        self.quartiers = {q.name: q for q in session.scalars(select(Quartier))}
        self.phases = {p.name: p for p in session.scalars(select(ConstructionPhase))}
        self.sites: dict = {}
        self.spaces: dict = {}

    def read_places(self, session: Session) -> None:
        """The demo organisations' sites and spaces (with their hours), once the organisations have ids."""
        ids = [o.id for o in self.organisations.values()]
        self.sites = {(s.organisation_id, s.address): s for s in session.scalars(
            select(Site).where(Site.organisation_id.in_(ids)))}
        self.spaces = {(s.site_id, s.name): s for s in session.scalars(
            select(Space).join(Site).where(Site.organisation_id.in_(ids)).options(selectinload(Space.opening_hours)))}


def _put(session: Session, known: dict, key, model, where: dict, values: dict):
    """The object `known` holds under `key`, or a new one (added, and known from now on), with `values` set."""
    obj = known.get(key)
    if obj is None:
        obj = known[key] = model(**where)
        session.add(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


def load(session: Session, path: Path = DEMO_FILE) -> dict:
    """Insert or update every demo feature; returns how many of each kind the file holds."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    counts = {"quartiers": 0, "organisations": 0, "phases": 0, "spaces": 0}
    known = _Known(session, [f["properties"]["key"] for f in features
                             if f["properties"]["type"] == "organisation"])
    organisations = {}
    for f in features:
        p = f["properties"]
        if p["type"] == "organisation":
            organisations[p["key"]] = _put(
                session, known.organisations, p["key"], Organisation, {"key": p["key"]},
                {"name": p["name"], "kind": ORGANISATION_KINDS.get(p["key"], "other")},
            )
            counts["organisations"] += 1
    session.flush()
    known.read_places(session)
    with session.no_autoflush:  # everything new goes in with one flush (a statement per table)
        for f in features:
            p, geometry = f["properties"], f.get("geometry")
            if p["type"] == "quartier":
                lon, lat = geometry["coordinates"]
                _put(session, known.quartiers, p["name"], Quartier, {"name": p["name"]},
                     {"centre": from_shape(point_from_lonlat(lon, lat), srid=WGS84)})
                counts["quartiers"] += 1
            elif p["type"] == "construction_phase":
                area = area_from_geojson(geometry)
                _put(session, known.phases, p["name"], ConstructionPhase, {"name": p["name"]}, {
                    "quartier": p.get("quartier", ""),
                    "geom": from_shape(area, srid=WGS84),
                    "status": p["status"],
                    "move_in": date.fromisoformat(p["move_in"]) if p.get("move_in") else None,
                    "homes": p.get("homes", 0),
                    "persons_per_home": Decimal(str(p.get("persons_per_home", 2.0))),
                })
                counts["phases"] += 1
            elif p["type"] == "space":
                _load_space(session, known, organisations[p["organisation"]], p, geometry)
                counts["spaces"] += 1
    session.flush()
    for organisation in organisations.values():
        _demo_admin(session, organisation)
    session.flush()
    return counts


# The demo providers' admins ("verwaltung@<key>.demo.invalid": an address no mail reaches). They log in only
# with the password in RAUMFINDER_DEMO_PASSWORD (at least 10 characters) when the demo data is loaded: a
# demo served without it has no account anyone could guess.
DEMO_ADMIN_EMAIL = "verwaltung@{key}.demo.invalid"
UNUSABLE_PASSWORD = "!no-login"  # matches no password (not a hash check_password_hash accepts)


def _demo_admin(session: Session, organisation: Organisation) -> User:
    """The organisation's demo admin, who also manages its spaces (made once, its rights restored on reload)."""
    email = DEMO_ADMIN_EMAIL.format(key=organisation.key.lower())
    user = session.scalars(select(User).filter_by(email=email)).one_or_none()
    if user is None:
        user = User(email=email, display_name=f"Verwaltung {organisation.name}"[:200], role=Role.SPACE_MANAGER,
                    password_hash=UNUSABLE_PASSWORD)
        session.add(user)
    password = os.environ.get("RAUMFINDER_DEMO_PASSWORD", "")
    if len(password) >= 10:
        user.password_hash = generate_password_hash(password)
    if organisation not in user.organisations:
        user.organisations.append(organisation)
    session.flush()
    session.execute(update(memberships).where(memberships.c.user_id == user.id,
                                              memberships.c.organisation_id == organisation.id)
                    .values(is_admin=True, is_manager=True))
    return user


def _booking_mode(p: dict) -> str:
    """The file's booking_mode (instant, on_request, not_bookable); older files only say `bookable`."""
    if p.get("booking_mode"):
        return BookingMode(p["booking_mode"])
    return BookingMode.ON_REQUEST if p.get("bookable") else BookingMode.NOT_BOOKABLE


def _load_space(session: Session, known: _Known, organisation: Organisation, p: dict, geometry: dict) -> None:
    lon, lat = geometry["coordinates"]
    point = from_shape(point_from_lonlat(lon, lat), srid=WGS84)
    site = known.sites.get((organisation.id, p["address"]))
    if site is None:
        site = known.sites[(organisation.id, p["address"])] = Site(organisation=organisation, address=p["address"],
                                                                  location=point)
        session.add(site)
    outdoor = p["kind"] == "outdoor"
    # a new site's spaces are new (keyed by the site object until it has an id)
    space = _put(session, known.spaces, (site.id or id(site), p["name"]), Space, {"site": site, "name": p["name"]}, {
        "kind": p["kind"],
        "location": point,
        "capacity": p["capacity"],
        # The demo file has no floor areas; 2.5 m² per person is an illustrative stand-in so the gap
        # report has something to add up (replace with surveyed areas in real data).
        "area_m2": Decimal(str(p["area_m2"])) if p.get("area_m2") else Decimal(p["capacity"]) * Decimal("2.5"),
        "floor": p.get("floor"),
        "step_free": bool(p.get("step_free")),
        "equipment": list(p.get("equipment") or []),
        "booking_mode": _booking_mode(p),
        "cost_eur": Decimal("0"),
        "available_from": date.fromisoformat(p["available_from"]) if p.get("available_from") else None,
        "available_until": date.fromisoformat(p["available_until"]) if p.get("available_until") else None,
    })
    hours = osm_hours.parse(p["opening_hours"]) if p.get("opening_hours") else (
        OUTDOOR_HOURS if outdoor else ROOM_HOURS)
    if sorted((h.weekday, h.opens, h.closes) for h in space.opening_hours) != sorted(hours):
        if space.opening_hours:  # changed: the old hours go before the new ones arrive (one row per weekday and time)
            space.opening_hours.clear()
            session.flush()
        space.opening_hours.extend(OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in hours)
