"""The tables: organisations, people, places, rooms, time and construction phases."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INT4MULTIRANGE, JSONB, TSTZRANGE, UUID, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo.crs import MERCATOR_RADIUS_M, WGS84
from spaces.clock import now_utc
from spaces.core.norms import NORM_SETTINGS
from spaces.db import db

# A space's point in Web-Mercator metres (EPSG:3857, spherical), as the map's grid counts it (migration 0012)
MERCATOR_X_FACTOR = repr(math.pi / 180 * MERCATOR_RADIUS_M)  # metres per degree of longitude
MAP_X = f"ST_X(location) * {MERCATOR_X_FACTOR}"
MAP_Y = f"ln(tan(radians(45 + ST_Y(location) / 2))) * {MERCATOR_RADIUS_M}"
# A space's GeoJSON Feature as the map's markers send it, up to its open "properties" object (migration 0023;
# /api/spaces/points adds free_now and closes it: spaces.finder.queries._map_statement)
MARKER_JSON = (
    """'{"type":"Feature","id":' || id::text || ',"geometry":{"type":"Point","coordinates":['"""
    """ || round(ST_X(location)::numeric, 6)::text || ',' || round(ST_Y(location)::numeric, 6)::text"""
    """ || ']},"properties":{"id":' || id::text"""
    """ || coalesce(',"name":' || json_text_of(name), '') || coalesce(',"kind":' || json_text_of(kind), '')"""
    """ || coalesce(',"capacity":' || capacity::text, '') || coalesce(',"step_free":' || step_free::text, '')"""
    """ || coalesce(',"accessible_wc":' || accessible_wc::text, '')"""
    """ || coalesce(',"available_from":' || json_text_of(available_from), '')"""
    """ || coalesce(',"available_until":' || json_text_of(available_until), '')"""
)


def _in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class OrganisationKind(StrEnum):
    ASSOCIATION = "association"
    HOUSING_COMPANY = "housing_company"
    COOPERATIVE = "cooperative"
    INITIATIVE = "initiative"
    CITY = "city"
    CHURCH = "church"
    OTHER = "other"


class Role(StrEnum):
    MEMBER = "member"
    SPACE_MANAGER = "space_manager"
    QM_ADMIN = "qm_admin"


class BookableBy(StrEnum):
    EVERYONE = "everyone"  # every registered group
    LISTED = "listed"  # only the organisations listed in space_access (and the owner)


class BookingMode(StrEnum):
    INSTANT = "instant"
    ON_REQUEST = "on_request"
    NOT_BOOKABLE = "not_bookable"


class PhaseStatus(StrEnum):
    PLANNED = "planned"
    BUILDING = "building"
    OCCUPIED = "occupied"


class BookingStatus(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


# Bookings in these states hold their slot; the exclusion constraint covers exactly them.
SLOT_HOLDING = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


class NeedStatus(StrEnum):
    OPEN = "open"
    MET = "met"
    WITHDRAWN = "withdrawn"


memberships = Table(
    "memberships",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    # Manages the organisation's spaces (decides requests, edits spaces): a right per organisation,
    # so being a space manager somewhere gives nothing over another organisation's rooms.
    Column("is_manager", Boolean, nullable=False, default=False, server_default="false"),
    # Administers the organisation: appoints space managers and admins, invites and removes members
    # (spaces/manage/members.py); an organisation keeps at least one admin once it has one.
    Column("is_admin", Boolean, nullable=False, default=False, server_default="false"),
)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(_in("kind", OrganisationKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default=OrganisationKind.OTHER)
    # Secret part of the organisation's calendar feed URL (a capability; regenerate to revoke).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    members: Mapped[list[User]] = relationship(secondary=memberships, back_populates="organisations")
    sites: Mapped[list[Site]] = relationship(back_populates="organisation")


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", Role), name="role"),
        CheckConstraint("email = lower(email) AND position('@' in email) > 1", name="email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default=Role.MEMBER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When the person proved the address (the link in the registration mail); None: not yet, cannot book.
    # Accounts made by an admin, the CLI or an accepted invitation count as proven when made.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=now_utc)
    # The initiative named at registration, created once the address is confirmed.
    pending_organisation: Mapped[str] = mapped_column(String(200), default="", server_default="")

    organisations: Mapped[list[Organisation]] = relationship(secondary=memberships, back_populates="members")

    # Flask-Login: the id kept in the browser is the login session's token, not the user id, so
    # ending the session in the database ends it everywhere (see spaces.accounts.service).
    session_token = None  # set per request by spaces.accounts.service.user_for_session
    via_api_token = False
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self.session_token

    def member_of(self, organisation_id: int | None) -> bool:
        return organisation_id is not None and any(o.id == organisation_id for o in self.organisations)

    @property
    def is_qm_admin(self) -> bool:
        return self.role == Role.QM_ADMIN


class Quartier(db.Model):
    """A named neighbourhood (QM area or Stadtteil), used to search near it."""

    __tablename__ = "quartiers"
    __table_args__ = (CheckConstraint("ST_IsValid(centre)", name="centre_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    centre: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=True))


class Site(db.Model):
    """An address with a point; belongs to an organisation and holds spaces."""

    __tablename__ = "sites"
    __table_args__ = (
        UniqueConstraint("organisation_id", "address", name="uq_sites_organisation_address"),
        CheckConstraint("ST_IsValid(location)", name="location_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=True))

    organisation: Mapped[Organisation] = relationship(back_populates="sites")
    spaces: Mapped[list[Space]] = relationship(back_populates="site")


class Space(db.Model):
    """A room or meeting spot: where it is, how big, how accessible, how to book it."""

    __tablename__ = "spaces"
    __table_args__ = (
        UniqueConstraint("site_id", "name", name="uq_spaces_site_name"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("area_m2 IS NULL OR area_m2 > 0", name="area_positive"),
        CheckConstraint("cost_eur IS NULL OR cost_eur >= 0", name="cost_not_negative"),
        CheckConstraint(
            "available_from IS NULL OR available_until IS NULL OR available_from <= available_until",
            name="availability_period",
        ),
        CheckConstraint("max_days_in_advance IS NULL OR max_days_in_advance > 0", name="advance_positive"),
        CheckConstraint(_in("booking_mode", BookingMode), name="booking_mode"),
        CheckConstraint(_in("bookable_by", BookableBy), name="bookable_by"),
        CheckConstraint("ST_IsValid(location)", name="location_valid"),
        Index("ix_spaces_equipment", "equipment", postgresql_using="gin"),
        # Distances in metres are computed on geography; this index serves ST_DWithin and KNN.
        Index("ix_spaces_location_geography", text("(location::geography)"), postgresql_using="gist"),
        Index("ix_spaces_name_id", "name", "id"),  # the list is ordered by name and paged
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(String(32))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=True))
    capacity: Mapped[int] = mapped_column(Integer)
    area_m2: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    floor: Mapped[str | None] = mapped_column(String(16))
    step_free: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    accessible_wc: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    lift: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    hearing_loop: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    equipment: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list, server_default="{}")
    booking_mode: Mapped[str] = mapped_column(String(16), default=BookingMode.ON_REQUEST)
    cost_eur: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    house_rules: Mapped[str] = mapped_column(Text, default="", server_default="")
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)
    max_days_in_advance: Mapped[int | None] = mapped_column(Integer)
    bookable_by: Mapped[str] = mapped_column(String(16), default=BookableBy.EVERYONE, server_default="everyone")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Where an imported space came from ("osm:node/123", a provider's own id): a re-import updates it (migration 0020)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Kept by the database (migration 0012), read by the search's SQL only: the weekly opening hours as
    # seconds of the week (trigger on opening_hours) and the point in Web-Mercator metres for the map's grid.
    week_open: Mapped[Range] = mapped_column(INT4MULTIRANGE, server_default="{}", deferred=True)
    map_x: Mapped[float] = mapped_column(Float, Computed(MAP_X, persisted=True), deferred=True)
    map_y: Mapped[float] = mapped_column(Float, Computed(MAP_Y, persisted=True), deferred=True)
    marker_json: Mapped[str] = mapped_column(Text, Computed(MARKER_JSON, persisted=True), deferred=True)

    site: Mapped[Site] = relationship(back_populates="spaces")
    allowed_organisations: Mapped[list[Organisation]] = relationship(secondary="space_access")
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="space", cascade="all, delete-orphan", order_by="(OpeningHours.weekday, OpeningHours.opens)"
    )


space_access = Table(
    "space_access",
    db.metadata,
    Column("space_id", ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class OpeningHours(db.Model):
    """Weekly opening of a space on one weekday, in local wall-clock time (Europe/Berlin)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        UniqueConstraint("space_id", "weekday", "opens", name="uq_opening_hours_space_weekday_opens"),
        Index("ix_opening_hours_space_weekday", "space_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)  # closes <= opens: open past midnight

    space: Mapped[Space] = relationship(back_populates="opening_hours")


class Closure(db.Model):
    """A period in which a space is closed (holidays, renovation)."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint(
            "NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)", name="during_bounded"
        ),
        Index("ix_closures_space_during", "space_id", "during", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    reason: Mapped[str] = mapped_column(String(200), default="", server_default="")


class ConstructionPhase(db.Model):
    """A Bauabschnitt: an area where homes are built and people move in from a date."""

    __tablename__ = "construction_phases"
    __table_args__ = (
        CheckConstraint(_in("status", PhaseStatus), name="status"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        CheckConstraint("homes >= 0", name="homes_not_negative"),
        CheckConstraint("persons_per_home > 0", name="persons_per_home_positive"),
        CheckConstraint("expected_residents IS NULL OR expected_residents >= 0", name="residents_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    quartier: Mapped[str] = mapped_column(String(200), default="", server_default="")
    geom: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=WGS84, spatial_index=True))
    status: Mapped[str] = mapped_column(String(16), default=PhaseStatus.PLANNED)
    move_in: Mapped[date | None] = mapped_column(Date)
    homes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    persons_per_home: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("2.0"), server_default="2.0")
    # Set when known; otherwise homes * persons_per_home is assumed.
    expected_residents: Mapped[int | None] = mapped_column(Integer)


class BookingSeries(db.Model):
    """A recurring booking request: the rule it was expanded from, in local wall-clock time."""

    __tablename__ = "booking_series"
    __table_args__ = (CheckConstraint("count IS NULL OR count > 0", name="count_positive"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    frequency: Mapped[str] = mapped_column(String(16))
    rrule: Mapped[str] = mapped_column(String(200), default="", server_default="")  # RFC 5545, local time
    first_day: Mapped[date] = mapped_column(Date)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    until: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)  # the end given as a number of dates instead of `until`
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    skipped_days: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")  # [[iso date, holiday]]
    description: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    bookings: Mapped[list[Booking]] = relationship(back_populates="series", order_by="Booking.during")


class Booking(db.Model):
    """A space held for a time range; overlapping slot-holding bookings are refused by the database."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(_in("status", BookingStatus), name="status"),
        CheckConstraint(
            "NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)"
            " AND lower_inc(during) AND NOT upper_inc(during)",
            name="during_bounded",
        ),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        ExcludeConstraint(
            ("space_id", "="),
            ("during", "&&"),
            name="bookings_no_overlap",
            using="gist",
            where="status IN ('requested', 'confirmed')",
        ),
        Index("ix_bookings_series_id", "series_id"),
        Index("ix_bookings_organisation_id", "organisation_id"),
        # Slot-holding bookings by time alone, for "which spaces are taken in this window" (queries.taken_in)
        Index("ix_bookings_slot_time", text("tstzrange(lower(during), upper(during))"), postgresql_using="gist",
              postgresql_include=["space_id", "during"], postgresql_where=text("status IN ('requested', 'confirmed')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("booking_series.id", ondelete="SET NULL")
    )
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.REQUESTED)
    attendees: Mapped[int] = mapped_column(Integer, default=1)
    purpose: Mapped[str] = mapped_column(String(300), default="", server_default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    space: Mapped[Space] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    series: Mapped[BookingSeries | None] = relationship(back_populates="bookings")


class Need(db.Model):
    """A Raumbedarf: what a group looks for; unmet needs feed the gap report."""

    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint(_in("status", NeedStatus), name="status"),
        CheckConstraint("group_size > 0", name="group_size_positive"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("max_walk_minutes IS NULL OR max_walk_minutes > 0", name="walk_positive"),
        CheckConstraint("near IS NULL OR ST_IsValid(near)", name="near_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    group_size: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # The wanted time pattern, e.g. {"weekdays": [1, 3], "from": "17:00", "to": "21:00", ...}.
    time_pattern: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    step_free: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    accessible_wc: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    equipment: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list, server_default="{}")
    near: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=True))
    construction_phase_id: Mapped[int | None] = mapped_column(
        ForeignKey("construction_phases.id", ondelete="SET NULL")
    )
    max_walk_minutes: Mapped[int | None] = mapped_column(Integer)
    free_of_charge_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    status: Mapped[str] = mapped_column(String(16), default=NeedStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UserSession(db.Model):
    """A login: the browser holds the token, the database its hash; logout deletes the row for good."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A personal token for the JSON API (Authorization: Bearer ...); only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # refused from then on

    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An invitation by email into an organisation; the token is mailed, its hash stored."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(32), default=Role.MEMBER)
    # Also an admin of the organisation once accepted (memberships.is_admin)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()


class AuditEntry(db.Model):
    """Who changed what and when: bookings, decisions, cancellations, spaces, accounts."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")


def _norm_default(name: str) -> dict:
    setting = next(s for s in NORM_SETTINGS if s.name == name)
    value = int(setting.default) if setting.whole else setting.default
    return {"default": value, "server_default": str(value)}


class ProvisionNorm(db.Model):
    """Versorgungsrichtwerte set by the QM: how much community space a neighbourhood should have."""

    __tablename__ = "provision_norms"
    __table_args__ = (
        CheckConstraint("m2_per_1000 >= 0 AND seats_per_1000 >= 0", name="per_1000_not_negative"),
        CheckConstraint("walk_m > 0 AND detour >= 1", name="walking"),
        CheckConstraint("min_public_evening_hours >= 0 AND reference_hours > 0", name="hours"),
        CheckConstraint("ramp_months >= 0", name="ramp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Defaults from spaces.core.norms, the one place that states them (migration 0007 has the same).
    m2_per_1000: Mapped[Decimal] = mapped_column(Numeric(8, 1), **_norm_default("m2_per_1000"))
    seats_per_1000: Mapped[Decimal] = mapped_column(Numeric(8, 1), **_norm_default("seats_per_1000"))
    walk_m: Mapped[Decimal] = mapped_column(Numeric(8, 1), **_norm_default("walk_m"))
    detour: Mapped[Decimal] = mapped_column(Numeric(4, 2), **_norm_default("detour"))
    min_public_evening_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1),
                                                              **_norm_default("min_public_evening_hours"))
    reference_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), **_norm_default("reference_hours"))
    ramp_months: Mapped[int] = mapped_column(Integer, **_norm_default("ramp_months"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RoundStatus(StrEnum):
    SHOWN = "shown"  # computed and shown to the QM, not booked
    CONFIRMED = "confirmed"  # booked exactly as shown
    SUPERSEDED = "superseded"  # the world changed before confirming; a newer round replaces it


class AllocationRound(db.Model):
    """A Raumvergabe as the QM saw it: confirming books exactly this plan, or nothing."""

    __tablename__ = "allocation_rounds"
    __table_args__ = (CheckConstraint(_in("status", RoundStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.SHOWN, server_default="shown")
    # {"needs": [ids], "assignments": [{need_id, space_id, weekday, starts, ends, dates: [[start, end]], ...}],
    #  "unmet": {need_id: reason}, "greedy_served": n}
    plan: Mapped[dict] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_rounds.id", ondelete="SET NULL"))


class OutboxMail(db.Model):
    """A mail written in the same transaction as the change it reports; delivered after the commit."""

    __tablename__ = "outbox_mails"
    __table_args__ = (
        Index("ix_outbox_mails_pending", "id", postgresql_where=text("sent_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")


# Tables kept beside the features they belong to, imported here so that every model is known with this module.
from spaces.booking import guest_tables, waitlist_tables  # noqa: E402,F401
from spaces.inventory import tables as inventory_tables  # noqa: E402,F401
from spaces.planning.usage import tables as usage_tables  # noqa: E402,F401
from spaces.walking import tables as walking_tables  # noqa: E402,F401
