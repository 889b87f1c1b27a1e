"""spaces.core.allocation: pure tests (no database)."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spaces.core import allocation
from spaces.core.allocation import Candidate, Slot, allocate, greedy_first_fit, overlap_cliques

MONDAY = datetime(2025, 9, 1)


def slot(sid, space, start_h, end_h):
    return Slot(sid, space, MONDAY + timedelta(hours=start_h), MONDAY + timedelta(hours=end_h))


def overlapping(a: Slot, b: Slot) -> bool:
    return a.space_id == b.space_id and a.start < b.end and b.start < a.end


def check_valid(result, needs, slots, candidates):
    by_id = {s.id: s for s in slots}
    cand = {(c.need_id, c.slot_id): c.score for c in candidates}
    used = [a.slot_id for a in result.assignments]
    assert len(used) == len(set(used)), "slot given twice"
    given_needs = [a.need_id for a in result.assignments]
    assert len(given_needs) == len(set(given_needs)), "need served twice"
    for a in result.assignments:
        assert (a.need_id, a.slot_id) in cand, "assignment is not a candidate"
        assert a.score == cand[(a.need_id, a.slot_id)]
    for x, y in itertools.combinations(used, 2):
        assert not overlapping(by_id[x], by_id[y]), f"overlapping slots {x}, {y}"
    assert result.served == len(result.assignments)
    assert set(result.unmet) == set(needs) - set(given_needs)
    assert len(result.unmet) + result.served == len(needs)
    assert math.isclose(result.total_score, sum(a.score for a in result.assignments), abs_tol=1e-12)


# ---------------------------------------------------------------- hand examples


def test_greedy_trap_optimum_serves_two():
    slots = [slot("s1", "R1", 18, 20), slot("s2", "R2", 18, 20)]
    cands = [Candidate("A", "s1", 0.9), Candidate("A", "s2", 0.5), Candidate("B", "s1", 0.8)]
    greedy = greedy_first_fit(["A", "B"], slots, cands)
    assert greedy.served == 1
    res = allocate(["A", "B"], slots, cands)
    assert res.served == 2
    assert {(a.need_id, a.slot_id) for a in res.assignments} == {("A", "s2"), ("B", "s1")}
    assert res.total_score == pytest.approx(1.3)
    assert res.unmet == []


def test_greedy_trap_with_overlap_in_one_space():
    # A's best slot s1 (18-20) overlaps s2 (19-21), B's only slot; A should take s3 instead.
    slots = [slot("s1", "R1", 18, 20), slot("s2", "R1", 19, 21), slot("s3", "R1", 21, 23)]
    cands = [Candidate("A", "s1", 1.0), Candidate("A", "s3", 0.1), Candidate("B", "s2", 0.2)]
    assert greedy_first_fit(["A", "B"], slots, cands).served == 1
    res = allocate(["A", "B"], slots, cands)
    assert res.served == 2
    assert {(a.need_id, a.slot_id) for a in res.assignments} == {("A", "s3"), ("B", "s2")}
    assert "milp" in res.method


def test_tie_on_count_broken_by_score():
    slots = [slot("s1", "R1", 10, 12), slot("s2", "R2", 10, 12)]
    cands = [
        Candidate("A", "s1", 0.9),
        Candidate("A", "s2", 0.1),
        Candidate("B", "s1", 0.2),
        Candidate("B", "s2", 0.3),
    ]
    res = allocate(["A", "B"], slots, cands)
    assert res.served == 2
    assert {(a.need_id, a.slot_id) for a in res.assignments} == {("A", "s1"), ("B", "s2")}
    assert res.total_score == pytest.approx(1.2)


def test_count_beats_score():
    # One need on a perfect slot vs. two needs on poor slots: two wins.
    slots = [slot("s1", "R1", 10, 14), slot("s2", "R1", 10, 12), slot("s3", "R1", 12, 14)]
    cands = [Candidate("A", "s1", 1.0), Candidate("A", "s2", 0.01), Candidate("B", "s3", 0.01)]
    res = allocate(["A", "B"], slots, cands)
    assert res.served == 2
    assert {a.slot_id for a in res.assignments} == {"s2", "s3"}


def test_overlapping_slots_of_one_space_never_both_assigned():
    slots = [slot("tue18", "R12", 18, 20), slot("tue19", "R12", 19, 21)]
    cands = [Candidate("A", "tue18", 1.0), Candidate("B", "tue19", 1.0)]
    res = allocate(["A", "B"], slots, cands)
    assert res.served == 1
    assert len(res.unmet) == 1
    check_valid(res, ["A", "B"], slots, cands)


def test_touching_slots_do_not_overlap():
    slots = [slot("a", "R1", 18, 20), slot("b", "R1", 20, 22)]
    cands = [Candidate("A", "a", 0.5), Candidate("B", "b", 0.5)]
    assert allocate(["A", "B"], slots, cands).served == 2


def test_same_time_in_different_spaces_both_assignable():
    slots = [slot("s1", "R1", 18, 20), slot("s2", "R2", 18, 20)]
    cands = [Candidate("A", "s1", 0.5), Candidate("B", "s2", 0.5), Candidate("A", "s2", 0.6)]
    res = allocate(["A", "B"], slots, cands)
    assert res.served == 2


def test_need_without_candidate_is_unmet():
    slots = [slot("s1", "R1", 18, 20)]
    res = allocate(["A", "B", "C"], slots, [Candidate("B", "s1", 0.7)])
    assert res.served == 1
    assert res.unmet == ["A", "C"]
    assert res.assignments[0].need_id == "B"


def test_empty():
    res = allocate([], [], [])
    assert res.served == 0 and res.assignments == [] and res.unmet == [] and res.total_score == 0


def test_unmet_order_follows_needs_and_duplicates_keep_best_score():
    slots = [slot("s1", "R1", 18, 20)]
    cands = [Candidate("B", "s1", 0.2), Candidate("B", "s1", 0.4)]
    res = allocate(["C", "B", "A"], slots, cands)
    assert res.unmet == ["C", "A"]
    assert res.assignments[0].score == 0.4


@pytest.mark.parametrize(
    "needs, slots, cands",
    [
        (["A", "A"], [], []),
        (["A"], [slot("s", "R", 1, 2), slot("s", "R", 3, 4)], []),
        (["A"], [slot("s", "R", 2, 2)], []),
        (["A"], [slot("s", "R", 1, 2)], [Candidate("X", "s", 0.5)]),
        (["A"], [slot("s", "R", 1, 2)], [Candidate("A", "t", 0.5)]),
        (["A"], [slot("s", "R", 1, 2)], [Candidate("A", "s", 1.5)]),
        (["A"], [slot("s", "R", 1, 2)], [Candidate("A", "s", float("nan"))]),
    ],
)
def test_invalid_input(needs, slots, cands):
    with pytest.raises(ValueError):
        allocate(needs, slots, cands)


def test_overlap_cliques():
    slots = [
        slot("a", "R1", 18, 20),
        slot("b", "R1", 19, 21),
        slot("c", "R1", 20, 22),
        slot("d", "R1", 22, 23),
        slot("e", "R2", 19, 21),
    ]
    cliques = sorted(sorted(c) for c in overlap_cliques(slots))
    assert cliques == [["a", "b"], ["b", "c"], ["d"], ["e"]]


def test_sparse_matching_path(monkeypatch):
    monkeypatch.setattr(allocation, "DENSE_CELL_LIMIT", 0)
    slots = [slot("s1", "R1", 18, 20), slot("s2", "R2", 18, 20), slot("s3", "R3", 18, 20)]
    cands = [
        Candidate("A", "s1", 0.9),
        Candidate("A", "s2", 0.5),
        Candidate("B", "s1", 0.8),
        Candidate("C", "s1", 1.0),
    ]
    res = allocate(["A", "B", "C"], slots, cands)
    assert res.served == 2
    assert res.method == "matching"
    assert {(a.need_id, a.slot_id) for a in res.assignments} == {("A", "s2"), ("C", "s1")}


# ---------------------------------------------------------------- properties


@st.composite
def instances(draw, max_needs=6, max_slots=6, grid_scores=False):
    n_needs = draw(st.integers(0, max_needs))
    n_slots = draw(st.integers(0, max_slots))
    n_spaces = draw(st.integers(1, 3))
    needs = [f"n{i}" for i in range(n_needs)]
    slots = []
    for j in range(n_slots):
        start = draw(st.integers(0, 8))
        length = draw(st.integers(1, 4))
        slots.append(slot(f"s{j}", f"R{draw(st.integers(0, n_spaces - 1))}", start, start + length))
    score = st.integers(0, 100).map(lambda v: v / 100) if grid_scores else st.floats(0, 1)
    cands = []
    for n in needs:
        for s in slots:
            if draw(st.booleans()):
                cands.append(Candidate(n, s.id, draw(score)))
    return needs, slots, cands


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_properties(inst):
    needs, slots, cands = inst
    res = allocate(needs, slots, cands)
    check_valid(res, needs, slots, cands)
    greedy = greedy_first_fit(needs, slots, cands)
    check_valid(greedy, needs, slots, cands)
    assert res.served >= greedy.served


def brute_force(needs, slots, cands):
    by_id = {s.id: s for s in slots}
    options = {n: [None] for n in needs}
    for c in cands:
        options[c.need_id].append((c.slot_id, c.score))
    best = (0, 0.0)
    for combo in itertools.product(*(options[n] for n in needs)):
        chosen = [o for o in combo if o is not None]
        ids = [o[0] for o in chosen]
        if len(set(ids)) != len(ids):
            continue
        if any(overlapping(by_id[a], by_id[b]) for a, b in itertools.combinations(ids, 2)):
            continue
        value = (len(chosen), math.fsum(o[1] for o in chosen))
        if value[0] > best[0] or (value[0] == best[0] and value[1] > best[1]):
            best = value
    return best


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_needs=5, max_slots=5, grid_scores=True))
def test_matches_brute_force(inst):
    needs, slots, cands = inst
    res = allocate(needs, slots, cands)
    check_valid(res, needs, slots, cands)
    served, score = brute_force(needs, slots, cands)
    assert res.served == served
    assert res.total_score == pytest.approx(score, abs=1e-9)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_needs=5, max_slots=5, grid_scores=True))
def test_matches_brute_force_sparse_path(inst):
    needs, slots, cands = inst
    old = allocation.DENSE_CELL_LIMIT
    allocation.DENSE_CELL_LIMIT = 0
    try:
        res = allocate(needs, slots, cands)
    finally:
        allocation.DENSE_CELL_LIMIT = old
    served, score = brute_force(needs, slots, cands)
    assert res.served == served
    assert res.total_score == pytest.approx(score, abs=1e-9)
