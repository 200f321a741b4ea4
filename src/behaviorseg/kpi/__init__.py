"""Per-segment KPIs: pure functions returning tidy DataFrames indexed by segment."""

__all__: list[str] = []
