"""Needs (Raumbedarf) and their ranked proposals."""
