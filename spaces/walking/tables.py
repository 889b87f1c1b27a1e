"""Tables of the street network (migration 0021)."""
