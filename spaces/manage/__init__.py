"""Space managers publish their spaces: places, opening hours, closures, who may book."""
