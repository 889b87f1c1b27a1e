"""Tables of requests without an account (migration 0018); imported at the end of spaces.models."""
