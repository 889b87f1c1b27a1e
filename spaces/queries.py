"""Select builders for spaces and phases: composable, SQL stays here, not in views."""

from datetime import date

from sqlalchemy import Select, and_, func, or_, select

from .models import ConstructionPhase, Organisation, Site, Space


def spaces_with_place() -> Select:
    """Spaces with their site, organisation and coordinates, ordered by name."""
    return (
        select(
            Space,
            Site.address,
            Organisation.name.label("organisation"),
            func.ST_X(Space.location).label("lon"),
            func.ST_Y(Space.location).label("lat"),
        )
        .join(Site, Space.site_id == Site.id)
        .join(Organisation, Site.organisation_id == Organisation.id)
        .order_by(Space.name, Space.id)
    )


def open_on(day: date):
    """Criterion: the space exists on `day` (temporary spaces inside their period, planned ones from their opening)."""
    return and_(
        or_(Space.available_from.is_(None), Space.available_from <= day),
        or_(Space.available_until.is_(None), Space.available_until >= day),
    )


def not_expired(day: date):
    """Criterion: the space is open on `day` or will open later (closed temporary spaces are left out)."""
    return or_(Space.available_until.is_(None), Space.available_until >= day)


def phases_as_geojson() -> Select:
    """Construction phases with their geometry as GeoJSON text, by move-in date."""
    return select(
        ConstructionPhase,
        func.ST_AsGeoJSON(ConstructionPhase.geom, 6).label("geojson"),
    ).order_by(ConstructionPhase.move_in.nulls_last(), ConstructionPhase.name)
