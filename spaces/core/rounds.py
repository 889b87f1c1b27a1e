"""Vergaberunde: give many open needs (Raumbedarfe) their weekly slot at once, fairly and conflict-free.

Pure: no Flask, no database; spaces.planning.rounds.service fetches the facts, keeps a round as
shown and books it. :func:`plan_round`: per need the ranked proposals of
:func:`spaces.core.proposals.propose` become candidates of :func:`spaces.core.allocation.allocate`,
which serves as many needs as possible (then the best total score).

Slots in the allocation
-----------------------
A proposal is a weekly slot (space, weekday, local start, local end). For the overlap check of the
allocation every slot is placed into one fixed reference week (Monday 1 January 2001 .. Sunday
7 January 2001, naive wall clock): two slots of one space then overlap exactly when they fall on the
same weekday with overlapping times. (Two needs with different seasons on the same weekly slot are
treated as colliding: a round plans one season, and this errs on the safe side.)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, SupportsInt, cast

from spaces.core.allocation import Candidate, Slot, allocate, greedy_first_fit
from spaces.core.availability import BERLIN, Interval
from spaces.core.errors import Conflict
from spaces.core.proposals import NeedSpec, Proposal, SpaceFacts, propose
from spaces.core.recurrence import Frequency, SeriesRequest

__all__ = [
    "REFERENCE_MONDAY",
    "RoundError",
    "RoundPlan",
    "plan_from_json",
    "plan_round",
    "plan_to_json",
    "proposal_series",
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


class RoundError(Conflict):
    """The round could not be confirmed; nothing of it was kept (HTTP 409). `message` is German."""

    default_code = "round_not_booked"

    def __init__(self, message: str, need_id: Hashable | None = None, space_id: Hashable | None = None):
        super().__init__(message)
        self.need_id = need_id
        self.space_id = space_id


@dataclass
class RoundPlan:
    assignments: dict[Hashable, Proposal] = field(default_factory=dict)  # need_id -> Proposal
    unmet: dict[Hashable, str] = field(default_factory=dict)  # need_id -> German reason
    greedy_served: int = 0  # how many needs a first-come first-fit round would have served
    proposals: dict[Hashable, list[Proposal]] = field(default_factory=dict)  # need_id -> ranked proposals (for display)
    total_score: float = 0.0

    @property
    def served(self) -> int:
        return len(self.assignments)


def _stored_id(id_: Hashable) -> int:
    """A need or space id as stored in a plan: the ids the web layer hands in are database integers."""
    return int(cast(SupportsInt, id_))


def plan_to_json(plan: RoundPlan, need_ids: Sequence[Hashable]) -> dict[str, Any]:
    """The plan as stored with an AllocationRound: exactly what the QM is shown and what confirming books."""
    return {
        "needs": [_stored_id(n) for n in need_ids],
        "assignments": [
            {"need_id": _stored_id(nid), "space_id": _stored_id(p.space_id), "weekday": p.weekday,
             "starts": p.starts.isoformat(), "ends": p.ends.isoformat(), "wanted": p.wanted, "score": p.score,
             "reasons": list(p.reasons), "dates": [[d.start.isoformat(), d.end.isoformat()] for d in p.dates]}
            for nid, p in plan.assignments.items()
        ],
        "unmet": {str(nid): reason for nid, reason in plan.unmet.items()},
        "greedy_served": plan.greedy_served,
    }


def plan_from_json(data: dict[str, Any]) -> RoundPlan:
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
    checks: list[tuple[str, Callable[[SpaceFacts], bool]]] = [
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
    slots: dict[Hashable, Slot] = {}
    candidates: list[Candidate] = []
    by_slot: dict[tuple[Hashable, Hashable], Proposal] = {}  # (need_id, slot_id) -> Proposal
    proposals_by_need: dict[Hashable, list[Proposal]] = {}
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


def proposal_series(p: Proposal) -> SeriesRequest:
    """The series a proposal's free dates belong to: weekly from the first to the last (once for one date)."""
    first = p.dates[0].start.astimezone(BERLIN).date()
    last = p.dates[-1].start.astimezone(BERLIN).date()
    if first == last:
        return SeriesRequest(first_day=first, starts=p.starts, ends=p.ends, frequency=Frequency.ONCE)
    return SeriesRequest(first_day=first, starts=p.starts, ends=p.ends, frequency=Frequency.WEEKLY, until=last)
