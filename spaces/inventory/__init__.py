"""The inventory: spaces read in from files (CSV, XLSX, GeoJSON, OpenStreetMap) and written out as open data."""
