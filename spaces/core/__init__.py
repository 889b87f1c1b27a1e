"""Pure rules, no Flask and no database: availability, the booking rules (bookability), recurrence,
proposals, allocation, rounds, gaps and norms, and the domain errors."""
