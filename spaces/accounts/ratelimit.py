"""Rate limits that hold across worker processes: the counters live in PostgreSQL.

gunicorn runs several worker processes, so a per-process (in-memory) counter would let an
attacker try N x workers passwords per window. Flask-Limiter has no PostgreSQL storage; this
module provides one for the `limits` package (fixed-window strategy) on the table
`rate_limits` (migration 0004), plus the app's limiter.

Usage in a blueprint::

    from spaces.accounts.ratelimit import TOO_MANY, limiter

    @bp.post("/login")
    @limiter.limit("5 per minute", error_message=TOO_MANY)
    def login(): ...

    # several routes sharing one budget (e.g. login and password reset per address):
    @limiter.shared_limit("10 per hour", scope="auth", error_message=TOO_MANY)

`@limiter.limit` goes *below* the route decorator. Limits are counted per client address
(`get_remote_address`); behind a reverse proxy the app needs werkzeug's ProxyFix, otherwise
every client shares the proxy's address. A breached limit raises Flask-Limiter's
RateLimitExceeded (a 429 HTTPException whose description is `error_message`), which
spaces.errors renders like every other HTTP error. Responses of limited routes carry
X-RateLimit-Limit/-Remaining/-Reset and Retry-After headers.

The app calls `init_rate_limits(app)` once (create_app). Configuration:

- RATELIMIT_STORAGE_URI: defaults to "raumfinder+" + SQLALCHEMY_DATABASE_URI, i.e. this
  storage on the app's own database; any `limits` URI works ("memory://" in a test, say).
- RATELIMIT_ENABLED: False switches rate limiting off for that app only.
- RATELIMIT_STORAGE_OPTIONS: passed to the storage: pool_size, max_overflow,
  cleanup_probability (share of incr calls that also delete expired rows, default 0.01).

The storage uses an engine of its own, in autocommit mode: a counter update is one
statement that commits at once. It never joins the request's transaction, so a request
that fails and rolls back still counts, and a slow request holds no lock on the counter.
"""

from __future__ import annotations

import logging
import random
import time

import psycopg
from flask import current_app, has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import Column, DateTime, Integer, Table, Text, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from spaces.db import db

__all__ = [
    "TOO_MANY",
    "PostgresStorage",
    "init_rate_limits",
    "limiter",
    "rate_limits",
    "storage_uri_for",
]

log = logging.getLogger(__name__)

TOO_MANY = "Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es dann erneut."

SCHEME_PREFIX = "raumfinder+"
EXTENSION_KEY = "raumfinder_rate_limits"

# On the models' metadata, so that migrations and models agree (tests/test_migrations.py).
rate_limits = Table(
    "rate_limits",
    db.metadata,
    Column("key", Text, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)


def storage_uri_for(database_url: str) -> str:
    """The storage URI for a database URL: "raumfinder+postgresql+psycopg://..."."""
    return SCHEME_PREFIX + str(database_url)


def database_url_of(storage_uri: str) -> str:
    """The SQLAlchemy URL inside a storage URI, always with the psycopg 3 driver."""
    if not storage_uri.startswith(SCHEME_PREFIX):
        raise ValueError(f"not a {SCHEME_PREFIX}postgresql storage URI")
    url = make_url(storage_uri[len(SCHEME_PREFIX):])
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"rate limit storage needs PostgreSQL, got {url.drivername}")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


_INCR = text(
    """
    INSERT INTO rate_limits (key, count, expires_at)
    VALUES (:key, :amount, now() + make_interval(secs => CAST(:expiry AS double precision)))
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limits.expires_at <= now()
                     THEN excluded.count ELSE rate_limits.count + excluded.count END,
        expires_at = CASE WHEN rate_limits.expires_at <= now()
                          THEN excluded.expires_at ELSE rate_limits.expires_at END
    RETURNING count
    """
)
_GET = text("SELECT count FROM rate_limits WHERE key = :key AND expires_at > now()")
_GET_EXPIRY = text(
    "SELECT CAST(extract(epoch FROM expires_at) AS double precision) FROM rate_limits "
    "WHERE key = :key AND expires_at > now()"
)
_CLEAR = text("DELETE FROM rate_limits WHERE key = :key")
_RESET = text("DELETE FROM rate_limits")
# Skips rows a concurrent incr holds, so cleaning never waits for (or blocks) a request.
_CLEANUP = text(
    """
    DELETE FROM rate_limits WHERE key IN (
        SELECT key FROM rate_limits WHERE expires_at <= now()
        LIMIT :batch FOR UPDATE SKIP LOCKED)
    """
)
_CHECK = text("SELECT 1 FROM rate_limits LIMIT 1")


class PostgresStorage(Storage):
    """Fixed-window counters in the table rate_limits, shared by every process using the database.

    URI: "raumfinder+postgresql://..." or "raumfinder+postgresql+psycopg://..." (the app's
    SQLAlchemy URL with the prefix). Window start and expiry come from the database clock
    (now()), so workers with drifting clocks still agree. Keys whose window has passed count as
    absent; their rows are overwritten by the next incr and deleted now and then (cleanup()).
    """

    STORAGE_SCHEME = ["raumfinder+postgresql", "raumfinder+postgresql+psycopg"]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        cleanup_probability: float | str = 0.01,
        pool_size: int | str = 2,
        max_overflow: int | str = 8,
        **options: float | str | bool,
    ) -> None:
        if not uri:
            raise ValueError("PostgresStorage needs a raumfinder+postgresql:// URI")
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.cleanup_probability = float(cleanup_probability)
        self.engine = create_engine(
            database_url_of(uri),
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=True,
            pool_size=int(pool_size),
            max_overflow=int(max_overflow),
            pool_timeout=5,
            # A login must not hang on the rate limiter: give up after 5 s.
            connect_args={"options": "-c statement_timeout=5000"},
        )
        self.storage = self.engine  # shown by `flask limiter config`

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (SQLAlchemyError, psycopg.Error)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the key's counter (a new window of `expiry` seconds if none is running)."""
        with self.engine.connect() as conn:
            count = conn.execute(_INCR, {"key": key, "amount": amount, "expiry": expiry}).scalar_one()
            if self.cleanup_probability > 0 and random.random() < self.cleanup_probability:
                try:
                    conn.execute(_CLEANUP, {"batch": 1000})
                except SQLAlchemyError:
                    log.warning("could not delete expired rate limit rows", exc_info=True)
        return count

    def get(self, key: str) -> int:
        """The key's count in the running window, 0 when there is none."""
        with self.engine.connect() as conn:
            count = conn.execute(_GET, {"key": key}).scalar_one_or_none()
        return count or 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends, in epoch seconds; now when no window is running."""
        with self.engine.connect() as conn:
            expiry = conn.execute(_GET_EXPIRY, {"key": key}).scalar_one_or_none()
        return time.time() if expiry is None else float(expiry)

    def check(self) -> bool:
        """True when the database answers and has the table rate_limits."""
        try:
            with self.engine.connect() as conn:
                conn.execute(_CHECK)
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False
        return True

    def reset(self) -> int | None:
        """Delete every counter; returns how many rows there were."""
        with self.engine.connect() as conn:
            return conn.execute(_RESET).rowcount

    def clear(self, key: str) -> None:
        """Forget the key's counter."""
        with self.engine.connect() as conn:
            conn.execute(_CLEAR, {"key": key})

    def cleanup(self, batch: int = 1000) -> int:
        """Delete up to `batch` rows whose window has passed; returns how many."""
        with self.engine.connect() as conn:
            return conn.execute(_CLEANUP, {"batch": batch}).rowcount


class AppLimiter(Limiter):
    """A Limiter that can be bound to several apps at once, each with its own storage.

    Flask-Limiter keeps one storage per Limiter object: init_app on a second app (tests build
    many, on different databases) would redirect the first app's counters. This subclass keeps
    the storage and strategy of each app in app.extensions and picks the current app's. Apps the
    limiter was not initialised on (or with RATELIMIT_ENABLED = False) are not limited.
    """

    def init_app(self, app) -> None:
        if not app.config.setdefault("RATELIMIT_ENABLED", True):
            # Flask-Limiter would switch off the shared object for every app; leave it alone,
            # _not_bound_to_current_app exempts this app's requests.
            return
        self.enabled = True
        super().init_app(app)
        app.extensions[EXTENSION_KEY] = (self._storage, self._limiter)

    @staticmethod
    def _bound():
        if has_app_context():
            return current_app.extensions.get(EXTENSION_KEY)
        return None

    @property
    def storage(self) -> Storage:
        bound = self._bound()
        return bound[0] if bound else super().storage

    @property
    def limiter(self):
        bound = self._bound()
        if bound is None or (self._storage_dead and self._in_memory_fallback_enabled):
            return super().limiter
        return bound[1]


limiter = AppLimiter(
    key_func=get_remote_address,
    default_limits=[],
    headers_enabled=True,
    strategy="fixed-window",
)


@limiter.request_filter
def _not_bound_to_current_app() -> bool:
    return EXTENSION_KEY not in current_app.extensions


def init_rate_limits(app) -> Limiter:
    """Bind `limiter` to `app`, counting in the app's database unless RATELIMIT_STORAGE_URI says otherwise."""
    if EXTENSION_KEY in app.extensions:
        return limiter
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri_for(app.config["SQLALCHEMY_DATABASE_URI"]))
    limiter.init_app(app)
    return limiter
