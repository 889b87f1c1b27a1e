"""Fixtures: a throwaway PostGIS database per run, the app, a rolled-back transaction per test.

The tests need a PostgreSQL server with PostGIS: ./scripts/test provides one (or uses the server
of DATABASE_URL) and passes it as RAUMFINDER_TEST_SERVER_URL. Without it every database test
fails with a message saying so; none is skipped.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy.engine import make_url

from spaces import create_app
from spaces.config import normalise_database_url
from spaces.db import db

SERVER_ENV = "RAUMFINDER_TEST_SERVER_URL"

# "Now" for every test, unless a test sets its own: the service's clock never reads the real time in
# tests, so the suite passes on any date. RAUMFINDER_TEST_NOW moves it (CI runs the suite once more
# with it two years ahead, see .ci/run); tests about dates relative to today must pass either way.
DEFAULT_TEST_NOW = "2026-11-23T10:00:00+01:00"


def _server_url():
    url = os.environ.get(SERVER_ENV)
    if not url:
        pytest.fail(
            f"{SERVER_ENV} is not set: these tests need PostgreSQL with PostGIS. "
            "Run ./scripts/test (it starts a project-local PostGIS) or set DATABASE_URL.",
            pytrace=False,
        )
    return make_url(normalise_database_url(url))


def _admin_conninfo(server) -> str:
    return server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


@contextmanager
def throwaway_database(prefix: str = "raumfinder_test"):
    """Create an empty database on the test server, yield its URL, drop it afterwards."""
    server = _server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_admin_conninfo(server), autocommit=True)
    except psycopg.OperationalError as err:
        pytest.fail(f"cannot reach the test PostgreSQL server ({SERVER_ENV}): {err}", pytrace=False)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class FixedClock:
    """The service's clock in a test: fixed at `now` until the test sets another instant."""

    def __init__(self, now):
        self.set(now)

    def set(self, moment):
        """Fix the clock at an aware instant."""
        from spaces import clock

        clock.fix(moment)
        self.now = clock.now_utc()

    def advance(self, delta):
        """Move the clock forward (or back) by a timedelta."""
        self.set(self.now + delta)

    @property
    def today(self):
        from spaces.clock import today_local

        return today_local()


def base_now():
    """The instant the clock shows at the start of each test (RAUMFINDER_TEST_NOW, or the default)."""
    from spaces.clock import parse_instant

    return parse_instant(os.environ.get("RAUMFINDER_TEST_NOW") or DEFAULT_TEST_NOW)


@pytest.fixture(autouse=True)
def clock():
    """The service's one clock, fixed for this test (tests move it with clock.set / clock.advance)."""
    from spaces import clock as service_clock

    fixed = FixedClock(base_now())
    try:
        yield fixed
    finally:
        service_clock.fix(None)


@pytest.fixture
def fast_password_hashes(monkeypatch):
    """accounts.register() hashes with scrypt (0.1 s or more each); a cheap PBKDF2 keeps files that make
    many accounts fast and still verifies. test_accounts keeps the real hashing."""
    from werkzeug.security import generate_password_hash

    from spaces.accounts import service as accounts

    monkeypatch.setattr(accounts, "generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1000"))


DEMO_NOW = "2026-11-23T10:00:00+01:00"


@pytest.fixture
def demo_clock(clock):
    """The clock at 23 November 2026, for tests that read the demo data's fixed dates (a room planned
    for September 2027, one that closes in December 2026) as seen on the day they were written."""
    from spaces.clock import parse_instant

    clock.set(parse_instant(DEMO_NOW))
    return clock


class BoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's Session.get_bind returns the app's engine, ignoring `bind=connection`;
    without this the `session` fixture's transaction would not hold what views commit."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in a real server: nothing in `g` (the
    logged-in user, the locale, the CSRF token) carries over from one request to the next."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the test's own session then sees what the request changed
        return response


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "TILE_URL": "",  # no tile server in tests: nothing may leave this machine
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def migrate_up(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@contextmanager
def migrated_app(prefix: str):
    """An app on a throwaway database migrated to the newest revision, for fixtures that fill and serve it;
    its connections are closed before the database is dropped."""
    with throwaway_database(prefix) as url:
        app = make_app(url)
        migrate_up(app)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


@contextmanager
def migrated_database(prefix: str):
    """A throwaway database, migrated to the newest revision, for tests that build apps of their own."""
    with throwaway_database(prefix) as url:
        app = make_app(url)
        migrate_up(app)
        with app.app_context():
            db.engine.dispose()
        yield url


@pytest.fixture(scope="session")
def database_url():
    """A migrated, empty database for this test run."""
    with throwaway_database() as url:
        migrate_up(make_app(url))
        yield url


@pytest.fixture(scope="session")
def app(database_url):
    return make_app(database_url)


@pytest.fixture
def session(app):
    """db.session inside a transaction that is rolled back after the test (commits become savepoints)."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, session):
    """A test client; rate-limit counters (kept outside the test's transaction) start from zero."""
    reset_rate_limits()
    return app.test_client()


def reset_rate_limits() -> None:
    """Forget every rate-limit counter of the test database (they live outside the test's transaction)."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("DELETE FROM rate_limits"))
        conn.commit()


@pytest.fixture
def demo(session):
    """The Hannover demo data, loaded inside the test's transaction."""
    from spaces.dev.demo import load

    return load(session)


PROJECT = Path(__file__).resolve().parents[1]


@contextmanager
def running_gunicorn(database_url: str, *args: str, workers: int = 1, env: dict | None = None,
                    startup_output=None, **popen):
    """gunicorn serving the app on a free port, started from the project folder (so it reads gunicorn.conf.py)
    with the tests' clock (RAUMFINDER_NOW); yields its base URL once /healthz answers, stops it afterwards.
    `args` go to gunicorn; `startup_output(process)` says what went wrong when it does not start."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "gunicorn-test",
                   "RAUMFINDER_TILE_URL": "", "RAUMFINDER_NOW": base_now().isoformat(), **(env or {})}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                                f"127.0.0.1:{port}", *args, "wsgi:app"], cwd=PROJECT, env=environment, **popen)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + (startup_output(process) if startup_output else ""))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server():
    """The real app over HTTP on a free port, with the demo data committed in a database of its own."""
    from spaces.dev.demo import load

    with migrated_app("raumfinder_live") as app:
        with app.app_context():
            load(db.session)
            db.session.commit()
        with LiveServer(app) as server:
            server.app = app
            yield server


@pytest.fixture
def outbox(app):
    """The mails the app sent during this test (spaces.mail keeps the last 100 in app.extensions)."""
    box = app.extensions.setdefault("raumfinder_outbox", [])
    box.clear()
    yield box
    box.clear()


def pytest_collection_modifyitems(items):
    """Every test that drives Chromium is a browser test (-m "not browser" leaves it out), marked or not."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(path):
        pytest.fail(f"Chromium not found at {path}: apt-get install chromium (./scripts/test does)", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 812})  # a phone
    page = context.new_page()
    yield page
    context.close()


def log_in_through_the_form(page, base_url: str, email: str, password: str = "ein-langes-passwort",
                            lands_on: str | None = "/") -> None:
    """Log in in the browser as a person does: the login form, then (unless `lands_on` is None) wait for the page
    it leads to."""
    page.goto(base_url + "/anmelden")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    if lands_on is None:
        page.wait_for_load_state("load")
    else:
        page.wait_for_url(base_url + lands_on)


def wait_until(page, expression: str, timeout: float = 5.0) -> None:
    """Poll a JavaScript expression until it is truthy. Not page.wait_for_function: that evaluates its
    predicate with eval() inside the page, which the Content-Security-Policy (rightly) forbids."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        page.wait_for_timeout(50)


@pytest.fixture(scope="session")
def artifacts_dir():
    path = os.path.join(os.path.dirname(__file__), "..", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return os.path.abspath(path)
