"""Impressum and Datenschutz: the operator's own texts, configured, and what Raumfinder itself stores.

The operator writes `impressum.txt` and `datenschutz.txt` (plain text, paragraphs separated by a blank
line) into RAUMFINDER_LEGAL_DIR (default: instance/legal/). Without them the pages say that the operator
has not filled them in yet; the privacy page always lists what this service stores, why and how long.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template

from spaces import instance_dir

bp = Blueprint("legal", __name__)


def operator_text(name: str) -> list[str] | None:
    """The paragraphs of the operator's file `name`.txt, or None when there is none (escaped by the template)."""
    folder = Path(current_app.config.get("LEGAL_DIR") or instance_dir() / "legal")
    path = folder / f"{name}.txt"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").strip()
    return [paragraph.strip() for paragraph in text.split("\n\n") if paragraph.strip()]


@bp.get("/impressum")
def impressum():
    """Who runs this service (the operator's text)."""
    return render_template("legal/impressum.html", paragraphs=operator_text("impressum"))


@bp.get("/datenschutz")
def datenschutz():
    """What is stored, why and how long; the operator's contact and anything they add."""
    return render_template("legal/datenschutz.html", paragraphs=operator_text("datenschutz"))
