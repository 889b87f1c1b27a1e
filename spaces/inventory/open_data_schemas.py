"""The shapes of /api/spaces.geojson: its query parameter and its answer, for checking and the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spaces.finder.schemas import FLAG_VALUES, Flag, Point, QueryParameters


class OpenDataQuery(QueryParameters):
    """The parameters of /api/spaces.geojson."""

    download: Flag = Field(False, description="Answer as a file to save (`Content-Disposition: attachment; "
                                              f"filename=raumfinder-raeume.geojson`). {FLAG_VALUES}")


def _tag(name: str, description: str):
    return Field(None, alias=name, description=description)


class OpenDataProperties(BaseModel):
    """A space's tags in OpenStreetMap style: every value is text; a tag without a value is absent."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    amenity: str = Field(description="community_centre (room, hall, kitchen, workshop, studio), coworking_space, "
                                     "meeting_point (outdoor meeting spot).")
    name: str
    wheelchair: Literal["yes", "no"] = Field(description="yes: entrance and room without steps; no: not step-free.")
    toilets_wheelchair: Literal["yes", "no"] = Field(alias="toilets:wheelchair")
    capacity: str = Field(description="Persons, a whole number as text.")
    opening_hours: str | None = Field(None, description="Weekly hours in OSM opening_hours syntax.")
    operator: str = Field(description="The providing organisation.")
    addr_full: str = Field(alias="addr:full", description="The site's address.")
    description: str | None = None
    fee: Literal["yes", "no"] | None = None
    website: str = Field(description="The space's page on this service.")
    ref_raumfinder: str = Field(alias="ref:raumfinder", description="The space's number on this service.")
    external_id: str | None = Field(None, description="The id it was imported with (osm:node/123, a provider's id).")
    kind: str = Field(alias="raumfinder:kind")
    booking_mode: str = Field(alias="raumfinder:booking_mode")
    bookable_by: str = Field(alias="raumfinder:bookable_by")
    area_m2: str | None = _tag("raumfinder:area_m2", "Floor area in m².")
    floor: str | None = _tag("raumfinder:floor", "Floor, as the provider writes it.")
    lift: Literal["yes", "no"] = Field(alias="raumfinder:lift")
    hearing_loop: Literal["yes", "no"] = Field(alias="raumfinder:hearing_loop")
    equipment: str | None = _tag("raumfinder:equipment", "Equipment codes joined by ';'.")
    cost_eur: str | None = _tag("raumfinder:cost_eur", "Cost in euros.")
    house_rules: str | None = _tag("raumfinder:house_rules", "House rules.")
    available_from: str | None = _tag("raumfinder:available_from", "First day (YYYY-MM-DD) of a planned space.")
    available_until: str | None = _tag("raumfinder:available_until", "Last day (YYYY-MM-DD) of a temporary space.")


class OpenDataFeature(BaseModel):
    """A public space as a GeoJSON point with OSM-style tags."""

    type: Literal["Feature"]
    id: int
    geometry: Point
    properties: OpenDataProperties


class OpenDataCollection(BaseModel):
    """Every public space, with the licence it is published under."""

    type: Literal["FeatureCollection"]
    name: str
    licence: str = Field(description="Licence code (RAUMFINDER_OPEN_DATA_LICENCE), e.g. dl-de/by-2-0.")
    licence_name: str
    licence_url: str | None = Field(description="The licence text, when the code is a known one.")
    attribution: str = Field(description="Whom to name when using the data.")
    source: str = Field(description="Where this file comes from.")
    generated: str = Field(description="When it was made (ISO 8601).")
    features: list[OpenDataFeature]
