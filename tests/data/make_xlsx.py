"""Writes inventory.xlsx from inventory.csv as Excel would hold it: numbers as numbers, the rest as text.

Run from the repository: .venv/bin/python tests/data/make_xlsx.py
"""

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
NUMERIC = {"Breite", "Länge", "Kapazität", "Fläche (m²)", "Kosten (€)"}


def cell(header: str, text: str) -> object:
    if not text:
        return None
    if header in NUMERIC:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text  # "viele" stays text, as a person typed it
        return int(number) if number.is_integer() else number
    return text


text = (HERE / "inventory.csv").read_text(encoding="utf-8-sig")
rows = list(csv.reader(text.splitlines(keepends=True), delimiter=";"))
book = Workbook()
sheet = book.active
sheet.title = "Räume"
sheet.append(rows[0])
for row in rows[1:]:
    sheet.append([cell(header, text) for header, text in zip(rows[0], row, strict=True)])
book.create_sheet("Notizen").append(["Nicht importieren: nur die erste Tabelle wird gelesen."])
book.save(HERE / "inventory.xlsx")
