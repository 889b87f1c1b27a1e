"""Needs (Raumbedarf): stored for a group, read back for the people who may see them, turned into proposals,
and one proposal requested through the one booking service."""

from __future__ import annotations

from geoalchemy2.shape import from_shape
from sqlalchemy import select

from geo.crs import WGS84
from geo.validation import point_from_lonlat
from spaces.booking import rules
from spaces.booking import service as booking_service
from spaces.clock import now_utc
from spaces.core.errors import NotFound
from spaces.core.proposals import Proposal, propose
from spaces.core.rounds import proposal_series
from spaces.db import db
from spaces.finder.queries import quartier_centres
from spaces.models import Need, NeedStatus, Organisation, Quartier, Space, User
from spaces.planning.needs.data import need_near, need_spec, space_facts_for, walking_from
from spaces.planning.needs.status import need_states


def groups_for(user: User) -> list[tuple[int, str]]:
    """The groups a person may enter needs for: their own; a QM admin's, every group."""
    return booking_service.groups_to_book_for(user)


def quartier_names() -> list[str]:
    """The named places a need may be near."""
    return [name for name, *_ in db.session.execute(quartier_centres())]


def create_need(user: User, values: dict) -> Need:
    """Store a need for a group the user may act for (rules.may_book_for), with its place and an audit row."""
    organisation = db.session.get(Organisation, values["organisation"])
    if not rules.may_book_for(user, organisation):
        raise rules.Forbidden("Bedarfe legt die Gruppe selbst an, oder das QM für sie.")
    need = Need(organisation_id=organisation.id, created_by_id=user.id, title=values["title"],
                group_size=values["group_size"], duration_minutes=values["duration"],
                time_pattern={"weekdays": sorted(values["weekdays"]),
                              "from": values["window_from"].strftime("%H:%M"),
                              "to": values["window_to"].strftime("%H:%M"),
                              "first_day": values["first_day"].isoformat(),
                              "last_day": values["last_day"].isoformat()},
                step_free=values["step_free"], accessible_wc=values["accessible_wc"],
                equipment=list(values["equipment"] or []), free_of_charge_only=values["free_only"],
                max_walk_minutes=values["max_walk_minutes"] if values["quartier"] else None)
    if values["quartier"]:
        row = db.session.execute(quartier_centres().where(Quartier.name == values["quartier"])).first()
        if row is not None:
            need.near = from_shape(point_from_lonlat(row[2], row[3]), srid=WGS84)
    db.session.add(need)
    db.session.flush()
    rules.audit(db.session, user, "need.created", need, title=need.title)
    return need


def need_for(user: User, need_id: int) -> Need:
    """A need of one of the user's groups (any need for a QM admin); others are 'not found'."""
    need = db.session.get(Need, need_id)
    if need is None or not (user.member_of(need.organisation_id) or user.is_qm_admin):
        raise NotFound("Diesen Raumbedarf gibt es nicht, oder er gehört einer anderen Gruppe.")
    return need


def needs_of(user: User, limit: int = 200) -> list[Need]:
    """The needs of the user's groups, newest first."""
    org_ids = [o.id for o in user.organisations]
    return list(db.session.scalars(select(Need).where(Need.organisation_id.in_(org_ids))
                                   .order_by(Need.created_at.desc()).limit(limit)))


def states_of(needs) -> dict:
    """Need id -> how far it is met by its bookings (spaces.planning.needs.status)."""
    return need_states(db.session, needs)


def proposals_for(need: Need, limit: int = 20):
    """The need as the engine reads it, its best proposals now (NeedError when its pattern is unusable), and how
    the walk from its place was measured ("network", "straight_line"; None without a place)."""
    spec = need_spec(need)
    near = need_near(db.session, need)
    walking = walking_from(db.session, spec, near)
    facts = space_facts_for(db.session, spec, near, walking)
    return spec, propose(spec, facts, now=now_utc(), limit=limit), walking.method if walking else None


def space_names(ids) -> dict:
    """Space id -> name, for the spaces shown."""
    return dict(db.session.execute(select(Space.id, Space.name).where(Space.id.in_(list(ids)))).all())


def find_proposal(need: Need, space_id: int, weekday: int, starts: str) -> Proposal | None:
    """The current proposal for this space, weekday and start (None when it no longer fits)."""
    _, found, _ = proposals_for(need, limit=1000)
    return next((p for p in found if p.space_id == space_id and p.weekday == weekday
                 and p.starts.strftime("%H:%M") == starts), None)


def request_proposal(user: User, need: Need, chosen: Proposal):
    """Request the proposal's free dates as a weekly series (skipping what cannot be booked now); the need is
    handed over (stored "met": no longer offered to a round; how far it is really met, spaces.planning.needs.status
    says from its bookings). Returns the booking outcome (BookingRefused when no date can be booked, with every
    date and why)."""
    space = db.session.get(Space, chosen.space_id)
    organisation = db.session.get(Organisation, need.organisation_id)
    outcome = booking_service.request_booking(
        db.session, user=user, organisation=organisation, space=space, slots=list(chosen.dates),
        attendees=need.group_size, purpose=need.title, recurrence=proposal_series(chosen), skip_conflicts=True)
    need.status = NeedStatus.MET
    rules.audit(db.session, user, "need.requested", need, space_id=space.id, dates=len(outcome.created),
                confirmed=outcome.confirmed)
    return outcome, space
