"""Allocation rounds in the database: the facts of a round's needs, a round kept as shown, what
changed since, and booking it through the one booking service (spaces.booking.service).

Who books: the QM who confirms books every assignment for the need's group, like any other booking
(a QM admin may act for any group, rule 3 of spaces.core.bookability); who entered the need does
not matter.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from spaces.booking import rules
from spaces.booking import service as booking_service
from spaces.clock import now_utc
from spaces.core.errors import Conflict, NotFound
from spaces.core.rounds import RoundError, RoundPlan, plan_from_json, plan_round, plan_to_json, proposal_series
from spaces.db import db
from spaces.labels import WEEKDAYS
from spaces.models import AllocationRound, Need, NeedStatus, Organisation, RoundStatus, Space
from spaces.planning.needs.data import NeedError, need_near, need_spec, space_facts_for
from spaces.planning.needs.status import need_states


@dataclass
class RoundInput:
    needs: list  # (need_id, NeedSpec)
    facts: dict  # need_id -> list[SpaceFacts]
    walk_minutes: dict  # need_id -> max walking minutes or None
    broken: dict  # need_id -> German reason (time pattern unusable)


def round_facts(session, needs) -> RoundInput:
    """The inputs of :func:`plan_round` for stored needs (four queries per need, eight at most).

    Facts come from :func:`spaces.planning.needs.data.space_facts_for` (hard filters in SQL). A need for which
    no space passes them gets the facts of a relaxed query (size, accessibility, equipment, cost and
    walking ignored) instead, so that :func:`unmet_reason` can say which requirement nothing meets.
    Needs whose stored time pattern is broken are left out and listed in ``broken``.
    """

    out = RoundInput([], {}, {}, {})
    for need in needs:
        try:
            spec = need_spec(need)
        except NeedError as err:
            out.broken[need.id] = str(err)
            continue
        near = need_near(session, need)
        found = space_facts_for(session, spec, near)
        if not found:
            relaxed = dataclasses.replace(spec, group_size=1, step_free=False, accessible_wc=False,
                                          equipment=frozenset(), free_only=False, max_walk_m=None)
            found = space_facts_for(session, relaxed, near)
        out.needs.append((need.id, spec))
        out.facts[need.id] = found
        out.walk_minutes[need.id] = need.max_walk_minutes
    return out


@dataclass
class Booked:
    """What confirming a round wrote: bookings, mails to send, and per need how many dates are confirmed
    (instant spaces) or requested (the space's managers decide)."""

    created: list = field(default_factory=list)
    mails: list = field(default_factory=list)
    per_need: dict = field(default_factory=dict)  # need_id -> {"confirmed": n, "requested": m}


def confirm_round(session, plan: RoundPlan, needs: dict, user) -> Booked:
    """Book every assignment of `plan` as a weekly series of its free dates, all in one transaction.

    `needs`: need_id -> Need. `user`: the QM confirming, who books for each need's group
    (requested or confirmed per the space's booking mode). If any need cannot be booked, nothing
    of the round is kept and :class:`RoundError` says which need and space failed and why, per
    date. Met needs get status "met".
    """

    booked = Booked()
    with session.begin_nested():
        for nid, p in plan.assignments.items():
            need = needs[nid]
            space = session.get(Space, p.space_id)
            label = f"„{need.title}“ in {space.name if space else p.space_id}"
            if space is None:
                raise RoundError(f"{label}: Den Raum gibt es nicht mehr.", nid, p.space_id)
            if need.status != NeedStatus.OPEN:
                raise RoundError(f"„{need.title}“ ist nicht mehr offen.", nid, p.space_id)
            organisation = session.get(Organisation, need.organisation_id) if need.organisation_id else None
            if organisation is None:
                raise RoundError(f"„{need.title}“ gehört zu keiner Gruppe; dafür kann nicht gebucht werden.",
                                 nid, p.space_id)
            if not p.dates:
                raise RoundError(f"{label}: Kein Termin ist frei.", nid, p.space_id)
            try:
                outcome = booking_service.request_booking(
                    session, user=user, organisation=organisation, space=space, slots=list(p.dates),
                    attendees=need.group_size, purpose=need.title, recurrence=proposal_series(p))
            except rules.BookingRefused as err:
                raise RoundError(f"{label}: {err.message} {rules.per_date(err.problems)}".strip(),
                                 nid, p.space_id) from err
            except rules.Forbidden as err:
                raise RoundError(f"{label}: {err.message}", nid, p.space_id) from err
            booked.created.extend(outcome.created)
            booked.mails.extend(outcome.mails)
            booked.per_need[nid] = {"confirmed": len(outcome.created) if outcome.confirmed else 0,
                                    "requested": 0 if outcome.confirmed else len(outcome.created)}
            need.status = NeedStatus.MET
            rules.audit(session, user, "round.confirmed", need, space_id=space.id, weekday=p.weekday,
                        starts=p.starts.isoformat(), ends=p.ends.isoformat(), dates=len(p.dates),
                        wanted=p.wanted, series_id=str(outcome.series.id) if outcome.series else None,
                        score=p.score, confirmed=outcome.confirmed)
        session.flush()
    return booked


@dataclass(frozen=True)
class Change:
    """Something that changed since a round was shown and keeps it from being booked as shown (German)."""

    need_id: int
    text: str


def round_changes(session, plan: RoundPlan, needs: dict, user) -> list[Change]:
    """What stands against booking `plan` exactly as shown, now: closed needs, spaces gone, dates no longer
    bookable (each with its reason, asked through the booking service without writing)."""

    changes = []
    for nid, p in plan.assignments.items():
        need = needs.get(nid)
        if need is None:
            changes.append(Change(nid, "Diesen Bedarf gibt es nicht mehr."))
            continue
        if need.status != NeedStatus.OPEN:
            changes.append(Change(nid, f"„{need.title}“ ist nicht mehr offen."))
            continue
        space = session.get(Space, p.space_id)
        organisation = session.get(Organisation, need.organisation_id) if need.organisation_id else None
        if space is None:
            changes.append(Change(nid, f"„{need.title}“: den Raum gibt es nicht mehr."))
            continue
        try:
            outcome = booking_service.request_booking(
                session, user=user, organisation=organisation, space=space, slots=list(p.dates),
                attendees=need.group_size, purpose=need.title, dry_run=True)
        except rules.Forbidden as err:
            changes.append(Change(nid, f"„{need.title}“: {err.message}"))
            continue
        if outcome.skipped:
            changes.append(Change(nid, f"„{need.title}“ in {space.name}: {rules.per_date(outcome.skipped)}"))
    return changes


def store_round(session, plan: RoundPlan, need_ids: list, user, now: datetime):
    """Keep the round as shown, so that confirming books exactly it."""

    stored = AllocationRound(plan=plan_to_json(plan, need_ids), computed_at=now,
                             computed_by_id=user.id if user else None)
    session.add(stored)
    session.flush()
    return stored


# ----------------------------------------------------------------------------- the QM's pages

MAX_NEEDS = 200  # needs in one round


def open_needs() -> list[Need]:
    """The open needs to choose from, oldest first."""
    return list(db.session.scalars(
        select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.created_at, Need.id).limit(MAX_NEEDS)))


def selected_needs(values: list[str]) -> list[Need]:
    """The open needs among the ids given (unknown, closed or malformed ids are ignored), oldest first."""
    ids = {int(v) for v in values if v.strip().isdigit() and len(v.strip()) < 10}
    if not ids:
        return []
    return list(db.session.scalars(
        select(Need).where(Need.id.in_(ids), Need.status == NeedStatus.OPEN).order_by(Need.created_at, Need.id)
        .limit(MAX_NEEDS)))


def compute_and_store(needs: list[Need], user) -> AllocationRound:
    """Compute the round for these needs now and keep it as it will be shown."""
    now = now_utc()
    data = round_facts(db.session, needs)
    plan = plan_round(data.needs, data.facts, now=now, walk_minutes=data.walk_minutes)
    plan.unmet.update(data.broken)
    return store_round(db.session, plan, [n.id for n in needs], user, now)


def round_rows(stored: AllocationRound):
    """The round's plan, its needs, who gets what (as stored; once booked with each need's state now: confirmed
    or only requested) and who stays without a room, for the page."""
    plan = plan_from_json(stored.plan)
    booked = stored.plan.get("booked", {})
    needs = {n.id: n for n in db.session.scalars(select(Need).where(Need.id.in_(stored.plan["needs"])))}
    org_ids = {n.organisation_id for n in needs.values() if n.organisation_id}
    orgs = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                   .where(Organisation.id.in_(org_ids))).all())
    space_ids = {p.space_id for p in plan.assignments.values()}
    spaces = dict(db.session.execute(select(Space.id, Space.name).where(Space.id.in_(space_ids))).all())
    states = need_states(db.session, needs.values()) if stored.status == RoundStatus.CONFIRMED else {}
    served, unmet = [], []
    for nid in stored.plan["needs"]:
        need = needs.get(nid)
        if need is None:
            continue
        group = orgs.get(need.organisation_id, "–")
        if nid in plan.assignments:
            p = plan.assignments[nid]
            served.append({"need": need, "group": group, "space": spaces.get(p.space_id, p.space_id),
                           "space_id": p.space_id, "weekday": str(WEEKDAYS[p.weekday]),
                           "starts": p.starts.strftime("%H:%M"), "ends": p.ends.strftime("%H:%M"),
                           "dates": len(p.dates), "wanted": p.wanted, "score": p.score, "reasons": p.reasons,
                           "booked": booked.get(str(nid)), "state": states.get(nid)})
        elif nid in plan.unmet:
            unmet.append({"need": need, "group": group, "reason": plan.unmet[nid]})
    return plan, [needs[n] for n in stored.plan["needs"] if n in needs], served, unmet


def stored_round(round_id: int, *, lock: bool = False) -> AllocationRound:
    """A stored round (locked for a decision when `lock`: a second confirmation waits, then finds it decided)."""
    stored = db.session.get(AllocationRound, round_id, with_for_update=lock, populate_existing=lock)
    if stored is None:
        raise NotFound("Diese Vergaberunde gibt es nicht.")
    return stored


@dataclass
class Confirmation:
    """What confirming a stored round did: booked it (`booked`), or found `changes` and computed `newer`."""

    booked: Booked | None = None
    changes: list = field(default_factory=list)
    newer: AllocationRound | None = None


def confirm_stored(round_id: int, user) -> Confirmation:
    """Book exactly the round as it was shown, all or nothing; if anything changed since, book nothing,
    mark it superseded and compute the round anew for the needs still open."""
    stored = stored_round(round_id, lock=True)
    if stored.status != RoundStatus.SHOWN:
        raise Conflict("Diese Vergaberunde ist schon bestätigt oder durch eine neuere ersetzt.")
    plan = plan_from_json(stored.plan)
    ids = stored.plan["needs"]
    needs = {n.id: n for n in db.session.scalars(
        select(Need).where(Need.id.in_(ids)).order_by(Need.id).with_for_update())}
    result = Confirmation(changes=round_changes(db.session, plan, needs, user))
    if not result.changes:
        try:
            result.booked = confirm_round(db.session, plan, needs, user)
        except RoundError as err:  # another request won a slot between the check and the write
            result.changes = [Change(err.need_id, err.message)]
    stored.decided_at, stored.decided_by_id = now_utc(), user.id
    if result.booked is not None:
        stored.status = RoundStatus.CONFIRMED
        stored.plan = {**stored.plan, "booked": {str(k): v for k, v in result.booked.per_need.items()}}
        return result
    still_open = [needs[n] for n in ids if n in needs and needs[n].status == NeedStatus.OPEN]
    result.newer = compute_and_store(still_open, user) if still_open else None
    stored.status, stored.superseded_by_id = RoundStatus.SUPERSEDED, result.newer.id if result.newer else None
    return result


def booked_summary(served: list) -> dict:
    """How many groups of a booked round have every date confirmed, some confirmed, or only requested ones."""
    kinds = [row["state"].kind for row in served if row.get("state") is not None]
    return {"met": kinds.count("met"), "partly": kinds.count("partly"),
            "requested": kinds.count("requested"), "open": kinds.count("open")}
