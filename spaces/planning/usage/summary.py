"""The usage summary (migration 0022): the report's figures per local month, kept ahead of time.

A trigger on bookings appends the change of every booking that counts (confirmed or declined) to two delta
tables (spaces/planning/usage/tables.py): per space, group and month, and per month and heat-grid cell. A key's
figure is the sum of its rows; `compact` folds the rows into one per key (cron, hourly: ``flask usage compact``),
`rebuild` computes both tables from the bookings again (after a bulk load that bypassed the trigger:
``flask usage rebuild``). The report reads whole months from here (spaces/planning/usage/data.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

TRIGGERS = ("bookings_usage_insert_delete", "bookings_usage_update")


@dataclass(frozen=True)
class Rows:
    figures: int
    heat: int


def rows(session: Session) -> Rows:
    """How many rows the two tables hold."""
    figures, heat = session.execute(text("SELECT (SELECT count(*) FROM usage_month_figures), "
                                         "(SELECT count(*) FROM usage_month_heat)")).one()
    return Rows(figures, heat)


def compact(session: Session) -> bool:
    """Fold the deltas into one row per key, dropping keys that sum to nothing; False if another compaction or a
    rebuild holds the lock (then nothing was done). Commit afterwards."""
    return bool(session.execute(text("SELECT usage_compact()")).scalar_one())


def rebuild(session: Session | Connection) -> None:
    """Both tables from the bookings again, in one transaction that keeps booking changes out meanwhile (a share
    lock on bookings). Commit afterwards."""
    session.execute(text("SELECT usage_rebuild()"))


def triggers_off(connection: Connection) -> None:
    """For a bulk load in this transaction (spaces/dev/synthetic.py): the bookings' usage triggers off; turn them
    on again with `triggers_on` and `rebuild` in the same transaction."""
    for name in TRIGGERS:
        connection.execute(text(f"ALTER TABLE bookings DISABLE TRIGGER {name}"))


def triggers_on(connection: Connection) -> None:
    for name in TRIGGERS:
        connection.execute(text(f"ALTER TABLE bookings ENABLE TRIGGER {name}"))
