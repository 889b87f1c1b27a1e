"""Configuration defaults; secrets and the database come from the environment."""

import os
import secrets


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept in instance/ so sessions survive restarts."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    from spaces import instance_dir

    path = instance_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
    # JIT compilation costs more than it saves on short searches (measured: +15 ms on a 30 ms search).
    # Parallel workers neither: a request is one statement among many clients', and a worker started for a
    # dense walk search waited for a core (the slowest of 200 walk searches: 33 ms with one worker, 9 ms of scan).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True,
                                 "connect_args": {"options": "-c jit=off -c max_parallel_workers_per_gather=0"}}
    SECRET_KEY = None  # filled in by load_config
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LOCAL_TIMEZONE = "Europe/Berlin"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Map tiles are data, not assets: any XYZ tile server may be configured (or none: "").
    TILE_URL = os.environ.get("RAUMFINDER_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    TILE_ATTRIBUTION = os.environ.get(
        "RAUMFINDER_TILE_ATTRIBUTION",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende',
    )
    MAP_CENTER = (52.3745, 9.7386)  # Hannover, Kröpcke
    MAP_ZOOM = 12
    # Cookies: never readable by scripts, not sent on cross-site POSTs; Secure in production (below).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # The service's own log messages (spaces/logs.py): DEBUG, INFO, WARNING or ERROR.
    LOG_LEVEL = os.environ.get("RAUMFINDER_LOG_LEVEL", "INFO")
    # Mail: without MAIL_SERVER, mails are written to the log (the error log under gunicorn).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "raumfinder@localhost")
    PRODUCTION = os.environ.get("RAUMFINDER_PRODUCTION", "") == "1"
    # The operator's Impressum and Datenschutz texts (impressum.txt, datenschutz.txt); default instance/legal/.
    LEGAL_DIR = os.environ.get("RAUMFINDER_LEGAL_DIR", "")
    # Where the service is reached: every absolute link (mails, feed links) starts with it, whatever
    # Host header a request carries.
    BASE_URL = os.environ.get("RAUMFINDER_BASE_URL", "http://127.0.0.1:5000")
    # In production only the base URL's host is answered, and these (comma-separated) besides.
    EXTRA_TRUSTED_HOSTS = os.environ.get("RAUMFINDER_TRUSTED_HOSTS", "")
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0: none, trust nothing).
    # Without it every client has the proxy's address, and shares one rate-limit budget.
    PROXY_HOPS = int(os.environ.get("RAUMFINDER_PROXY_HOPS", "0"))
    # Waitlist: how many hours a freed slot is held for the group it is offered to, before the next in line.
    WAITLIST_OFFER_HOURS = int(os.environ.get("RAUMFINDER_WAITLIST_OFFER_HOURS", "24"))
    # Requests without an account: name, e-mail and group are blanked this many days after the requested
    # date (`flask guests prune`, daily); unconfirmed requests go after 24 hours.
    GUEST_DATA_DAYS = int(os.environ.get("RAUMFINDER_GUEST_DATA_DAYS", "30"))
    # A streaming replica for the residents' read-only pages and APIs (spaces/replica.py); empty: none.
    REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
    # Operations (spaces/health.py, spaces/ops/metrics.py, spaces/logs.py): /metrics answers this machine and
    # holders of this bearer token; /healthz/ready fails above this many waiting mails (unset: never); one JSON
    # line per request in the log (0: off).
    METRICS_TOKEN = os.environ.get("RAUMFINDER_METRICS_TOKEN", "")
    READY_MAX_WAITING_MAILS = (int(os.environ["RAUMFINDER_READY_MAX_WAITING_MAILS"])
                               if os.environ.get("RAUMFINDER_READY_MAX_WAITING_MAILS") else None)
    REQUEST_LOG = os.environ.get("RAUMFINDER_REQUEST_LOG", "1") != "0"
    # Retention (`flask retention run`): sent mails are deleted this many days after sending; audit entries lose
    # their details (names, changes) this many days after the event, the event itself stays.
    OUTBOX_KEEP_DAYS = int(os.environ.get("RAUMFINDER_OUTBOX_KEEP_DAYS", "30"))
    AUDIT_DETAIL_DAYS = int(os.environ.get("RAUMFINDER_AUDIT_DETAIL_DAYS", "730"))
    # The city's box (west, south, east, north in degrees): an imported place outside it is refused.
    CITY_BOUNDS = tuple(float(v) for v in os.environ.get("RAUMFINDER_CITY_BOUNDS", "9.60,52.30,9.92,52.45").split(","))
    # The licence stated in the open-data export (/api/spaces.geojson).
    OPEN_DATA_LICENCE = os.environ.get("RAUMFINDER_OPEN_DATA_LICENCE", "dl-de/by-2-0")


def load_config(overrides: dict | None = None) -> dict:
    """The app's configuration: class defaults, then the environment, then explicit overrides."""
    values = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    values.update(overrides or {})
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _secret_key()
    if not values.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError(
            "DATABASE_URL is not set. Start the service with ./scripts/serve, which sets up a "
            "project-local PostGIS, or set DATABASE_URL=postgresql+psycopg://user:pass@host/db."
        )
    values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(values["SQLALCHEMY_DATABASE_URI"])
    from spaces.replica import replica_bind

    replica = values.get("REPLICA_URL")
    replica_bind(values, normalise_database_url(replica) if replica else None)
    if values.get("PRODUCTION"):
        # Served over HTTPS in production: cookies only travel encrypted.
        values["SESSION_COOKIE_SECURE"] = values["REMEMBER_COOKIE_SECURE"] = True
        values.setdefault("PREFERRED_URL_SCHEME", "https")
    return values


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
