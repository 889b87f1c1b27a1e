"""The inventory import: rows of a file matched against the database (the plan), shown, then written all or nothing.

`plan_file` / `plan_rows` say per row what would happen: "neu" (create), "aktualisiert" (update: the same
external id, or, for a row without one, the same provider, address and name), "unverändert" (every field the row
gives equals what is stored) or "abgelehnt" with the reasons. Nothing is written until `apply`, which matches the
rows again under a lock and refuses (PlanOutdated, nothing written) when the database changed since the plan in a
way that changes any row's outcome; then it writes everything in a savepoint of the caller's transaction, in a few
bulk statements (COPY for new rows), or nothing at all.

Who may import (`Importer`): QM admins and the command line anything, creating unknown providers ("neuer
Träger"); space managers only for the organisations whose spaces they manage, and no new providers.

Sites: one per (provider, address), case aside, as the space form does; a row without an address gets its
coordinates as the address ("52.374500, 9.738600"). A new space needs a capacity; an update keeps what a row
leaves empty. Opening hours in a row replace the space's weekly hours; a row without them leaves them alone.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

import psycopg
from flask import current_app
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from spaces.accounts.service import managed_organisation_ids
from spaces.booking.rules import audit
from spaces.clock import now_utc
from spaces.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from spaces.core.phrases import Phrase, phrase
from spaces.inventory.plan import FIELD_WORDS, Checked, check_row, point_address
from spaces.inventory.rows import RawRow, ReadError
from spaces.inventory.tables import ImportBatch
from spaces.models import Organisation, Role, User

BATCH_HOURS = 24  # an upload waits this long for "Import bestätigen"
LOCK_KEY = 150_020  # pg_advisory_xact_lock: one import at a time, so two cannot both create the same id
SPACE_FIELDS = ("name", "kind", "capacity", "area_m2", "floor", "step_free", "accessible_wc", "lift", "hearing_loop",
                "equipment", "booking_mode", "bookable_by", "cost_eur", "description", "house_rules", "available_from",
                "available_until")
DEFAULTS = {"kind": "room", "area_m2": None, "floor": None, "step_free": False, "accessible_wc": False, "lift": False,
            "hearing_loop": False, "equipment": [], "booking_mode": "on_request", "bookable_by": "everyone",
            "cost_eur": None, "description": "", "house_rules": "", "available_from": None, "available_until": None}


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REFUSE = "refuse"


ACTION_WORDS = {Action.CREATE: "neu", Action.UPDATE: "aktualisiert", Action.UNCHANGED: "unverändert",
                Action.REFUSE: "abgelehnt"}


class PlanOutdated(Conflict):
    """The database changed since the plan so that some rows would now fare differently: nothing was written."""

    default_code = "import_outdated"


@dataclass(frozen=True)
class Importer:
    """Who imports: a user (QM admin: any provider; space manager: the organisations they manage) or the command
    line (user None: all rights); `default_provider` is the provider of rows that name none."""

    user: User | None = None
    default_provider: str | None = None

    @property
    def all_rights(self) -> bool:
        return self.user is None or self.user.role == Role.QM_ADMIN


@dataclass
class Entry:
    """What happens to one row: its action, the reasons it is refused, notes, the values it gives."""

    ref: str
    action: Action
    values: dict[str, object]
    reasons: list[Phrase] = field(default_factory=list)
    notes: list[Phrase] = field(default_factory=list)
    space_id: int | None = None
    changed: list[str] = field(default_factory=list)  # the fields an update changes
    provider: str = ""  # the provider's name as it will be stored

    @property
    def action_word(self) -> str:
        return ACTION_WORDS[self.action]

    def key(self) -> str:
        return "|".join((self.ref, self.action, str(self.space_id), ",".join(self.changed), *self.reasons))


@dataclass
class Counts:
    """How many rows were (or would be) created, updated, left unchanged and refused, and the rows."""

    created: int
    updated: int
    unchanged: int
    refused: int
    entries: list[Entry]

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.refused

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "refused": self.refused}


@dataclass
class Plan:
    """The outcome of every row against the database as it was when planned."""

    importer: Importer
    checked: list[Checked]
    entries: list[Entry]
    new_providers: list[str]
    filename: str = ""
    batch: ImportBatch | None = None
    # internal: what apply writes
    _targets: dict[int, _Target] = field(default_factory=dict, repr=False)

    def _count(self, action: Action) -> int:
        return sum(1 for e in self.entries if e.action == action)

    @property
    def created(self) -> int:
        return self._count(Action.CREATE)

    @property
    def updated(self) -> int:
        return self._count(Action.UPDATE)

    @property
    def unchanged(self) -> int:
        return self._count(Action.UNCHANGED)

    @property
    def refused(self) -> int:
        return self._count(Action.REFUSE)

    @property
    def counts(self) -> Counts:
        return Counts(self.created, self.updated, self.unchanged, self.refused, self.entries)

    @property
    def fingerprint(self) -> str:
        """A digest of every row's outcome: equal fingerprints, equal imports."""
        digest = hashlib.sha256()
        for entry in self.entries:
            digest.update(entry.key().encode())
            digest.update(b"\n")
        digest.update("|".join(self.new_providers).encode())
        return digest.hexdigest()


@dataclass
class _Target:
    """Where a creating or updating row goes: the organisation (id or a new provider's name) and the site."""

    organisation_id: int | None
    new_provider: str | None
    address: str
    site_id: int | None  # an existing site of the organisation at this address
    old_site_id: int | None = None  # an update's site before


# ----------------------------------------------------------------------------- planning


def plan_file(session: Session, *, filename: str, data: bytes, importer: Importer) -> Plan:
    """Read the file (spaces.inventory.formats) and plan its rows; ReadError when it cannot be read at all."""
    plan = plan_rows(session, read_file(filename, data), importer)
    plan.filename = filename
    return plan


def read_file(filename: str, data: bytes) -> list[RawRow]:
    """The file's rows (CSV, XLSX, GeoJSON, OSM); ReadError with a German message when it cannot be read."""
    from spaces.inventory.formats import read  # the readers' module (imported late: it loads openpyxl, osmium)

    return read(filename, data)


def plan_rows(session: Session, rows: list[RawRow], importer: Importer) -> Plan:
    """What importing `rows` would do, row by row, against the database as it is now; writes nothing."""
    bounds = tuple(current_app.config["CITY_BOUNDS"])
    return _match(session, [check_row(row, bounds) for row in rows], importer)


def _lower(value: str | None) -> str:
    return " ".join((value or "").split()).lower()


def _match(session: Session, checked: list[Checked], importer: Importer) -> Plan:  # noqa: C901 (the rules in order)
    managed = None if importer.all_rights else set(managed_organisation_ids(session, importer.user))
    default = _lower(importer.default_provider) or None
    provider_names = {_lower(c.values.get("provider")) for c in checked if c.values.get("provider")}
    if default:
        provider_names.add(default)
    organisations = _organisations(session, provider_names, managed)
    by_external = _spaces_by_external_id(session, [c.values["external_id"] for c in checked
                                                   if "external_id" in c.values])
    keys = []
    for c in checked:
        if c.refused or c.values.get("external_id") in by_external:
            continue  # refused, or matched by its id: no need to look for it by provider, address and name
        provider = _lower(c.values.get("provider")) or default
        org = organisations.get(provider) if provider else None
        address = c.values.get("address") or point_address(c.values["lat"], c.values["lon"])
        if org is not None:
            keys.append((org[0], _lower(address), _lower(c.values["name"])))
    by_key, sites = _spaces_and_sites_by_key(session, keys)

    plan = Plan(importer=importer, checked=checked, entries=[], new_providers=[])
    new_providers: dict[str, str] = {}
    first_external: dict[str, str] = {}
    first_key: dict[tuple, str] = {}
    claimed: dict[int, str] = {}
    for index, c in enumerate(checked):
        entry = Entry(ref=c.ref, action=Action.REFUSE, values=_shown(c), reasons=list(c.reasons), notes=list(c.notes))
        plan.entries.append(entry)
        external = c.values.get("external_id")
        if external is not None:
            if external in first_external:
                entry.reasons.append(phrase("Die Kennung „%(id)s“ steht schon in %(ref)s.", id=external,
                                            ref=first_external[external]))
            else:
                first_external[external] = c.ref
        if entry.reasons:
            continue
        current = by_external.get(external) if external else None
        if current is not None and managed is not None and current["organisation_id"] not in managed:
            entry.reasons.append(phrase("Die Kennung „%(id)s“ gehört zu einem Raum von „%(org)s“, den Sie nicht "
                                        "verwalten.", id=external, org=current["organisation"]))
            continue
        # the provider: the row's, else the file's default, else (an update) the space's own
        provider = _lower(c.values.get("provider")) or default
        if provider is None and current is None:
            entry.reasons.append(phrase("Kein Träger angegeben, und für die Datei ist keiner gewählt."))
            continue
        org = organisations.get(provider) if provider else (current["organisation_id"], current["organisation"])
        provider_name = c.values.get("provider") or importer.default_provider or ""
        if org is None:
            if managed is not None:
                entry.reasons.append(phrase("Den Träger „%(org)s“ gibt es hier noch nicht; neue Träger legt die QM "
                                            "an.", org=provider_name))
                continue
            new_providers.setdefault(provider, " ".join(provider_name.split()))
            entry.notes.append(phrase("neuer Träger „%(org)s“", org=new_providers[provider]))
        elif managed is not None and org[0] not in managed:
            entry.reasons.append(phrase("Sie verwalten die Räume von „%(org)s“ nicht.", org=org[1]))
            continue
        entry.provider = org[1] if org else new_providers[provider]
        if "address" in c.values:
            address = c.values["address"]
        elif current is not None and current["organisation_id"] == (org[0] if org else None):
            address = current["address"]  # an update without an address stays where it is
        else:
            address = point_address(c.values["lat"], c.values["lon"])
        key = (provider, _lower(address), _lower(c.values["name"]))
        if key in first_key:
            entry.reasons.append(phrase("Doppelt: %(ref)s nennt denselben Raum (Träger, Adresse und Name).",
                                        ref=first_key[key]))
            continue
        first_key[key] = c.ref
        same_place = by_key.get((org[0], key[1], key[2])) if org else None
        if current is None and same_place is not None:
            if same_place["external_id"] and external and same_place["external_id"] != external:
                entry.reasons.append(phrase(
                    "„%(org)s“ hat an dieser Adresse schon einen Raum „%(name)s“ mit der Kennung „%(id)s“.",
                    org=entry.provider, name=same_place["name"], id=same_place["external_id"]))
                continue
            current = same_place
        elif current is not None and same_place is not None and same_place["id"] != current["id"]:
            entry.reasons.append(phrase("„%(org)s“ hat an dieser Adresse schon einen anderen Raum „%(name)s“.",
                                        org=entry.provider, name=same_place["name"]))
            continue
        if current is not None and current["id"] in claimed:
            entry.reasons.append(phrase("Doppelt: %(ref)s ändert denselben Raum.", ref=claimed[current["id"]]))
            continue
        site_id = sites.get((org[0], key[1])) if org else None
        if (current is not None and org and org[0] == current["organisation_id"]
                and key[1] == _lower(current["address"])):
            site_id = current["site_id"]  # the same place: stay on the space's own site
        target = _Target(org[0] if org else None, None if org else new_providers[provider], address, site_id)
        if current is None:
            if "capacity" not in c.values:
                entry.reasons.append(phrase("Keine Kapazität angegeben: ein neuer Raum braucht sie."))
                continue
            entry.action = Action.CREATE
        else:
            claimed[current["id"]] = c.ref
            entry.space_id = current["id"]
            entry.changed = _changes(c, current, target, external)
            target.old_site_id = current["site_id"]
            entry.action = Action.UPDATE if entry.changed else Action.UNCHANGED
        plan._targets[index] = target
    plan.new_providers = sorted(set(new_providers.values()))
    return plan


def _shown(c: Checked) -> dict[str, object]:
    """The row's values for the preview, as text."""
    shown = {}
    for name, value in c.values.items():
        if isinstance(value, bool):
            value = "ja" if value else "nein"
        elif isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, Decimal):
            value = str(value).replace(".", ",")
        shown[name] = value
    return shown


def _organisations(session: Session, names: set[str], managed: set[int] | None) -> dict[str, tuple[int, str]]:
    """Organisations by their name (case and spacing aside): (id, name); of namesakes a managed one, else the
    oldest."""
    if not names:
        return {}
    found: dict[str, tuple[int, str]] = {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(
        func.lower(func.regexp_replace(func.btrim(Organisation.name), r"\s+", " ", "g")).in_(sorted(names)))
        .order_by(Organisation.id))
    for org_id, name in rows:
        key = _lower(name)
        if key not in found or (managed is not None and org_id in managed and found[key][0] not in managed):
            found[key] = (org_id, name)
    return found


_SPACE_COLUMNS = """s.id, s.external_id, s.name, s.kind, s.capacity, s.area_m2, s.floor, s.step_free, s.accessible_wc,
    s.lift, s.hearing_loop, s.equipment, s.booking_mode, s.bookable_by, s.cost_eur, s.description, s.house_rules,
    s.available_from, s.available_until, ST_Y(s.location) AS lat, ST_X(s.location) AS lon, s.site_id, t.address,
    t.organisation_id, o.name AS organisation,
    coalesce(w.hours, '{}') AS hours"""
# the weekly hours of each space found (through the index on opening_hours.space_id)
_HOURS_JOIN = """LEFT JOIN LATERAL (SELECT array_agg(h.weekday || ' ' || to_char(h.opens, 'HH24:MI') || '-'
                                                 || to_char(h.closes, 'HH24:MI') ORDER BY h.weekday, h.opens) AS hours
                           FROM opening_hours h WHERE h.space_id = s.id) w ON true"""


def _spaces_by_external_id(session: Session, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    rows = session.execute(text(
        f"SELECT {_SPACE_COLUMNS} FROM spaces s JOIN sites t ON t.id = s.site_id "
        f"JOIN organisations o ON o.id = t.organisation_id {_HOURS_JOIN} WHERE s.external_id = ANY(:ids)"),
        {"ids": ids}).mappings()
    return {row["external_id"]: dict(row) for row in rows}


def _spaces_and_sites_by_key(session: Session, keys: list[tuple[int, str, str]]):
    """Existing spaces by (organisation, address, name) and sites by (organisation, address), case aside."""
    if not keys:
        return {}, {}
    orgs, addresses, names = (list(column) for column in zip(*keys))
    params = {"orgs": orgs, "addresses": addresses, "names": names}
    spaces = session.execute(text(
        f"SELECT DISTINCT ON (s.id) {_SPACE_COLUMNS} FROM unnest(CAST(:orgs AS int[]), CAST(:addresses AS text[]), "
        "CAST(:names AS text[])) AS k(org, address, name) "
        "JOIN sites t ON t.organisation_id = k.org AND lower(t.address) = k.address "
        "JOIN spaces s ON s.site_id = t.id AND lower(s.name) = k.name "
        f"JOIN organisations o ON o.id = t.organisation_id {_HOURS_JOIN}"), params).mappings()
    by_key = {(row["organisation_id"], _lower(row["address"]), _lower(row["name"])): dict(row) for row in spaces}
    sites = session.execute(text(
        "SELECT DISTINCT ON (t.organisation_id, lower(t.address)) t.id, t.organisation_id, t.address "
        "FROM unnest(CAST(:orgs AS int[]), CAST(:addresses AS text[])) AS k(org, address) "
        "JOIN sites t ON t.organisation_id = k.org AND lower(t.address) = k.address "
        "ORDER BY t.organisation_id, lower(t.address), t.id"), {"orgs": orgs, "addresses": addresses})
    return by_key, {(org, _lower(address)): site_id for site_id, org, address in sites}


def _hours_text(hours) -> list[str]:
    return [f"{d} {o:%H:%M}-{c:%H:%M}" for d, o, c in sorted(hours)]


def _changes(c: Checked, current: dict, target: _Target, external: str | None) -> list[str]:
    """The fields the row changes on the stored space."""
    changed = []
    if target.organisation_id != current["organisation_id"]:
        changed.append("provider")
    if _lower(target.address) != _lower(current["address"]):
        changed.append("address")
    if (round(c.values["lat"], 6), round(c.values["lon"], 6)) != (round(current["lat"], 6), round(current["lon"], 6)):
        changed.append("location")
    if external is not None and external != current["external_id"]:
        changed.append("external_id")
    for name in SPACE_FIELDS:
        if name in c.values:
            stored = current[name]
            if name == "equipment":
                stored = sorted(stored or [])
                if sorted(c.values[name]) != stored:
                    changed.append(name)
            elif c.values[name] != stored:
                changed.append(name)
    if c.hours is not None and _hours_text(c.hours) != list(current["hours"]):
        changed.append("opening_hours")
    return changed


def changed_words(entry: Entry) -> str:
    """The changed fields as the preview names them ("Kapazität, Öffnungszeiten")."""
    return ", ".join(FIELD_WORDS.get(name, name) for name in entry.changed)


# ----------------------------------------------------------------------------- applying


def apply(session: Session, plan: Plan) -> Counts:
    """Write the plan in the caller's transaction, all or nothing; PlanOutdated (nothing written) when the database
    changed since the plan so that a row would fare differently; Conflict when the database refused a row."""
    session.flush()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    again = _match(session, plan.checked, plan.importer)
    if again.fingerprint != plan.fingerprint:
        raise PlanOutdated(_outdated_message(plan, again))
    try:
        with session.begin_nested():
            _write(session, again)
            counts = again.counts
            batch = plan.batch or _command_line_batch(session, plan)
            batch.applied_at = now_utc()
            batch.rows = []
            batch.result = {**counts.as_dict(), "spaces": [
                [e.space_id, e.values.get("name"), str(e.action)] for e in again.entries
                if e.action in (Action.CREATE, Action.UPDATE)][:200]}
            audit(session, plan.importer.user, "inventory.imported", batch, filename=plan.filename,
                  providers_created=len(again.new_providers), **counts.as_dict())
            session.flush()
    except (IntegrityError, DBAPIError, psycopg.Error) as err:
        raise Conflict(phrase("Die Datenbank hat den Import abgelehnt (%(reason)s); es wurde nichts geändert.",
                              reason=str(getattr(err, "orig", err)).splitlines()[0][:200]), "import_refused") from None
    plan.entries = again.entries
    return counts


def _outdated_message(plan: Plan, again: Plan) -> Phrase:
    before = {e.ref: e for e in plan.entries}
    differing = [e.ref for e in again.entries if before.get(e.ref) is None or before[e.ref].key() != e.key()]
    return phrase("Der Bestand hat sich seit der Vorschau geändert (%(rows)s); es wurde nichts geändert. Bitte die "
                  "neue Vorschau prüfen.", rows=", ".join(differing[:5]) + (" …" if len(differing) > 5 else ""))


def _command_line_batch(session: Session, plan: Plan) -> ImportBatch:
    batch = ImportBatch(owner_id=plan.importer.user.id if plan.importer.user else None, filename=plan.filename[:200],
                        default_provider=plan.importer.default_provider, rows=[], expires_at=now_utc())
    session.add(batch)
    session.flush()
    return batch


def _copy(session: Session, statement: str, rows: Iterable[tuple]) -> None:
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _reserve_ids(session: Session, table: str, n: int) -> list[int]:
    if not n:
        return []
    return list(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                                {"t": table, "n": n}))


def _point(c: Checked) -> str:
    return f"SRID=4326;POINT({c.values['lon']} {c.values['lat']})"


def _write(session: Session, plan: Plan) -> None:  # noqa: C901 (the writes in order)
    """Organisations, sites, new spaces, updates and opening hours, in a few bulk statements."""
    session.flush()
    moving = [i for i, e in enumerate(plan.entries) if e.action in (Action.CREATE, Action.UPDATE)]
    # new providers
    org_ids: dict[str, int] = {}
    if plan.new_providers:
        org_ids = dict(session.execute(text(
            "INSERT INTO organisations (key, name, kind) SELECT k, n, 'other' "
            "FROM unnest(CAST(:keys AS text[]), CAST(:names AS text[])) AS u(k, n) RETURNING name, id"),
            {"keys": [f"org-{secrets.token_hex(6)}" for _ in plan.new_providers], "names": plan.new_providers}).all())
    # sites: the existing one at the address, else a new one at the first row's point
    site_ids: dict[tuple[int, str], int] = {}
    new_sites: list[tuple[int, str, str]] = []
    for i in moving:
        target = plan._targets[i]
        if target.organisation_id is None:
            target.organisation_id = org_ids[target.new_provider]
        key = (target.organisation_id, _lower(target.address))
        if target.site_id is not None:
            site_ids.setdefault(key, target.site_id)
        elif key not in site_ids:
            site_ids[key] = -1 - len(new_sites)
            new_sites.append((target.organisation_id, target.address, _point(plan.checked[i])))
    reserved = _reserve_ids(session, "sites", len(new_sites))
    _copy(session, "COPY sites (id, organisation_id, address, location) FROM STDIN",
          ((site_id, *site) for site_id, site in zip(reserved, new_sites)))
    for key, site_id in site_ids.items():
        if site_id < 0:
            site_ids[key] = reserved[-1 - site_id]
    # new spaces
    creating = [i for i in moving if plan.entries[i].action == Action.CREATE]
    space_ids = _reserve_ids(session, "spaces", len(creating))
    columns = ("id", "site_id", "location", "external_id", *SPACE_FIELDS)

    def new_rows():
        for space_id, i in zip(space_ids, creating):
            c, target = plan.checked[i], plan._targets[i]
            plan.entries[i].space_id = space_id
            values = {**DEFAULTS, **c.values}
            yield (space_id, site_ids[(target.organisation_id, _lower(target.address))], _point(c),
                   c.values.get("external_id"), *(values[name] for name in SPACE_FIELDS))

    _copy(session, f"COPY spaces ({', '.join(columns)}) FROM STDIN", new_rows())
    # updates: every field the row gives, and where it stands
    updating = [i for i in moving if plan.entries[i].action == Action.UPDATE]
    by_fields: dict[tuple[str, ...], list[dict]] = {}
    for i in updating:
        c, target, entry = plan.checked[i], plan._targets[i], plan.entries[i]
        given = tuple(name for name in SPACE_FIELDS if name in c.values)
        params = {name: c.values[name] for name in given}
        params.update(id=entry.space_id, site_id=site_ids[(target.organisation_id, _lower(target.address))],
                      location=_point(c), external_id=c.values.get("external_id"))
        by_fields.setdefault(given, []).append(params)
    for given, params in by_fields.items():  # one executemany per set of given fields
        assignments = "".join(f", {name} = :{name}" for name in given)
        session.execute(text(
            "UPDATE spaces SET site_id = :site_id, location = ST_GeomFromEWKT(:location), "
            f"external_id = coalesce(:external_id, external_id){assignments} WHERE id = :id"), params)
    if updating:
        ids = [plan.entries[i].space_id for i in updating]
        # a site that holds only this space follows its point; a site left empty by a move goes
        session.execute(text(
            "UPDATE sites SET location = s.location FROM spaces s WHERE s.site_id = sites.id AND s.id = ANY(:ids) "
            "AND NOT ST_Equals(sites.location, s.location) "
            "AND NOT EXISTS (SELECT 1 FROM spaces o WHERE o.site_id = sites.id AND o.id <> s.id)"), {"ids": ids})
        session.execute(text(
            "DELETE FROM sites t WHERE NOT EXISTS (SELECT 1 FROM spaces s WHERE s.site_id = t.id) "
            "AND t.id = ANY(:sites)"), {"sites": [plan._targets[i].old_site_id for i in updating]})
    # opening hours: replaced where the row gives them
    hours_of = [i for i in moving if plan.checked[i].hours is not None
                and (plan.entries[i].action == Action.CREATE or "opening_hours" in plan.entries[i].changed)]
    replaced = [plan.entries[i].space_id for i in hours_of if plan.entries[i].action == Action.UPDATE]
    if replaced:
        session.execute(text("DELETE FROM opening_hours WHERE space_id = ANY(:ids)"), {"ids": replaced})
    _copy(session, "COPY opening_hours (space_id, weekday, opens, closes) FROM STDIN",
          ((plan.entries[i].space_id, d, o, cl) for i in hours_of for d, o, cl in plan.checked[i].hours))
    session.expire_all()


# ----------------------------------------------------------------------------- the browser's batches


def may_import(session: Session, user: User) -> None:
    """QM admins and space managers may import; anyone else: Forbidden."""
    if user.role != Role.QM_ADMIN and not managed_organisation_ids(session, user):
        raise Forbidden(phrase("Räume importieren können die QM und die Raumverwaltung einer Organisation."))


def provider_choices(session: Session, user: User) -> list[str]:
    """The providers a user may name as the default of a file: QM admins all, space managers theirs."""
    query = select(Organisation.name).order_by(Organisation.name).distinct()
    if user.role != Role.QM_ADMIN:
        query = query.where(Organisation.id.in_(managed_organisation_ids(session, user)))
    return list(session.scalars(query))


def store_upload(session: Session, user: User, filename: str, data: bytes, default_provider: str | None
                 ) -> ImportBatch:
    """Read an uploaded file and keep its rows until confirmed (BATCH_HOURS); Unprocessable (field "file") when it
    cannot be read or holds no rows. Expired batches of anyone are removed on the way."""
    may_import(session, user)
    try:
        rows = read_file(filename, data)
    except ReadError as err:
        raise Unprocessable(err.args[0], "unreadable", field="file") from None
    if not rows:
        raise Unprocessable(phrase("Die Datei enthält keine Zeilen mit Räumen."), "empty", field="file")
    session.execute(delete(ImportBatch).where(ImportBatch.expires_at < now_utc(), ImportBatch.applied_at.is_(None)))
    batch = ImportBatch(owner_id=user.id, filename=(filename or "")[:200], default_provider=default_provider or None,
                        rows=[{"ref": r.ref, "values": r.values, "tags": r.tags} for r in rows],
                        expires_at=now_utc() + timedelta(hours=BATCH_HOURS))
    session.add(batch)
    session.flush()
    return batch


def owned_batch(session: Session, user: User, batch_id) -> ImportBatch:
    """The user's batch; NotFound for anyone else's, and for one that expired unconfirmed."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.owner_id != user.id or (batch.applied_at is None and batch.expires_at < now_utc()):
        raise NotFound(phrase("Diesen Import gibt es nicht (mehr). Bitte die Datei noch einmal hochladen."))
    return batch


def plan_batch(session: Session, user: User, batch: ImportBatch) -> Plan:
    """The waiting batch's plan against the database as it is now."""
    may_import(session, user)
    if batch.applied_at is not None:
        raise Conflict(phrase("Dieser Import ist schon übernommen."), "applied")
    rows = [RawRow(ref=r["ref"], values=r.get("values") or {}, tags=r.get("tags") or {}) for r in batch.rows]
    plan = plan_rows(session, rows, Importer(user, batch.default_provider))
    plan.filename, plan.batch = batch.filename, batch
    return plan


def confirm(session: Session, user: User, batch: ImportBatch, fingerprint: str) -> Counts:
    """Apply the batch as the preview showed it (`fingerprint`), all or nothing; PlanOutdated when it would differ."""
    plan = plan_batch(session, user, batch)
    if plan.fingerprint != fingerprint:
        raise PlanOutdated(phrase("Der Bestand hat sich seit der Vorschau geändert; es wurde nichts geändert. Bitte "
                                  "die neue Vorschau prüfen."))
    return apply(session, plan)


def discard(session: Session, user: User, batch: ImportBatch) -> None:
    """Forget a waiting batch ("Verwerfen")."""
    if batch.applied_at is not None:
        raise Conflict(phrase("Dieser Import ist schon übernommen."), "applied")
    session.delete(batch)
    session.flush()


def preview_entries(plan: Plan, limit: int = 200) -> tuple[list[Entry], int]:
    """The rows the preview lists: every refused one (up to 1,000) and the first `limit` others; and how many
    others are left out."""
    refused = [e for e in plan.entries if e.action == Action.REFUSE][:1000]
    others = [e for e in plan.entries if e.action != Action.REFUSE]
    return refused + others[:limit], len(others) - min(len(others), limit) + (plan.refused - len(refused))
