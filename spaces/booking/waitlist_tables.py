"""Tables of the waitlist (migration 0017); imported at the end of spaces.models so every model is known."""
