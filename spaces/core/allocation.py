"""Raumvergabe: allocate many needs (groups) to space-and-slot pairs for a season. Pure: no Flask, no DB.

The caller has already checked every hard rule and hands in *candidates*: (need, slot, score) with
score in [0, 1], higher is better. :func:`allocate` then finds an allocation that

1. serves as many needs as possible (lexicographically first), then
2. maximises the total score of the assignments,

subject to: each need gets at most one slot, no slot is given twice, and no two assigned slots of one
space overlap in time. Slots are half-open intervals ``[start, end)``: 18-20 and 20-22 do not
overlap, 18-20 and 19-21 do. For recurring slots pass one representative occurrence per slot
(e.g. all in the same reference week); only ``start``/``end`` as given are compared.

Method (exact):

* The problem is split into independent components (needs and slots joined by candidates, and slots
  of one space joined when they overlap); each component is solved on its own.
* A component whose slots do not overlap at all is a weighted bipartite matching: weight
  ``BIG + score`` per candidate with ``BIG > number of needs`` (so cardinality dominates, then score),
  solved with ``scipy.optimize.linear_sum_assignment`` (dense, small components) or
  ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (sparse, large components; one private
  zero-weight dummy slot per need keeps a full matching feasible).
* A component with overlapping slots is an integer program (``scipy.optimize.milp``, HiGHS): binary
  ``x`` per candidate; per need ``sum x <= 1``; per maximal clique of mutually overlapping slots of
  one space (for intervals: the sets active at a sweep point) ``sum x <= 1`` (this also covers
  "each slot at most once"); maximise ``sum (BIG + score) x``. ``mip_rel_gap`` is 0; HiGHS keeps its
  absolute gap of 1e-6, so score ties closer than ~1e-6 may be resolved either way.

:func:`greedy_first_fit` is the baseline: needs in the given order, each takes its best still-free,
non-overlapping slot.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

__all__ = [
    "Assignment",
    "AllocationResult",
    "Candidate",
    "Slot",
    "allocate",
    "greedy_first_fit",
    "overlap_cliques",
]

# Components with at most this many (needs x slots) cells use the dense linear_sum_assignment.
DENSE_CELL_LIMIT = 1_000_000


@dataclass(frozen=True)
class Slot:
    id: Hashable
    space_id: Hashable
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Candidate:
    need_id: Hashable
    slot_id: Hashable
    score: float


@dataclass(frozen=True)
class Assignment:
    need_id: Hashable
    slot_id: Hashable
    score: float


@dataclass
class AllocationResult:
    assignments: list[Assignment] = field(default_factory=list)
    unmet: list[Hashable] = field(default_factory=list)
    served: int = 0
    total_score: float = 0.0
    method: str = ""  # informational: which solvers were used ("trivial", "matching", "milp", "greedy")


# A candidate's key (need_id, slot_id), and the best score per key.
_Key = tuple[Hashable, Hashable]
_Scores = Mapping[_Key, float]


# ---------------------------------------------------------------- input checks


def _prepare(
    needs: Iterable[Hashable], slots: Iterable[Slot], candidates: Iterable[Candidate]
) -> tuple[list[Hashable], dict[Hashable, Slot], dict[_Key, float]]:
    """Validate; return (needs list, {slot_id: Slot}, {(need, slot): score}) with duplicates merged (max score)."""
    needs = list(needs)
    need_set = set(needs)
    if len(need_set) != len(needs):
        raise ValueError("duplicate need ids")
    slot_by_id: dict[Hashable, Slot] = {}
    for s in slots:
        if s.id in slot_by_id:
            raise ValueError(f"duplicate slot id {s.id!r}")
        if not s.start < s.end:
            raise ValueError(f"slot {s.id!r}: start must be before end")
        slot_by_id[s.id] = s
    scores: dict[_Key, float] = {}
    for c in candidates:
        if c.need_id not in need_set:
            raise ValueError(f"candidate for unknown need {c.need_id!r}")
        if c.slot_id not in slot_by_id:
            raise ValueError(f"candidate for unknown slot {c.slot_id!r}")
        score = float(c.score)
        if math.isnan(score) or not 0.0 <= score <= 1.0:
            raise ValueError(f"candidate ({c.need_id!r}, {c.slot_id!r}): score {c.score!r} not in [0, 1]")
        key = (c.need_id, c.slot_id)
        if key not in scores or score > scores[key]:
            scores[key] = score
    return needs, slot_by_id, scores


def _overlaps(a: Slot, b: Slot) -> bool:
    return a.space_id == b.space_id and a.start < b.end and b.start < a.end


def overlap_cliques(slots: Iterable[Slot]) -> list[list[Hashable]]:
    """Maximal cliques of mutually overlapping slots, per space (every slot is in at least one).

    Intervals are half-open; a sweep over start/end events (ends before starts at equal times) emits
    the active set just before the first end that follows a start.
    """
    by_space = defaultdict(list)
    for s in slots:
        by_space[s.space_id].append(s)
    cliques: list[list[Hashable]] = []
    for space_slots in by_space.values():
        events = []
        for i, s in enumerate(space_slots):
            events.append((s.start, 1, i))  # start
            events.append((s.end, 0, i))  # end: sorts before a start at the same time
        events.sort(key=lambda e: (e[0], e[1]))
        active: dict[int, None] = {}
        grew = False
        for _, kind, i in events:
            if kind == 1:
                active[i] = None
                grew = True
            else:
                if grew:
                    cliques.append([space_slots[j].id for j in active])
                    grew = False
                del active[i]
    return cliques


# ---------------------------------------------------------------- components


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Hashable, Hashable] = {}

    def find(self, x: Hashable) -> Hashable:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: Hashable, b: Hashable) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def _components(
    scores: _Scores, cliques: Sequence[Sequence[Hashable]]
) -> list[tuple[list[_Key], list[Sequence[Hashable]]]]:
    """Group candidate keys and cliques into independent components."""
    uf = _UnionFind()
    for need, slot in scores:
        uf.union(("n", need), ("s", slot))
    for clique in cliques:
        first = ("s", clique[0])
        for other in clique[1:]:
            uf.union(first, ("s", other))
    comp_edges = defaultdict(list)
    for key in scores:
        comp_edges[uf.find(("n", key[0]))].append(key)
    comp_cliques = defaultdict(list)
    for clique in cliques:
        if len(clique) > 1:
            comp_cliques[uf.find(("s", clique[0]))].append(clique)
    return [(edges, comp_cliques.get(root, [])) for root, edges in comp_edges.items()]


# ---------------------------------------------------------------- solvers


def _solve_trivial(edges: Sequence[_Key], scores: _Scores) -> list[_Key]:
    """One need or one slot: take the best candidate."""
    best = max(edges, key=lambda k: scores[k])
    return [best]


def _solve_matching(edges: Sequence[_Key], scores: _Scores) -> list[_Key]:
    need_ids = list(dict.fromkeys(k[0] for k in edges))
    slot_ids = list(dict.fromkeys(k[1] for k in edges))
    ni = {n: i for i, n in enumerate(need_ids)}
    si = {s: j for j, s in enumerate(slot_ids)}
    n, m = len(need_ids), len(slot_ids)
    big = n + 1.0  # > any total score (<= n), so one more served need always wins
    rows = np.fromiter((ni[k[0]] for k in edges), dtype=np.int64, count=len(edges))
    cols = np.fromiter((si[k[1]] for k in edges), dtype=np.int64, count=len(edges))
    weight = big + np.fromiter((scores[k] for k in edges), dtype=float, count=len(edges))
    if n * m <= DENSE_CELL_LIMIT:
        cost = np.zeros((n, m))
        cost[rows, cols] = -weight
        r, c = linear_sum_assignment(cost)
        keep = cost[r, c] < 0
        r, c = r[keep], c[keep]
    else:
        # Full matching of the needs over real slots + one private dummy slot per need (weight 0).
        # Minimise sum(top - w): every need is matched once, so this maximises sum(w). All costs > 0.
        top = big + 2.0
        d_rows = np.arange(n, dtype=np.int64)
        d_cols = m + d_rows
        data = np.concatenate([top - weight, np.full(n, top)])
        mat = csr_matrix(
            (data, (np.concatenate([rows, d_rows]), np.concatenate([cols, d_cols]))), shape=(n, m + n)
        )
        r, c = min_weight_full_bipartite_matching(mat)
        keep = c < m
        r, c = r[keep], c[keep]
    return [(need_ids[a], slot_ids[b]) for a, b in zip(r.tolist(), c.tolist())]


def _solve_milp(edges: Sequence[_Key], scores: _Scores, cliques: Sequence[Sequence[Hashable]]) -> list[_Key]:
    need_ids = list(dict.fromkeys(k[0] for k in edges))
    ni = {n: i for i, n in enumerate(need_ids)}
    slot_edges = defaultdict(list)
    for e, k in enumerate(edges):
        slot_edges[k[1]].append(e)
    covered = {s for clique in cliques for s in clique}
    # every slot needs a capacity row; slots overlapping nothing have no clique of size > 1
    all_cliques = list(cliques) + [[s] for s in slot_edges if s not in covered]

    n_e = len(edges)
    row_idx, col_idx = [], []
    for e, k in enumerate(edges):
        row_idx.append(ni[k[0]])
        col_idx.append(e)
    r = len(need_ids)
    for clique in all_cliques:
        for s in clique:
            for e in slot_edges.get(s, ()):
                row_idx.append(r)
                col_idx.append(e)
        r += 1
    a = coo_matrix((np.ones(len(row_idx)), (row_idx, col_idx)), shape=(r, n_e)).tocsr()
    big = len(need_ids) + 1.0
    c = -(big + np.array([scores[k] for k in edges]))
    res = milp(
        c,
        constraints=LinearConstraint(a, -np.inf, 1.0),
        integrality=np.ones(n_e),
        bounds=Bounds(0.0, 1.0),
        options={"mip_rel_gap": 0.0},
    )
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"allocation MILP not solved to optimality: {res.message}")
    return [edges[e] for e in np.flatnonzero(res.x > 0.5).tolist()]


# ---------------------------------------------------------------- public API


def _result(
    needs: Sequence[Hashable], chosen: Mapping[Hashable, Hashable], scores: _Scores, methods: Iterable[str]
) -> AllocationResult:
    assignments = [Assignment(n, chosen[n], scores[(n, chosen[n])]) for n in needs if n in chosen]
    unmet = [n for n in needs if n not in chosen]
    return AllocationResult(
        assignments=assignments,
        unmet=unmet,
        served=len(assignments),
        total_score=math.fsum(a.score for a in assignments),
        method="+".join(sorted(methods)),
    )


def _check_feasible(chosen: Mapping[Hashable, Hashable], slot_by_id: Mapping[Hashable, Slot]) -> None:
    """Defensive check of the solver output; raises AssertionError-like RuntimeError if violated."""
    used = list(chosen.values())
    if len(set(used)) != len(used):
        raise RuntimeError("allocation gave a slot twice")
    by_space = defaultdict(list)
    for s in used:
        by_space[slot_by_id[s].space_id].append(slot_by_id[s])
    for space_slots in by_space.values():
        space_slots.sort(key=lambda s: s.start)
        for prev, nxt in zip(space_slots, space_slots[1:]):
            if nxt.start < prev.end:
                raise RuntimeError(f"allocation gave overlapping slots {prev.id!r} and {nxt.id!r}")


def allocate(
    needs: Sequence[Hashable], slots: Sequence[Slot], candidates: Iterable[Candidate]
) -> AllocationResult:
    """Serve as many needs as possible, then maximise the total score; each need gets at most one slot,
    no slot is given twice, and no two assignments of one space overlap in time.

    Raises ValueError on duplicate need/slot ids, empty/negative slots, candidates for unknown needs
    or slots, or scores outside [0, 1]. Duplicate (need, slot) candidates keep their best score.
    Assignments and unmet needs come in the order of ``needs``.
    """
    needs, slot_by_id, scores = _prepare(needs, slots, candidates)
    used_slots = {slot_by_id[s] for _, s in scores}
    cliques = overlap_cliques(used_slots)
    chosen: dict[Hashable, Hashable] = {}
    methods: set[str] = set()
    for edges, comp_cliques in _components(scores, cliques):
        n_needs = len({k[0] for k in edges})
        n_slots = len({k[1] for k in edges})
        if n_needs == 1 or (n_slots == 1 and not comp_cliques):
            pairs, method = _solve_trivial(edges, scores), "trivial"
        elif not comp_cliques:
            pairs, method = _solve_matching(edges, scores), "matching"
        else:
            pairs, method = _solve_milp(edges, scores, comp_cliques), "milp"
        methods.add(method)
        for need, slot in pairs:
            if need in chosen:
                raise RuntimeError(f"allocation gave need {need!r} two slots")
            chosen[need] = slot
    _check_feasible(chosen, slot_by_id)
    return _result(needs, chosen, scores, methods)


def greedy_first_fit(
    needs: Sequence[Hashable], slots: Sequence[Slot], candidates: Iterable[Candidate]
) -> AllocationResult:
    """Baseline: needs in order, each takes its best (ties: order of ``slots``) still-free slot that
    overlaps no slot already given in the same space."""
    needs, slot_by_id, scores = _prepare(needs, slots, candidates)
    slot_order = {sid: i for i, sid in enumerate(slot_by_id)}
    by_need = defaultdict(list)
    for (need, slot), score in scores.items():
        by_need[need].append((-score, slot_order[slot], slot))
    taken_by_space: defaultdict[Hashable, list[Slot]] = defaultdict(list)
    taken: set[Hashable] = set()
    chosen: dict[Hashable, Hashable] = {}
    for need in needs:
        for _, _, slot_id in sorted(by_need.get(need, ())):
            slot = slot_by_id[slot_id]
            if slot_id in taken or any(_overlaps(slot, t) for t in taken_by_space[slot.space_id]):
                continue
            chosen[need] = slot_id
            taken.add(slot_id)
            taken_by_space[slot.space_id].append(slot)
            break
    return _result(needs, chosen, scores, {"greedy"})
