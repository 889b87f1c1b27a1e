"""Space management in the database: who manages which spaces, the queries the pages need, saving a space
from its checked form, and closures with the warning about bookings in them. Every change is audited.

Functions take the session and the acting user, flush but do not commit (the views do), and raise the
domain's errors (spaces.core.errors), which spaces/errors.py answers: a space someone does not manage is
NotFound, so nothing about it leaks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext, ngettext
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.crs import WGS84
from spaces.accounts.service import managed_organisation_ids
from spaces.booking.rules import audit, can_manage
from spaces.clock import now_utc
from spaces.core.availability import BERLIN
from spaces.core.errors import Forbidden, NotFound, Unprocessable
from spaces.formatting import local_date, local_time, weekday
from spaces.labels import EQUIPMENT
from spaces.manage.forms import SpaceForm
from spaces.models import SLOT_HOLDING, Booking, Closure, OpeningHours, Organisation, Role, Site, Space, User

PAGE_SIZE = 100

# ----------------------------------------------------------------------------- who may


def managed_ids(session: Session, user: User) -> list[int] | None:
    """The organisations whose spaces the user manages; None for QM admins (all of them)."""
    if user.role == Role.QM_ADMIN:
        return None
    return managed_organisation_ids(session, user)


def require_manager(session: Session, user: User) -> list[int] | None:
    """What managed_ids() says, unless the user manages nothing: then Forbidden."""
    ids = managed_ids(session, user)
    if ids is not None and not ids:
        raise Forbidden(gettext("Räume verwalten kann nur die Raumverwaltung einer Organisation."))
    return ids


def managed_space(session: Session, user: User, space_id: int) -> Space:
    """The space, if the user manages it; else NotFound (whether it exists or not)."""
    space = session.get(Space, space_id)
    if space is None or not can_manage(session, user, space):
        raise NotFound(gettext("Diesen Raum gibt es nicht, oder Sie verwalten ihn nicht."))
    return space


# ----------------------------------------------------------------------------- what the pages show


def my_organisations(session: Session, user: User) -> list[Organisation]:
    """The organisations whose spaces the user manages (QM admins: all), by name."""
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    ids = managed_ids(session, user)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Organisation.id.in_(ids))
    return list(session.scalars(query))


def all_organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name (those a space may be opened to)."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name, Organisation.id)))


def managed_spaces(session: Session, ids: list[int] | None, page: int) -> tuple[list, bool]:
    """One page of (space, address, organisation name) rows of the organisations `ids` (None: all), and
    whether there is a next page."""
    query = (select(Space, Site.address, Organisation.name.label("organisation"))
             .join(Site, Space.site_id == Site.id).join(Organisation, Site.organisation_id == Organisation.id)
             .order_by(Organisation.name, Space.name, Space.id))
    if ids is not None:
        query = query.where(Site.organisation_id.in_(ids))
    rows = session.execute(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def upcoming_closures(session: Session, space: Space | None) -> list[Closure]:
    """The space's closures that have not ended yet, in time order."""
    if space is None:
        return []
    return list(session.scalars(
        select(Closure).where(Closure.space_id == space.id, func.upper(Closure.during) > now_utc())
        .order_by(Closure.during)))


def local_when(moment: datetime, *, end: bool = False) -> str:
    """An instant in Berlin time, e.g. "Mittwoch, 24.12.2026 18:00"; an end at midnight as 24:00 of the day before."""
    local = moment.astimezone(BERLIN)
    if end and (local.hour, local.minute, local.second) == (0, 0, 0):
        day = local.date() - timedelta(days=1)
        return f"{weekday(day)}, {local_date(day)} 24:00"
    return f"{weekday(local)}, {local_date(local)} {local_time(local)}"


# ----------------------------------------------------------------------------- saving a space


def save_space(session: Session, user: User, form: SpaceForm, space: Space | None) -> Space:
    """Write the checked form into `space` (a new one when None) with its audit entry; flushed, not committed.

    Raises Unprocessable: a space of that name at that address (field "name"), or the database refused
    (then the session is rolled back; no field)."""
    site = _target_site(session, form)
    if _name_taken(session, site, form.name.data, space):
        raise Unprocessable(gettext("An dieser Adresse gibt es schon einen Raum mit diesem Namen."), "name_taken",
                            field="name")
    before = _snapshot(space) if space is not None else {}
    try:
        saved = _apply(session, form, space, site)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Unprocessable(gettext(
            "Die Angaben passen nicht zu den gespeicherten Daten (vielleicht hat jemand gleichzeitig "
            "geändert). Es wurde nichts gespeichert; bitte prüfen und noch einmal speichern."), "not_saved") from None
    session.refresh(saved)
    after = _snapshot(saved)
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    audit(session, user, "space.updated" if space is not None else "space.created", saved, changed=changed)
    return saved


def _target_site(session: Session, form: SpaceForm) -> Site | None:
    """The organisation's existing site at this address (spelt the same, case aside), if any."""
    return session.scalars(
        select(Site).where(Site.organisation_id == form.organisation.data,
                           func.lower(Site.address) == form.address.data.lower()).order_by(Site.id)
    ).first()


def _name_taken(session: Session, site: Site | None, name: str, space: Space | None) -> bool:
    """Whether another space at the site has this name (case aside)."""
    if site is None:
        return False
    query = select(Space.id).where(Space.site_id == site.id, func.lower(Space.name) == name.lower())
    if space is not None:
        query = query.where(Space.id != space.id)
    return session.scalar(query.limit(1)) is not None


def _apply(session: Session, form: SpaceForm, space: Space | None, site: Site | None) -> Space:
    """Write the checked form into the space (a new one when None); nothing here may refuse."""
    point = from_shape(form.point, srid=WGS84)
    old_site = space.site if space is not None else None
    if site is None:
        site = Site(organisation_id=form.organisation.data, address=form.address.data, location=point)
        session.add(site)
    elif all(s is space for s in site.spaces):
        site.location = point  # the site is this space's alone: keep the address's point in step
    if space is None:
        space = Space()
        session.add(space)
    else:
        # Replace the weekly hours: delete the old rows first, or a new row for the same weekday and
        # opening time would meet the old one in the unique constraint.
        space.opening_hours = []
        session.flush()
    space.site = site
    space.location = point
    for name in ("name", "kind", "capacity", "step_free", "accessible_wc", "lift", "hearing_loop", "booking_mode",
                 "available_from", "available_until", "max_days_in_advance", "bookable_by"):
        setattr(space, name, getattr(form, name).data)
    space.description = form.description.data or ""
    space.house_rules = form.house_rules.data or ""
    space.floor = form.floor.data or None
    space.area_m2 = None if form.area_m2.data is None else form.area_m2.data.quantize(Decimal("0.1"), ROUND_HALF_UP)
    space.cost_eur = None if form.cost_eur.data is None else form.cost_eur.data.quantize(Decimal("0.01"), ROUND_HALF_UP)
    space.equipment = [code for code in EQUIPMENT if code in (form.equipment.data or [])]
    wanted = set(form.allowed_organisations.data or [])
    space.allowed_organisations = list(
        session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))) if wanted else []
    space.opening_hours = [OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in form.opening_hours()]
    if old_site is not None and old_site is not site:
        # A new address: the space moved to another site. The old one goes if no space is left there,
        # or every corrected address would leave an empty site behind.
        session.flush()
        if session.scalar(select(Space.id).where(Space.site_id == old_site.id).limit(1)) is None:
            session.delete(old_site)
    return space


def _snapshot(space: Space) -> dict:
    """What the audit log compares: every field of the form, as JSON values."""
    point = to_shape(space.location)
    return {
        "organisation_id": space.site.organisation_id,
        "address": space.site.address,
        "location": [round(point.x, 6), round(point.y, 6)],
        "name": space.name,
        "description": space.description or "",
        "kind": space.kind,
        "capacity": space.capacity,
        "area_m2": None if space.area_m2 is None else str(space.area_m2),
        "floor": space.floor,
        "step_free": bool(space.step_free),
        "accessible_wc": bool(space.accessible_wc),
        "lift": bool(space.lift),
        "hearing_loop": bool(space.hearing_loop),
        "equipment": sorted(space.equipment or []),
        "booking_mode": space.booking_mode,
        "cost_eur": None if space.cost_eur is None else str(space.cost_eur),
        "house_rules": space.house_rules or "",
        "available_from": space.available_from.isoformat() if space.available_from else None,
        "available_until": space.available_until.isoformat() if space.available_until else None,
        "max_days_in_advance": space.max_days_in_advance,
        "bookable_by": space.bookable_by,
        "allowed_organisations": sorted(o.id for o in space.allowed_organisations),
        "opening_hours": [f"{d} {o:%H:%M}-{c:%H:%M}" for d, o, c in
                          sorted((h.weekday, h.opens, h.closes) for h in space.opening_hours)],
    }


# ----------------------------------------------------------------------------- closures


def add_closure(session: Session, user: User, space: Space, starts: datetime, ends: datetime, reason: str) -> int:
    """Close the space from `starts` to `ends` (UTC) with its audit entry; flushed, not committed.

    Bookings in that time are not touched, only counted: returns how many hold a slot in it. Raises
    Unprocessable (field "end_day"; the session rolled back) when the database refuses the closure."""
    closure = Closure(space_id=space.id, during=Range(starts, ends, bounds="[)"), reason=reason)
    session.add(closure)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Unprocessable(gettext("Diese Schließzeit lässt sich nicht speichern; bitte prüfen."), "not_saved",
                            field="end_day") from None
    audit(session, user, "closure.added", closure, **_closure_details(closure))
    return session.scalar(
        select(func.count()).select_from(Booking).where(
            Booking.space_id == space.id, Booking.status.in_([s.value for s in SLOT_HOLDING]),
            Booking.during.op("&&")(func.tstzrange(starts, ends, "[)"))))


def held_warning(held: int) -> str | None:
    """What to tell the manager about `held` bookings or requests in a new closure (None for none)."""
    if not held:
        return None
    return ngettext("Achtung: In dieser Zeit liegt %(num)s Buchung oder Anfrage. Bitte sagen Sie sie ab oder "
                    "sprechen Sie mit der Gruppe.",
                    "Achtung: In dieser Zeit liegen %(num)s Buchungen oder Anfragen. Bitte sagen Sie sie ab oder "
                    "sprechen Sie mit den Gruppen.", held)


def remove_closure(session: Session, user: User, space: Space, closure_id: int) -> None:
    """Remove a closure of the space with its audit entry (NotFound if the space has no such closure)."""
    closure = session.get(Closure, closure_id)
    if closure is None or closure.space_id != space.id:
        raise NotFound(gettext("Diese Schließzeit gibt es nicht."))
    audit(session, user, "closure.removed", closure, **_closure_details(closure))
    session.delete(closure)


def _closure_details(closure: Closure) -> dict:
    return {"space_id": closure.space_id, "start": closure.during.lower.isoformat(),
            "end": closure.during.upper.isoformat(), "reason": closure.reason}
