"""`flask geo ...`: the street network for walking distances."""

from flask.cli import AppGroup

geo_cli = AppGroup("geo", help="Geodata: the street network for walking distances.")
