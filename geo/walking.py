"""Walking distance as straight line times a detour factor, until a street network is configured."""

WALKING_SPEED_M_PER_MIN = 80.0  # 4.8 km/h
DETOUR_FACTOR = 1.3  # streets are longer than the straight line


def walk_radius_m(minutes: float, speed: float = WALKING_SPEED_M_PER_MIN, detour: float = DETOUR_FACTOR) -> float:
    """The straight-line radius in metres reachable on foot in `minutes`."""
    return minutes * speed / detour


def walk_minutes(straight_m: float, speed: float = WALKING_SPEED_M_PER_MIN, detour: float = DETOUR_FACTOR) -> float:
    """Minutes on foot for a straight-line distance in metres."""
    return straight_m * detour / speed
