"""Tables of the street network (migration 0021): the footway graph that pgRouting walks."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from geo.crs import WGS84
from spaces.db import db


class WalkVertex(db.Model):
    """A node where walkable ways meet or end; its id is the OSM node id."""

    __tablename__ = "walk_vertices"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=True))


class WalkEdge(db.Model):
    """A piece of a walkable way between two vertices, walked both ways; cost = length in metres."""

    __tablename__ = "walk_edges"
    __table_args__ = (
        CheckConstraint("length_m >= 0", name="length_not_negative"),
        # the nearest street to a point or a space, in metres (KNN <-> on geography)
        Index("ix_walk_edges_geom_geography", text("(geom::geography)"), postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    source: Mapped[int] = mapped_column(BigInteger, ForeignKey("walk_vertices.id", ondelete="CASCADE"), index=True)
    target: Mapped[int] = mapped_column(BigInteger, ForeignKey("walk_vertices.id", ondelete="CASCADE"), index=True)
    length_m: Mapped[float] = mapped_column(Float)
    osm_way_id: Mapped[int | None] = mapped_column(BigInteger)
    geom: Mapped[WKBElement] = mapped_column(Geometry("LINESTRING", srid=WGS84, spatial_index=True))


class WalkSpaceAccess(db.Model):
    """Each space's nearest street edge and the metres to it, computed at the street import.

    A space added or moved later has no row (or one for another location); the walk then looks its edge up itself
    (spaces.walking.network), so this table only makes the common case fast and is never wrong.
    """

    __tablename__ = "walk_space_access"

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True)
    edge_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("walk_edges.id", ondelete="CASCADE"), index=True)
    fraction: Mapped[float] = mapped_column(Float)  # where along the edge the space's nearest point lies, 0..1
    access_m: Mapped[float] = mapped_column(Float)  # straight metres from the space to the edge
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=False))
