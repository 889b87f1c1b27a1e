"""Every HTML form that POSTs, fed ordinary-but-hostile input, answers clearly and writes nothing by halves.

The test walks `app.url_map`: every route that accepts POST and is not under /api/ is a browser form and
must be exercised here or named, with the reason, in SKIPPED (a new form is covered, or fails this test,
without anybody remembering it). For each one it logs in as somebody who may use the form, GETs the page
that renders it, reads the form's fields from the HTML (inputs, selects, textareas, the CSRF token, the
button's formaction) and posts it:

* once as rendered (with the few values a person would type, BASELINE), which must succeed (a redirect):
  so the hostile variants below reach the code behind the first checks;
* then once per field and hostile value, the other fields as in the baseline: a NUL byte, another
  control character, 10,000 characters, a spreadsheet formula, a script tag, a line break, numbers that
  overflow a PostgreSQL integer or a float, NaN, dates outside the service's years or not in any calendar,
  and the field left out. Each kind of field gets the values that could break it (VALUES_FOR; hidden
  fields get them all), and a form met a second time (create and edit) only what got through the first:
  that keeps it to some 700 requests.

Every answer must be below 500 and, when it refuses (4xx, or the form again with errors), carry a German
message (an error page or form errors, no traceback, no English default of WTForms or Werkzeug). Each
request runs in a savepoint that is rolled back after it, so every variant starts from the same data; and
within it, a refused request must leave every table as it was (a content hash per table), a redirect must
lead to a page that works, and whatever was stored must hang together (no series without its bookings, no
site without its space).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import reset_rate_limits
from factories import create_organisation, create_space, guest_requests, make_manager, waitlist_states
from sqlalchemy import select, text
from werkzeug import exceptions as http_exceptions

from spaces.accounts import service as accounts
from spaces.booking import service as booking_service
from spaces.core.availability import BERLIN
from spaces.core.recurrence import Frequency, SeriesRequest, expand
from spaces.db import db
from spaces.models import BookingSeries, Closure, Need, OpeningHours, OutboxMail, Quartier, Role, User, memberships
from spaces.planning.phases import service as phases_service
from spaces.planning.rounds import service as rounds_service

pytestmark = pytest.mark.usefixtures("fast_password_hashes")

PASSWORD = "ein-langes-passwort"
NOW = datetime(2026, 11, 23, 10, tzinfo=BERLIN)  # a Monday; every date below is counted from it
SQUARE = {"type": "Polygon", "coordinates": [[[9.80, 52.33], [9.81, 52.33], [9.81, 52.34], [9.80, 52.34],
                                              [9.80, 52.33]]]}

# Routes that take POST but are not a browser form, each with the reason. Empty: every form is covered.
SKIPPED: dict[str, str] = {
    "waitlist.join": "rendered only on a refused booking (409); tests/booking/test_waitlist.py posts it with "
                     "hostile values",
}

MISSING = object()  # the field left out
HOSTILE = {
    "nul": "a\x00b",
    "bell": "\x07",
    "long": "x" * 10_000,
    "formula": '=HYPERLINK("http://example.org/x","klick")',
    "script": "<script>alert(1)</script>",
    "newline": "zwei\nZeilen",
    "int-overflow": "2147483648",
    "minus-one": "-1",
    "float-overflow": "1e309",
    "nan": "NaN",
    "year-9999": "9999-12-31",
    "year-1": "0001-01-01",
    "february-31": "31.02.2026",
    "hour-25": "25:00",
    "long-number": "9" * 10_000,
    "forged": "nicht-das-richtige-token",
    "missing": MISSING,
}
# Which hostile values each kind of field gets: what could break its kind (a date field gets dates, a
# number field numbers), and for every kind a NUL, 10,000 characters and the field left out. Hidden fields
# carry what the page put there (ids, weekdays, times), so they get everything. Bounded: one field at a time.
COMMON = ("nul", "long", "missing")
VALUES_FOR = {
    "text": (*COMMON, "bell", "formula", "script", "newline"),
    "hidden": tuple(name for name in HOSTILE if name not in ("forged", "long-number")),
    "number": ("nul", "long-number", "missing", "int-overflow", "minus-one", "float-overflow", "nan"),
    "date": (*COMMON, "year-9999", "year-1", "february-31"),
    "time": (*COMMON, "hour-25"),
    "choice": (*COMMON, "int-overflow"),  # not among the choices, and too large for an id
    "flag": COMMON,  # a single checkbox: ticked whatever it sends
    "file": (*COMMON, "script", "nan"),
    "csrf": ("nul", "forged", "missing"),
}

# What a person would type into a form that renders empty, so that the baseline succeeds.
BASELINE = {
    "inventory.upload": {"file": json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [9.74, 52.37]},
        "properties": {"name": "Neuer Raum", "capacity": "20", "operator": "Stadtteilhaus Linden e. V."}}]})},
    "privacy.delete": {"password": PASSWORD, "understood": "y"},
    "booking.book": {"starts": "18:00", "ends": "20:00", "attendees": "10", "purpose": "Probe"},
    "booking.change_series": {"from_day": "2026-12-11", "action": "time", "starts": "19:00", "ends": "21:00"},
    "auth.login": {"email": "alice@example.org", "password": PASSWORD},
    "auth.register": {"email": "neu@example.org", "display_name": "Neu", "organisation": "Neue Initiative",
                      "password": "ein-neues-passwort", "confirm": "ein-neues-passwort"},
    "auth.reset_request": {"email": "alice@example.org"},
    "auth.reset": {"password": "ein-neues-passwort", "confirm": "ein-neues-passwort"},
    "auth.confirm": {"password": PASSWORD},
    "auth.invite": {"email": "gast@example.org"},
    "guests.request_form": {"starts": "18:00", "ends": "20:00", "attendees": "10", "name": "Gül",
                            "email": "gast3@example.org", "group_name": "Hausgemeinschaft", "consent": "y"},
    "manage.new_space": {"address": "Lister Meile 33, 30161 Hannover", "lat": "52,3831", "lon": "9,7468",
                         "name": "Neuer Raum", "capacity": "20", "opens_1": "09:00", "closes_1": "21:00"},
    "manage.add_closure": {"closure-start_day": "2026-12-24", "closure-end_day": "2026-12-26",
                           "closure-reason": "Ferien"},
    "phases_admin.new_phase": {"geometry": json.dumps(SQUARE), "name": "Baufeld Neu", "homes": "100"},
    "phases_admin.upload": {"geojson": json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Baufeld Hochgeladen", "homes": 50}, "geometry": SQUARE}]})},
    "needs.new": {"title": "Chorprobe", "group_size": "20", "weekdays": ["1"], "window_from": "18:00",
                  "window_to": "21:00", "first_day": "2026-12-01", "last_day": "2026-12-22"},
}

# Answers to a refused request that legitimately write (table: why).
WRITES_WHEN_REFUSED = {
    # 409: "the world changed since the round was computed": the round is superseded by a new one, kept to show.
    "rounds.confirm": {"allocation_rounds", "audit_log"},
}

# Tables a request may change whatever it answers: counters and login sessions live outside the data.
NOT_DATA = {"rate_limits", "user_sessions", "alembic_version"}

# ----------------------------------------------------------------------------- reading forms from HTML


@dataclass
class Control:
    name: str
    kind: str  # text, hidden, number, date, time, checkbox, choice, file, csrf
    value: str | None  # what the browser sends as rendered (None: nothing, e.g. an unticked box)


@dataclass
class HtmlForm:
    action: str
    method: str
    controls: list[Control] = field(default_factory=list)
    formactions: list[str] = field(default_factory=list)

    def rendered(self) -> dict[str, list[str]]:
        """What a browser would send for the form as it is, name -> values (in order)."""
        data: dict[str, list[str]] = {}
        for c in self.controls:
            data.setdefault(c.name, [])
            if c.value is not None:
                data[c.name].append(c.value)
        return data

    def kinds(self) -> dict[str, str]:
        """name -> kind; a checkbox that is alone with its name is a flag, a group of them a choice."""
        kinds: dict[str, str] = {}
        for c in self.controls:
            kinds.setdefault(c.name, c.kind)
        for name, kind in kinds.items():
            if kind == "checkbox":
                kinds[name] = "flag" if sum(c.name == name for c in self.controls) == 1 else "choice"
        return kinds


INPUT_KINDS = {"number": "number", "date": "date", "time": "time", "checkbox": "checkbox", "radio": "choice",
               "file": "file", "hidden": "hidden"}


class FormParser(HTMLParser):
    """The forms of a page, with what each control would send."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None  # name, multiple, options
        self._option: list | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(action=a.get("action") or self.page_url, method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
        if self._form is None or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind_attr = a.get("type", "text").lower()
            if kind_attr in ("submit", "button", "reset", "image"):
                return
            kind = "csrf" if a["name"].endswith("csrf_token") else INPUT_KINDS.get(kind_attr, "text")
            if kind_attr in ("checkbox", "radio"):
                value = a.get("value", "on") if "checked" in a else None
            elif kind_attr == "file":
                value = None
            else:
                value = a.get("value", "")
            self._form.controls.append(Control(a["name"], kind, value))
        elif tag == "button" and a.get("formaction"):
            self._form.formactions.append(a["formaction"])
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected, label = self._option
            self._select[2].append((label.strip() if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple, options = self._select
            chosen = [v for v, selected in options if selected]
            if not chosen and not multiple and options:
                chosen = [options[0][0]]  # a browser sends the first option
            for value in chosen or [None]:
                self._form.controls.append(Control(name, "choice", value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, content = self._textarea
            self._form.controls.append(Control(name, "text", content.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_of(html: str, page_url: str) -> list[HtmlForm]:
    parser = FormParser(page_url)
    parser.feed(html)
    return [f for f in parser.forms if f.method == "post"]


# ----------------------------------------------------------------------------- judging answers


def _english_messages() -> set[str]:
    """WTForms' and Werkzeug's English default messages: none may reach a person here."""
    import wtforms

    pot = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
    found = {m for m in re.findall(r'^msgid "(.+)"$', pot.read_text(), re.M) if len(m) > 8}
    found |= {m.split("%(")[0].strip() for m in set(found) if "%(" in m}
    for obj in vars(http_exceptions).values():
        if isinstance(obj, type) and issubclass(obj, http_exceptions.HTTPException) \
                and isinstance(obj.description, str):
            found.add(obj.description.split(".")[0])
    return {m for m in found if len(m) > 8}


ENGLISH = _english_messages()
GERMAN_WORDS = {
    "bitte", "nicht", "kein", "keine", "keinen", "ist", "sind", "der", "die", "das", "den", "dem", "ein", "eine",
    "einen", "und", "oder", "zu", "mit", "von", "bis", "sie", "es", "gibt", "wurde", "nichts", "ungültig",
    "ungültige", "ungültiger", "gültige", "gültiges", "zahl", "datum", "angeben", "wählen", "höchstens",
    "mindestens", "zwischen", "ausfüllen", "anfrage", "formular", "diese", "dieser", "dieses", "nur", "für",
}
ERROR_BLOCK = re.compile(
    r'<(ul|div|p)[^>]*(?:role="alert"|class="errors?")[^>]*>(.*?)</\1>'  # form errors, alert boxes
    r'|<h1>Das hat nicht geklappt[^<]*</h1>\s*<p>(.*?)</p>',  # templates/error.html
    re.S)


def messages_of(html: str) -> list[str]:
    """The texts a page shows as errors: form errors, alert boxes, the error page's message."""
    found = []
    for match in ERROR_BLOCK.finditer(html):
        block = match.group(2) if match.group(2) is not None else match.group(3)
        words = re.sub(r"<[^>]+>", " ", block)
        found.append(" ".join(words.split()))
    return [m for m in found if m]


def looks_german(message: str) -> bool:
    words = {w.lower() for w in re.findall(r"[A-Za-zÄÖÜäöüß]+", message)}
    return bool(words & GERMAN_WORDS) or any(ch in message for ch in "äöüßÄÖÜ„“")


def judge(label: str, response, refused: bool) -> list[str]:
    """What is wrong with an answer (nothing: an empty list)."""
    html = response.get_data(as_text=True)
    problems = []
    if response.status_code >= 500:
        return [f"{label}: HTTP {response.status_code}"]
    if response.status_code not in (200, 302, 303, 400, 403, 404, 409, 413, 422, 429):
        problems.append(f"{label}: unexpected HTTP {response.status_code}")
    if "Traceback" in html or "Exception" in html:
        problems.append(f"{label}: a traceback on the page")
    if refused:
        shown = messages_of(html)
        if not shown:
            problems.append(f"{label}: HTTP {response.status_code} without any message")
        for message in shown:
            english = [e for e in ENGLISH if e in message]
            if english or not looks_german(message):
                problems.append(f"{label}: not a German message: {message[:200]!r}")
            sentences = re.split(r"(?<=[.!?])\s+", message)
            if len(sentences) != len(set(sentences)):
                problems.append(f"{label}: says the same twice: {message[:200]!r}")
    return problems


# ----------------------------------------------------------------------------- the data


@dataclass
class World:
    qm: User
    manager: User
    alice: User
    ina: User  # invited into alice's group
    ids: dict  # name -> id of the objects the routes name


@pytest.fixture
def world(session, clock) -> World:
    """Two rooms of a provider (one instant, one on request) with a closure; a choir with a weekly series and a
    request; an open need, a computed round, a construction phase, an invitation, a mail given up on, and an
    account waiting for its confirmation."""
    clock.set(NOW)
    provider = create_organisation(session, name="Stadtteilhaus Linden e. V.")
    manager = accounts.register(session, email="marta@example.org", display_name="Marta", password=PASSWORD)
    make_manager(session, manager, provider)
    qm = accounts.register(session, email="qm@example.org", display_name="QM", password=PASSWORD)
    qm.role = Role.QM_ADMIN
    alice = accounts.register(session, email="alice@example.org", display_name="Alice", password=PASSWORD,
                              organisation_name="Chor Linden-Süd")
    choir = alice.organisations[0]
    ina = accounts.register(session, email="ina@example.org", display_name="Ina", password=PASSWORD)
    session.add(Quartier(name="Linden-Süd", centre="SRID=4326;POINT(9.7300 52.3600)"))
    hall = create_space(session, organisation=provider, name="Saal", capacity=50, booking_mode="instant",
                        opening_hours=[OpeningHours(weekday=d, opens=time(0), closes=time(0)) for d in range(7)])
    club = create_space(session, organisation=provider, name="Clubraum", capacity=30, booking_mode="on_request",
                        opening_hours=[OpeningHours(weekday=d, opens=time(0), closes=time(0)) for d in range(7)])
    session.add(Closure(space_id=hall.id, reason="Wartung", during=_range(date(2027, 1, 5), date(2027, 1, 6))))
    session.flush()

    # Alice's weekly series on Wednesdays in the hall (to cancel), a request in the club room (to decide).
    weekly = SeriesRequest(first_day=date(2026, 12, 2), starts=time(18), ends=time(20), frequency=Frequency.WEEKLY,
                           until=date(2026, 12, 16))
    booking_service.request_booking(session, user=alice, organisation=choir, space=hall, slots=expand(weekly),
                                    attendees=12, purpose="Chorprobe", recurrence=weekly)
    once = SeriesRequest(first_day=date(2026, 12, 3), starts=time(18), ends=time(20), frequency=Frequency.ONCE)
    booking_service.request_booking(session, user=alice, organisation=choir, space=club, slots=expand(once),
                                    attendees=12, purpose="Vorstand")
    # A weekly request in the club room (the manager decides it as a series; Alice changes it from a date on).
    club_weekly = SeriesRequest(first_day=date(2026, 12, 4), starts=time(18), ends=time(20),
                                frequency=Frequency.WEEKLY, until=date(2026, 12, 18))
    booking_service.request_booking(session, user=alice, organisation=choir, space=club, slots=expand(club_weekly),
                                    attendees=12, purpose="Stimmbildung", recurrence=club_weekly)
    # A plain member of the choir, so that its admin's page offers rights to give and a member to remove.
    bob = accounts.register(session, email="bob@example.org", display_name="Bob", password=PASSWORD)
    session.execute(memberships.insert().values(user_id=bob.id, organisation_id=choir.id))
    # A need on Tuesdays (with proposals to request) that a round serves (to confirm).
    need = Need(organisation_id=choir.id, created_by_id=alice.id, title="Elterncafé", group_size=10,
                duration_minutes=120, status="open",
                time_pattern={"weekdays": [1], "from": "18:00", "to": "20:00", "first_day": "2026-12-01",
                              "last_day": "2026-12-22"})
    session.add(need)
    session.flush()
    stored = phases_service.store_upload(session, qm, json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Baufeld 1", "homes": 120}, "geometry": SQUARE}]}))
    assert stored.count == 1
    phase_id = session.scalar(text("SELECT id FROM construction_phases WHERE name = 'Baufeld 1'"))
    round_ = rounds_service.compute_and_store([need], qm)
    invitation = accounts.invite(session, choir, ina.email, alice)
    given_up = OutboxMail(recipient="alt@example.org", subject="Einladung", body="…", attempts=20,
                          last_error="SMTP-Server nicht erreichbar")
    session.add(given_up)
    session.flush()
    # Somebody who registered and has not confirmed the address yet (the confirmation form).
    signup = accounts.sign_up(session, email="neu-ungeprueft@example.org", display_name="Noch nicht bestätigt",
                              password=PASSWORD, organisation_name="Neue Initiative")
    guest_optin, guest_cancel = guest_requests(session, club)  # the confirmed one is in the manager's inbox
    waitlist_states(session, hall, alice)  # "Meine Buchungen": claim and give up (an offer), leave the line
    from spaces.inventory import service as inventory

    batch = inventory.store_upload(session, qm, "raeume.csv", "Name;Breite;Länge;Kapazität;Träger\n"
                                   "Neuer Raum;52,37;9,74;10;Stadtteilhaus Linden e. V.\n".encode(), None)
    return World(qm=qm, manager=manager, alice=alice, ina=ina, ids={
        "hall": hall.id, "club": club.id, "choir": choir.id, "need": need.id, "phase": phase_id,
        "round": round_.id, "invitation": invitation,
        "series": session.scalar(select(BookingSeries.id).where(BookingSeries.space_id == club.id)),
        "reset": accounts.reset_token(alice, "test-secret-key"),
        "unconfirmed": accounts.verification_token(signup.user, "test-secret-key", "/meine-buchungen"),
        "guest_optin": guest_optin, "guest_cancel": guest_cancel, "import": batch.id,
    })


def _range(first: date, last: date):
    from sqlalchemy.dialects.postgresql import Range

    return Range(datetime.combine(first, time(0), BERLIN), datetime.combine(last, time(0), BERLIN), bounds="[)")


def pages(w: World) -> list[tuple[User | None, str]]:
    """(who, page) for every page that renders a POST form."""
    i = w.ids
    return [
        (None, "/anmelden"),
        (None, "/registrieren"),
        (None, "/passwort-vergessen"),
        (None, f"/passwort-neu/{i['reset']}"),
        (None, f"/konto/bestaetigen/{i['unconfirmed']}"),
        (None, f"/raeume/{i['club']}/gastanfrage"),
        (None, f"/gastanfrage/bestaetigen/{i['guest_optin']}"),
        (None, f"/gastanfrage/absagen/{i['guest_cancel']}"),
        (w.alice, f"/raeume/{i['hall']}/buchen"),
        (w.alice, "/meine-buchungen"),
        (w.alice, f"/organisationen/{i['choir']}/kalender"),
        (w.alice, f"/organisationen/{i['choir']}/einladen"),
        (w.alice, f"/organisationen/{i['choir']}/mitglieder"),
        (w.alice, f"/serien/{i['series']}"),
        (w.alice, "/bedarfe/neu"),
        (w.alice, f"/bedarfe/{i['need']}/vorschlaege"),
        (w.ina, f"/einladung/{i['invitation']}"),
        (w.manager, "/verwaltung/anfragen"),
        (w.manager, "/verwaltung/raeume/neu"),
        (w.manager, f"/verwaltung/raeume/{i['hall']}/bearbeiten"),
        (w.qm, "/bedarf/richtwerte"),
        (w.qm, "/verwaltung/bauabschnitte/hochladen"),
        (w.qm, "/verwaltung/bauabschnitte/neu"),
        (w.qm, f"/verwaltung/bauabschnitte/{i['phase']}/bearbeiten"),
        (w.qm, "/verwaltung/raumvergabe"),
        (w.qm, f"/verwaltung/raumvergabe/{i['round']}"),
        (w.qm, "/verwaltung/mails"),
        (w.qm, "/verwaltung/import"),
        (w.qm, f"/verwaltung/import/{i['import']}"),
        (w.alice, "/konto/daten"),
    ]


# ----------------------------------------------------------------------------- the database's state


def data_tables() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables if t.name not in NOT_DATA]


def snapshot(session, tables: list[str]) -> dict[str, str]:
    """A hash of every row of every data table."""
    columns = ", ".join(
        f"(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x) AS \"{t}\""
        for t in tables)
    return dict(session.execute(text(f"SELECT {columns}")).mappings().one())


INVARIANTS = {  # what a half-written change would leave behind: name -> rows that show it
    "a booking series without any booking": "SELECT count(*) FROM booking_series s "
                                            "WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.series_id = s.id)",
    "a site without any space": "SELECT count(*) FROM sites s WHERE NOT EXISTS (SELECT 1 FROM spaces r "
                                "WHERE r.site_id = s.id)",
    "a met need without its booking in the audit log": (
        "SELECT count(*) FROM needs n WHERE n.status = 'met' AND NOT EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.object_type = 'needs' AND a.object_id = n.id::text "
        "AND a.action IN ('need.requested', 'round.confirmed'))"),
    "a booking without its audit entry": (
        "SELECT count(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.object_type = 'bookings' AND a.object_id = b.id::text)"),
}
_INVARIANTS_SQL = "SELECT " + ", ".join(f"({query}) AS \"{name}\"" for name, query in INVARIANTS.items())


def broken_invariants(session) -> list[str]:
    return [name for name, rows in session.execute(text(_INVARIANTS_SQL)).mappings().one().items() if rows]


# ----------------------------------------------------------------------------- the test


def route_key(app, url: str) -> tuple[str, tuple]:
    """(endpoint, the route's non-id arguments) of a POST to `url`."""
    endpoint, args = app.url_map.bind("localhost").match(urlsplit(url).path, method="POST")
    return endpoint, tuple(sorted((k, v) for k, v in args.items() if not isinstance(v, int)))


def post_routes(app) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules()
            if "POST" in r.methods and not r.rule.startswith("/api/") and r.endpoint != "static"}


def variants(form: HtmlForm, baseline: dict[str, list[str]]):
    """(label, data): the baseline, then each field with each hostile value of its kind (the others as in the
    baseline). Of a family of fields that differ only in a number (opens_0 ... opens_6) the first stands for all."""
    yield "baseline", baseline
    families = set()
    for name, kind in form.kinds().items():
        family = re.sub(r"\d+$", "#", name)
        if family in families:
            continue
        families.add(family)
        for value_name in VALUES_FOR[kind]:
            value = HOSTILE[value_name]
            data = dict(baseline)
            if value is MISSING:
                data.pop(name)
            else:
                data[name] = [value]
            yield f"{name}={value_name}", data


def encode(form: HtmlForm, data: dict[str, list[str]]):
    """The request body as the test client takes it: a file for a file input (then it goes as multipart, as a
    browser sends such a form), lists of values for the rest."""
    kinds = form.kinds()
    body = {}
    for name, values in data.items():
        if kinds.get(name) == "file":
            content = values[0] if values else ""
            body[name] = (io.BytesIO(content.encode("utf-8", "surrogatepass")), "upload.geojson" if content else "")
        else:
            body[name] = values
    return body


def log_in_cookie(client, session, user: User | None) -> None:
    if user is None:
        return
    token = accounts.open_session(session, user)
    session.flush()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = token
        cookie["_fresh"] = True


def readers(endpoint: str, location: str, ids: dict) -> list[str]:
    """Pages beyond the redirect's own that show what a successful submit stored: a space's public page (a
    stored 9999-12-31 once broke it), the gap report for phases, the room's page for a booking."""
    space = re.search(r"/verwaltung/raeume/(\d+)", location)
    if endpoint.startswith("manage.") and space:
        return [f"/raeume/{space[1]}"]
    if endpoint.startswith("phases_admin."):
        return ["/bedarf"]
    if endpoint == "booking.book":
        return [f"/raeume/{ids['hall']}"]
    if endpoint == "booking.decide":
        return [f"/raeume/{ids['club']}"]
    return []


@dataclass
class Target:
    """One form's action on one page, as one person sees it."""

    client: object
    cookie: dict  # the session cookie after the page was shown (login, CSRF token)
    form: HtmlForm
    action: str
    endpoint: str
    before: dict  # the data as every variant finds it (each runs in a savepoint that is rolled back)
    ids: dict  # the world's ids, for the pages that read what was stored


def test_every_form_answers_hostile_input_clearly_and_writes_nothing_by_halves(app, session, world):
    tables = data_tables()
    problems: list[str] = []
    covered: dict[tuple, int] = {}
    # The same form on another page (create and edit, accept and decline) runs the same validators: there
    # only the variants that got through them on the first page are sent again, to reach the other write path.
    passed: dict[frozenset, set[str]] = {}
    assert not broken_invariants(session), broken_invariants(session)

    for user, page_url in pages(world):
        client = app.test_client()
        log_in_cookie(client, session, user)
        page = client.get(page_url)
        assert page.status_code == 200, (page_url, page.status_code)
        with client.session_transaction() as cookie:
            cookie_state = dict(cookie)
        before = snapshot(session, tables)
        for form in forms_of(page.get_data(as_text=True), page_url):
            for action in [form.action, *form.formactions]:
                key = route_key(app, action)
                if key in covered:
                    continue  # the logout form is on every page: once is enough
                target = Target(client, cookie_state, form, action, key[0], before, world.ids)
                baseline = {**form.rendered(), **{k: v if isinstance(v, list) else [v]
                                                  for k, v in BASELINE.get(target.endpoint, {}).items()}}
                covered[key] = 0
                fields = frozenset(form.kinds())
                again = passed.get(fields)
                through = passed.setdefault(fields, {"baseline"})
                for label, data in variants(form, baseline):
                    if again is not None and label not in again:
                        continue
                    found, succeeded = exercise(session, tables, target, f"{target.endpoint} {action} {label}",
                                                data, must_succeed=label == "baseline")
                    problems += found
                    if succeeded:
                        through.add(label)
                    covered[key] += 1

    missing = post_routes(app) - {endpoint for endpoint, _ in covered} - set(SKIPPED)
    if missing:
        problems.append(f"POST routes whose form no page here renders (cover them or add them to SKIPPED): "
                        f"{sorted(missing)}")
    print(f"\n{len(covered)} form targets, {sum(covered.values())} requests")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def exercise(session, tables, target: Target, label: str, data: dict, *, must_succeed: bool):
    """POST one variant inside a savepoint that is rolled back afterwards: (what went wrong, whether it
    succeeded)."""
    client = target.client
    with client.session_transaction() as cookie:
        cookie.clear()
        cookie.update(target.cookie)
    if target.endpoint.startswith(("auth.", "guests.")):
        reset_rate_limits()  # the login, registration, reset and guest limits would answer 429 after a few
    savepoint = session.begin_nested()
    session.connection()  # the SAVEPOINT itself: begin_nested() alone waits for the next query
    try:
        try:
            response = client.post(target.action, data=encode(target.form, data))
        except Exception as err:  # noqa: BLE001 - TESTING propagates a 500 as the exception
            return [f"{label}: HTTP 500 ({type(err).__name__}: {str(err)[:300]})"], False
        html = response.get_data(as_text=True)
        refused = response.status_code >= 400 or (response.status_code == 200 and bool(messages_of(html)))
        problems = judge(label, response, refused)
        if must_succeed and response.status_code not in (302, 303):
            problems.append(f"{label}: the baseline did not succeed (HTTP {response.status_code}): "
                            f"{messages_of(html)}")
        if refused:
            after = snapshot(session, tables)
            allowed = WRITES_WHEN_REFUSED.get(target.endpoint, set())
            changed = sorted(t for t in tables if target.before[t] != after[t] and t not in allowed)
            if changed:
                problems.append(f"{label}: refused (HTTP {response.status_code}) but wrote to {changed}")
        if broken := broken_invariants(session):
            problems.append(f"{label}: half-written: {broken}")
        if response.status_code in (302, 303):
            location = response.headers["Location"]
            for url in [location, *readers(target.endpoint, location, target.ids)]:
                try:
                    shown = client.get(url)
                except Exception as err:  # noqa: BLE001
                    problems.append(f"{label}: then {url} fails ({type(err).__name__}: {str(err)[:300]})")
                    continue
                if shown.status_code >= 500:
                    problems.append(f"{label}: then {url} answers HTTP {shown.status_code}")
        return problems, response.status_code in (302, 303)
    finally:
        savepoint.rollback()
