"""Per-segment KPIs: pure functions returning tidy DataFrames indexed by segment."""

from ._cac import cac
from ._cltv import PERIOD_DAYS, cltv, cltv_by_segment
from ._cohorts import cohort_retention
from ._conversion import compare_conversion, conversion_rate
from ._funnel import funnel_conversion
from ._rates import engagement_rate, retention_rate
from ._report import segment_report

__all__ = [
    "PERIOD_DAYS",
    "cac",
    "cltv",
    "cltv_by_segment",
    "cohort_retention",
    "compare_conversion",
    "conversion_rate",
    "engagement_rate",
    "funnel_conversion",
    "retention_rate",
    "segment_report",
]
