"""Construction phases: upload, draw and edit them."""
