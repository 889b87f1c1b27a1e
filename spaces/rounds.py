"""Vergaberunde: give many open needs (Raumbedarfe) their weekly slot at once, fairly and conflict-free.

No Flask here. :func:`plan_round` is pure: per need the ranked proposals of
:func:`spaces.proposals.propose` become candidates of :func:`spaces.allocation.allocate`, which serves
as many needs as possible (then the best total score). :func:`confirm_round` books the plan in one
transaction (all or nothing). :func:`round_facts` fetches the space facts for a round.

Slots in the allocation
-----------------------
A proposal is a weekly slot (space, weekday, local start, local end). For the overlap check of the
allocation every slot is placed into one fixed reference week (Monday 1 January 2001 .. Sunday
7 January 2001, naive wall clock): two slots of one space then overlap exactly when they fall on the
same weekday with overlapping times. (Two needs with different seasons on the same weekly slot are
treated as colliding: a round plans one season, and this errs on the safe side.)

Who books
---------
The QM who confirms books every assignment for the need's group through
:func:`spaces.booking_service.request_booking`, like any other booking (a QM admin may act for
any group, rule 3 of :mod:`spaces.bookability`); who entered the need does not matter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from .allocation import Candidate, Slot, allocate, greedy_first_fit
from .availability import BERLIN, Interval
from .proposals import NeedSpec, Proposal, SpaceFacts, propose
from .recurrence import Frequency, SeriesRequest

__all__ = [
    "REFERENCE_MONDAY",
    "RoundError",
    "RoundInput",
    "RoundPlan",
    "confirm_round",
    "plan_round",
    "round_facts",
    "slot_of",
    "unmet_reason",
]

#: Monday of the reference week into which every weekly slot is placed for the overlap check.
REFERENCE_MONDAY = datetime(2001, 1, 1)

REASON_TOO_BIG = "Kein Raum ist groß genug für {n} Personen."
REASON_STEP_FREE = "Kein stufenloser Raum in {minutes} Minuten zu Fuß."
REASON_STEP_FREE_ANYWHERE = "Kein stufenloser Raum passt."
REASON_REQUIREMENTS = "Kein Raum erfüllt alle Anforderungen ({what})."
REASON_NOTHING_FREE = "Nichts frei zu den gewünschten Zeiten."
REASON_TAKEN = "Die passenden Räume sind an andere Gruppen vergeben."


class RoundError(Exception):
    """The round could not be confirmed; nothing of it was kept. `message` is German."""

    def __init__(self, message: str, need_id: Hashable | None = None, space_id: Hashable | None = None):
        super().__init__(message)
        self.message = message
        self.need_id = need_id
        self.space_id = space_id


@dataclass
class RoundPlan:
    assignments: dict = field(default_factory=dict)  # need_id -> Proposal
    unmet: dict = field(default_factory=dict)  # need_id -> German reason
    greedy_served: int = 0  # how many needs a first-come first-fit round would have served
    proposals: dict = field(default_factory=dict)  # need_id -> ranked proposals (for display)
    total_score: float = 0.0

    @property
    def served(self) -> int:
        return len(self.assignments)


def plan_to_json(plan: RoundPlan, need_ids: list) -> dict:
    """The plan as stored with an AllocationRound: exactly what the QM is shown and what confirming books."""
    return {
        "needs": [int(n) for n in need_ids],
        "assignments": [
            {"need_id": int(nid), "space_id": int(p.space_id), "weekday": p.weekday, "starts": p.starts.isoformat(),
             "ends": p.ends.isoformat(), "wanted": p.wanted, "score": p.score, "reasons": list(p.reasons),
             "dates": [[d.start.isoformat(), d.end.isoformat()] for d in p.dates]}
            for nid, p in plan.assignments.items()
        ],
        "unmet": {str(nid): reason for nid, reason in plan.unmet.items()},
        "greedy_served": plan.greedy_served,
    }


def plan_from_json(data: dict) -> RoundPlan:
    """The RoundPlan of a stored round (ranked proposals are not stored)."""
    plan = RoundPlan(greedy_served=data.get("greedy_served", 0))
    for a in data.get("assignments", []):
        plan.assignments[a["need_id"]] = Proposal(
            space_id=a["space_id"], weekday=a["weekday"], starts=time.fromisoformat(a["starts"]),
            ends=time.fromisoformat(a["ends"]), wanted=a["wanted"], score=a["score"], reasons=tuple(a["reasons"]),
            dates=tuple(Interval(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in a["dates"]))
    plan.unmet = {int(nid): reason for nid, reason in data.get("unmet", {}).items()}
    return plan


def slot_of(p: Proposal) -> Slot:
    """The proposal's weekly slot placed in the reference week (ends <= starts: into the next day)."""
    day = REFERENCE_MONDAY + timedelta(days=p.weekday)
    start = datetime.combine(day.date(), p.starts)
    end = datetime.combine(day.date(), p.ends)
    if end <= start:
        end += timedelta(days=1)
    return Slot(id=(p.space_id, p.weekday, p.starts, p.ends), space_id=p.space_id, start=start, end=end)


def _walk_ok(spec: NeedSpec, f: SpaceFacts) -> bool:
    return spec.max_walk_m is None or f.walk_m is None or f.walk_m <= spec.max_walk_m


def _walk_minutes_text(spec: NeedSpec, walk_minutes: int | None) -> str | None:
    if walk_minutes:
        return str(walk_minutes)
    if spec.max_walk_m is not None:
        from geo.walking import walk_minutes as minutes_for

        return str(round(minutes_for(spec.max_walk_m)))
    return None


def unmet_reason(spec: NeedSpec, facts: list[SpaceFacts], *, had_proposals: bool,
                 walk_minutes: int | None = None) -> str:
    """Why a need got nothing, in German: the first hard filter that no space passes, counted over
    `facts` (which may include spaces failing the filters); else no free time; else lost to others."""
    if had_proposals:
        return REASON_TAKEN
    remaining = [f for f in facts if f.capacity >= spec.group_size]
    if not remaining:
        return REASON_TOO_BIG.format(n=spec.group_size)
    if spec.step_free:
        remaining = [f for f in remaining if f.step_free and _walk_ok(spec, f)]
        if not remaining:
            minutes = _walk_minutes_text(spec, walk_minutes)
            return REASON_STEP_FREE.format(minutes=minutes) if minutes else REASON_STEP_FREE_ANYWHERE
    checks = [
        ("barrierefreies WC", lambda f: not spec.accessible_wc or f.accessible_wc),
        ("Ausstattung: " + ", ".join(sorted(spec.equipment)), lambda f: spec.equipment <= frozenset(f.equipment)),
        ("kostenlos", lambda f: not spec.free_only or (f.cost_eur is not None and f.cost_eur == 0)),
        ("Fußweg", lambda f: _walk_ok(spec, f)),
    ]
    for what, ok in checks:
        remaining = [f for f in remaining if ok(f)]
        if not remaining:
            return REASON_REQUIREMENTS.format(what=what)
    return REASON_NOTHING_FREE


def plan_round(needs: list[tuple[Hashable, NeedSpec]], facts_by_need: dict[Hashable, list[SpaceFacts]], *,
               now: datetime, per_need: int = 10, walk_minutes: dict[Hashable, int | None] | None = None) -> RoundPlan:
    """Best conflict-free assignment of weekly slots to needs; see the module docstring.

    `facts_by_need` may contain spaces that fail a need's hard filters (``propose`` drops them); they
    only serve to explain why a need stays unmet. `walk_minutes` (optional) gives the minutes for
    the step-free reason; otherwise they are derived from ``NeedSpec.max_walk_m``.
    """
    walk_minutes = walk_minutes or {}
    need_ids = [nid for nid, _ in needs]
    slots: dict = {}
    candidates: list[Candidate] = []
    by_slot: dict = {}  # (need_id, slot_id) -> Proposal
    proposals_by_need: dict = {}
    for nid, spec in needs:
        proposals = propose(spec, facts_by_need.get(nid, ()), now=now, limit=per_need)
        proposals_by_need[nid] = proposals
        for p in proposals:
            slot = slot_of(p)
            slots.setdefault(slot.id, slot)
            key = (nid, slot.id)
            if key not in by_slot or p.score > by_slot[key].score:
                by_slot[key] = p
            candidates.append(Candidate(nid, slot.id, min(1.0, max(0.0, p.score))))
    slot_list = list(slots.values())
    result = allocate(need_ids, slot_list, candidates)
    greedy = greedy_first_fit(need_ids, slot_list, candidates)
    plan = RoundPlan(greedy_served=greedy.served, proposals=proposals_by_need, total_score=result.total_score)
    for a in result.assignments:
        plan.assignments[a.need_id] = by_slot[(a.need_id, a.slot_id)]
    specs = dict(needs)
    for nid in result.unmet:
        plan.unmet[nid] = unmet_reason(specs[nid], facts_by_need.get(nid, []),
                                       had_proposals=bool(proposals_by_need[nid]),
                                       walk_minutes=walk_minutes.get(nid))
    return plan


# ----------------------------------------------------------------------------- database side


@dataclass
class RoundInput:
    needs: list  # (need_id, NeedSpec)
    facts: dict  # need_id -> list[SpaceFacts]
    walk_minutes: dict  # need_id -> max walking minutes or None
    broken: dict  # need_id -> German reason (time pattern unusable)


def round_facts(session, needs) -> RoundInput:
    """The inputs of :func:`plan_round` for stored needs (four queries per need, eight at most).

    Facts come from :func:`spaces.need_data.space_facts_for` (hard filters in SQL). A need for which
    no space passes them gets the facts of a relaxed query (size, accessibility, equipment, cost and
    walking ignored) instead, so that :func:`unmet_reason` can say which requirement nothing meets.
    Needs whose stored time pattern is broken are left out and listed in ``broken``.
    """
    from .need_data import NeedError, need_near, need_spec, space_facts_for

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


def proposal_series(p: Proposal) -> SeriesRequest:
    """The series a proposal's free dates belong to: weekly from the first to the last (once for one date)."""
    first = p.dates[0].start.astimezone(BERLIN).date()
    last = p.dates[-1].start.astimezone(BERLIN).date()
    if first == last:
        return SeriesRequest(first_day=first, starts=p.starts, ends=p.ends, frequency=Frequency.ONCE)
    return SeriesRequest(first_day=first, starts=p.starts, ends=p.ends, frequency=Frequency.WEEKLY, until=last)


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
    from . import booking_service
    from . import bookings as rules
    from .models import NeedStatus, Organisation, Space

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
    from . import booking_service
    from . import bookings as rules
    from .models import NeedStatus, Organisation, Space

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
    from .models import AllocationRound

    stored = AllocationRound(plan=plan_to_json(plan, need_ids), computed_at=now,
                             computed_by_id=user.id if user else None)
    session.add(stored)
    session.flush()
    return stored
