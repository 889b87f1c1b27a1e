"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Generated: every parameter, body and answer is a pydantic model (spaces.finder.schemas,
spaces.finder.search.SpaceQuery, spaces.booking.schemas), the same models that check the input,
so the document cannot drift from the validation. Below is only the table of operations.
tests/finder/test_openapi.py fails when an /api route or a parameter is left undocumented.
"""

import copy
import re
from dataclasses import dataclass

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from spaces.booking import schemas as booking
from spaces.finder.schemas import (
    Availability,
    AvailabilityQuery,
    ClusterCollection,
    ClusterQuery,
    Error,
    Language,
    MapPointCollection,
    NearestQuery,
    NearestSpaceCollection,
    OpenAPIDocument,
    PhaseCollection,
    Quartiers,
    QueryParameters,
    Repeatable,
    SpaceCollection,
    SpaceDetail,
)
from spaces.finder.search import SpaceQuery
from spaces.finder.week import MAX_WINDOW
from spaces.hardening import CONTROL_CHARACTERS, MAX_ID, MAX_JSON_DEPTH
from spaces.inventory.open_data_schemas import OpenDataCollection, OpenDataQuery
from spaces.walking.schemas import IsochroneFeature, IsochroneQuery, PhaseIsochroneQuery

bp = Blueprint("openapi", __name__, url_prefix="/api")

REF = "#/components/schemas/{model}"
AUTH = ({"bearer": []}, {"session": []})


class PathParameters(BaseModel):
    """The parameters in /api paths; Flask's int converter checks them (anything else matches no route)."""

    space_id: int = Field(ge=1, le=MAX_ID, examples=[1], description=(
        "Number of the space. An unknown number answers 404 with a German message; a path whose number is not "
        "a positive integer of at most 2³¹−1 matches no route (404 with Werkzeug's English text)."))
    booking_id: int = Field(ge=1, le=MAX_ID, description="Number of the booking.")
    token_id: int = Field(ge=1, le=MAX_ID, description="Number of the API token (from GET /api/tokens).")
    phase_id: int = Field(ge=1, le=MAX_ID, description="Number of the construction phase (from GET /api/phases).")


@dataclass(frozen=True)
class Answer:
    """One documented answer: its model, what it means, and for errors some German messages as examples."""

    model: type[BaseModel]
    description: str
    examples: tuple[str, ...] = ()
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    """One row of the table: an HTTP method on a path, with the models of its input and answers."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    answers: dict[int, Answer]
    query: tuple[type[QueryParameters], ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = True
    security: tuple[dict, ...] = ()
    description: str = ""


# Every request passes spaces.hardening's screen (and, with the session cookie, the CSRF check) before a view
# sees it: every operation can answer this 400, also those without parameters.
SCREENED = Answer(Error, "A control character (a NUL byte, say; tab and line breaks are fine) in the path, a "
                         f"query parameter or a JSON string is refused, as is a JSON body nested deeper than "
                         f"{MAX_JSON_DEPTH} levels and a POST or DELETE with the session cookie but without a valid "
                         "X-CSRFToken header.", (CONTROL_CHARACTERS,))


def bad(*examples: str) -> Answer:
    """The 400 answer of an operation, with some of its German messages as examples."""
    return Answer(Error, "A parameter is wrong; `error` says which and why, in German. " + SCREENED.description,
                  examples)


UNAUTHORIZED = Answer(Error, "Not logged in and no valid API token.", ("Bitte anmelden.",))
FORBIDDEN = Answer(Error, "Logged in, but not allowed to do this.",
                   ("Über Anfragen entscheidet nur die Raumverwaltung dieses Raums.",))
NO_SUCH_BOOKING = Answer(Error, "No such booking, or it belongs to another group.",
                         ("Diese Buchung gibt es nicht, oder sie gehört einer anderen Gruppe.",))
NO_SUCH_SPACE = Answer(Error, "No space has this number.", ("Einen Raum mit der Nummer 99999 gibt es nicht.",))

OPERATIONS = (
    Operation(
        "get", "/api/spaces", "listSpaces", "spaces", "Spaces matching the filters, as GeoJSON",
        description="Spaces matching every given filter, as a GeoJSON FeatureCollection of points, sorted by `sort` "
                    "and cut at `limit`. Without a date or time window, spaces that have closed for good are left "
                    "out and planned ones included. Unknown parameters are ignored.",
        query=(SpaceQuery, Language),
        answers={200: Answer(SpaceCollection, "The matching spaces."),
                 400: bad("bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht 3.",
                          "Personen: „abc“ ist keine ganze Zahl.", "Für einen Ort braucht es lat und lon.",
                          "Quartier „Atlantis“ ist nicht bekannt.")}),
    Operation(
        "get", "/api/spaces/clusters", "clusterSpaces", "spaces", "Every matching space, counted per map grid cell",
        description="The same filters as /api/spaces, but nothing is cut: every matching space is counted in a "
                    "grid cell of the map at `zoom` (cells fixed in Web-Mercator metres, so panning keeps them). "
                    "The map shows these counts when zoomed out. `sort` and `limit` have no effect.",
        query=(SpaceQuery, ClusterQuery, Language),
        answers={200: Answer(ClusterCollection, "The cells with matching spaces and the total."),
                 400: bad("zoom: „abc“ ist keine ganze Zahl.", "zoom: bitte eine Zahl von 0 bis 22 angeben.",
                          "bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht 3.")}),
    Operation(
        "get", "/api/spaces/points", "mapSpaces", "spaces", "The spaces of a map view, with what a marker shows",
        description="The same filters, sort and limit as /api/spaces, but each space carries only what a map "
                    "marker and its popup show; the GeoJSON is built in the database. `total` counts every "
                    "match. Details of one space: /api/spaces/{space_id}.",
        query=(SpaceQuery, Language),
        answers={200: Answer(MapPointCollection, "The matching spaces, at most `limit`."),
                 400: bad("bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht 3.")}),
    Operation(
        "get", "/api/spaces/nearest", "nearestSpaces", "spaces", "The spaces nearest to a point",
        description="The `n` spaces nearest to `lat`/`lon` by straight-line distance (nearest first), open or "
                    "planned ones only, each with `distance_m`.",
        query=(NearestQuery, Language),
        answers={200: Answer(NearestSpaceCollection, "The nearest spaces."),
                 400: bad("lat: „“ ist keine Zahl.", "n: bitte eine Zahl von 1 bis 200.")}),
    Operation(
        "get", "/api/spaces/{space_id}", "getSpace", "spaces", "One space, with opening hours and its next free slot",
        query=(Language,), answers={200: Answer(SpaceDetail, "The space as a GeoJSON Feature."), 404: NO_SUCH_SPACE}),
    Operation(
        "get", "/api/spaces/{space_id}/availability", "getSpaceAvailability", "spaces",
        "Free and busy intervals of a space",
        description=f"Free and publicly visible busy intervals between `from` and `to` (at most {MAX_WINDOW.days} "
                    "days). The space is checked first: an unknown one answers 404 whatever the other parameters.",
        query=(AvailabilityQuery,),
        answers={200: Answer(Availability, "Free and busy time of the space."),
                 400: bad(f"Das Zeitfenster ist zu lang: höchstens {MAX_WINDOW.days} Tage.",
                          "from: bitte mit Zeitzone angeben, z. B. 2026-12-01T18:00+01:00."),
                 404: NO_SUCH_SPACE}),
    Operation(
        "get", "/api/phases", "listPhases", "phases", "Construction phases, as GeoJSON",
        description="Every construction phase (Bauabschnitt) as a MultiPolygon, by move-in date (unknown last), "
                    "then name.",
        query=(Language,), answers={200: Answer(PhaseCollection, "The construction phases.")}),
    Operation(
        "get", "/api/phases/{phase_id}/isochrone", "getPhaseIsochrone", "phases",
        "The area reachable on foot from a construction phase",
        description="Walked on the imported street network from anywhere in the phase (every street crossing it), "
                    "the concave hull of the reached streets widened by 50 m, the phase included. Without a street "
                    "network (`flask geo import-streets`) the phase widened by the straight-line radius "
                    "(`method: straight_line`, with `radius_m` and a German `note`).",
        query=(PhaseIsochroneQuery, Language),
        answers={200: Answer(IsochroneFeature, "The area as a GeoJSON Feature (Polygon or MultiPolygon)."),
                 400: bad("minutes: bitte eine Zahl von 1 bis 60 angeben."),
                 404: Answer(Error, "No construction phase has this number.",
                             ("Einen Bauabschnitt mit der Nummer 99999 gibt es nicht.",))}),
    Operation(
        "get", "/api/isochrone", "getIsochrone", "phases", "The area reachable on foot from a point",
        description="Walked on the imported street network from lat/lon (the walk to the nearest street "
                    "included), the concave hull of the reached streets widened by 50 m. Without a street network, or "
                    "from a point more than 500 m from it, the circle of the straight-line rule "
                    "(`method: straight_line`, with `radius_m` and a German `note`).",
        query=(IsochroneQuery, Language),
        answers={200: Answer(IsochroneFeature, "The area as a GeoJSON Feature (Polygon or MultiPolygon)."),
                 400: bad("minutes: bitte eine Zahl von 1 bis 60 angeben.",
                          "Der Ort lat=52.0, lon=9.7 liegt außerhalb des Stadtgebiets (52.3–52.45 N, 9.6–9.92 O).")}),
    Operation(
        "get", "/api/spaces.geojson", "exportSpaces", "spaces",
        "Every public space as open data (GeoJSON with OSM-style tags)",
        description="Every space an anonymous visitor sees on the map (spaces whose period has not ended; planned "
                    "ones included), as a GeoJSON FeatureCollection of points with OpenStreetMap-style tags "
                    "(every value text, absent when empty) and the licence they are published under. Cached for "
                    "5 minutes; a weak ETag answers If-None-Match with 304.",
        query=(OpenDataQuery, Language),
        answers={200: Answer(OpenDataCollection, "Every public space.", media_type="application/geo+json"),
                 400: bad("download: „vielleicht“ verstehe ich nicht; bitte 1 (ja) oder 0 (nein).")}),
    Operation(
        "get", "/api/quartiers", "listQuartiers", "quartiers", "Named Quartiere to search near",
        description="Every Quartier with its centre, by name; pass a name as `quartier` to /api/spaces.",
        answers={200: Answer(Quartiers, "The Quartiere.")}),
    Operation(
        "get", "/api/bookings", "listBookings", "bookings", "Upcoming bookings of my organisations",
        security=AUTH, answers={200: Answer(booking.BookingList, "The bookings."), 401: UNAUTHORIZED}),
    Operation(
        "post", "/api/bookings", "createBooking", "bookings", "Book a slot or a weekly/biweekly/monthly series",
        description="Every slot is checked by the booking rules (README, 'When a space is free'): opening hours, "
                    "closures, the space's period, days in advance, not begun, capacity, who may book, overlaps. "
                    "All or nothing, unless `skip_conflicts`; `dry_run` only checks. Members book for their groups, "
                    "QM admins for any group. Instant spaces confirm at once, others answer `requested`. Only the "
                    "listed fields are accepted: anything else is a 400.",
        body=booking.BookingRequest, security=AUTH,
        answers={200: Answer(booking.DryRun, "With `dry_run`: every date and whether it can be booked."),
                 201: Answer(booking.BookingCreated, "Booked (or requested)."),
                 400: bad("Diese Felder sind hier nicht erlaubt: status.", "Es fehlen: attendees, from.",
                          "date: „1.12.2026“ ist kein gültiger Wert (JJJJ-MM-TT)."),
                 401: UNAUTHORIZED, 403: FORBIDDEN,
                 404: Answer(Error, "No such space (or, for QM admins, no such group).",
                             ("Diesen Raum gibt es nicht.",)),
                 409: Answer(booking.BookingRefusal, "A slot is taken (seen by the check or by the database's "
                                                     "constraint); `problems` lists every refused date."),
                 422: Answer(booking.BookingRefusal, "Some slots cannot be booked; `problems` says why.")}),
    Operation(
        "get", "/api/bookings/{booking_id}", "getBooking", "bookings",
        "One booking of my organisation, or of a space I manage",
        security=AUTH,
        answers={200: Answer(booking.Booking, "The booking."), 401: UNAUTHORIZED, 404: NO_SUCH_BOOKING}),
    Operation(
        "post", "/api/bookings/{booking_id}/cancel", "cancelBooking", "bookings",
        "Cancel a booking, or it and the later dates of its series",
        body=booking.CancelRequest, body_required=False, security=AUTH,
        answers={200: Answer(booking.Cancelled, "What was cancelled."),
                 400: bad("rest_of_series: true oder false."), 401: UNAUTHORIZED, 403: FORBIDDEN,
                 404: NO_SUCH_BOOKING, 409: Answer(Error, "Already cancelled or declined.")}),
    Operation(
        "post", "/api/bookings/{booking_id}/decision", "decideBooking", "bookings",
        "Accept or decline a request (the space's managers)",
        body=booking.Decision, security=AUTH,
        answers={200: Answer(booking.Booking, "The decided booking."),
                 400: bad("accept: true (annehmen) oder false (ablehnen)."), 401: UNAUTHORIZED, 403: FORBIDDEN,
                 404: NO_SUCH_BOOKING, 409: Answer(Error, "Already decided."),
                 422: Answer(Error, "Accepting is no longer possible (the space changed); declining still is.")}),
    Operation(
        "post", "/api/tokens", "createToken", "bookings",
        "A personal API token (from a logged-in browser session; shown once)",
        body=booking.TokenRequest, security=({"session": []},),
        answers={201: Answer(booking.Token, "The token; send it as `Authorization: Bearer <token>`."),
                 400: bad("name: bitte als Text angeben."), 401: UNAUTHORIZED, 403: FORBIDDEN}),
    Operation(
        "get", "/api/tokens", "listTokens", "bookings", "My live API tokens (never the tokens themselves)",
        security=AUTH, answers={200: Answer(booking.TokenList, "The tokens, newest first."), 401: UNAUTHORIZED}),
    Operation(
        "delete", "/api/tokens/{token_id}", "revokeToken", "bookings", "Revoke one of my API tokens",
        description="The token stops working at once. Tokens also expire a year after they were made.",
        security=AUTH,
        answers={200: Answer(booking.Revoked, "The revoked token."), 401: UNAUTHORIZED,
                 404: Answer(Error, "No such token, or another person's.",
                             ("Diesen API-Token gibt es nicht (mehr).",))}),
    Operation(
        "get", "/api/openapi.json", "getOpenAPI", "meta", "This document",
        answers={200: Answer(OpenAPIDocument, "The OpenAPI 3.1 document of the API.")}),
)

INFO = {
    "title": "Raumfinder API",
    "version": "1",
    "description": (
        "JSON and GeoJSON API of Raumfinder, a finder for rooms and meeting places in the neighbourhoods of "
        "Hannover: searching is open to all, booking needs a login or an API token. Coordinates are WGS84 "
        "longitude/latitude; times are local to Europe/Berlin. Errors are answered as `{\"error\": \"…\"}` with a "
        "German message: 400 for a wrong parameter, 404 for an unknown space; a path that matches no route (404) "
        "or a method other than GET (405) gets Werkzeug's English text in the same shape."
    ),
    "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
}
TAGS = [
    {"name": "spaces", "description": "Rooms and meeting places."},
    {"name": "phases", "description": "Construction phases (Bauabschnitte)."},
    {"name": "quartiers", "description": "Named neighbourhoods."},
    {"name": "bookings", "description": "Booking rooms (login or API token)."},
    {"name": "meta", "description": "About the API itself."},
]
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "A personal token from POST /api/tokens; no CSRF token needed."},
    "session": {"type": "apiKey", "in": "cookie", "name": "session",
                "description": "The browser session after logging in; POSTs also need the header X-CSRFToken "
                               "(from the page's meta csrf-token)."},
}


class _Schemas(GenerateJsonSchema):
    """JSON Schema without a title per property (pydantic's "Space Id" says nothing the name does not)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def _parameter_schema(schema: dict) -> dict:
    """A query parameter's schema: absent is the default, so neither `null` nor a default of null."""
    if schema.get("default", 0) is None:
        del schema["default"]
    variants = schema.pop("anyOf", None)
    if variants is not None:
        kept = [v for v in variants if v != {"type": "null"}]
        schema.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
    return schema


def _parameters(model: type[BaseModel], where: str, names=None) -> list[dict]:
    """The parameters a model declares (only `names`, if given), as OpenAPI parameter objects."""
    schema = model.model_json_schema(schema_generator=_Schemas)
    assert "$defs" not in schema, f"{model.__name__}: a parameter must not refer to other schemas"
    parameters = []
    for name, field_info in model.model_fields.items():
        key = field_info.alias or name
        if names is not None and key not in names:
            continue
        prop = _parameter_schema(dict(schema["properties"][key]))
        parameter = {"name": key, "in": where, "required": key in schema.get("required", ()),
                     "description": prop.pop("description", ""), "schema": prop}
        if prop.get("type") == "array":  # repeated (kind=a&kind=b) or one comma-separated value (bbox=1,2,3,4)
            parameter["explode"] = any(isinstance(m, Repeatable) for m in field_info.metadata)
        parameters.append(parameter)
    return parameters


def _content(ref: dict, examples: tuple[str, ...] = (), media_type: str = "application/json") -> dict:
    media = {"schema": ref}
    if examples:
        media["examples"] = {f"example{i}": {"value": {"error": m}} for i, m in enumerate(examples, 1)}
    return {media_type: media}


def _operation(op: Operation, refs: dict) -> dict:
    """One operation object of the document."""
    document = {"operationId": op.operation_id, "tags": [op.tag], "summary": op.summary}
    if op.description:
        document["description"] = op.description
    if op.security:
        document["security"] = list(op.security)
    parameters = _parameters(PathParameters, "path", set(re.findall(r"{([^{}]+)}", op.path)))
    for model in op.query:
        parameters += _parameters(model, "query")
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {"required": op.body_required, "content": _content(refs[op.body, "validation"])}
    answers = {400: SCREENED, **op.answers}
    document["responses"] = {
        str(status): {"description": a.description,
                      "content": _content(refs[a.model, "serialization"], a.examples, a.media_type)}
        for status, a in sorted(answers.items())}
    return document


def build_document() -> dict:
    """The OpenAPI 3.1 document of every /api route, as a fresh dict."""
    models = {(op.body, "validation") for op in OPERATIONS if op.body is not None}
    models |= {(a.model, "serialization") for op in OPERATIONS for a in op.answers.values()}
    refs, schemas = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])), ref_template=REF,
                                       schema_generator=_Schemas)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs)
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/", "description": "This server."}],
        "tags": TAGS,
        "paths": paths,
        "components": {"schemas": schemas["$defs"], "securitySchemes": SECURITY_SCHEMES},
    })


@bp.get("/openapi.json")
def document():
    """The OpenAPI 3.1 description of every /api route."""
    return jsonify(build_document())
