"""Spreadsheets into `RawRow`s: CSV (as Excel in Germany writes it, or as anything else does) and XLSX.

The first non-empty row is the header. Its cells are matched to `COLUMNS` by `column_for`: German and English
names, case, spaces, hyphens, underscores, umlauts written as ae/oe/ue and a unit in brackets ("Fläche (m²)")
do not matter. Columns with other headers are kept per row in `RawRow.tags` under their header as written.
Values are text as they stood in the cell, stripped; an empty cell is None. Only the columns the file has appear
in `RawRow.values`, so the plan can tell a column left out from a cell left empty. Fully empty rows are skipped.
`ref` is "Zeile N", N counting the file's lines (CSV) or the sheet's rows (XLSX), the header being the first.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from xml.etree.ElementTree import ParseError

from spaces.core.phrases import phrase
from spaces.inventory.rows import COLUMNS, RawRow, ReadError

# Header names per column, written as `_header_key` makes them (lower case, no spaces, ä -> ae ...); the
# canonical English name of every column is accepted too.
_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "kennung", "externeid", "externekennung", "externalid"),
    "name": ("name", "bezeichnung", "raumname"),
    "provider": ("traeger", "anbieter", "organisation", "organization", "betreiber", "operator", "provider"),
    "address": ("adresse", "anschrift", "address", "strasseundhausnummer", "strasse"),
    "lat": ("breite", "breitengrad", "lat", "latitude", "geobreite"),
    "lon": ("laenge", "laengengrad", "lon", "lng", "long", "longitude", "geolaenge"),
    "kind": ("art", "raumart", "kind", "typ", "type", "raumtyp"),
    "capacity": ("kapazitaet", "plaetze", "personen", "capacity", "maxpersonen", "personenzahl", "sitzplaetze"),
    "area_m2": ("flaeche", "flaechem2", "flaecheinm2", "groesse", "area", "aream2", "m2", "qm"),
    "floor": ("etage", "geschoss", "stockwerk", "floor", "level"),
    "step_free": ("stufenlos", "barrierefrei", "rollstuhlgerecht", "stepfree", "wheelchair"),
    "accessible_wc": ("barrierefreieswc", "behindertenwc", "rollstuhlwc", "accessiblewc", "toiletswheelchair"),
    "lift": ("aufzug", "fahrstuhl", "lift", "elevator"),
    "hearing_loop": ("hoerschleife", "induktionsschleife", "hoeranlage", "hearingloop"),
    "equipment": ("ausstattung", "equipment"),
    "booking_mode": ("buchungsart", "buchung", "bookingmode"),
    "bookable_by": ("buchbarfuer", "bookableby"),
    "cost_eur": ("kosten", "kosteneur", "preis", "preiseur", "miete", "cost", "costeur"),
    "opening_hours": ("oeffnungszeiten", "openinghours"),
    "description": ("beschreibung", "description"),
    "house_rules": ("hausordnung", "houserules"),
    "available_from": ("verfuegbarab", "verfügbarab", "availablefrom"),
    "available_until": ("verfuegbarbis", "verfügbarbis", "availableuntil"),
}

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "²": "2", "€": "eur"})
_NOT_IN_KEY = re.compile(r"[\s_\-./:]+")
_BRACKETS = re.compile(r"[(\[].*?[)\]]")


def _header_key(header: str) -> str:
    return _NOT_IN_KEY.sub("", header.casefold().translate(_UMLAUTS))  # casefold makes ß "ss"


_BY_KEY = {_header_key(alias): column for column, aliases in _ALIASES.items() for alias in aliases}
_BY_KEY.update({_header_key(column): column for column in COLUMNS})


def column_for(header: str) -> str | None:
    """The canonical column a header names ("Kapazität" -> "capacity", "Fläche (m²)" -> "area_m2"), or None."""
    found = _BY_KEY.get(_header_key(header))
    if found is None and ("(" in header or "[" in header):
        found = _BY_KEY.get(_header_key(_BRACKETS.sub("", header)))
    return found


def rows_from_table(lines: Iterable[tuple[int, Sequence[str | None]]]) -> list[RawRow]:
    """RawRows from (line number, cells) pairs whose first non-empty one is the header."""
    lines = iter(lines)
    header = next((cells for _, cells in lines if _filled(cells)), None)
    if header is None:
        raise ReadError(phrase("Die Datei ist leer: sie hat weder Kopfzeile noch Zeilen."))
    columns, tagged = _mapping(header)
    rows = [_row(number, cells, columns, tagged) for number, cells in lines if _filled(cells)]
    if not rows:
        raise ReadError(phrase("Die Datei hat eine Kopfzeile, aber keine Zeilen mit Räumen darunter."))
    return rows


def _filled(cells: Sequence[str | None]) -> bool:
    return any(cell and not cell.isspace() for cell in cells)


def _mapping(header: Sequence[str | None]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The header's cells as (position, canonical column) and (position, name to keep it under in tags)."""
    columns: list[tuple[int, str]] = []
    tagged: list[tuple[int, str]] = []
    for position, cell in enumerate(header):
        title = _text(cell) or f"Spalte {position + 1}"
        column = column_for(title)
        if column is not None and column not in {taken for _, taken in columns}:
            columns.append((position, column))
        else:  # an unknown header, or a second "Name" column: kept, but not over the first
            tagged.append((position, title))
    if "name" not in {column for _, column in columns}:
        raise ReadError(
            phrase(
                "Die Kopfzeile hat keine Spalte „Name“. Gefunden: %(headers)s.",
                headers=", ".join(_text(cell) or "(leer)" for cell in header),
            )
        )
    return columns, tagged


def _row(number: int, cells: Sequence[str | None], columns: list[tuple[int, str]],
         tagged: list[tuple[int, str]]) -> RawRow:
    width = len(cells)
    values = {column: _text(cells[position]) if position < width else None for position, column in columns}
    tags = {}
    for position, title in tagged:
        if position < width and (value := _text(cells[position])) is not None:
            tags[title] = value
    known = len(columns) + len(tagged)
    for position in range(known, width):  # cells beyond the header
        if (value := _text(cells[position])) is not None:
            tags[f"Spalte {position + 1}"] = value
    return RawRow(ref=f"Zeile {number}", values=values, tags=tags)


def _text(cell: str | None) -> str | None:
    return (cell.strip() or None) if cell else None


# --- CSV ---------------------------------------------------------------------------------------------------------

_DELIMITERS = (";", ",", "\t")


def read_csv(data: bytes) -> list[RawRow]:
    """The rows of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM or cp1252; ";", "," or tab."""
    text = _decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return rows_from_table(_numbered(reader))
    except csv.Error as error:
        raise ReadError(phrase("Die CSV-Datei lässt sich nicht lesen: %(reason)s.", reason=str(error))) from error


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may span lines)."""
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1  # type: ignore[attr-defined]


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise _not_text() from error
    if b"\x00" in data[:4096]:
        raise _not_text()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel in Germany saves "CSV (Trennzeichen-getrennt)" so
    except UnicodeDecodeError as error:
        raise _not_text() from error


def _not_text() -> ReadError:
    return ReadError(phrase("Die CSV-Datei ist keine Textdatei (erwartet: UTF-8 oder Windows-1252)."))


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most (outside quotes); "," when it has none (a single column)."""
    header = next((line for line in text.splitlines() if line.strip(" ;,\t")), text)  # no header: a blank file
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {delimiter: outside.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


# --- XLSX --------------------------------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> list[RawRow]:
    """The rows of the first sheet of an Excel workbook (.xlsx), numbers as text as they stood ("25", "52.37")."""
    from openpyxl import load_workbook  # only an XLSX upload pays for the import
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError, ParseError) as error:
        from spaces.inventory.formats import unknown_format

        raise unknown_format() from error
    try:
        if not workbook.worksheets:
            raise ReadError(phrase("Die Excel-Datei enthält keine Tabelle."))
        sheet = workbook.worksheets[0]
        numbered = ((number, [_cell_text(value) for value in values])
                    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1))
        return rows_from_table(numbered)
    except ReadError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, ParseError) as error:  # a broken sheet
        raise ReadError(phrase("Die Excel-Datei ist beschädigt: ihre erste Tabelle lässt sich nicht lesen.")) from error
    finally:
        workbook.close()


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() else value.date().isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value)
