"""Residents find places: the map, the search, a space's week, the JSON API and its OpenAPI document."""
