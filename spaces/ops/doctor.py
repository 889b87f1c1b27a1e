"""`flask doctor`: what a production setup still lacks or does unsafely, before a person finds out.

Each finding is an error (unsafe or broken: the command exits 1), a warning (works, but not as it should for a
city) or fine. The checks read the configuration the service itself runs with and ask the database; they change
nothing. Messages are German, like the rest of the operators' commands.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

ERROR, WARNING, OK = "Fehler", "Warnung", "ok"
WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "geheim", "test", "raumfinder", "please-change-me"}
MIN_POSTGIS = (3, 1)


@dataclass(frozen=True)
class Finding:
    level: str
    topic: str
    message: str


def _secret(config: dict) -> list[Finding]:
    key = str(config.get("SECRET_KEY") or "")
    from_env = bool(os.environ.get("SECRET_KEY"))
    if key.lower() in WEAK_SECRETS or len(key) < 32:
        return [Finding(ERROR, "SECRET_KEY", "zu kurz oder ein bekannter Beispielwert: mindestens 32 zufällige "
                                             "Zeichen, z. B. `openssl rand -hex 32`.")]
    if config.get("PRODUCTION") and not from_env:
        return [Finding(WARNING, "SECRET_KEY", "kommt aus instance/secret_key: mehrere Maschinen hinter einem "
                                               "Balancer brauchen denselben Schlüssel aus der Umgebung.")]
    return [Finding(OK, "SECRET_KEY", "gesetzt")]


def _base_url(config: dict) -> list[Finding]:
    url = urlsplit(str(config.get("BASE_URL") or ""))
    production = bool(config.get("PRODUCTION"))
    if not url.scheme or not url.hostname:
        return [Finding(ERROR, "RAUMFINDER_BASE_URL", "fehlt oder ist keine Adresse (https://raumfinder.example).")]
    if url.hostname in {"127.0.0.1", "localhost", "::1"} and production:
        return [Finding(ERROR, "RAUMFINDER_BASE_URL", f"zeigt auf {url.hostname}: Links in Mails und Kalendern "
                                                      "führen dann ins Leere.")]
    if url.scheme != "https" and production:
        return [Finding(ERROR, "RAUMFINDER_BASE_URL", "ohne HTTPS: Anmeldungen und Links gingen unverschlüsselt.")]
    return [Finding(OK, "RAUMFINDER_BASE_URL", url.geturl())]


def _mode(config: dict) -> list[Finding]:
    found = []
    if config.get("DEBUG"):
        found.append(Finding(ERROR, "DEBUG", "ist an: Fehlerseiten zeigen Quelltext und erlauben Code-Ausführung."))
    if not config.get("PRODUCTION"):
        found.append(Finding(WARNING, "RAUMFINDER_PRODUCTION", "nicht 1: Cookies auch ohne HTTPS, kein HSTS, "
                                                               "jeder Host-Name wird beantwortet."))
    elif not config.get("PROXY_HOPS"):
        found.append(Finding(WARNING, "RAUMFINDER_PROXY_HOPS", "0: hinter nginx hätten alle Besucher die Adresse "
                                                               "des Proxys und teilten sich ein Anmelde-Limit."))
    if not config.get("MAIL_SERVER"):
        found.append(Finding(WARNING, "MAIL_SERVER", "nicht gesetzt: Mails werden nur ins Log geschrieben."))
    if not config.get("TILE_URL"):
        found.append(Finding(WARNING, "RAUMFINDER_TILE_URL", "leer: Karten ohne Hintergrund."))
    legal = config.get("LEGAL_DIR") or ""
    from spaces import instance_dir

    folder = legal or str(instance_dir() / "legal")
    for name in ("impressum.txt", "datenschutz.txt"):
        if not os.path.isfile(os.path.join(folder, name)):
            found.append(Finding(WARNING, "Rechtstexte", f"{name} fehlt in {folder}: Impressum und "
                                                         "Datenschutzerklärung sind Pflicht."))
    return found or [Finding(OK, "Betriebsart", "Produktion")]


def _database(session, head: str) -> list[Finding]:
    try:
        postgis = session.execute(text("SELECT postgis_lib_version()")).scalar_one()
        version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        routing = session.execute(text(
            "SELECT extversion FROM pg_extension WHERE extname = 'pgrouting'")).scalar()
    except SQLAlchemyError as err:
        session.rollback()
        first = str(err).splitlines()[0]
        return [Finding(ERROR, "Datenbank", f"nicht erreichbar oder ohne PostGIS/Migrationen: {first}")]
    found = []
    major_minor = tuple(int(p) for p in str(postgis).split(".")[:2])
    found.append(Finding(ERROR if major_minor < MIN_POSTGIS else OK, "PostGIS",
                         f"{postgis}" + (" (mindestens 3.1 nötig)" if major_minor < MIN_POSTGIS else "")))
    found.append(Finding(OK if version == head else ERROR, "Migrationen",
                         f"auf dem Stand {head}" if version == head else
                         f"Datenbank auf {version or 'keinem Stand'}, Code auf {head}: `flask db upgrade`"))
    found.append(Finding(OK if routing else WARNING, "pgRouting",
                         f"{routing}" if routing else "nicht installiert: Gehzeiten nach Luftlinie × 1,3"))
    return found


def examine(config: dict, session, head: str) -> list[Finding]:
    """Every finding for this configuration and database."""
    return [*_secret(config), *_base_url(config), *_mode(config), *_database(session, head)]
