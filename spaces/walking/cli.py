"""`flask geo ...`: the street network for walking distances."""

import sys

import click
from flask.cli import AppGroup

from geo.streets import StreetFileError
from spaces.db import db

geo_cli = AppGroup("geo", help="Geodata: the street network for walking distances.")


@geo_cli.command("import-streets")
@click.argument("path", type=click.Path(dir_okay=False))
def import_streets_command(path: str) -> None:
    """Replace the street network by the walkable ways of an OSM extract (.osm XML or .pbf)."""
    from spaces.walking.streets import import_streets

    try:
        counts = import_streets(db.session, path)
    except StreetFileError as err:
        db.session.rollback()
        click.echo(str(err), err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Straßennetz importiert: {counts['ways']} Wege, {counts['edges']} Kanten, "
               f"{counts['vertices']} Knoten.")
