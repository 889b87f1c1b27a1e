"""The gap report's inputs from the database: phases, the spaces near them, signals; a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

from shapely import wkb
from sqlalchemy import func, literal, or_, select, text
from sqlalchemy.orm import Session

from .clock import now_utc
from .gaps import Norm, PhaseInput, Signal, SpaceInput
from .models import (
    SLOT_HOLDING,
    BookableBy,
    Booking,
    BookingMode,
    BookingStatus,
    ConstructionPhase,
    Need,
    NeedStatus,
    ProvisionNorm,
    Space,
)

EVENING = ("17:00", "22:00")  # "evenings free": the hours a group of neighbours actually meets
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
        func.ST_AsBinary(func.ST_Transform(ConstructionPhase.geom, 25832)).label("metric"),
        func.ST_AsGeoJSON(ConstructionPhase.geom, 6).label("geojson"),
    ).order_by(ConstructionPhase.move_in.nulls_last(), ConstructionPhase.name)).all()


def phase_inputs(rows) -> list[PhaseInput]:
    return [PhaseInput(id=r.ConstructionPhase.id, name=r.ConstructionPhase.name, area=wkb.loads(bytes(r.metric)),
                       move_in=r.ConstructionPhase.move_in, residents=expected_residents(r.ConstructionPhase))
            for r in rows]


def expected_residents(phase: ConstructionPhase) -> float:
    """Expected residents when the phase is full: as given, else homes × persons per home."""
    if phase.expected_residents is not None:
        return float(phase.expected_residents)
    return float(phase.homes or 0) * float(phase.persons_per_home or 0)


# Evening hours a week per space from its weekly opening hours: the overlap of each opening with
# 17-22 h (an opening past midnight counts until midnight); computed in SQL in one query.
_EVENING_HOURS = text("""
    SELECT oh.space_id,
           SUM(GREATEST(0, EXTRACT(EPOCH FROM
               LEAST(CASE WHEN oh.closes <= oh.opens THEN TIME '23:59:59.999999' ELSE oh.closes END,
                     TIME '22:00') - GREATEST(oh.opens, TIME '17:00')))) / 3600.0 AS evening,
           SUM(EXTRACT(EPOCH FROM CASE WHEN oh.closes <= oh.opens
                                       THEN INTERVAL '24 hours' - (oh.opens - oh.closes)
                                       ELSE oh.closes - oh.opens END)) / 3600.0 AS weekly
    FROM opening_hours oh WHERE oh.space_id = ANY(:ids) GROUP BY oh.space_id
""")


def space_inputs(session: Session, norm: Norm) -> list[SpaceInput]:
    """Spaces open to the public within reach of some phase, with their public evening hours.

    public_hours = evening opening hours a week × the share of opening time not booked in the
    next twelve weeks (bookings are not spread evenly over the day, so this is an estimate).
    """
    reach = norm.walk_m / norm.detour
    near = (
        select(Space.id).distinct()
        .join(ConstructionPhase, func.ST_DWithin(func.geography(Space.location),
                                                 func.geography(ConstructionPhase.geom), reach))
        .where(Space.booking_mode != BookingMode.NOT_BOOKABLE, Space.bookable_by == BookableBy.EVERYONE)
    )
    rows = session.execute(select(
        Space.id, Space.area_m2, Space.capacity, Space.available_from, Space.available_until,
        func.ST_X(func.ST_Transform(Space.location, 25832)).label("x"),
        func.ST_Y(func.ST_Transform(Space.location, 25832)).label("y"),
    ).where(Space.id.in_(near))).all()
    ids = [r.id for r in rows]
    if not ids:
        return []
    hours = {r.space_id: (float(r.evening), float(r.weekly))
             for r in session.execute(_EVENING_HOURS, {"ids": ids})}
    now = now_utc()
    window = func.tstzrange(now, now + BOOKED_LOOKAHEAD, literal("[)"))
    clipped = func.upper(Booking.during * window) - func.lower(Booking.during * window)
    booked = dict(session.execute(
        select(Booking.space_id, func.sum(func.extract("epoch", clipped)) / 3600.0)
        .where(Booking.space_id.in_(ids), Booking.status.in_([s.value for s in SLOT_HOLDING]),
               Booking.during.op("&&")(window))
        .group_by(Booking.space_id)).all())
    weeks = BOOKED_LOOKAHEAD / timedelta(weeks=1)
    from shapely.geometry import Point

    out = []
    for r in rows:
        evening, weekly = hours.get(r.id, (0.0, 0.0))
        busy_share = min(1.0, float(booked.get(r.id, 0.0)) / (weekly * weeks)) if weekly else 1.0
        out.append(SpaceInput(id=r.id, point=Point(r.x, r.y), area_m2=float(r.area_m2) if r.area_m2 else None,
                              seats=r.capacity, available_from=r.available_from, available_until=r.available_until,
                              public_hours=evening * (1.0 - busy_share)))
    return out


def signals(session: Session) -> list[Signal]:
    """Open needs with a place, and requests declined in the last year, as points in EPSG:25832."""
    from shapely.geometry import Point

    needs = session.execute(select(func.ST_X(func.ST_Transform(Need.near, 25832)),
                                   func.ST_Y(func.ST_Transform(Need.near, 25832)))
                            .where(Need.status == NeedStatus.OPEN, Need.near.is_not(None))).all()
    year_ago = now_utc() - timedelta(days=365)
    declined = session.execute(
        select(func.ST_X(func.ST_Transform(Space.location, 25832)), func.ST_Y(func.ST_Transform(Space.location, 25832)))
        .join(Booking, Booking.space_id == Space.id)
        .where(Booking.status == BookingStatus.DECLINED, or_(Booking.decided_at.is_(None),
                                                             Booking.decided_at >= year_ago))).all()
    return [Signal(Point(x, y), "unmet_need") for x, y in needs] + \
        [Signal(Point(x, y), "declined_request") for x, y in declined]
