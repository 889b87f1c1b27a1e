"""A migrated database of its own for a benchmark, on a given server, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def migrated_database(server_url: str, prefix: str) -> Iterator[str]:
    """Create `<prefix>_<random>` on the server of `server_url`, migrate it to the head, yield its URL, drop it."""
    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy.engine import make_url

    from spaces import create_app
    from spaces.config import normalise_database_url

    server = make_url(normalise_database_url(server_url))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(server.set(drivername="postgresql", database="postgres")
                            .render_as_string(hide_password=False), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        migrate = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with migrate.app_context():
            upgrade()
            from spaces.db import db

            db.engine.dispose()
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
