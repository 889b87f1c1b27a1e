"""Tables of the usage summary (migration 0022): the usage report's figures per local month, kept by a trigger on
bookings as append-only deltas (see the migration and spaces/planning/usage/summary.py). No primary key: a key's
figure is the sum of its rows, which usage_compact() folds now and then.

Imported by spaces.planning.usage.data (and so known whenever the app is), so that the comparison of models and
migrations (tests/test_migrations.py) sees them and the index below."""

from __future__ import annotations

from sqlalchemy import Column, Date, Float, Index, Integer, SmallInteger, Table, text

from spaces.db import db
from spaces.models import Booking

usage_month_figures = Table(
    "usage_month_figures", db.metadata,
    Column("space_id", Integer, nullable=False),
    Column("organisation_id", Integer, nullable=True),
    Column("month", Date, nullable=False),  # the first day of the local (Europe/Berlin) month
    Column("confirmed", Integer, nullable=False),  # confirmed bookings that start in the month
    Column("public", Integer, nullable=False),  # of them public
    Column("seconds", Float, nullable=False),  # confirmed bookings' seconds inside the month
    Column("declined", Integer, nullable=False),  # declined bookings that start in the month
    Index("ix_usage_month_figures_month", "month"),
)

usage_month_heat = Table(
    "usage_month_heat", db.metadata,
    Column("month", Date, nullable=False),
    Column("cell", SmallInteger, nullable=False),  # weekday * 24 + wall hour, as spaces.core.usage
    Column("seconds", Float, nullable=False),  # confirmed bookings' seconds in the cell's hours of the month
    Index("ix_usage_month_heat_month", "month"),
)

# The report's edges (the partial months of a period) read the bookings that count by time; the slot index
# (ix_bookings_slot_time) holds no declined ones. Belongs to bookings; kept here beside its one reader.
ix_bookings_usage = Index("ix_bookings_usage", Booking.__table__.c.during, postgresql_using="gist",
                          postgresql_where=text("status IN ('confirmed', 'declined')"))
