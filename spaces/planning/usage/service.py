"""The usage report (Verwendungsnachweis) put together: who may see which spaces, the figures per space, the
subtotals per provider and the totals per Quartier for a period, the heat grids, and the CSV.

What the figures mean (the README says it for readers):

* hours open: the space's weekly opening hours (as they stand today) on the local days of the period that lie
  in the space's own period (available from / until), wall-clock time in Berlin, the two clock changes
  counted as the booking rules count them (spaces.core.usage), less the time of closures in them;
* hours booked: confirmed bookings' time inside the period (real hours);
* utilisation: hours booked over hours open, at most 100 % (more booked than open is said, not hidden);
* heat grid: per weekday and wall-clock hour, the booked share of that hour's open time over the period;
* groups: distinct organisations with a confirmed booking (united, not added, in subtotals);
* public events: confirmed public bookings; declined share: declined / (confirmed + declined) bookings;
  a booking counts when some of its time lies in the period;
* unmet needs (per Quartier): needs placed nearest to that Quartier whose season touches the period and
  that are not "versorgt" by their bookings (spaces/planning/needs/status.py), withdrawn ones not.

Everything is read in a bounded number of statements (see spaces/planning/usage/data.py), whatever the
number of spaces or days.
"""

from __future__ import annotations

import csv
import gc
import io
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy.orm import Session

from spaces.accounts.service import managed_organisation_ids
from spaces.core.availability import Interval, WeeklyHours, intersect, merge, opening_intervals
from spaces.core.errors import Forbidden
from spaces.core.usage import (
    Figures,
    HeatGrid,
    OpenTime,
    booked_cells,
    cells_of,
    local_window,
    open_time,
    parse_week,
    whole_months,
)
from spaces.formatting import local_date
from spaces.models import User
from spaces.planning.needs.status import MET, WITHDRAWN, need_states
from spaces.planning.usage import data
from spaces.planning.usage.chart import bars_svg, heat_svg
from spaces.planning.usage.data import Scope
from spaces.planning.usage.forms import UsageForm, last_full_quarter

MAX_LISTED = 300  # spaces listed one by one on the page; beyond that the page shows the Quartiers, the CSV all
MAX_PRINTED = 150  # spaces printed one page each


# ----------------------------------------------------------------------------- who may, and the filter


def viewer_organisations(session: Session, user: User) -> tuple[int, ...] | None:
    """The organisations whose spaces the user may report on: None for QM admins (all), else those whose spaces
    the user manages; Forbidden for anyone who manages none."""
    if user.is_qm_admin:
        return None
    ids = managed_organisation_ids(session, user)
    if not ids:
        raise Forbidden(gettext("Den Nutzungsbericht sehen die Raumverwaltungen (für ihre Räume) und die "
                                "Verwaltung des Quartiersmanagements."))
    return tuple(sorted(ids))


def filter_form(session: Session, organisations: tuple[int, ...] | None, args, today: date) -> UsageForm:
    """The report's filter from the URL's parameters (none: the last full quarter, every provider and Quartier),
    with the providers the viewer may choose and every Quartier."""
    first, last = last_full_quarter(today)
    sent = any(key in args for key in ("von", "bis", "traeger", "quartier"))
    form = UsageForm(formdata=args if sent else None, data={"von": first, "bis": last})
    form.traeger.choices = [("", gettext("alle"))] + [(str(pid), name) for pid, name in
                                                        data.providers(session, organisations)]
    form.quartier.choices = [("", gettext("alle"))] + [(name, name) for name in data.quartier_names(session)]
    return form


# ----------------------------------------------------------------------------- the report


@dataclass
class SpaceUsage:
    """One space's figures over the part of the period in which it exists."""

    id: int
    name: str
    address: str
    provider_id: int
    provider: str
    quartier: str | None
    first: date
    last: date
    figures: Figures
    heat: HeatGrid | None = None

    def chart(self) -> str:
        assert self.heat is not None
        return heat_svg(gettext("Belegung nach Wochentag und Uhrzeit: %(name)s", name=self.name), self.heat)


@dataclass
class ProviderUsage:
    id: int
    name: str
    spaces: list[SpaceUsage] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)


@dataclass
class QuartierUsage:
    name: str | None
    providers: list[ProviderUsage] = field(default_factory=list)
    figures: Figures = field(default_factory=lambda: Figures(unmet_needs=0))


@dataclass
class UsageReport:
    """The whole report: Quartiers with their providers with their spaces, the total and its heat grid."""

    first: date
    last: date
    quartiers: list[QuartierUsage]
    total: Figures
    heat: HeatGrid
    spaces: list[SpaceUsage]

    @property
    def listed(self) -> bool:
        """Whether the page lists every space (else only the Quartiers; the CSV always has all)."""
        return len(self.spaces) <= MAX_LISTED

    @property
    def printed(self) -> bool:
        return len(self.spaces) <= MAX_PRINTED

    def chart(self) -> str:
        return heat_svg(gettext("Belegung aller Räume des Berichts nach Wochentag und Uhrzeit"), self.heat)

    def bars(self) -> str:
        rows = [(q.name or gettext("ohne Quartier"), q.figures.utilisation) for q in self.quartiers]
        return bars_svg(gettext("Auslastung je Quartier"), rows)


@contextmanager
def _without_cyclic_gc():
    """Python's cycle collector off while a report builds its objects: for the whole city they are hundreds of
    thousands (rows, spaces, figures), none of them in a cycle that needs collecting, and the collector would
    walk them again and again (half a second of a year's report). Back to what it was afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_report(session: Session, scope: Scope, first: date, last: date, *, space_heat: bool = False) -> UsageReport:
    """The report for the spaces in `scope` over the local days [first, last]; with `space_heat` each space's
    own heat grid too (for the printed pages, so only up to MAX_PRINTED spaces)."""
    with _without_cyclic_gc():
        return _build_report(session, scope, first, last, space_heat)


def _build_report(session: Session, scope: Scope, first: date, last: date, space_heat: bool) -> UsageReport:
    data.tune_for_report(session)
    rows = data.space_rows(session, scope, first, last)
    space_heat = space_heat and len(rows) <= MAX_PRINTED  # more are not printed one by one
    window = local_window(first, last)
    restricted = scope != Scope()
    ids = [r.id for r in rows] if restricted else None
    spaces: dict[int, SpaceUsage] = {}
    heat = HeatGrid()
    alike: dict[tuple[str, date, date], int] = defaultdict(int)  # spaces with the same week and days
    for r in rows:
        d0 = max(first, r.available_from) if r.available_from else first
        d1 = min(last, r.available_until) if r.available_until else last
        week = parse_week(r.week or "{}")
        opened: OpenTime = open_time(week, d0, d1)
        spaces[r.id] = SpaceUsage(r.id, r.name, r.address, r.provider_id, r.provider, r.quartier, d0, d1,
                                  Figures(open_seconds=opened.seconds, spaces=1),
                                  HeatGrid() if space_heat else None)
        alike[(r.week or "{}", d0, d1)] += 1
        if space_heat:
            spaces[r.id].heat.add_week(week, opened.counts, opened.corrections)  # type: ignore[union-attr]
    for (text, d0, d1), n in alike.items():
        opened = open_time(parse_week(text), d0, d1)
        heat.add_week(parse_week(text), [c * n for c in opened.counts],
                      [(cell, seconds * n) for cell, seconds in opened.corrections])
    _subtract_closures(session, window, ids, spaces, heat)
    _add_bookings(session, (first, last), ids, spaces, heat, space_heat)
    quartiers = _grouped(spaces)
    _count_unmet_needs(session, quartiers, first, last)
    total = Figures(unmet_needs=0)
    for q in quartiers:
        total.add(q.figures)
        total.unmet_needs = (total.unmet_needs or 0) + (q.figures.unmet_needs or 0)
    return UsageReport(first, last, quartiers, total, heat, list(spaces.values()))


def _subtract_closures(session: Session, window: Interval, ids: list[int] | None, spaces: dict[int, SpaceUsage],
                       heat: HeatGrid) -> None:
    """Take the opening time that closures cover away from the spaces and the heat grid (two statements)."""
    closed: dict[int, list[Interval]] = defaultdict(list)
    for space_id, start, end in data.closures(session, window, ids):
        if space_id in spaces:
            closed[space_id].append(Interval(start, end))
    hours: dict[int, list[WeeklyHours]] = defaultdict(list)
    for space_id, weekday, opens, closes in data.opening_hours(session, sorted(closed)):
        hours[space_id].append(WeeklyHours(weekday, opens, closes))
    for space_id, intervals in closed.items():
        space = spaces[space_id]
        own = local_window(space.first, space.last)
        for piece in intersect(opening_intervals(hours[space_id], own), merge(intervals)):
            cells = cells_of(piece)
            space.figures.open_seconds -= piece.duration.total_seconds()
            heat.add_open(cells, -1.0)
            if space.heat is not None:
                space.heat.add_open(cells, -1.0)


def _add_bookings(session: Session, days: tuple[date, date], ids: list[int] | None, spaces: dict[int, SpaceUsage],
                  heat: HeatGrid, space_heat: bool) -> None:
    """The bookings' figures per space and their booked time per heat-grid cell (one statement; one more for
    the printout's per-space heat grids). For the whole city (ids None) the whole months of the period come from
    the usage summary (spaces/planning/usage/summary.py), the rest from the bookings."""
    window = local_window(*days)
    months = whole_months(*days) if ids is None else None
    if months is None:
        rows = data.booking_figures(session, window, ids)
    else:
        rows = data.summarised_figures(session, window, months, local_window(months[0], months[1] - timedelta(days=1)))
    pieces = []
    for space_id, group, start, end, cell, confirmed, public, seconds, declined, n in rows:
        if cell is not None:  # the summary's booked seconds per cell
            heat.booked[cell] += seconds
            continue
        if space_id is None:  # the grouping by start and end
            if n:
                pieces.append((start, end, n))
            continue
        space = spaces.get(space_id)
        if space is None:  # a space of the city that is not in the report (ids None: read without a list)
            continue
        figures = space.figures
        figures.confirmed += confirmed
        figures.public += public
        figures.booked_seconds += seconds
        figures.declined += declined
        if confirmed > 0 and group is not None:
            figures.groups.add(group)
    # ids None: every bookable space of the city is in the report; its bookings are read without a list
    for cell, seconds in enumerate(booked_cells(window, pieces)):
        heat.booked[cell] += seconds
    if space_heat and spaces:
        for space_id, cell, seconds in data.booked_cells(session, window, list(spaces)):
            if space_id in spaces and spaces[space_id].heat is not None:
                spaces[space_id].heat.booked[cell] += seconds  # type: ignore[union-attr]


def _grouped(spaces: dict[int, SpaceUsage]) -> list[QuartierUsage]:
    """Spaces (ordered by Quartier, provider, name) into Quartiers and providers, with subtotals."""
    quartiers: list[QuartierUsage] = []
    for space in spaces.values():
        if not quartiers or quartiers[-1].name != space.quartier:
            quartiers.append(QuartierUsage(space.quartier))
        q = quartiers[-1]
        if not q.providers or q.providers[-1].id != space.provider_id:
            q.providers.append(ProviderUsage(space.provider_id, space.provider))
        q.providers[-1].spaces.append(space)
        q.providers[-1].figures.add(space.figures)
        q.figures.add(space.figures)
    return quartiers


def _count_unmet_needs(session: Session, quartiers: list[QuartierUsage], first: date, last: date) -> None:
    """Per Quartier of the report: its needs whose season touches the period and that are not met (two
    statements)."""
    names = {q.name for q in quartiers if q.name is not None}
    if not names:
        return
    candidates = [(need, quartier) for need, quartier in data.needs(session)
                  if quartier in names and _season_touches(need.time_pattern or {}, first, last)]
    states = need_states(session, [need for need, _ in candidates])
    unmet: dict[str, int] = defaultdict(int)
    for need, quartier in candidates:
        if states[need.id].kind not in (MET, WITHDRAWN):
            unmet[quartier] += 1
    for q in quartiers:
        if q.name is not None:
            q.figures.unmet_needs = unmet.get(q.name, 0)


def _season_touches(pattern: dict, first: date, last: date) -> bool:
    def day(key: str) -> date | None:
        try:
            return date.fromisoformat(pattern[key])
        except (KeyError, TypeError, ValueError):
            return None

    start, end = day("first_day"), day("last_day")
    return (start is None or start <= last) and (end is None or end >= first)


def scope_for(organisations: tuple[int, ...] | None, form: UsageForm) -> Scope:
    """The scope of a report: the viewer's organisations and the filter's provider and Quartier."""
    provider = form.provider_id
    if organisations is not None and provider is not None and provider not in organisations:
        raise Forbidden(gettext("Diesen Träger verwalten Sie nicht."))
    return Scope(organisations, provider, form.quartier_name)


def report_for(session: Session, organisations: tuple[int, ...] | None, form: UsageForm, *,
               space_heat: bool = False) -> UsageReport:
    """The report a checked filter asks for, over the spaces of `organisations` (None: all)."""
    return build_report(session, scope_for(organisations, form), form.von.data, form.bis.data,
                        space_heat=space_heat)


# ----------------------------------------------------------------------------- CSV (German, for Excel)


HEADERS = ("Ebene", "Quartier", "Träger", "Raum", "Adresse", "von", "bis", "Öffnungsstunden", "gebuchte Stunden",
           "Auslastung in %", "Gruppen", "öffentliche Veranstaltungen", "bestätigte Termine", "abgelehnte Anfragen",
           "Anteil abgelehnt in %", "offene Bedarfe im Quartier", "Hinweis")


def _text(value: str | None) -> str:
    text = value or ""
    # never a spreadsheet formula (OWASP: also a leading tab or carriage return)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _decimal(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}".replace(".", ",")  # a decimal comma, no thousands separator (Excel reads it)


def _row(level: str, quartier: str | None, provider: str, space: str, address: str, first: date, last: date,
         f: Figures) -> list[str]:
    note = "mehr Stunden gebucht als geöffnet" if f.overbooked else ""
    return [level, _text(quartier), _text(provider), _text(space), _text(address),
            first.strftime("%d.%m.%Y"), last.strftime("%d.%m.%Y"), _decimal(f.open_hours), _decimal(f.booked_hours),
            _decimal(None if f.utilisation is None else f.utilisation * 100), str(f.group_count), str(f.public),
            str(f.confirmed), str(f.declined),
            _decimal(None if f.declined_share is None else f.declined_share * 100),
            "" if f.unmet_needs is None else str(f.unmet_needs), note]


def report_csv(report: UsageReport) -> str:
    """Every space, provider subtotal, Quartier total and the total as CSV for a German spreadsheet: semicolons,
    decimal commas, dates as 31.12.2026, UTF-8 with a byte-order mark (so Excel reads the umlauts)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for q in report.quartiers:
        name = q.name or "ohne Quartier"
        for p in q.providers:
            for s in p.spaces:
                writer.writerow(_row("Raum", name, p.name, s.name, s.address, s.first, s.last, s.figures))
            writer.writerow(_row("Träger", name, p.name, "", "", report.first, report.last, p.figures))
        writer.writerow(_row("Quartier", name, "", "", "", report.first, report.last, q.figures))
    writer.writerow(_row("Gesamt", "", "", "", "", report.first, report.last, report.total))
    return "\ufeff" + out.getvalue()


def csv_name(report: UsageReport) -> str:
    return f"nutzung_{report.first.isoformat()}_{report.last.isoformat()}.csv"


def period_text(report: UsageReport) -> str:
    return gettext("%(first)s bis %(last)s", first=local_date(report.first), last=local_date(report.last))
