"""Which OSM ways a person may walk, and where ways are cut into edges (geo.streets, pure)."""

import pytest

from geo.streets import Way, is_walkable, split_into_edges


@pytest.mark.parametrize("tags, walkable", [
    ({"highway": "footway"}, True),
    ({"highway": "residential"}, True),
    ({"highway": "steps"}, True),
    ({"highway": "primary", "sidewalk": "both"}, True),
    ({"highway": "motorway"}, False),
    ({"highway": "motorway_link", "foot": "yes"}, False),
    ({"highway": "trunk"}, False),
    ({"highway": "trunk", "foot": "designated"}, True),
    ({"highway": "residential", "foot": "no"}, False),
    ({"highway": "primary", "foot": "use_sidepath"}, False),
    ({"highway": "service", "access": "private"}, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, True),
    ({"highway": "construction"}, False),
    ({"highway": "footway", "area": "yes"}, False),
    ({"highway": "pedestrian", "area": "yes"}, True),
    ({"waterway": "river"}, False),
])
def test_walkable_ways(tags, walkable):
    assert is_walkable(tags) is walkable


def test_ways_are_cut_where_they_meet_and_at_their_ends():
    main = Way(1, (10, 11, 12, 13, 14), tuple((float(i), 0.0) for i in range(5)))
    side = Way(2, (12, 20), ((2.0, 0.0), (2.0, 1.0)))
    loop = Way(3, (30, 31, 32, 30), ((5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)))
    edges = [(e.way_id, e.source, e.target, len(e.coords)) for e in split_into_edges([main, side, loop])]
    assert edges == [(1, 10, 12, 3), (1, 12, 14, 3), (2, 12, 20, 2), (3, 30, 30, 4)]
