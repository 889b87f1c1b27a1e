"""Migrations are the only way the schema changes: up from empty, down again, and in step with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import make_app, throwaway_database
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from spaces.db import db, include_in_migrations

TABLES = {"organisations", "users", "memberships", "quartiers", "sites", "spaces", "opening_hours",
          "closures", "construction_phases", "bookings", "needs", "rate_limits", "user_sessions", "api_tokens",
          "invitations", "audit_log", "booking_series", "space_access", "provision_norms", "allocation_rounds",
          "outbox_mails", "spaces_version", "map_counts", "map_filtered_counts", "map_filtered_answers",
          "waitlist_entries", "guest_requests", "import_batches", "walk_edges", "walk_vertices",
          "walk_space_access", "usage_month_figures", "usage_month_heat"}


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_migrate_up_from_empty_and_down_again():
    with throwaway_database("raumfinder_migrate") as url:
        app = make_app(url)
        with app.app_context():
            assert _tables(db.engine) == set()
            upgrade()
            assert _tables(db.engine) == TABLES
            with db.engine.connect() as conn:
                extensions = set(conn.execute(text("SELECT extname FROM pg_extension")).scalars())
            assert {"postgis", "btree_gist"} <= extensions
            downgrade(revision="base")
            assert _tables(db.engine) == set()
            upgrade()  # and up again on the downgraded database
            assert _tables(db.engine) == TABLES
            db.engine.dispose()


def test_models_and_migrations_agree(app, session):
    """An autogenerate against the migrated database finds nothing to do."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_in_migrations, "compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
