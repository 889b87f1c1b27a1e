"""`flask spaces ...`: the inventory import from the command line."""

from flask.cli import AppGroup

spaces_cli = AppGroup("spaces", help="The inventory of spaces: import from files.")
