"""Walking on the street network: the footway graph (pgRouting), reach within N minutes, isochrones."""
