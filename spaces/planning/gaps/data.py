"""The gap report's inputs from the database: phases, the spaces near them, signals; a bounded number of queries."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from shapely import wkb
from shapely.geometry import Point, shape
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from geo.crs import UTM32N, to_metric, to_wgs84
from spaces.clock import now_utc
from spaces.core.availability import Interval
from spaces.core.bookability import BOOKABLE_MODES, free_evening_hours
from spaces.core.gaps import Norm, PhaseInput, Signal, SpaceInput, WalkingReach, residents_when_full
from spaces.models import (
    BookableBy,
    Booking,
    BookingStatus,
    ConstructionPhase,
    Need,
    NeedStatus,
    ProvisionNorm,
    Space,
)
from spaces.terms import occupancy_for, terms_for
from spaces.walking import network

BOOKED_LOOKAHEAD = timedelta(weeks=12)


def current_norm(session: Session) -> tuple[Norm, ProvisionNorm | None]:
    """The QM's provision norm (or the defaults while none is saved)."""
    row = session.scalar(select(ProvisionNorm).order_by(ProvisionNorm.id).limit(1))
    if row is None:
        return Norm(), None
    return Norm(m2_per_1000=float(row.m2_per_1000), seats_per_1000=float(row.seats_per_1000),
                walk_m=float(row.walk_m), detour=float(row.detour),
                min_public_evening_hours=float(row.min_public_evening_hours),
                reference_hours=float(row.reference_hours), ramp_months=row.ramp_months), row


def phase_rows(session: Session):
    """Every phase with its geometry in EPSG:25832 (WKB) and in WGS84 (GeoJSON)."""
    return session.execute(select(
        ConstructionPhase,
        func.ST_AsBinary(func.ST_Transform(ConstructionPhase.geom, UTM32N)).label("metric"),
        func.ST_AsGeoJSON(ConstructionPhase.geom, 6).label("geojson"),
    ).order_by(ConstructionPhase.move_in.nulls_last(), ConstructionPhase.name)).all()


def phase_inputs(rows) -> list[PhaseInput]:
    return [PhaseInput(id=r.ConstructionPhase.id, name=r.ConstructionPhase.name, area=wkb.loads(bytes(r.metric)),
                       move_in=r.ConstructionPhase.move_in, residents=expected_residents(r.ConstructionPhase))
            for r in rows]


def expected_residents(phase: ConstructionPhase) -> int:
    """Expected residents when the phase is full (spaces.core.gaps.residents_when_full)."""
    return residents_when_full(phase.expected_residents, phase.homes, phase.persons_per_home)


def _public():
    return and_(Space.booking_mode.in_(BOOKABLE_MODES), Space.bookable_by == BookableBy.EVERYONE)


def _near_any_phase(norm: Norm, also: Collection[int] = ()):
    """Criterion: a public space within the straight-line reach of some phase, or one of `also` (the spaces
    reached on the street network) that is public."""
    reach = norm.walk_m / norm.detour
    near = (
        select(Space.id).distinct()
        .join(ConstructionPhase, func.ST_DWithin(func.geography(Space.location),
                                                 func.geography(ConstructionPhase.geom), reach))
        .where(_public())
    )
    if not also:
        return Space.id.in_(near)
    return or_(Space.id.in_(near), and_(Space.id.in_(sorted(also)), _public()))


def walking_reach(session: Session, norm: Norm, phase_ids) -> dict | None:
    """{phase id: {space id: metres}} of the spaces within norm.walk_m walked on the street network from each
    phase (spaces.walking.network.reach_from_phase); phases off the network are left out. None when no
    network is loaded."""
    if not network.available(session):
        return None
    minutes = norm.walk_m / network.SPEED_M_PER_MIN
    found = {}
    for phase_id in phase_ids:
        reached = network.reach_from_phase(session, phase_id, minutes)
        if reached is not None:
            found[phase_id] = reached
    return found


def reached_ids(reach: dict | None) -> set[int]:
    """Every space reached from some phase on the street network."""
    return {space_id for spaces in (reach or {}).values() for space_id in spaces}


def walking_areas(session: Session, norm: Norm, spaces: list[SpaceInput], reach: dict) -> WalkingReach:
    """The core's WalkingReach: per phase on the network the public spaces it reaches, and the walking isochrone
    of norm.walk_m (EPSG:25832) of each of them, for the share of a phase's area within walking reach."""
    public = {s.id for s in spaces}
    by_phase = {phase_id: {i for i in reached if i in public} for phase_id, reached in reach.items()}
    minutes = norm.walk_m / network.SPEED_M_PER_MIN
    areas = {}
    for s in spaces:
        if not any(s.id in ids for ids in by_phase.values()):
            continue
        lon, lat = to_wgs84(s.point).coords[0]
        geometry = network.isochrone(session, lon, lat, minutes)
        areas[s.id] = to_metric(shape(geometry)) if geometry else None
    return WalkingReach(spaces=by_phase, areas=areas)


def space_rows(session: Session, norm: Norm, also: Collection[int] = ()):
    """The spaces open to the public within reach of some phase (straight line, or `also`: reached on the street
    network), with name, size and place (WGS84), for the map."""
    return session.execute(select(
        Space.id, Space.name, Space.area_m2, Space.capacity, Space.available_from, Space.available_until,
        func.ST_X(Space.location).label("lon"), func.ST_Y(Space.location).label("lat"),
    ).where(_near_any_phase(norm, also)).order_by(Space.name)).all()


def space_inputs(session: Session, norm: Norm, also: Collection[int] = ()) -> list[SpaceInput]:
    """Spaces open to the public within reach of some phase (straight line, or `also`: reached on the street
    network), with their free public evening hours a week.

    public_hours = the evening hours (17-22 h) in the next twelve weeks in which the space is open,
    not closed and not booked (spaces.core.bookability.free_evening_hours, the booking rules' own
    opening hours, closures and bookings), divided by twelve.
    """
    rows = session.execute(select(
        Space.id, Space.area_m2, Space.capacity, Space.available_from, Space.available_until,
        func.ST_X(func.ST_Transform(Space.location, UTM32N)).label("x"),
        func.ST_Y(func.ST_Transform(Space.location, UTM32N)).label("y"),
    ).where(_near_any_phase(norm, also))).all()
    ids = [r.id for r in rows]
    if not ids:
        return []
    now = now_utc()
    window = Interval(now, now + BOOKED_LOOKAHEAD)
    terms = terms_for(session, ids)
    occupancy = occupancy_for(session, ids, window)
    weeks = BOOKED_LOOKAHEAD / timedelta(weeks=1)
    return [
        SpaceInput(id=r.id, point=Point(r.x, r.y), area_m2=float(r.area_m2) if r.area_m2 else None,
                   seats=r.capacity, available_from=r.available_from, available_until=r.available_until,
                   public_hours=free_evening_hours(terms[r.id], occupancy[r.id], window) / weeks)
        for r in rows
    ]


def signals(session: Session) -> list[Signal]:
    """Open needs with a place, and requests declined in the last year, as points in EPSG:25832."""
    needs = session.execute(select(func.ST_X(func.ST_Transform(Need.near, UTM32N)),
                                   func.ST_Y(func.ST_Transform(Need.near, UTM32N)))
                            .where(Need.status == NeedStatus.OPEN, Need.near.is_not(None))).all()
    year_ago = now_utc() - timedelta(days=365)
    declined = session.execute(
        select(func.ST_X(func.ST_Transform(Space.location, UTM32N)),
               func.ST_Y(func.ST_Transform(Space.location, UTM32N)))
        .join(Booking, Booking.space_id == Space.id)
        .where(Booking.status == BookingStatus.DECLINED, or_(Booking.decided_at.is_(None),
                                                             Booking.decided_at >= year_ago))).all()
    return [Signal(Point(x, y), "unmet_need") for x, y in needs] + \
        [Signal(Point(x, y), "declined_request") for x, y in declined]
