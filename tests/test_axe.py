"""Accessibility: axe-core finds no violation on any page a person can open, in a real headless Chromium.

Every GET route of `app.url_map` that answers with an HTML page is visited here (PAGES), as the person who
would open it (nobody logged in, a member of an initiative, a space manager, a QM admin) and with real data
behind it (a space with bookings and a closure, a series, a request, a need, a computed round, a
construction phase, an invitation, a password-reset and a confirmation link). A GET route that is neither
visited nor named, with the reason, in NOT_VISITED fails the test: a new page cannot be forgotten.

On each page axe-core (tests/vendor/axe-core, injected by Playwright, never served to users) runs with the
WCAG 2.0/2.1 A and AA rules and the best practices; every page at the phone width 375x812, the key pages
(the map, a space, the gap report) also at 1366x768; a few pages also as a person leaves them (STATES: the
map's filter panel open, a marker's popup open, forms sent empty with their errors). A violation fails the
test with the rule, its impact and the selectors of the elements concerned. A violation that is known and
not fixed yet is listed, with the reason, in KNOWN: the test is then reported as xfailed, and fails as soon
as the violation is gone (remove the entry) or a new one appears.

The browser context bypasses the pages' Content-Security-Policy only so that the injected axe script may
run; the pages themselves are served and rendered unchanged.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

import pytest
from conftest import LiveServer, migrated_app, wait_until
from factories import create_organisation, create_space, guest_requests, make_manager, waitlist_states
from sqlalchemy import text

from spaces import clock as service_clock
from spaces.core.availability import BERLIN
from spaces.db import db

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
NOW = datetime(2026, 11, 23, 10, tzinfo=BERLIN)  # a Monday; the data below is counted from it
PASSWORD = "ein-langes-passwort"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 768}
SQUARE = {"type": "Polygon", "coordinates": [[[9.80, 52.33], [9.81, 52.33], [9.81, 52.34], [9.80, 52.34],
                                              [9.80, 52.33]]]}
MAP_READY = ".folium-map[data-loaded='1']"  # map.js and gaps-map.js set it when the markers are in

# (who, path, also at desktop width, a selector to wait for). {names} are filled from the data made below.
# who: anon (nobody logged in), anon_en (nobody, in English), alice (a member of the choir "Chor Linden-Süd"),
# ina (invited into it), marta (manages the rooms of a provider), qm (a QM admin).
PAGES: list[tuple[str, str, bool, str | None]] = [
    ("anon", "/", True, MAP_READY),
    ("anon", "/?capacity=400", False, MAP_READY),  # nobody has room for 400: suggestions to relax the search
    ("anon", "/?capacity=viele", False, None),  # the search's error summary
    ("anon", "/raeume/{hall}", True, None),
    ("anon", "/raeume/{club}", False, None),  # on request: "Ohne Konto anfragen"
    ("anon", "/raeume/{club}/gastanfrage", False, None),
    ("anon", "/raeume/{club}/gastanfrage/gesendet", False, None),
    ("anon", "/gastanfrage/bestaetigen/{guest_optin}", False, None),
    ("anon", "/gastanfrage/absagen/{guest_cancel}", False, None),
    ("anon_en", "/raeume/{hall}?lang=en", False, None),
    ("anon", "/impressum", False, None),
    ("anon", "/datenschutz", False, None),
    ("anon", "/anmelden", False, None),
    ("anon", "/registrieren", False, None),
    ("anon", "/passwort-vergessen", False, None),
    ("anon", "/passwort-neu/{reset}", False, None),
    ("anon", "/konto/bestaetigen/{unconfirmed}", False, None),
    ("anon", "/einladung/{invitation}", False, None),
    ("anon", "/gibt-es-nicht", False, None),  # the error page (404)
    ("ina", "/einladung/{invitation}", False, None),
    ("alice", "/raeume/{hall}/buchen", False, None),
    ("alice", "/meine-buchungen", False, None),
    ("alice", "/serien/{series}", False, None),
    ("alice", "/organisationen/{choir}/kalender", False, None),
    ("alice", "/organisationen/{choir}/einladen", False, None),
    ("alice", "/bedarfe", False, None),
    ("alice", "/bedarfe/neu", False, None),
    ("alice", "/bedarfe/{need}/vorschlaege", False, None),
    ("alice", "/organisationen", False, None),  # she founded the choir: its admin
    ("alice", "/organisationen/{choir}/mitglieder", False, None),
    ("alice", "/bedarf", False, None),  # the error page (403)
    ("marta", "/verwaltung/anfragen", False, None),
    ("marta", "/verwaltung/raeume", False, None),
    ("marta", "/verwaltung/raeume/neu", False, None),
    ("marta", "/verwaltung/raeume/{hall}/bearbeiten", False, None),
    ("qm", "/bedarf", True, MAP_READY),
    ("qm", "/bedarf/druck", False, None),
    ("qm", "/bedarf/richtwerte", False, None),
    ("qm", "/verwaltung/bauabschnitte", False, None),
    ("qm", "/verwaltung/bauabschnitte/neu", False, None),
    ("qm", "/verwaltung/bauabschnitte/hochladen", False, None),
    ("qm", "/verwaltung/bauabschnitte/{phase}/bearbeiten", False, None),
    ("qm", "/verwaltung/raumvergabe", False, None),
    ("qm", "/verwaltung/raumvergabe/{round}", False, None),
    ("qm", "/verwaltung/mails", False, None),
    ("marta", "/nutzung?von=2026-11-01&bis=2026-12-31", False, None),  # a space manager: the provider's spaces
    ("qm", "/nutzung?von=2026-11-01&bis=2026-12-31", True, None),  # a QM admin: every space
    ("qm", "/nutzung/druck?von=2026-11-01&bis=2026-12-31", False, None),  # the printable Verwendungsnachweis
    ("alice", "/nutzung", False, None),  # the error page (403): a member of an initiative manages no space
    ("alice", "/konto/daten", False, None),  # Meine Daten: what is stored, the download, deleting the account
    ("anon", "/offene-daten", False, None),
    ("anon_en", "/offene-daten?lang=en", False, None),
    ("anon", "/?lat=52.3745&lon=9.7386&walk=15", False, None),  # near a place: the walking note above the list
    ("marta", "/verwaltung/import", False, None),  # upload form (a space manager: her providers)
    ("qm", "/verwaltung/import", False, None),  # upload form (a QM admin: every provider)
    ("qm", "/verwaltung/import/{import_preview}", False, None),  # preview: counts, a refused row with reasons
    ("qm", "/verwaltung/import/{import_done}", False, None),  # the result of a confirmed import
]

# Pages in a state a person gets to by acting on them: (who, path, what they do, width). The filter panel of the
# map is hidden on a phone until opened; a marker's popup is made by map.js; a form sent empty shows its errors.
STATES: list[tuple[str, str, str, dict]] = [
    ("anon", "/", "open the filters", PHONE),
    ("anon", "/", "open a popup", DESKTOP),
    ("anon", "/registrieren", "send it empty", PHONE),
    ("anon", "/raeume/{club}/gastanfrage", "send it empty", PHONE),
    ("alice", "/raeume/{hall}/buchen", "send it empty", PHONE),
    ("alice", "/bedarfe/neu", "send it empty", PHONE),
    ("marta", "/verwaltung/raeume/neu", "send it empty", PHONE),
]

# GET routes that are not visited, each with the reason (routes under /api/ and static files are left out
# without being named: they are data for scripts, not pages).
NOT_VISITED: dict[str, str] = {
    "health.healthz": "plain text for the load balancer, not a page",
    "gaps.csv_export": "a CSV download, not a page",
    "usage.csv_export": "a CSV download, not a page",
    "gaps.geojson": "GeoJSON data for the gap map, not a page",
    "feeds.organisation_feed": "an iCalendar feed (.ics) for calendar apps, not a page",
    "feeds.space_feed": "an iCalendar feed (.ics) for calendar apps, not a page",
    "privacy.download": "a JSON download (everything stored about the person), not a page",
    "health.live": "JSON for the orchestrator, not a page",
    "health.ready": "JSON for the load balancer, not a page",
    "metrics.metrics": "Prometheus text for monitoring, not a page",
}

# Violations known and not fixed yet: (page id as in the test's name, axe rule) -> why it is still there.
# The page's test is reported as xfailed while exactly these remain; remove an entry once it is fixed.
KNOWN: dict[tuple[str, str], str] = {}


def page_id(who: str, path: str, viewport: dict) -> str:
    return f"{who} {path} @{viewport['width']}"


def _params():
    for who, path, wide, ready in PAGES:
        for viewport in (PHONE, DESKTOP) if wide else (PHONE,):
            yield pytest.param(who, path, viewport, ready, None, id=page_id(who, path, viewport))
    for who, path, action, viewport in STATES:
        ready = MAP_READY if path == "/" else None
        yield pytest.param(who, path, viewport, ready, action, id=page_id(who, f"{path} [{action}]", viewport))


# ----------------------------------------------------------------------------- the data and the browser


def _world(session) -> dict:
    """A provider's two rooms (one bookable at once, one on request, with a closure) managed by Marta; Alice's
    choir with a weekly series in one and a request in the other; a need a round serves; a construction
    phase; Ina invited into the choir; a mail given up on; somebody who has not confirmed the address yet."""
    from sqlalchemy.dialects.postgresql import Range

    from spaces.accounts import service as accounts
    from spaces.booking import service as booking_service
    from spaces.core.recurrence import Frequency, SeriesRequest, expand
    from spaces.models import Closure, Need, OpeningHours, OutboxMail, Role
    from spaces.planning.phases import service as phases_service
    from spaces.planning.rounds import service as rounds_service

    provider = create_organisation(session, name="Stadtteilhaus Linden e. V.")
    marta = accounts.register(session, email="marta@example.org", display_name="Marta", password=PASSWORD)
    make_manager(session, marta, provider)
    qm = accounts.register(session, email="qm@example.org", display_name="QM", password=PASSWORD)
    qm.role = Role.QM_ADMIN
    alice = accounts.register(session, email="alice@example.org", display_name="Alice", password=PASSWORD,
                              organisation_name="Chor Linden-Süd")
    choir = alice.organisations[0]
    ina = accounts.register(session, email="ina@example.org", display_name="Ina", password=PASSWORD)
    always = [OpeningHours(weekday=d, opens=time(0), closes=time(0)) for d in range(7)]
    hall = create_space(session, organisation=provider, name="Saal", capacity=50, booking_mode="instant",
                        opening_hours=always)
    club = create_space(session, organisation=provider, name="Clubraum", capacity=30, booking_mode="on_request",
                        opening_hours=[OpeningHours(weekday=h.weekday, opens=h.opens, closes=h.closes)
                                       for h in always])
    session.add(Closure(space_id=hall.id, reason="Wartung", during=Range(
        datetime(2027, 1, 5, tzinfo=BERLIN), datetime(2027, 1, 6, tzinfo=BERLIN), bounds="[)")))
    session.flush()
    weekly = SeriesRequest(first_day=date(2026, 12, 2), starts=time(18), ends=time(20), frequency=Frequency.WEEKLY,
                           until=date(2026, 12, 16))
    booking_service.request_booking(session, user=alice, organisation=choir, space=hall, slots=expand(weekly),
                                    attendees=12, purpose="Chorprobe", recurrence=weekly)
    once = SeriesRequest(first_day=date(2026, 12, 3), starts=time(18), ends=time(20), frequency=Frequency.ONCE)
    booking_service.request_booking(session, user=alice, organisation=choir, space=club, slots=expand(once),
                                    attendees=12, purpose="Vorstand")
    need = Need(organisation_id=choir.id, created_by_id=alice.id, title="Elterncafé", group_size=10,
                duration_minutes=120, status="open",
                time_pattern={"weekdays": [1], "from": "18:00", "to": "20:00", "first_day": "2026-12-01",
                              "last_day": "2026-12-22"})
    session.add(need)
    session.flush()
    phases_service.store_upload(session, qm, json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Baufeld 1", "homes": 120}, "geometry": SQUARE}]}))
    phase = session.scalar(text("SELECT id FROM construction_phases WHERE name = 'Baufeld 1'"))
    series = session.scalar(text("SELECT id FROM booking_series"))
    round_ = rounds_service.compute_and_store([need], qm)
    invitation = accounts.invite(session, choir, ina.email, alice)
    session.add(OutboxMail(recipient="alt@example.org", subject="Einladung", body="…", attempts=20,
                           last_error="SMTP-Server nicht erreichbar"))
    signup = accounts.sign_up(session, email="neu-ungeprueft@example.org", display_name="Noch nicht bestätigt",
                              password=PASSWORD, organisation_name="Neue Initiative")
    guest_optin, guest_cancel = guest_requests(session, club)
    waitlist_states(session, hall, alice)  # "Meine Buchungen": a date waited for, a date offered
    from spaces.inventory import service as inventory

    rows = "Name;Breite;Länge;Kapazität;Träger\nAxe-Raum;52,37;9,74;10;Stadtteilhaus Linden e. V.\nKaputt;;;viele;X\n"
    import_preview = inventory.store_upload(session, qm, "raeume.csv", rows.encode(), None).id
    done = inventory.store_upload(session, qm, "raeume.csv", rows.replace("Axe-Raum", "Axe-Saal").encode(), None)
    inventory.confirm(session, qm, done, inventory.plan_batch(session, qm, done).fingerprint)
    session.flush()
    return {
        "users": {"alice": alice, "ina": ina, "marta": marta, "qm": qm},
        "ids": {"hall": hall.id, "club": club.id, "choir": choir.id, "need": need.id, "phase": phase, "series": series,
                "round": round_.id, "invitation": invitation,
                "reset": accounts.reset_token(alice, "test-secret-key"),
                "unconfirmed": accounts.verification_token(signup.user, "test-secret-key", "/meine-buchungen"),
                "guest_optin": guest_optin, "guest_cancel": guest_cancel, "import_preview": import_preview,
                "import_done": done.id},
    }


@pytest.fixture(autouse=True)
def _now(clock):
    """The live server reads the service's clock: every test here sees the same day as the data."""
    clock.set(NOW)


@pytest.fixture(scope="module")
def site():
    """A live server of its own (the demo data and the world above, committed), the ids the paths name and a
    login-session cookie per person."""
    from werkzeug.security import generate_password_hash

    from spaces.accounts import service as accounts
    from spaces.dev.demo import load

    service_clock.fix(NOW)
    try:
        with migrated_app("raumfinder_axe") as app, pytest.MonkeyPatch.context() as patch:
            patch.setattr(accounts, "generate_password_hash",  # scrypt would take a second for the six accounts
                          lambda password: generate_password_hash(password, "pbkdf2:sha256:1000"))
            with app.app_context():
                load(db.session)
                world = _world(db.session)
                tokens = {who: accounts.open_session(db.session, user) for who, user in world["users"].items()}
                db.session.commit()
                signer = app.session_interface.get_signing_serializer(app)
                cookies = {who: signer.dumps({"_user_id": token, "_fresh": True}) for who, token in tokens.items()}
            with LiveServer(app) as server:
                server.app = app
                server.ids = world["ids"]
                server.cookies = cookies
                yield server
    finally:
        service_clock.fix(None)


@pytest.fixture(scope="module")
def pages_by_person(browser, site):
    """One browser context (and page) per person, made when first needed."""
    contexts, pages = [], {}

    def page_of(who: str):
        if who not in pages:
            context = browser.new_context(locale="de-DE", viewport=PHONE, bypass_csp=True)
            contexts.append(context)
            if who in site.cookies:
                context.add_cookies([{"name": site.app.config["SESSION_COOKIE_NAME"], "value": site.cookies[who],
                                      "url": site.url}])
            pages[who] = context.new_page()
        return pages[who]

    yield page_of
    for context in contexts:
        context.close()


# ----------------------------------------------------------------------------- running axe


RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' '))}));
}"""


OPEN_POPUP = """() => new Promise((resolve, reject) => {
    const {spaces, cluster} = window.Raumfinder.layers;
    const layer = spaces.getLayers()[0];
    setTimeout(() => reject(new Error("popup did not open")), 5000);
    cluster.zoomToShowLayer(layer, () => { layer.openPopup(); resolve(true); });
})"""


def _open_filters(page) -> None:
    page.click(".filter-toggle")
    page.wait_for_selector("form.filters.open")


def _open_popup(page) -> None:
    page.evaluate(OPEN_POPUP)
    page.wait_for_selector(".leaflet-popup-content .rf-next")
    wait_until(page, "!document.querySelector('.rf-next').textContent.includes('geladen')")
    # Leaflet fades a popup in: measured mid-fade, its colours are paler than they are (a false contrast finding).
    wait_until(page, "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")


def _send_empty(page) -> None:
    with page.expect_navigation():
        page.click("main form[novalidate] button[type=submit]")
    page.wait_for_selector(".error-summary")


ACTIONS = {"open the filters": _open_filters, "open a popup": _open_popup, "send it empty": _send_empty}


def violations_on(page, url: str, ready: str | None, action: str | None = None) -> list[dict]:
    """axe's violations on the page at `url` once it has loaded (and `ready` is there, and `action` done)."""
    response = page.goto(url)
    assert response is not None
    if ready:
        page.wait_for_selector(ready, timeout=15_000)
    wait_until(page, "document.readyState === 'complete'")
    if action:
        ACTIONS[action](page)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, TAGS)


def describe(name: str, found: list[dict]) -> str:
    lines = [f"{name}: {len(found)} axe violation(s)"]
    for v in found:
        nodes = v["nodes"]
        shown = "; ".join(nodes[:5]) + (f" (and {len(nodes) - 5} more)" if len(nodes) > 5 else "")
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}\n      at {shown}")
    return "\n".join(lines)


@pytest.mark.parametrize("who, path, viewport, ready, action", list(_params()))
def test_no_axe_violations(site, pages_by_person, who, path, viewport, ready, action, request):
    name = request.node.callspec.id
    page = pages_by_person(who)
    page.set_viewport_size(viewport)
    found = violations_on(page, site.url + path.format(**site.ids), ready, action)
    known = {rule: reason for (page_name, rule), reason in KNOWN.items() if page_name == name}
    new = [v for v in found if v["id"] not in known]
    gone = sorted(set(known) - {v["id"] for v in found})
    assert not new, describe(name, new)
    assert not gone, f"{name}: fixed, remove from KNOWN: {gone}"
    if known:
        why = "\n".join(f"  {', '.join(sorted(r for r in known if known[r] == reason))}: {reason}"
                        for reason in sorted(set(known.values())))
        pytest.xfail(f"known: {describe(name, found)}\n{why}")


def test_every_page_is_visited_or_named(site):
    """Every GET route that is not under /api/ nor a static file is among PAGES or in NOT_VISITED."""
    adapter = site.app.url_map.bind("localhost")
    visited = {adapter.match(path.format(**site.ids).split("?")[0], method="GET")[0]
               for _, path, _, _ in PAGES if path != "/gibt-es-nicht"}
    routes = {r.endpoint for r in site.app.url_map.iter_rules()
              if "GET" in r.methods and not r.rule.startswith("/api/") and r.endpoint != "static"}
    missing = routes - visited - set(NOT_VISITED)
    assert not missing, f"GET routes neither visited in PAGES nor named in NOT_VISITED: {sorted(missing)}"
    stale = set(NOT_VISITED) & visited | set(NOT_VISITED) - routes
    assert not stale, f"NOT_VISITED names routes that are visited or gone: {sorted(stale)}"
    assert not {name for name, _ in KNOWN} - {p.id for p in _params()}, "KNOWN names a page that is not visited"
