"""Neighbourhood managers plan: the gap report, construction phases, needs and allocation rounds."""
