"""Needs (Raumbedarf) to proposals: a stored Need as a NeedSpec, and the facts of candidate spaces
in a bounded number of queries (six, however many spaces and dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.orm import Session, object_session

from geo.walking import DETOUR_FACTOR, WALKING_SPEED_M_PER_MIN, walk_radius_m
from spaces.core.bookability import BOOKABLE_MODES
from spaces.core.errors import Unprocessable
from spaces.core.proposals import DEFAULT_WALK_LIMIT_M, NeedSpec, SpaceFacts, TimePattern
from spaces.finder.queries import distance_m, walked_reach, within_m
from spaces.models import BookableBy, Need, Site, Space, space_access
from spaces.terms import occupancy_for, terms_for
from spaces.times import local_day_window
from spaces.walking import network
from spaces.walking.network import METHOD_NETWORK, METHOD_STRAIGHT

# Spaces looked at per need: the nearest 100 that pass every hard filter (walking counts in the score).
MAX_CANDIDATES = 100


class NeedError(Unprocessable):
    """A need that cannot be turned into proposals, with a German message (HTTP 422)."""

    default_code = "need_unusable"


def pattern_from_json(data: dict) -> TimePattern:
    """The time pattern stored with a need: {"weekdays": [1, 3], "from": "17:00", "to": "21:00",
    "first_day": "2027-03-01", "last_day": "2027-07-31"}."""
    try:
        return TimePattern(weekdays=tuple(int(d) for d in data["weekdays"]),
                           window_from=time.fromisoformat(data["from"]), window_to=time.fromisoformat(data["to"]),
                           first_day=date.fromisoformat(data["first_day"]),
                           last_day=date.fromisoformat(data["last_day"]))
    except (KeyError, TypeError, ValueError) as err:
        raise NeedError(f"Das Zeitmuster des Bedarfs ist unvollständig oder ungültig ({err}).") from None


def need_spec(need: Need) -> NeedSpec:
    """What a stored need asks for, in the form the proposal engine reads."""
    return NeedSpec(
        group_size=need.group_size,
        duration=timedelta(minutes=need.duration_minutes),
        pattern=pattern_from_json(need.time_pattern or {}),
        step_free=need.step_free,
        accessible_wc=need.accessible_wc,
        equipment=frozenset(need.equipment or ()),
        free_only=need.free_of_charge_only,
        max_walk_m=_max_walk_m(need),
        organisation_id=need.organisation_id,
    )


def _max_walk_m(need: Need) -> float | None:
    """The need's walk as metres: walked metres (minutes x 80) while a street network is loaded, else the
    straight-line radius (geo.walking); None without a place or a limit."""
    if not need.max_walk_minutes or need.near is None:
        return None
    session = object_session(need)
    if session is not None and network.available(session):
        return need.max_walk_minutes * WALKING_SPEED_M_PER_MIN
    return walk_radius_m(need.max_walk_minutes)


@dataclass(frozen=True)
class Walking:
    """How the walk from a need's place is measured: method "network" with the reach on the streets
    ({space_id: metres}, up to limit_m), or "straight_line". `walked` says whether SpaceFacts.walk_m are metres
    on foot (a loaded network: walked, or estimated as straight line x 1.3 when the place lies outside it) or
    straight-line metres (no network: the rule of geo.walking, limits as straight-line radii)."""

    method: str
    walked: bool = False
    reach: dict | None = None
    limit_m: float | None = None


def walking_from(session: Session, spec: NeedSpec, near: tuple[float, float] | None) -> Walking | None:
    """How walking is measured from the need's place (None without one): on the street network when one is
    loaded and the place lies on it (reach up to the need's limit, or DEFAULT_WALK_LIMIT_M without one)."""
    if near is None:
        return None
    if not network.available(session):
        return Walking(METHOD_STRAIGHT)
    limit = spec.max_walk_m or DEFAULT_WALK_LIMIT_M
    found = network.reach(session, near[0], near[1], limit / WALKING_SPEED_M_PER_MIN)
    if found is None:
        return Walking(METHOD_STRAIGHT, walked=True)
    return Walking(METHOD_NETWORK, walked=True, reach=found, limit_m=limit)


def _walk_criteria(query, spec: NeedSpec, near: tuple[float, float], walking: Walking):
    """The query with the walk from `near` as column "walk", ordered by it, and the need's limit as a filter;
    the bind values it needs."""
    straight = distance_m(*near)
    if walking.reach is not None:
        # Spaces reached on the streets have their walked metres; the others are farther than the limit.
        walked = walked_reach()
        beyond = func.greatest(straight * DETOUR_FACTOR, walking.limit_m + 1)
        walk = func.coalesce(walked.c.m, beyond).label("walk")
        query = query.outerjoin(walked, walked.c.id == Space.id).add_columns(walk).order_by(walk)
        if spec.max_walk_m:
            query = query.where(walked.c.id.is_not(None))
        ids = sorted(walking.reach)
        return query, {"reach_ids": ids, "reach_m": [float(walking.reach[i]) for i in ids]}
    walk = (straight * DETOUR_FACTOR if walking.walked else straight).label("walk")
    query = query.add_columns(walk).order_by(walk)
    if spec.max_walk_m:
        radius = spec.max_walk_m / DETOUR_FACTOR if walking.walked else spec.max_walk_m
        query = query.where(within_m(near[0], near[1], radius))
    return query, {}


def need_near(session: Session, need: Need) -> tuple[float, float] | None:
    """The need's place as (lon, lat), if it has one."""
    if need.near is None:
        return None
    lon, lat = session.execute(select(func.ST_X(Need.near), func.ST_Y(Need.near)).where(Need.id == need.id)).one()
    return lon, lat


def space_facts_for(session: Session, spec: NeedSpec, near: tuple[float, float] | None,
                    walking: Walking | None = None) -> list[SpaceFacts]:
    """Spaces passing the need's hard filters (in SQL), with the booking rules' view of them and their
    closures and slot-holding bookings of the season: six queries (and the walk on the street network, when
    one is loaded: `walking`, from walking_from unless given)."""
    season = local_day_window(spec.pattern.first_day, spec.pattern.last_day)
    query = (select(Space.id, Space.name, Space.capacity, Space.step_free, Space.accessible_wc, Space.equipment,
                    Space.cost_eur)
             .join(Site, Space.site_id == Site.id)
             .where(Space.booking_mode.in_(BOOKABLE_MODES),
                    Space.capacity >= spec.group_size,
                    (Space.available_until.is_(None)) | (Space.available_until >= spec.pattern.first_day),
                    (Space.available_from.is_(None)) | (Space.available_from <= spec.pattern.last_day)))
    # Only spaces this group may book (rule 2 of spaces.core.bookability; propose() asks the rule again).
    allowed = exists().where(space_access.c.space_id == Space.id,
                             space_access.c.organisation_id == spec.organisation_id)
    query = query.where(or_(Space.bookable_by == BookableBy.EVERYONE, Site.organisation_id == spec.organisation_id,
                            allowed))
    if spec.step_free:
        query = query.where(Space.step_free.is_(True))
    if spec.accessible_wc:
        query = query.where(Space.accessible_wc.is_(True))
    if spec.free_only:
        query = query.where(Space.cost_eur == 0)
    if spec.equipment:
        query = query.where(Space.equipment.contains(sorted(spec.equipment)))
    values: dict = {}
    if near is not None:
        query, values = _walk_criteria(query, spec, near, walking or walking_from(session, spec, near))
    else:
        query = query.add_columns(literal(None).label("walk")).order_by(Space.capacity, Space.id)
    rows = session.execute(query.limit(MAX_CANDIDATES), values).all()
    ids = [r.id for r in rows]
    if not ids:
        return []
    terms = terms_for(session, ids)
    occupancy = occupancy_for(session, ids, season)
    out = []
    for r in rows:
        t, o = terms[r.id], occupancy[r.id]
        out.append(SpaceFacts(
            id=r.id, name=r.name, capacity=r.capacity, step_free=r.step_free, accessible_wc=r.accessible_wc,
            equipment=frozenset(r.equipment or ()), cost_eur=float(r.cost_eur) if r.cost_eur is not None else None,
            walk_m=float(r.walk) if r.walk is not None else None, hours=t.hours,
            closures=tuple(c.interval for c in o.closures), busy=o.taken, available_from=t.available_from,
            available_until=t.available_until, booking_mode=t.booking_mode, bookable_by=t.bookable_by,
            owner_id=t.owner_id, allowed=t.allowed, max_days_in_advance=t.max_days_in_advance))
    return out
