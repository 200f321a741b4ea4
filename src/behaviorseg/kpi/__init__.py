"""Per-segment KPIs: pure functions returning tidy DataFrames indexed by segment."""

from ._funnel import funnel_conversion

__all__ = [
    "funnel_conversion",
]
