"""The walking API's parameters and answers (pydantic): they check the input and describe it in the OpenAPI document."""

import math
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from spaces.core.phrases import phrase
from spaces.finder.schemas import MultiPolygon, Position, QueryParameters, coordinate, german, place

MIN_MINUTES, MAX_MINUTES = 1, 60


def _minutes(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise german(phrase("minutes: „%(text)s“ ist keine Zahl.", text=text)) from None
    if not (math.isfinite(number) and MIN_MINUTES <= number <= MAX_MINUTES):
        raise german(phrase("minutes: bitte eine Zahl von %(lo)s bis %(hi)s angeben.", lo=MIN_MINUTES, hi=MAX_MINUTES))
    return number


Minutes = Annotated[float, BeforeValidator(_minutes), Field(ge=MIN_MINUTES, le=MAX_MINUTES)]


class PhaseIsochroneQuery(QueryParameters):
    """The parameters of /api/phases/{phase_id}/isochrone."""

    minutes: Minutes = Field(15, examples=[15], description=(
        f"Minutes on foot (80 m a minute), {MIN_MINUTES} to {MAX_MINUTES}; decimals allowed. Default 15."))


class IsochroneQuery(PhaseIsochroneQuery):
    """The parameters of /api/isochrone."""

    lat: coordinate("lat") = Field(description="Latitude of the start (WGS84); outside the city's bounds "
                                               "(CITY_BOUNDS): 400.", examples=[52.3745])
    lon: coordinate("lon") = Field(description="Longitude of the start.", examples=[9.7386])

    @model_validator(mode="after")
    def _in_service_area(self) -> Self:
        place(self.lat, self.lon)
        return self


class Polygon(BaseModel):
    """A GeoJSON Polygon: rings of at least four positions (the last repeats the first)."""

    type: Literal["Polygon"]
    coordinates: list[Annotated[list[Position], Field(min_length=4)]]


class IsochroneProperties(BaseModel):
    """How the area was found."""

    minutes: float = Field(description="The minutes on foot asked for.")
    method: Literal["network", "straight_line"] = Field(description=(
        "`network`: walked on the imported street network (pgRouting); the area is the concave hull of the "
        "reached streets widened by 50 m. "
        "`straight_line`: no street network is loaded (or the start lies more than 500 m from it): the circle "
        "(for a phase: the polygon widened) of the old rule, minutes × 80 m ÷ 1.3 straight-line distance."))
    radius_m: float | None = Field(None, description="With `straight_line`: the radius in metres.")
    note: str | None = Field(None, description="With `straight_line`: why, in German, to show beside the map.")


class IsochroneFeature(BaseModel):
    """The area reachable on foot, as a GeoJSON Feature (WGS84)."""

    type: Literal["Feature"]
    geometry: Polygon | MultiPolygon
    properties: IsochroneProperties
