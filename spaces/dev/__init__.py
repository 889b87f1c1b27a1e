"""Demo data and the synthetic city for benchmarks."""
