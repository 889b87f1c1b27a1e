"""Allocation rounds (Raumvergabe): many needs at once, booked as shown."""
