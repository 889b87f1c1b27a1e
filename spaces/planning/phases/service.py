"""Construction phases in the database: the list and its residents, storing an upload (all phases or none, a
known name updates its phase), saving the form, deleting, and the words of the drawing tool. Every change is
audited.

Functions take the session and the acting user, flush but do not commit (the views do), and raise the
domain's errors (spaces.core.errors) or the parser's PhaseUploadError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.crs import WGS84
from geo.phase_upload import PhaseDraft, PhaseUploadError, parse_phase_upload
from spaces.booking.rules import audit
from spaces.core.errors import NotFound, Unprocessable
from spaces.core.gaps import residents_when_full
from spaces.models import ConstructionPhase, PhaseStatus, User

if TYPE_CHECKING:
    from spaces.planning.phases.forms import PhaseForm

DEFAULT_PERSONS_PER_HOME = Decimal("2.0")
CENT = Decimal("0.01")  # persons_per_home is NUMERIC(4, 2)

SAVE_FAILED = _l("Die Bauabschnitte ließen sich nicht speichern (vielleicht hat jemand gleichzeitig geändert). "
                 "Es wurde nichts gespeichert; bitte noch einmal versuchen.")


def stored_persons(value) -> Decimal:
    """Persons per home as stored: to the cent, rounded half up."""
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


# ----------------------------------------------------------------------------- what the pages show


def residents(phase: ConstructionPhase) -> int:
    """Expected residents when full: as given, else homes × persons per home (spaces.core.gaps.residents_when_full)."""
    return residents_when_full(phase.expected_residents, phase.homes, phase.persons_per_home)


def all_phases(session: Session) -> list[ConstructionPhase]:
    """Every construction phase, by move-in date (unknown last), then name."""
    return list(session.scalars(
        select(ConstructionPhase).order_by(ConstructionPhase.move_in.nulls_last(), ConstructionPhase.name)))


def phase_by_id(session: Session, phase_id: int) -> ConstructionPhase:
    """The phase, or NotFound."""
    phase = session.get(ConstructionPhase, phase_id)
    if phase is None:
        raise NotFound(gettext("Diesen Bauabschnitt gibt es nicht."))
    return phase


def draw_texts() -> dict:
    """The drawing tool's words (Leaflet.draw's L.drawLocal) in the current language."""
    return {
        "polygon": gettext("Fläche einzeichnen"),
        "start": gettext("Klicken Sie auf die Karte, um die erste Ecke zu setzen."),
        "cont": gettext("Klicken Sie für die nächste Ecke."),
        "end": gettext("Klicken Sie auf die erste Ecke, um die Fläche zu schließen."),
        "cancel": gettext("Abbrechen"),
        "finish": gettext("Fertig"),
        "undo": gettext("Letzte Ecke löschen"),
        "edit": gettext("Fläche bearbeiten"),
        "editDisabled": gettext("Noch keine Fläche zum Bearbeiten"),
        "remove": gettext("Fläche löschen"),
        "removeDisabled": gettext("Noch keine Fläche zum Löschen"),
        "save": gettext("Übernehmen"),
        "clearAll": gettext("Alles löschen"),
        "editTooltip": gettext("Ziehen Sie die Ecken, um die Fläche zu ändern."),
        "removeTooltip": gettext("Klicken Sie auf die Fläche, um sie zu löschen."),
        "intersect": gettext("Die Linien dürfen sich nicht kreuzen."),
    }


# ----------------------------------------------------------------------------- upload


@dataclass(frozen=True)
class Stored:
    """What an upload did."""

    created: int
    updated: int

    @property
    def count(self) -> int:
        return self.created + self.updated


def store_upload(session: Session, user: User, raw: bytes | str | None) -> Stored:
    """Parse an uploaded GeoJSON and store all its phases (flushed, not committed), or none: PhaseUploadError
    or Unprocessable (the database refused), with the session rolled back."""
    try:
        drafts = parse_phase_upload(raw)
        return _store_drafts(session, user, drafts, _quartiers(raw, len(drafts)))
    except PhaseUploadError:
        session.rollback()
        raise
    except IntegrityError:
        session.rollback()
        raise Unprocessable(str(SAVE_FAILED), "not_saved") from None


def _store_drafts(session: Session, user: User, drafts: list[PhaseDraft], quartiers: list[str | None]) -> Stored:
    """Insert or update every draft in the session."""
    for draft in drafts:
        if draft.persons_per_home is not None and stored_persons(draft.persons_per_home) <= 0:
            raise PhaseUploadError("bad_property", gettext(
                "%(name)s, Feld „persons_per_home“: bitte mindestens 0,01 angeben.", name=draft.name))
    existing = _find_by_names(session, [d.name for d in drafts])
    created = updated = 0
    for draft, quartier in zip(drafts, quartiers):
        phase = existing.get(draft.name.casefold())
        before = _snapshot(phase)
        if phase is None:
            phase = ConstructionPhase(name=draft.name, quartier=quartier or "",
                                      status=draft.status or PhaseStatus.PLANNED, homes=draft.homes or 0,
                                      persons_per_home=DEFAULT_PERSONS_PER_HOME)
            session.add(phase)
            created += 1
        else:
            updated += 1
        _apply_draft(phase, draft, quartier, new=not before)
        session.flush()
        session.refresh(phase)
        audit(session, user, "phase.uploaded", phase, name=phase.name, created=not before,
              changed=_changes(before, _snapshot(phase)))
    return Stored(created, updated)


def _apply_draft(phase: ConstructionPhase, draft: PhaseDraft, quartier: str | None, *, new: bool) -> None:
    """What the file gives, over what the phase has (a new phase got name, quartier, status and homes already)."""
    if not new:
        if quartier is not None:
            phase.quartier = quartier
        if draft.status is not None:
            phase.status = draft.status
        if draft.homes is not None:
            phase.homes = draft.homes
    phase.geom = from_shape(draft.geometry, srid=WGS84)
    if draft.move_in is not None:
        phase.move_in = draft.move_in
    if draft.persons_per_home is not None:
        phase.persons_per_home = stored_persons(draft.persons_per_home)
    if draft.expected_residents is not None:
        phase.expected_residents = draft.expected_residents


def _quartiers(raw: bytes | str, count: int) -> list[str | None]:
    """The optional "quartier" property of each feature (the parser does not keep it), in file order."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, (bytes, bytearray)) else raw
        doc = json.loads(text)
        features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
        found = []
        for feature in features:
            props = feature.get("properties") if isinstance(feature, dict) else None
            value = props.get("quartier") if isinstance(props, dict) else None
            found.append(" ".join(value.split())[:200] or None if isinstance(value, str) else None)
    except (ValueError, AttributeError, TypeError, RecursionError):
        found = []
    return (found + [None] * count)[:count]


def _find_by_names(session: Session, names: list[str]) -> dict[str, ConstructionPhase]:
    """Existing phases by casefolded name; a phase spelt exactly the same wins over one differing in case."""
    if not names:
        return {}
    rows = session.scalars(
        select(ConstructionPhase).where(func.lower(ConstructionPhase.name).in_([n.lower() for n in names]))
        .order_by(ConstructionPhase.id)).all()
    wanted = {n.casefold(): n for n in names}
    found: dict[str, ConstructionPhase] = {}
    for row in rows:
        key = row.name.casefold()
        if key in wanted and (key not in found or row.name == wanted[key]):
            found[key] = row
    return found


# ----------------------------------------------------------------------------- the form


def save_phase(session: Session, user: User, form: PhaseForm, phase: ConstructionPhase | None) -> ConstructionPhase:
    """Write the checked form into `phase` (a new one when None) with its audit entry; flushed, not committed.

    Raises Unprocessable: a phase of that name exists (field "name"), or the database refused (then the
    session is rolled back; no field)."""
    if _name_taken(session, form.name.data, phase):
        raise Unprocessable(gettext("Es gibt schon einen Bauabschnitt mit diesem Namen."), "name_taken", field="name")
    before = _snapshot(phase)
    try:
        saved = _apply(session, form, phase)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Unprocessable(str(SAVE_FAILED), "not_saved") from None
    session.refresh(saved)
    audit(session, user, "phase.updated" if phase is not None else "phase.created", saved,
          name=saved.name, changed=_changes(before, _snapshot(saved)))
    return saved


def _name_taken(session: Session, name: str, phase: ConstructionPhase | None) -> bool:
    query = select(ConstructionPhase.id).where(func.lower(ConstructionPhase.name) == name.lower())
    if phase is not None:
        query = query.where(ConstructionPhase.id != phase.id)
    return session.scalar(query.limit(1)) is not None


def _apply(session: Session, form: PhaseForm, phase: ConstructionPhase | None) -> ConstructionPhase:
    if phase is None:
        phase = ConstructionPhase()
        session.add(phase)
    phase.name = form.name.data
    phase.quartier = form.quartier.data or ""
    phase.status = form.status.data
    phase.move_in = form.move_in.data
    phase.homes = form.homes.data
    phase.persons_per_home = stored_persons(form.persons_per_home.data)
    phase.expected_residents = form.expected_residents.data
    phase.geom = from_shape(form.area, srid=WGS84)
    return phase


def delete_phase(session: Session, user: User, phase: ConstructionPhase) -> str:
    """Delete the phase, keeping its facts and area in the audit log; returns its name."""
    details = _snapshot(phase)
    details.pop("geometry")
    details["geojson"] = json.dumps(mapping(to_shape(phase.geom)))[:100_000]
    audit(session, user, "phase.deleted", phase, **details)
    session.delete(phase)
    return details["name"]


# ----------------------------------------------------------------------------- the audit log


def _snapshot(phase: ConstructionPhase | None) -> dict:
    """What the audit log compares, as JSON values (the geometry as a key that only says 'changed')."""
    if phase is None:
        return {}
    return {
        "name": phase.name,
        "quartier": phase.quartier or "",
        "status": phase.status,
        "move_in": phase.move_in.isoformat() if phase.move_in else None,
        "homes": phase.homes,
        "persons_per_home": None if phase.persons_per_home is None else str(stored_persons(phase.persons_per_home)),
        "expected_residents": phase.expected_residents,
        "geometry": to_shape(phase.geom).wkb_hex if phase.geom is not None else None,
    }


def _changes(before: dict, after: dict) -> dict:
    changed = {k: [before.get(k), v] for k, v in after.items() if k != "geometry" and before.get(k) != v}
    if before.get("geometry") != after.get("geometry"):
        changed["geometry"] = True
    return changed
