"""Geospatial helpers: projections, validation, escaping and Folium maps. Never imports Flask."""
