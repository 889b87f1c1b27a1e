"""What every inventory reader yields and the import plan reads: one row per place, as text, by column.

Readers (`spaces.inventory.formats_*`) only translate a file's shape into `RawRow`s; they do not judge the
values. The plan (`spaces.inventory.plan`) checks every value and says per row what will happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The documented column set (README "Bestand importieren"). Keys are the canonical names; readers map German
# and English headers and OSM tags onto them. Every value is text as it stood in the file (or None).
COLUMNS = (
    "external_id",    # matches a row to a space imported before: "osm:node/123", or a provider's own id
    "name",           # the space's name
    "provider",       # the organisation offering it (name); a space manager's import uses their own
    "address",        # street and number (the site); not geocoded: a row without lat/lon is refused
    "lat", "lon",     # WGS84 degrees
    "kind",           # room | hall | outdoor | ... (spaces.models.Space.kind) or an OSM amenity mapped to one
    "capacity",       # whole people, > 0
    "area_m2", "floor",
    "step_free", "accessible_wc", "lift", "hearing_loop",  # ja/nein/yes/no/true/false/1/0; OSM wheelchair=*
    "equipment",      # comma-separated keys
    "booking_mode",   # instant | on_request (German: "sofort", "auf Anfrage")
    "bookable_by",    # everyone | members
    "cost_eur",
    "opening_hours",  # OSM opening_hours syntax (spaces.core.osm_hours)
    "available_from", "available_until",  # first and last day of a planned or temporary space (YYYY-MM-DD)
    "description", "house_rules",
)


class ReadError(ValueError):
    """A file that cannot be read at all (wrong format, broken XML): a German message for the person."""


@dataclass
class RawRow:
    ref: str  # where the row stands, for messages: "Zeile 7", "Tabelle Räume, Zeile 3", "node/123", "Feature 2"
    values: dict[str, str | None] = field(default_factory=dict)  # canonical column -> text
    tags: dict[str, str] = field(default_factory=dict)  # unmapped source tags/columns, kept for the preview
