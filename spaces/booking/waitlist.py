"""The waitlist: groups queue for a taken slot and are offered it in turn when it frees up."""
