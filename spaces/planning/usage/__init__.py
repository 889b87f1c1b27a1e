"""The usage report per space, provider and Quartier (Verwendungsnachweis)."""
