"""Where community space is missing: per construction phase (Bauabschnitt) and per quarter.

Pure module: plain dataclasses in, plain dataclasses out; no Flask, no database. Geometry is
shapely (2.x) in EPSG:25832 (ETRS89 / UTM 32N, metres); callers convert from the stored WGS84
with :func:`phase_input_from_wgs84` / :func:`space_input_from_wgs84` (``geo.crs.to_metric``).

The semantics below are the product; tests/test_gaps.py checks each of them by hand-computed
numbers.

Time
----
* :func:`quarters` gives the first days of the calendar quarters (Jan, Apr, Jul, Oct) from the
  quarter containing ``start`` to the one containing ``until`` (both inclusive); empty if
  ``until < start``.
* Each quarter is evaluated on ONE day, its *as-of* date: the quarter's first day, except the
  first quarter, which is evaluated on ``start`` itself ("today") when that is later. Residents,
  the opening period of a space, everything is taken on that day (``PhaseQuarter.as_of``).
* ``until=None`` in :func:`gap_report` means: until the last phase is fully moved in, i.e. the
  latest ``move_in + ramp_months``, rounded up to the next quarter start so the last row shows
  the full phase; if no phase has a move-in date, just the quarter of ``start``.

Residents (:func:`residents_at`)
--------------------------------
* 0 before ``move_in`` and 0 if ``move_in`` is unknown (``None``): an unknown date is not
  silently treated as "already there".
* From ``move_in`` the residents grow linearly to ``residents`` over ``norm.ramp_months``
  calendar months (months counted on the calendar, the part-month as a fraction of that month,
  so 6 calendar months after move-in with a 12-month ramp is exactly half); full afterwards.
  ``ramp_months=0`` means full from the move-in day.
* demand_m2 = residents × ``m2_per_1000`` / 1000, demand_seats = residents × ``seats_per_1000``
  / 1000.

Supply
------
* Reach: a space serves a phase if the straight-line distance from its point to the phase
  polygon (0 inside) times ``detour`` is at most ``walk_m``, i.e. it lies within
  r = walk_m / detour of the polygon. Reach does not change over time and is computed once.
* A space *counts* on a day if it is open then (``available_from <= day <= available_until``,
  ``None`` = unbounded on that side; so a planned space counts from its opening day and a
  temporary one only inside its period), its ``public_hours >= norm.min_public_evening_hours``,
  and its weight is positive. Weight w = min(1, public_hours / reference_hours) (w = 1 if
  ``reference_hours <= 0``): a space free for the public half the reference hours counts half.
  A space with 0 public hours has weight 0 and does not count at all (not even for coverage).
* Fair sharing: a counted space reached by several phases is split among them in proportion to
  their residents on that day; if all of them have 0 residents, equally. The shares of one space
  therefore add up to exactly 1 (up to float rounding): a space is never counted twice and never
  lost.
* supply_m2 = Σ share × w × area_m2 (unknown area counts 0 m²), supply_seats = Σ share × w × seats.
* gap = demand − supply, signed: positive = space missing, negative = surplus.

Coverage
--------
* The share of the phase polygon's area lying within r = walk_m / detour of at least one
  counted space (any share, any weight > 0): area(polygon ∩ ∪ disks) / area(polygon); 0 if none
  counts or the polygon has no area. Disks are computed as 64-gons whose area equals the true
  disk's (error well below 0.5 %); a disk containing a whole (part of the) polygon is detected
  exactly.

Walking on the street network
-----------------------------
* With ``walking`` (:class:`WalkingReach`, measured outside this module on the street network), a phase
  listed in ``walking.spaces`` is reached by exactly the spaces listed for it (within ``walk_m`` walked on
  the network, no detour factor), and its coverage is the share of its area within the union of the
  listed ``walking.areas`` (each space's walking isochrone of ``walk_m``, EPSG:25832) of its counted
  spaces; a counted space without an area covers nothing. Phases not listed (outside the network) keep the
  straight-line rule above. ``PhaseQuarter.walk_method`` says which rule a row used.

Signals
-------
* ``signals`` = how many of the given signals (unmet needs, declined requests; any date, any
  kind) lie in the phase polygon, boundary included. The same count appears in every quarter.

Cost
----
One STRtree over the space points; per phase one query with the envelope grown by r, then exact
distances. Coverage is cached per phase by the frozenset of counted spaces, and computed by an
adaptive quadtree: a cell lying entirely inside one disk is covered without any union, only
cells on the boundary of the union are unioned exactly, with the few disks near them.
"""

from __future__ import annotations

import math
from calendar import monthrange
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.crs import to_metric
from spaces.core import norms

__all__ = [
    "METHOD_NETWORK",
    "METHOD_STRAIGHT",
    "Norm",
    "PhaseInput",
    "PhaseQuarter",
    "Signal",
    "SpaceInput",
    "gap_report",
    "phase_input_from_wgs84",
    "residents_when_full",
    "quarters",
    "residents_at",
    "space_input_from_wgs84",
    "WalkingReach",
    "WholeMeasures",
    "whole_measures",
]

SIGNAL_KINDS = ("unmet_need", "declined_request")
METHOD_NETWORK = "network"  # reach walked on the street network
METHOD_STRAIGHT = "straight_line"  # reach as straight line x detour


_DEFAULT = norms.defaults()


@dataclass(frozen=True)
class Norm:
    """The planning norm: how much space per 1,000 residents, and how far it may be (defaults: core.norms)."""

    m2_per_1000: float = float(_DEFAULT["m2_per_1000"])
    seats_per_1000: float = float(_DEFAULT["seats_per_1000"])
    walk_m: float = float(_DEFAULT["walk_m"])  # walking distance in metres
    detour: float = float(_DEFAULT["detour"])  # walking distance / straight-line distance
    # a space counts only if free for the public >= this (h/week)
    min_public_evening_hours: float = float(_DEFAULT["min_public_evening_hours"])
    reference_hours: float = float(_DEFAULT["reference_hours"])  # public hours per week at which a space counts fully
    ramp_months: int = int(_DEFAULT["ramp_months"])  # residents move in linearly over this many months from move_in

    def __post_init__(self) -> None:
        if not self.detour > 0:
            raise ValueError(f"detour must be > 0, got {self.detour!r}")
        if not self.walk_m >= 0:
            raise ValueError(f"walk_m must be >= 0, got {self.walk_m!r}")
        if self.ramp_months < 0:
            raise ValueError(f"ramp_months must be >= 0, got {self.ramp_months!r}")
        for name in ("m2_per_1000", "seats_per_1000", "min_public_evening_hours", "reference_hours"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")

    @property
    def radius_m(self) -> float:
        """The straight-line radius of reach: walk_m / detour."""
        return self.walk_m / self.detour

    def weight(self, public_hours: float) -> float:
        """How fully a space with `public_hours` free public hours a week counts (0..1)."""
        if self.reference_hours <= 0:
            return 1.0 if public_hours > 0 else 0.0
        return min(1.0, max(0.0, public_hours) / self.reference_hours)


@dataclass(frozen=True)
class PhaseInput:
    """A construction phase; `area` in EPSG:25832; `residents` when fully moved in."""

    id: Hashable
    name: str
    area: BaseGeometry  # Polygon or MultiPolygon, EPSG:25832
    move_in: date | None
    residents: float

    def __post_init__(self) -> None:
        if self.residents < 0:
            raise ValueError(f"residents must be >= 0, got {self.residents!r}")


@dataclass(frozen=True)
class SpaceInput:
    """A space; `point` in EPSG:25832; `public_hours` = hours per week free for the public."""

    id: Hashable
    point: BaseGeometry  # Point, EPSG:25832
    area_m2: float | None
    seats: int
    available_from: date | None
    available_until: date | None
    public_hours: float


@dataclass(frozen=True)
class Signal:
    """A sign of missing space at a place (EPSG:25832): an open need or a declined request."""

    point: BaseGeometry
    kind: str  # "unmet_need" or "declined_request"


@dataclass(frozen=True)
class PhaseQuarter:
    """One row of the report: one phase in one quarter."""

    phase_id: Hashable
    quarter_start: date
    residents: float
    demand_m2: float
    demand_seats: float
    supply_m2: float
    supply_seats: float
    gap_m2: float  # demand - supply; negative = surplus
    gap_seats: float
    coverage: float  # 0..1: share of the phase's area within reach of a counted space
    counted_spaces: tuple[Hashable, ...]  # ids of the counted spaces in reach, in input order
    signals: int
    shares: tuple[float, ...] = ()  # the phase's share of each counted space (same order as counted_spaces)
    as_of: date | None = None  # the day the quarter was evaluated on
    walk_method: str = METHOD_STRAIGHT  # how reach and coverage were measured


@dataclass(frozen=True)
class WalkingReach:
    """Reach on the street network, measured by the caller: per phase id the ids of the spaces within
    ``walk_m`` on foot (phases left out: off the network, straight-line rule), and per space id the area within
    ``walk_m`` on foot of it (EPSG:25832; None or absent: unknown, covers nothing)."""

    spaces: Mapping[Hashable, Collection[Hashable]]
    areas: Mapping[Hashable, BaseGeometry | None]


# --- time -------------------------------------------------------------------------------------


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def quarters(start: date, until: date) -> list[date]:
    """First days of the quarters from the one containing `start` to the one containing `until`."""
    if until < start:
        return []
    out = []
    q, last = _quarter_start(start), _quarter_start(until)
    while q <= last:
        out.append(q)
        q = _add_months(q, 3)
    return out


def _months_since(origin: date, day: date) -> float:
    """Calendar months from `origin` to `day` (>= origin); the part-month as a fraction of it."""
    whole = (day.year - origin.year) * 12 + day.month - origin.month
    if _add_months(origin, whole) > day:
        whole -= 1
    lo, hi = _add_months(origin, whole), _add_months(origin, whole + 1)
    return whole + (day - lo).days / (hi - lo).days


def residents_at(phase: PhaseInput, day: date, norm: Norm = Norm()) -> float:
    """Residents of `phase` on `day`: 0 before move-in (or if unknown), linear ramp, then full."""
    if phase.move_in is None or day < phase.move_in:
        return 0.0
    if norm.ramp_months <= 0:
        return float(phase.residents)
    fraction = min(1.0, _months_since(phase.move_in, day) / norm.ramp_months)
    return float(phase.residents) * fraction


def _default_until(phases: Sequence[PhaseInput], start: date, norm: Norm) -> date:
    full = [_add_months(p.move_in, norm.ramp_months) for p in phases if p.move_in is not None]
    if not full:
        return start
    last = max(full)
    if _quarter_start(last) < last:  # the quarter after: its first day sees the phase full
        last = _add_months(_quarter_start(last), 3)
    return max(last, start)


# --- coverage ---------------------------------------------------------------------------------

_QUAD_SEGS = 16  # 64-gon
_N_GON = 4 * _QUAD_SEGS
# Radius of the regular n-gon with the area of the disk of radius 1.
_EQUAL_AREA = math.sqrt(2 * math.pi / (_N_GON * math.sin(2 * math.pi / _N_GON)))
_LEAF_DISKS = 8  # union exactly once a cell is near at most this many disks
_MAX_DEPTH = 5


def _covered_area(part: BaseGeometry, xs: np.ndarray, ys: np.ndarray, r: float, depth: int = 0) -> float:
    """Area of `part` within distance `r` of at least one of the points (xs, ys)."""
    if part.is_empty or not len(xs):
        return 0.0
    xmin, ymin, xmax, ymax = part.bounds
    dx = np.maximum(np.maximum(xmin - xs, xs - xmax), 0.0)
    dy = np.maximum(np.maximum(ymin - ys, ys - ymax), 0.0)
    near = dx * dx + dy * dy <= r * r
    xs, ys = xs[near], ys[near]
    if not len(xs):
        return 0.0
    # A disk is convex: it holds the whole part iff it holds every vertex of it.
    coords = shapely.get_coordinates(part)
    far2 = np.max((xs[:, None] - coords[None, :, 0]) ** 2 + (ys[:, None] - coords[None, :, 1]) ** 2, axis=1)
    if np.any(far2 <= r * r):
        return float(part.area)
    if len(xs) <= _LEAF_DISKS or depth >= _MAX_DEPTH:
        disks = shapely.buffer(shapely.points(xs, ys), r * _EQUAL_AREA, quad_segs=_QUAD_SEGS)
        return float(shapely.intersection(shapely.union_all(disks), part).area)
    xm, ym = (xmin + xmax) / 2, (ymin + ymax) / 2
    cells = [box(xmin, ymin, xm, ym), box(xm, ymin, xmax, ym), box(xmin, ym, xm, ymax), box(xm, ym, xmax, ymax)]
    total = 0.0
    for piece in shapely.intersection(part, cells):
        if piece.area > 0:
            total += _covered_area(piece, xs, ys, r, depth + 1)
    return total


def _covered_by_areas(part: BaseGeometry, areas: Sequence[BaseGeometry | None]) -> float:
    """Area of `part` within at least one of the walking areas (unknown ones cover nothing)."""
    known = [a for a in areas if a is not None and not a.is_empty]
    if part.is_empty or not known:
        return 0.0
    return float(shapely.intersection(shapely.union_all(known), part).area)


# --- the report -------------------------------------------------------------------------------

_NO_START = date.min.toordinal()
_NO_END = date.max.toordinal()


def gap_report(
    phases: Sequence[PhaseInput],
    spaces: Sequence[SpaceInput],
    norm: Norm = Norm(),
    *,
    start: date,
    until: date | None = None,
    signals: Iterable[Signal] = (),
    walking: WalkingReach | None = None,
) -> list[PhaseQuarter]:
    """Demand, supply, gap and coverage per phase and quarter (phases in input order, then time).

    See the module docstring for the exact semantics.
    """
    phases = list(phases)
    spaces = list(spaces)
    signals = list(signals)
    if until is None:
        until = _default_until(phases, start, norm)
    qs = quarters(start, until)
    if not phases or not qs:
        return []
    as_of = [max(q, start) for q in qs]
    n_q, n_s = len(qs), len(spaces)
    r = norm.radius_m

    # Spaces as arrays.
    ids = [s.id for s in spaces]
    points = np.array([s.point for s in spaces], dtype=object)
    xy = shapely.get_coordinates(points) if n_s else np.empty((0, 2))
    area_m2 = np.array([0.0 if s.area_m2 is None else float(s.area_m2) for s in spaces])
    seats = np.array([float(s.seats) for s in spaces])
    weight = np.array([norm.weight(s.public_hours) for s in spaces])
    eligible = np.array(
        [s.public_hours >= norm.min_public_evening_hours for s in spaces], dtype=bool
    ) & (weight > 0)
    opens = np.array([_NO_START if s.available_from is None else s.available_from.toordinal() for s in spaces])
    closes = np.array([_NO_END if s.available_until is None else s.available_until.toordinal() for s in spaces])
    days = np.array([d.toordinal() for d in as_of])
    counts = eligible[None, :] & (opens[None, :] <= days[:, None]) & (days[:, None] <= closes[None, :])  # (Q, S)

    # Reach, once per phase: STRtree candidates in the grown envelope, then exact distances.
    tree = shapely.STRtree(points) if n_s else None
    reach: list[np.ndarray] = []
    on_network = [walking is not None and phase.id in walking.spaces for phase in phases]
    position = {space_id: i for i, space_id in enumerate(ids)}
    for p, phase in enumerate(phases):
        idx = np.empty(0, dtype=np.intp)
        if on_network[p]:
            assert walking is not None
            found = sorted(position[i] for i in walking.spaces[phase.id] if i in position)
            idx = np.array(found, dtype=np.intp)
        elif tree is not None and not phase.area.is_empty:
            xmin, ymin, xmax, ymax = phase.area.bounds
            cand = np.sort(tree.query(box(xmin - r, ymin - r, xmax + r, ymax + r)))
            if len(cand):
                dist = shapely.distance(phase.area, points[cand])
                idx = cand[dist * norm.detour <= norm.walk_m]
        reach.append(idx)

    # Residents per phase and quarter; sharing denominators per quarter and space.
    residents = np.array([[residents_at(p, d, norm) for d in as_of] for p in phases])  # (P, Q)
    denom = np.zeros((n_q, n_s))
    n_phases = np.zeros(n_s)
    for p, idx in enumerate(reach):
        denom[:, idx] += residents[p][:, None]
        n_phases[idx] += 1

    # Signals inside each phase.
    sig_xy = shapely.get_coordinates(np.array([s.point for s in signals], dtype=object)) if signals else None

    rows: list[PhaseQuarter] = []
    for p, phase in enumerate(phases):
        idx = reach[p]
        total_area = phase.area.area
        n_signals = 0
        if sig_xy is not None and not phase.area.is_empty:
            n_signals = int(np.count_nonzero(shapely.intersects_xy(phase.area, sig_xy[:, 0], sig_xy[:, 1])))
        coverage_cache: dict[frozenset[int], float] = {}
        for q in range(n_q):
            counted = idx[counts[q, idx]]
            res = float(residents[p, q])
            d = denom[q, counted]
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(d > 0, res / np.where(d > 0, d, 1.0), 1.0 / np.maximum(n_phases[counted], 1.0))
            w = weight[counted]
            supply_m2 = float(np.sum(share * w * area_m2[counted]))
            supply_seats = float(np.sum(share * w * seats[counted]))
            demand_m2 = res * norm.m2_per_1000 / 1000.0
            demand_seats = res * norm.seats_per_1000 / 1000.0

            key = frozenset(counted.tolist())
            coverage = coverage_cache.get(key)
            if coverage is None:
                if total_area > 0 and len(counted) and on_network[p]:
                    assert walking is not None
                    covered = _covered_by_areas(phase.area, [walking.areas.get(ids[i]) for i in counted])
                    coverage = min(1.0, max(0.0, covered / total_area))
                elif total_area > 0 and len(counted):
                    covered = _covered_area(phase.area, xy[counted, 0], xy[counted, 1], r)
                    coverage = min(1.0, max(0.0, covered / total_area))
                else:
                    coverage = 0.0
                coverage_cache[key] = coverage

            rows.append(
                PhaseQuarter(
                    phase_id=phase.id,
                    quarter_start=qs[q],
                    residents=res,
                    demand_m2=demand_m2,
                    demand_seats=demand_seats,
                    supply_m2=supply_m2,
                    supply_seats=supply_seats,
                    gap_m2=demand_m2 - supply_m2,
                    gap_seats=demand_seats - supply_seats,
                    coverage=coverage,
                    counted_spaces=tuple(ids[i] for i in counted),
                    signals=n_signals,
                    shares=tuple(float(s) for s in share),
                    as_of=as_of[q],
                    walk_method=METHOD_NETWORK if on_network[p] else METHOD_STRAIGHT,
                )
            )
    return rows


# --- as a reader counts -------------------------------------------------------------------------


@dataclass(frozen=True)
class WholeMeasures:
    """One report row as printed: whole people, whole m² and whole seats, each gap the difference of the
    printed numbers (so a row adds up), and the reachable share of the area in whole percent, rounded down."""

    residents: int
    demand_m2: int
    supply_m2: int
    gap_m2: int  # > 0: floor space missing
    demand_seats: int
    supply_seats: int
    gap_seats: int  # > 0: seats missing
    coverage: float  # 0..1 in whole percent, never rounded up to 100 %

    @property
    def enough_space(self) -> bool:
        return self.gap_m2 <= 0

    @property
    def enough_seats(self) -> bool:
        return self.gap_seats <= 0

    @property
    def all_reachable(self) -> bool:
        return self.coverage >= 1.0


def _half_up(value: float) -> int:
    return int(Decimal(repr(value)).to_integral_value(ROUND_HALF_UP))


def whole_measures(row: PhaseQuarter) -> WholeMeasures:
    """A row in whole numbers as the reader should see it: m² rounded half up; seats needed rounded up (124.2
    seats needed are 125 chairs) and seats offered rounded down (a share of a chair seats nobody); the area
    within walking reach in whole percent rounded down, so 99.6 % never reads as "100 %"."""
    demand_m2, supply_m2 = _half_up(row.demand_m2), _half_up(row.supply_m2)
    demand_seats = math.ceil(round(row.demand_seats, 6))
    supply_seats = math.floor(round(row.supply_seats, 6))
    coverage = math.floor(round(row.coverage * 100, 6)) / 100
    return WholeMeasures(_half_up(row.residents), demand_m2, supply_m2, demand_m2 - supply_m2, demand_seats,
                         supply_seats, demand_seats - supply_seats, coverage)


# --- residents of a phase ----------------------------------------------------------------------


def residents_when_full(expected: int | None, homes: int | None, persons_per_home: Any) -> int:
    """Residents of a phase when it is fully moved in, in whole people: as given, else homes × persons
    per home rounded half up (5 homes × 2.5 = 13). The phase list, its form and the gap report ask this."""
    if expected is not None:
        return int(expected)
    if not homes or persons_per_home is None:
        return 0
    return int((Decimal(homes) * Decimal(str(persons_per_home))).to_integral_value(ROUND_HALF_UP))


# --- from the stored WGS84 --------------------------------------------------------------------


def phase_input_from_wgs84(
    id: Hashable,
    name: str,
    geom: BaseGeometry,
    move_in: date | None,
    *,
    expected_residents: int | None = None,
    homes: int | None = None,
    persons_per_home: Any = None,
) -> PhaseInput:
    """A PhaseInput from a WGS84 (EPSG:4326) polygon, with its residents by :func:`residents_when_full`."""
    return PhaseInput(id=id, name=name, area=to_metric(geom), move_in=move_in,
                      residents=float(residents_when_full(expected_residents, homes, persons_per_home)))


def space_input_from_wgs84(
    id: Hashable,
    point: BaseGeometry,
    *,
    area_m2: Any,
    seats: int,
    available_from: date | None,
    available_until: date | None,
    public_hours: float,
) -> SpaceInput:
    """A SpaceInput from a WGS84 (EPSG:4326) point (area_m2 may be a Decimal)."""
    return SpaceInput(
        id=id,
        point=to_metric(point),
        area_m2=None if area_m2 is None else float(area_m2),
        seats=int(seats),
        available_from=available_from,
        available_until=available_until,
        public_hours=float(public_hours),
    )
